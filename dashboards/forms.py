"""The overview's period and scope: a preset (this week, month, quarter or
year) or a custom range, and for leaders and coordinators an optional
department."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.models import Department
from approvals.permissions import user_department_id

from .permissions import scope_departments, sees_district

# the weekly chart and the quota table grow with the period: three years at most
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    preset: str
    department: Department | None


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """Whole calendar units around ``today``: Monday to Sunday, the month, the
    quarter, the year."""
    if preset == "week":
        start = today - timedelta(days=today.weekday())
        return start, start + timedelta(days=6)
    if preset == "year":
        return today.replace(month=1, day=1), today.replace(month=12, day=31)
    if preset == "month":
        start, months = today.replace(day=1), 1
    elif preset == "quarter":
        start, months = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), 3
    else:
        raise ValueError(preset)
    carry, month0 = divmod(start.month - 1 + months, 12)
    return start, date(start.year + carry, month0 + 1, 1) - timedelta(days=1)


class OverviewForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), required=False, initial="month", choices=[
        ("week", _("This week")), ("month", _("This month")), ("quarter", _("This quarter")),
        ("year", _("This year")), ("custom", _("Custom range")),
    ])
    start = forms.DateField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))
    department = forms.ModelChoiceField(Department.objects.none(), label=_("Department"),
                                        required=False, empty_label=_("Whole district"))

    def __init__(self, *args, user, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.today = user, today
        field = self.fields["department"]
        field.queryset = scope_departments(user, Department.objects.all())
        if not sees_district(user):
            # a head's only choice is their own department
            field.empty_label, field.initial = None, user_department_id(user)

    def clean(self):
        data = super().clean()
        preset = data.get("period") or "month"
        data["period"] = preset
        if not sees_district(self.user) and not data.get("department"):
            data["department"] = self.fields["department"].queryset.first()
        if preset != "custom":
            data["start"], data["end"] = preset_range(preset, self.today)
            return data
        start, end = data.get("start"), data.get("end")
        for name in ("start", "end"):
            if not data.get(name) and name not in self.errors:
                self.add_error(name, _("A custom range needs both dates."))
        if start and end:
            if start > end:
                self.add_error("end", _("The end of the period is before its start."))
            elif (end - start).days >= MAX_DAYS:
                self.add_error("end", _("The period can be at most three years."))
        return data

    def cleaned_period(self) -> Period:
        """The period asked for, or this month (and the head's department)
        when nothing was asked; call only on a valid or unbound form."""
        if not self.is_bound:
            start, end = preset_range("month", self.today)
            department = None
            if not sees_district(self.user):
                department = self.fields["department"].queryset.first()
            return Period(start, end, "month", department)
        d = self.cleaned_data
        return Period(d["start"], d["end"], d["period"], d.get("department"))
