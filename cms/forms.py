from django import forms
from django.utils.translation import gettext_lazy as _


class FeedbackForm(forms.Form):
    is_helpful = forms.TypedChoiceField(
        label=_("Was this helpful?"), coerce=lambda v: v == "yes",
        choices=[("yes", _("Yes")), ("no", _("No"))], widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("What could be better? (optional)"), required=False,
                              max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    topic = forms.SlugField(label=_("topic"), required=False)
    industry = forms.CharField(label=_("industry"), required=False, max_length=1)
