"""Forms of the enterprise registry."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from approvals.choices import Role

from .choices import Scale
from .models import Contact, Enterprise, Industry, Licence, Street
from .validators import validate_credit_code


class EnterpriseForm(forms.ModelForm):
    # People type the code in groups ("9135 0100 M000 100Y43"); the validator
    # strips the spaces and checks the 18 characters, so the form field must not
    # refuse (or the browser truncate) the spaced form at the column's length.
    credit_code = forms.CharField(label=_("unified social credit code"), max_length=40)

    class Meta:
        model = Enterprise
        fields = [
            "name", "credit_code", "legal_representative", "registered_address", "street",
            "industry", "industry_division", "scale", "registered_capital", "established_on",
            "is_above_scale", "is_key_project", "is_specialised", "tags", "status",
        ]
        widgets = {"established_on": forms.DateInput(attrs={"type": "date"})}

    def clean_credit_code(self):
        code = validate_credit_code(self.cleaned_data["credit_code"])
        clash = Enterprise.objects.filter(credit_code=code).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("An enterprise with this credit code already exists."))
        return code

    def clean_industry_division(self):
        value = self.cleaned_data["industry_division"].strip()
        if value and (len(value) != 2 or not value.isdigit()):
            raise forms.ValidationError(_("A division code is two digits."))
        return value


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "position", "mobile", "email", "is_primary"]


class LicenceForm(forms.ModelForm):
    class Meta:
        model = Licence
        fields = ["name", "number", "issuer", "issued_on", "expires_on"]
        widgets = {"issued_on": forms.DateInput(attrs={"type": "date"}),
                   "expires_on": forms.DateInput(attrs={"type": "date"})}


class EnterpriseFilterForm(forms.Form):
    q = forms.CharField(label=_("Name, credit code or contact"), required=False)
    industry = forms.ModelChoiceField(Industry.objects.all(), label=_("Industry"),
                                      required=False)
    street = forms.ModelChoiceField(Street.objects.all(), label=_("Street"), required=False)
    scale = forms.ChoiceField(label=_("Scale"), required=False,
                              choices=[("", _("All"))] + list(Scale.choices))
    flag = forms.ChoiceField(label=_("Flags"), required=False, choices=[
        ("", _("All")), ("is_above_scale", _("Above designated size")),
        ("is_key_project", _("Key project")), ("is_specialised", _("Specialised and innovative")),
    ])
    liaison = forms.ModelChoiceField(
        get_user_model().objects.filter(groups__name=Role.SERVICE_STAFF).order_by("username"),
        label=_("Liaison"), required=False,
    )


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"), help_text=_(
        "Columns: name, credit_code, industry, street, scale, legal_representative, "
        "registered_address, established_on, registered_capital."))
