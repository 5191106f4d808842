"""Forms of the letters app: they validate input and never change state."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enterprises.models import Industry, Street

from .choices import BatchScope, Scope


class LetterForm(forms.Form):
    scope = forms.ChoiceField(label=_("Obstacles to report"), choices=Scope.choices,
                              initial=Scope.OPEN)
    obstacle = forms.IntegerField(label=_("Obstacle number (for one obstacle)"),
                                  required=False, min_value=1)

    def clean(self):
        data = super().clean()
        if data.get("scope") == Scope.OBSTACLE and not data.get("obstacle"):
            self.add_error("obstacle", _("Give the obstacle's number."))
        return data


class BatchForm(forms.Form):
    scope = forms.ChoiceField(label=_("Enterprises"), choices=BatchScope.choices)
    street = forms.ModelChoiceField(label=_("Street"), queryset=Street.objects.all(),
                                    required=False)
    industry = forms.ModelChoiceField(label=_("Industry"), queryset=Industry.objects.all(),
                                      required=False)
    send_email = forms.BooleanField(label=_("E-mail each letter to the firm's contacts"),
                                    required=False)

    def clean(self):
        data = super().clean()
        if data.get("scope") == BatchScope.STREET and not data.get("street"):
            self.add_error("street", _("Choose the street."))
        if data.get("scope") == BatchScope.INDUSTRY and not data.get("industry"):
            self.add_error("industry", _("Choose the industry."))
        return data


class BulletinForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        last_month_end = today.replace(day=1) - timedelta(days=1)
        self.fields["start"].initial = last_month_end.replace(day=1)
        self.fields["end"].initial = last_month_end

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The period cannot end before it starts."))
            elif (end - start).days > 366:
                self.add_error("end", _("A bulletin covers at most a year."))
        return data
