"""Wagtail admin: feedback and view counts for editors, and counting views."""

from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from . import services
from .models import ChecklistPage, PageFeedback, PageViewCount, PolicyGuidePage


class PageFeedbackViewSet(ModelViewSet):
    """Read-only list of what readers said; editors and moderators hold only
    the view permission (given by the cms data migration)."""

    model = PageFeedback
    icon = "comment"
    menu_label = _("Feedback")
    list_display = ["page", "is_helpful", "comment", "created_at"]
    list_filter = ["is_helpful"]
    search_fields = ["comment"]
    inspect_view_enabled = True
    form_fields = ["is_helpful", "comment"]


class PageViewCountViewSet(ModelViewSet):
    model = PageViewCount
    icon = "view"
    menu_label = _("Page views")
    list_display = ["page", "viewed_on", "count"]
    list_filter = ["viewed_on"]
    inspect_view_enabled = True
    form_fields = ["count"]


class ReadersViewSetGroup(ViewSetGroup):
    items = (PageFeedbackViewSet, PageViewCountViewSet)
    menu_icon = "group"
    menu_label = _("Readers")


@hooks.register("register_admin_viewset")
def register_readers_viewsets():
    return ReadersViewSetGroup()


@hooks.register("before_serve_page")
def count_page_view(page, request, serve_args, serve_kwargs):
    """Count views of guides and checklists served to readers (not previews)."""
    if isinstance(page, PolicyGuidePage | ChecklistPage) and not getattr(
        request, "is_preview", False
    ):
        services.page_view_record(page=page)
