"""Forms of the insight pages: they clean input; the services decide."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals.choices import Role
from approvals.forms import MultipleFileField
from approvals.models import Department, Obstacle, ObstacleCategory
from enterprises.models import Industry, Street

from .models import SampleResult


class AppealForm(forms.Form):
    reason = forms.CharField(label=_("Grounds of the appeal"), widget=forms.Textarea(
        attrs={"rows": 4}), help_text=_("Why the rating is mistaken or malicious."))
    files = MultipleFileField(label=_("Evidence"), help_text=_(
        "Call records, letters, photos: PDF, images or Office documents, up to 10 MB each."))


class AppealDecideForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[
        ("uphold", _("Uphold: exclude the rating")), ("dismiss", _("Dismiss"))])
    comment = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class MergeForm(forms.Form):
    into = forms.ModelChoiceField(Obstacle.objects.none(), label=_("Keep this obstacle"),
                                  empty_label=None)
    reason = forms.CharField(label=_("Why they are duplicates"),
                             widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = candidates if candidates is not None else \
            Obstacle.objects.none()


class SampleDrawForm(forms.Form):
    week = forms.DateField(label=_("A day of the week"), widget=forms.DateInput(
        attrs={"type": "date"}))
    rate = forms.DecimalField(label=_("Sample rate"), min_value=0.001, max_value=1,
                              decimal_places=3, required=False,
                              help_text=_("Empty: the desk's default."))
    seed = forms.IntegerField(label=_("Random seed"), required=False, min_value=0,
                              help_text=_("Empty: the week's date. The same seed draws "
                                          "the same tasks."))

    def clean_week(self):
        week = self.cleaned_data["week"]
        if week > timezone.localdate():
            raise forms.ValidationError(_("That week has not happened yet."))
        return week


class SampleRecordForm(forms.Form):
    result = forms.ChoiceField(label=_("Result"), choices=[
        c for c in SampleResult.choices if c[0] != SampleResult.PENDING])
    comment = forms.CharField(label=_("What the firm said"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class MonthForm(forms.Form):
    month = forms.DateField(label=_("Month"), input_formats=["%Y-%m"],
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))

    def clean_month(self) -> date:
        return self.cleaned_data["month"].replace(day=1)


class SuggestForm(MonthForm):
    category = forms.ModelChoiceField(ObstacleCategory.objects.all(), label=_("Category"),
                                      required=False)
    street = forms.ModelChoiceField(Street.objects.all(), label=_("Street"), required=False)
    industry = forms.ModelChoiceField(Industry.objects.all(), label=_("Industry"),
                                      required=False)


class CommonIssueForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    category = forms.ModelChoiceField(ObstacleCategory.objects.all(), label=_("Category"))
    obstacles = forms.CharField(label=_("Obstacle numbers"), help_text=_(
        "Separated by commas or spaces."))
    owner = forms.ModelChoiceField(get_user_model().objects.none(), label=_("Owner"))
    department = forms.ModelChoiceField(Department.objects.filter(is_active=True),
                                        label=_("Lead department"), required=False)
    deadline_on = forms.DateField(label=_("Deadline"),
                                  widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = get_user_model().objects.filter(
            is_active=True, groups__name__in=[Role.COORDINATOR, Role.DEPARTMENT_HEAD,
                                              Role.DEPARTMENT_OFFICER]).distinct().order_by(
            "username")

    def clean_obstacles(self) -> list[int]:
        raw = self.cleaned_data["obstacles"].replace(",", " ").replace("#", " ").split()
        try:
            ids = sorted({int(x) for x in raw})
        except ValueError:
            raise forms.ValidationError(_("Obstacle numbers are whole numbers.")) from None
        if len(ids) < 2:
            raise forms.ValidationError(_("Link at least two obstacles."))
        return ids
