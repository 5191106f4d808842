from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class PreferenceForm(forms.Form):
    in_app = forms.BooleanField(label=_("In-app inbox"), required=False)
    email = forms.BooleanField(label=_("E-mail"), required=False)
    sms = forms.BooleanField(label=_("SMS (to the mobile in your profile)"), required=False)
    language = forms.ChoiceField(label=_("Language of e-mail and SMS"),
                                 choices=settings.LANGUAGES)
