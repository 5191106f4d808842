"""Wagtail pages of the public front. The policy guides and checklists (一纸清)
come with the CMS work; the home page is here from the start so the site root is
the office's front door, not Wagtail's welcome page."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page


class HomePage(Page):
    """The public front: what the desk is, how to reach the office, where firms log in."""

    intro = RichTextField(_("introduction"), blank=True)
    hotline = models.CharField(_("hotline"), max_length=32, default="12345")
    window_text = models.TextField(
        _("'can't get it done' window"), blank=True,
        help_text=_("How a firm whose business failed elsewhere reaches the office."),
    )
    office_address = models.CharField(_("office address"), max_length=200, blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("hotline"),
        FieldPanel("window_text"),
        FieldPanel("office_address"),
    ]
    max_count = 1
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("home page")
