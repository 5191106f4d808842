"""Forms of the security pages: audit search, second factor, stated purpose."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import AuditAction, AuditResult


class AuditSearchForm(forms.Form):
    """The audit administrator's search: by user, action, object and period."""

    user = forms.CharField(label=_("User"), max_length=150, required=False)
    action = forms.ChoiceField(label=_("Action"), required=False,
                               choices=[("", _("Any action")), *AuditAction.choices])
    result = forms.ChoiceField(label=_("Result"), required=False,
                               choices=[("", _("Any result")), *AuditResult.choices])
    object = forms.CharField(label=_("Object"), max_length=100, required=False,
                             help_text=_("Type, id or name of the object."))
    start = forms.DateField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code"), max_length=16, strip=True,
        help_text=_("The six-digit code of your authenticator app, or a recovery code."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code",
                                      "inputmode": "numeric", "autofocus": True}))


class PurposeForm(forms.Form):
    """Why someone needs a person's full contact details (PIPL: recorded)."""

    purpose = forms.CharField(label=_("Purpose"), min_length=4, max_length=200,
                              help_text=_("Why you need the full details; this is recorded."))


class UnlockForm(forms.Form):
    username = forms.CharField(label=_("Account"), max_length=150, required=False)
    ip_address = forms.GenericIPAddressField(label=_("Address"), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("username") and not data.get("ip_address"):
            raise forms.ValidationError(_("Name an account or an address to unlock."))
        return data
