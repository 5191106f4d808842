"""Forms of the enterprise registry."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from approvals.choices import Role
from audit.identity import normalise_id_number, validate_id_number

from .choices import Scale
from .models import Contact, Enterprise, Industry, Licence, Street
from .validators import validate_credit_code


class EnterpriseForm(forms.ModelForm):
    # People type the code in groups ("9135 0100 M000 100Y43"); the validator
    # strips the spaces and checks the 18 characters, so the form field must not
    # refuse (or the browser truncate) the spaced form at the column's length.
    credit_code = forms.CharField(label=_("unified social credit code"), max_length=40)
    # PIPL: the recorded number is never put back into the page (that would
    # be a full view nobody asked for, unaudited): the field starts empty,
    # and empty keeps what is recorded
    legal_representative_id_number = forms.CharField(
        label=_("Legal representative's ID number"), max_length=24, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    clear_legal_representative_id_number = forms.BooleanField(
        label=_("Remove the recorded ID number"), required=False)

    class Meta:
        model = Enterprise
        fields = [
            "name", "credit_code", "legal_representative", "legal_representative_id_number",
            "registered_address", "street",
            "industry", "industry_division", "scale", "registered_capital", "established_on",
            "is_above_scale", "is_key_project", "is_specialised", "tags", "status",
        ]
        widgets = {"established_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        recorded = self.instance.legal_representative_id_number if self.instance.pk else ""
        self.initial["legal_representative_id_number"] = ""
        field = self.fields["legal_representative_id_number"]
        if recorded:
            field.help_text = _("Recorded: %(masked)s. Leave empty to keep it, or type "
                                "a new number to replace it.") % {
                "masked": self.instance.masked_legal_representative_id}
            order = list(self.fields)
            order.remove("clear_legal_representative_id_number")
            order.insert(order.index("legal_representative_id_number") + 1,
                         "clear_legal_representative_id_number")
            self.order_fields(order)
        else:
            field.help_text = _("The 18-character resident ID number (居民身份证号码).")
            del self.fields["clear_legal_representative_id_number"]

    def clean_legal_representative_id_number(self):
        typed = normalise_id_number(self.cleaned_data["legal_representative_id_number"])
        if not typed:
            return self.instance.legal_representative_id_number if self.instance.pk else ""
        validate_id_number(typed)
        return typed

    def clean(self):
        data = super().clean()
        if data.get("clear_legal_representative_id_number"):
            data["legal_representative_id_number"] = ""
        return data

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
    # A typed username with a <datalist> of suggestions, not a <select>: a city
    # has ~2,000 staff and rendering them as widget options cost ~200 ms a page.
    liaison = forms.ModelChoiceField(
        get_user_model().objects.filter(groups__name=Role.SERVICE_STAFF),
        label=_("Liaison"), required=False, to_field_name="username",
        widget=forms.TextInput(attrs={"list": "liaison-staff", "autocomplete": "off"}),
    )


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"), help_text=_(
        "Columns: name, credit_code, industry, street, scale, legal_representative, "
        "registered_address, established_on, registered_capital."))


# ------------------------------------------------------------------ firm portal


class InvitationForm(forms.Form):
    name = forms.CharField(label=_("Name of the person"), max_length=64)
    email = forms.EmailField(
        label=_("E-mail"), required=False,
        help_text=_("The link is mailed here; without an address, pass it on yourself."))
    is_admin = forms.BooleanField(
        label=_("May invite and remove colleagues"), required=False)


class InvitationAcceptForm(forms.Form):
    """Choose a username and a password; Django's password validators apply."""

    username = forms.RegexField(
        label=_("Username"), max_length=150, regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("Letters, digits and @ . + - _ only.")})
    password1 = forms.CharField(label=_("Password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Password again"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        from django.contrib.auth import password_validation

        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            user = get_user_model()(username=data.get("username", ""))
            try:
                password_validation.validate_password(p1, user)
            except forms.ValidationError as e:
                self.add_error("password1", e)
        return data


class AccountRequestForm(forms.Form):
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=40)
    enterprise_name = forms.CharField(
        label=_("Enterprise name"), max_length=200,
        help_text=_("Exactly as on the business licence."))
    contact_name = forms.CharField(label=_("Your name"), max_length=64)
    email = forms.EmailField(label=_("E-mail"), help_text=_(
        "The invitation is mailed here once the office approves."))
    mobile = forms.CharField(label=_("Mobile"), max_length=20, required=False)

    def clean_credit_code(self):
        return validate_credit_code(self.cleaned_data["credit_code"])


class PortalObstacleForm(forms.Form):
    """What a firm tells us about an obstacle; the channel is the portal."""

    category = forms.ModelChoiceField(queryset=None, label=_("Category"))
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(
        attrs={"rows": 6}))
    project_name = forms.CharField(label=_("Project"), max_length=120, required=False)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=())
    contact_name = forms.CharField(label=_("Contact for follow-up"), max_length=64,
                                   required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=32, required=False)

    def __init__(self, *args, **kwargs):
        from approvals.choices import Urgency
        from approvals.forms import MultipleFileField
        from approvals.models import ObstacleCategory

        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = ObstacleCategory.objects.filter(is_active=True)
        self.fields["urgency"].choices = Urgency.choices
        self.fields["files"] = MultipleFileField(
            label=_("Attachments"),
            help_text=_("PDF, images or Office documents, up to 10 MB each."))


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("How satisfied are you?"), coerce=int,
                                    choices=(), widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        from approvals.choices import Rating

        super().__init__(*args, **kwargs)
        self.fields["rating"].choices = Rating.choices


class DisputeForm(forms.Form):
    label_suffix = ""  # the label is a question: no colon after its question mark

    reason = forms.CharField(label=_("Why is the obstacle not solved?"),
                             widget=forms.Textarea(attrs={"rows": 3}))
