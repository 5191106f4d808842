"""Forms of the closed loop: they clean input and cross-field rules; the
services decide whether the move is possible."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import filetype

from enterprises.models import Industry, Street

from . import permissions
from .choices import Channel, Colour, Rating, RejectReason, TaskRole, TaskState
from .models import Department, Obstacle, ObstacleCategory

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Checked by content (magic bytes), never by the name the browser sent.
ALLOWED_MIME = {
    "application/pdf", "image/jpeg", "image/png", "image/gif", "image/webp",
    "application/zip",  # docx/xlsx are zip containers
    "application/x-ole-storage", "application/msword", "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Username or mobile number"), max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field, each checked for size and real type."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [super(MultipleFileField, self).clean(f, initial) for f in files]
        for f in cleaned:
            check_upload(f)
        return cleaned


def check_upload(upload) -> None:
    """Refuse an oversized file or one whose content is not an allowed type."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise forms.ValidationError(
            _("%(name)s is larger than %(limit)d MB.")
            % {"name": upload.name, "limit": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_MIME:
        raise forms.ValidationError(
            _("%(name)s is not a PDF, image or Office document.") % {"name": upload.name}
        )
    upload.content_type = kind.mime


class ObstacleForm(forms.ModelForm):
    """Staff record an obstacle for an enterprise."""

    files = MultipleFileField(label=_("Attachments"), help_text=_(
        "PDF, images or Office documents, up to 10 MB each."))

    class Meta:
        model = Obstacle
        fields = [
            "title", "category", "description", "channel", "urgency", "project_name",
            "project_investment", "contact_name", "contact_phone", "external_ref",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = ObstacleCategory.objects.filter(
            is_active=True
        ).select_related("parent")
        # staff take in visits, the hotline, the window and letters; the portal
        # and the API have their own entry points
        self.fields["channel"].choices = [
            c for c in Channel.choices if c[0] != Channel.PORTAL
        ]
        self.fields["external_ref"].help_text = _(
            "The hotline work-order number, if any: the same number is never taken in twice."
        )


class DepartmentChoiceField(forms.ModelChoiceField):
    pass


def _departments():
    return Department.objects.filter(is_active=True)


class AssignForm(forms.Form):
    department = forms.ModelChoiceField(_departments(), label=_("Responsible department"))
    co_departments = forms.ModelMultipleChoiceField(
        _departments(), label=_("Co-handling departments"), required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    comment = forms.CharField(label=_("Instructions"), required=False, widget=forms.Textarea(
        attrs={"rows": 2}))

    def __init__(self, *args, task=None, **kwargs):
        super().__init__(*args, **kwargs)
        if task is not None and task.obstacle.category.default_department_id:
            self.fields["department"].initial = task.obstacle.category.default_department_id

    def clean(self):
        data = super().clean()
        if data.get("department") and data["department"] in data.get("co_departments", []):
            self.add_error("co_departments", _("The lead department cannot also co-handle."))
        return data


class RejectForm(forms.Form):
    reason = forms.ChoiceField(choices=RejectReason.choices, label=_("Reason"))
    comment = forms.CharField(label=_("Explanation for the firm"), widget=forms.Textarea(
        attrs={"rows": 2}))


class RuleForm(forms.Form):
    department = forms.ModelChoiceField(_departments(), label=_("Department that owns it"))
    reason = forms.CharField(label=_("Ruling"), widget=forms.Textarea(attrs={"rows": 2}))


class SetOwnerForm(forms.Form):
    owner = forms.ModelChoiceField(get_user_model().objects.none(), label=_("Owner"))

    def __init__(self, *args, task=None, **kwargs):
        super().__init__(*args, **kwargs)
        if task is not None:
            self.fields["owner"].queryset = (
                get_user_model().objects.filter(
                    profile__department_id=task.department_id, is_active=True,
                    groups__name__in=list(permissions.DEPARTMENT_ROLES),
                ).distinct().select_related("profile").order_by("username")
            )
            self.fields["owner"].label_from_instance = lambda u: str(
                getattr(u, "profile", None) or u.get_username())


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(
        attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    comment = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 3}))
    is_visible_to_firm = forms.BooleanField(label=_("Visible to the firm"), required=False)


class ExtensionForm(forms.Form):
    new_deadline = forms.DateField(label=_("New deadline"),
                                   widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def clean_new_deadline(self):
        d = self.cleaned_data["new_deadline"]
        if d <= timezone.localdate():
            raise forms.ValidationError(_("The new deadline must be in the future."))
        return d


class EscalateForm(forms.Form):
    level = forms.TypedChoiceField(
        label=_("Level"), coerce=int,
        choices=[(1, _("Level 1: department head")), (2, _("Level 2: district leader"))],
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class CitedPagesField(forms.ModelMultipleChoiceField):
    """Guides and checklists to cite, those for the obstacle's category first."""

    def label_from_instance(self, obj):
        if getattr(obj, "is_related", 0):
            return _("%(title)s (for this category)") % {"title": obj.title}
        return obj.title


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("What was done"), widget=forms.Textarea(
        attrs={"rows": 4}))
    cited_pages = CitedPagesField(
        queryset=None, required=False, label=_("Policies explained"),
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Policy guides or checklists that answer the firm's question; "
                    "the firm sees the links."),
    )
    files = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, task=None, **kwargs):
        # imported here: the CMS app's models load after the closed loop's forms
        from cms.selectors import pages_citable

        super().__init__(*args, **kwargs)
        self.fields["cited_pages"].queryset = pages_citable(
            task.obstacle.category_id if task is not None else None)
        if task is not None and not self.is_bound:
            self.fields["cited_pages"].initial = [p.pk for p in task.cited_pages.all()]


class CallbackForm(forms.Form):
    is_reached = forms.TypedChoiceField(
        label=_("Was the firm reached?"), coerce=lambda v: v == "yes",
        choices=[("yes", _("Yes")), ("no", _("No, try again later"))], initial="yes",
        widget=forms.RadioSelect,
    )
    rating = forms.TypedChoiceField(
        label=_("The firm's rating"), coerce=int, required=False, empty_value=None,
        choices=[("", "—"), *Rating.choices],
    )
    comment = forms.CharField(label=_("What the firm said"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if data.get("is_reached") and not data.get("rating"):
            self.add_error("rating", _("Choose the firm's rating."))
        return data


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), widget=forms.RadioSelect,
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
    )
    comment = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(
        attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if data.get("decision") == "refuse" and not data.get("comment", "").strip():
            self.add_error("comment", _("Say why you refuse."))
        return data


class LedgerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    colour = forms.ChoiceField(label=_("Colour"), required=False,
                               choices=[("", _("All"))] + list(Colour.choices))
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All"))] + list(TaskState.choices))
    department = forms.ModelChoiceField(Department.objects.all(), label=_("Department"),
                                        required=False)
    category = forms.ModelChoiceField(ObstacleCategory.objects.all(), label=_("Category"),
                                      required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=[("", _("All"))] + list(Channel.choices))
    street = forms.ModelChoiceField(Street.objects.all(), label=_("Street"), required=False)
    industry = forms.ModelChoiceField(Industry.objects.all(), label=_("Industry"),
                                      required=False)
    flag = forms.ChoiceField(label=_("Key enterprises"), required=False, choices=[
        ("", _("All")), ("above_scale", _("Above designated size")),
        ("key_project", _("Key project")), ("specialised", _("Specialised and innovative")),
    ])
    received_from = forms.DateField(label=_("Received from"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    received_to = forms.DateField(label=_("Received to"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    # the dashboards link here with these: resolved in a period, rating, overdue now
    resolved_from = forms.DateField(label=_("Resolved from"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    resolved_to = forms.DateField(label=_("Resolved to"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    rating = forms.TypedChoiceField(label=_("Rating"), required=False, coerce=int,
                                    empty_value=None,
                                    choices=[("", _("All")), *Rating.choices])
    overdue = forms.TypedChoiceField(
        label=_("Deadline"), required=False, coerce=lambda v: v == "on", empty_value=False,
        choices=[("", _("All")), ("on", _("Overdue only"))])
    role = forms.ChoiceField(label=_("Tasks"), required=False, initial=TaskRole.LEAD, choices=[
        (TaskRole.LEAD, _("Lead tasks")), (TaskRole.CO, _("Co-handling tasks")),
        ("all", _("All tasks")),
    ])
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=[
        ("-created", _("Newest first")), ("created", _("Oldest first")),
        ("deadline", _("Deadline")), ("enterprise", _("Enterprise")),
    ])

    def clean(self):
        data = super().clean()
        lo, hi = data.get("received_from"), data.get("received_to")
        if lo and hi and lo > hi:
            self.add_error("received_to", _("The end of the period is before its start."))
        lo, hi = data.get("resolved_from"), data.get("resolved_to")
        if lo and hi and lo > hi:
            self.add_error("resolved_to", _("The end of the period is before its start."))
        return data


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end of the period is before its start."))
        return data


PAGE_SIZE = settings.DESK["PAGE_SIZE"]
