"""Forms of the visit log: phone-first, validated here, saved by the services."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import filetype

from approvals.choices import Role, Urgency
from approvals.forms import MultipleFileField
from approvals.models import ObstacleCategory
from enterprises.models import Enterprise
from enterprises.validators import validate_credit_code

MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp", "image/heic", "image/gif",
               "application/pdf"}


class VisitPhotoField(MultipleFileField):
    """Photos and scanned sign-in sheets: images or PDF, by content."""

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [forms.FileField.clean(self, f, initial) for f in files]
        for f in cleaned:
            if f.size > MAX_PHOTO_BYTES:
                raise forms.ValidationError(
                    _("%(name)s is larger than 10 MB.") % {"name": f.name})
            kind = filetype.guess(f.read(8192))
            f.seek(0)
            if kind is None or kind.mime not in PHOTO_TYPES:
                raise forms.ValidationError(
                    _("%(name)s is not a photo or a PDF scan.") % {"name": f.name})
            f.content_type = kind.mime
        return cleaned


class VisitForm(forms.Form):
    enterprise = forms.CharField(
        label=_("Enterprise"), max_length=200,
        help_text=_("Full name or unified social credit code."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "my-firms"}),
    )
    visited_at = forms.DateTimeField(
        label=_("When"), widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    mode = forms.ChoiceField(label=_("Mode"), choices=[])
    purpose = forms.CharField(label=_("Purpose"), max_length=200)
    notes = forms.CharField(label=_("What we saw"), required=False,
                            widget=forms.Textarea(attrs={"rows": 4}))
    companions = forms.ModelMultipleChoiceField(
        get_user_model().objects.none(), label=_("Companions"), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    operating_status = forms.ChoiceField(label=_("Operating status"), required=False)
    orders_trend = forms.ChoiceField(label=_("Orders"), required=False)
    headcount_trend = forms.ChoiceField(label=_("Headcount"), required=False)
    investment_plans = forms.CharField(label=_("Investment plans"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 2}))
    policies_explained = forms.CharField(label=_("Policies explained"), required=False,
                                         widget=forms.Textarea(attrs={"rows": 2}))
    latitude = forms.DecimalField(label=_("Latitude"), required=False, max_digits=9,
                                  decimal_places=6, min_value=-90, max_value=90,
                                  widget=forms.HiddenInput)
    longitude = forms.DecimalField(label=_("Longitude"), required=False, max_digits=9,
                                   decimal_places=6, min_value=-180, max_value=180,
                                   widget=forms.HiddenInput)
    files = VisitPhotoField(label=_("Photos and sign-in sheet"))
    reason = forms.CharField(label=_("Reason for the correction"), required=False,
                             max_length=200)

    def __init__(self, *args, user=None, team_id=None, correction=False, **kwargs):
        from .choices import Mode, OperatingStatus, Trend

        super().__init__(*args, **kwargs)
        if correction:
            self.fields["reason"].required = True
        else:
            del self.fields["reason"]
        blank = [("", "—")]
        self.fields["mode"].choices = Mode.choices
        self.fields["operating_status"].choices = blank + list(OperatingStatus.choices)
        self.fields["orders_trend"].choices = blank + list(Trend.choices)
        self.fields["headcount_trend"].choices = blank + list(Trend.choices)
        people = get_user_model().objects.filter(
            groups__name=Role.SERVICE_STAFF, is_active=True).select_related("profile")
        if team_id:
            people = people.filter(profile__team_id=team_id)
        if user is not None:
            people = people.exclude(pk=user.pk)
        self.fields["companions"].queryset = people.order_by("username")
        self.fields["companions"].label_from_instance = (
            lambda u: getattr(getattr(u, "profile", None), "display_name", "") or u.username)

    def clean_enterprise(self):
        value = self.cleaned_data["enterprise"].strip()
        found = Enterprise.objects.filter(name=value)
        try:
            code = validate_credit_code(value)
        except forms.ValidationError:
            code = None
        if code:
            found = Enterprise.objects.filter(Q(credit_code=code) | Q(name=value))
        match = list(found[:2])
        if len(match) != 1:
            raise forms.ValidationError(
                _("No enterprise has this exact name or credit code.") if not match
                else _("Several enterprises match: use the credit code."))
        return match[0]

    def clean_visited_at(self):
        when = self.cleaned_data["visited_at"]
        if when > timezone.now() + timedelta(minutes=10):
            raise forms.ValidationError(_("A visit cannot be in the future."))
        return when


class VisitObstacleForm(forms.Form):
    """An obstacle raised during the visit (inline, zero or more)."""

    title = forms.CharField(label=_("Obstacle"), max_length=120)
    category = forms.ModelChoiceField(
        ObstacleCategory.objects.filter(is_active=True), label=_("Category"))
    description = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 3}))
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices,
                                initial=Urgency.NORMAL)

    def as_pending(self) -> dict:
        d = self.cleaned_data
        return {"title": d["title"], "category": d["category"].pk,
                "description": d["description"], "urgency": d["urgency"]}


VisitObstacleFormSet = forms.formset_factory(VisitObstacleForm, extra=0, max_num=10,
                                             validate_max=True)


class WeekForm(forms.Form):
    week = forms.DateField(label=_("Week of"), required=False,
                           widget=forms.DateInput(attrs={"type": "date"}))
