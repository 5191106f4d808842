"""Wagtail pages of the public front: the home page, policy guides (政策指南) and
one-page checklists (一纸清), plus the topics they are filed under and the
feedback and view counts firms leave behind."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from modelcluster.fields import ParentalManyToManyField

from .blocks import MaterialBlock, QuestionBlock, StepBlock
from .search import segment


class HomePage(Page):
    """The public front: search box, featured guides, browse by topic and by
    industry, the 办不成事 window and hotline, and the way into the desk."""

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
    subpage_types = ["cms.PolicyIndexPage", "cms.ChecklistIndexPage"]

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        from enterprises.models import Industry

        context = super().get_context(request, *args, **kwargs)
        context["featured_guides"] = (
            PolicyGuidePage.objects.live().public()
            .exclude(expires_on__lt=timezone.localdate())
            .filter(is_featured=True).order_by("-published_on")[:6]
        )
        context["latest_checklists"] = (
            ChecklistPage.objects.live().public().order_by("-first_published_at")[:6]
        )
        context["topics"] = Topic.objects.all()
        context["industries"] = Industry.objects.all()
        return context


@register_snippet
class Topic(models.Model):
    """A subject firms browse by (企业开办, 工程建设, 用工社保…)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    panels = [FieldPanel("code"), FieldPanel("name"), FieldPanel("sort_order")]

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"{reverse('search')}?topic={self.code}"


class PolicyIndexPage(Page):
    """Lists the policy guides."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.PolicyGuidePage"]
    max_count = 1

    class Meta:
        verbose_name = _("policy index page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["guides"] = (
            PolicyGuidePage.objects.child_of(self).live().public()
            .order_by("-published_on", "title")
        )
        return context


class ClassifiedPage(Page):
    """Fields and search behaviour shared by guides and checklists: topics,
    industries and obstacle categories, and a segmented copy of the text."""

    summary = models.TextField(
        _("summary in plain words"), blank=True,
        help_text=_("Two or three sentences a firm understands without the policy text."),
    )
    topics = ParentalManyToManyField(Topic, verbose_name=_("topics"), blank=True,
                                     related_name="+")
    industries = ParentalManyToManyField(
        "enterprises.Industry", verbose_name=_("industries"), blank=True, related_name="+",
        help_text=_("GB/T 4754 sections; leave empty when the page applies to every industry."),
    )

    class Meta:
        abstract = True

    def search_text(self) -> str:
        """Plain text of the page for the segmented index; subclasses add theirs."""
        return " ".join([self.title, self.summary])

    def segmented_title(self) -> str:
        return segment(self.title)

    def segmented_text(self) -> str:
        return segment(self.search_text())

    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("segmented_title", boost=5),
        index.SearchField("segmented_text"),
    ]


def _stream_text(stream) -> str:
    parts: list[str] = []
    for child in stream or []:
        value = child.value
        if hasattr(value, "items"):
            parts.extend(str(v) for k, v in value.items() if isinstance(v, str))
        else:
            parts.append(str(value))
    return " ".join(parts)


class PolicyGuidePage(ClassifiedPage):
    """A policy measure explained for firms: who qualifies, what they get, how to
    apply. Past ``expires_on`` it stays readable, labelled, and leaves search."""

    department = models.CharField(_("issuing department"), max_length=100)
    document_number = models.CharField(_("document number (文号)"), max_length=100,
                                       blank=True)
    published_on = models.DateField(_("publication date"), null=True, blank=True)
    effective_on = models.DateField(_("valid from"), null=True, blank=True)
    expires_on = models.DateField(
        _("valid until"), null=True, blank=True,
        help_text=_("After this date the guide is labelled expired and leaves search."),
    )
    eligibility = RichTextField(_("who qualifies"), blank=True)
    benefits = RichTextField(_("what the firm gets"), blank=True)
    steps = StreamField([("step", StepBlock())], verbose_name=_("how to apply"),
                        blank=True, use_json_field=True)
    checklists = ParentalManyToManyField(
        "cms.ChecklistPage", verbose_name=_("required materials (checklists)"),
        blank=True, related_name="guides",
    )
    contact_department = models.CharField(_("contact department"), max_length=100,
                                          blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    contact_address = models.CharField(_("contact address"), max_length=200, blank=True)
    attachment = models.ForeignKey(
        "wagtaildocs.Document", verbose_name=_("original policy document"),
        null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    categories = ParentalManyToManyField(
        "approvals.ObstacleCategory", verbose_name=_("related obstacle categories"),
        blank=True, related_name="guides",
    )
    is_featured = models.BooleanField(_("featured on the home page"), default=False)

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        MultiFieldPanel([
            FieldPanel("department"), FieldPanel("document_number"),
            FieldPanel("published_on"), FieldPanel("effective_on"), FieldPanel("expires_on"),
        ], heading=_("Issue and validity")),
        FieldPanel("eligibility"),
        FieldPanel("benefits"),
        FieldPanel("steps"),
        FieldPanel("checklists"),
        MultiFieldPanel([
            FieldPanel("contact_department"), FieldPanel("contact_phone"),
            FieldPanel("contact_address"),
        ], heading=_("Contact")),
        FieldPanel("attachment"),
        MultiFieldPanel([
            FieldPanel("topics"), FieldPanel("industries"), FieldPanel("categories"),
            FieldPanel("is_featured"),
        ], heading=_("Classification")),
    ]
    search_fields = [
        *ClassifiedPage.search_fields,
        index.SearchField("department"),
        index.SearchField("document_number"),
        index.FilterField("expires_on"),
    ]
    parent_page_types = ["cms.PolicyIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("policy guide")
        verbose_name_plural = _("policy guides")

    @property
    def is_expired(self) -> bool:
        return self.expires_on is not None and self.expires_on < timezone.localdate()

    def search_text(self) -> str:
        from django.utils.html import strip_tags

        return " ".join([
            super().search_text(), self.department, self.document_number,
            strip_tags(self.eligibility), strip_tags(self.benefits),
            _stream_text(self.steps),
        ])


class ChecklistIndexPage(Page):
    """Lists the checklists (一纸清)."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.ChecklistPage"]
    max_count = 1

    class Meta:
        verbose_name = _("checklist index page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["checklists"] = (
            ChecklistPage.objects.child_of(self).live().public().order_by("title")
        )
        return context


class ChecklistPage(ClassifiedPage):
    """一纸清: everything one procedure needs on one page, printable as A4."""

    department = models.CharField(_("department"), max_length=100)
    legal_limit_days = models.PositiveSmallIntegerField(
        _("legal time limit (working days)"), null=True, blank=True)
    promised_limit_days = models.PositiveSmallIntegerField(
        _("promised time limit (working days)"), null=True, blank=True)
    fee = models.CharField(_("fee"), max_length=100, default="不收费")
    apply_address = models.CharField(_("where to apply"), max_length=200, blank=True)
    online_url = models.URLField(_("apply online"), blank=True)
    materials = StreamField([("material", MaterialBlock())], verbose_name=_("materials"),
                            blank=True, use_json_field=True)
    faq = StreamField([("qa", QuestionBlock())], verbose_name=_("FAQ"), blank=True,
                      use_json_field=True)
    categories = ParentalManyToManyField(
        "approvals.ObstacleCategory", verbose_name=_("related obstacle categories"),
        blank=True, related_name="checklists",
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        MultiFieldPanel([
            FieldPanel("department"), FieldPanel("legal_limit_days"),
            FieldPanel("promised_limit_days"), FieldPanel("fee"),
            FieldPanel("apply_address"), FieldPanel("online_url"),
        ], heading=_("Procedure")),
        FieldPanel("materials"),
        FieldPanel("faq"),
        MultiFieldPanel([
            FieldPanel("topics"), FieldPanel("industries"), FieldPanel("categories"),
        ], heading=_("Classification")),
    ]
    search_fields = [*ClassifiedPage.search_fields, index.SearchField("department")]
    parent_page_types = ["cms.ChecklistIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("checklist (一纸清)")
        verbose_name_plural = _("checklists (一纸清)")

    def get_pdf_url(self) -> str:
        return reverse("cms:checklist-pdf", args=[self.pk])

    def search_text(self) -> str:
        return " ".join([
            super().search_text(), self.department, _stream_text(self.materials),
            _stream_text(self.faq),
        ])


class PageFeedback(models.Model):
    """"Was this helpful?" from a reader: yes or no and an optional comment.
    Nothing identifies the reader."""

    page = models.ForeignKey("wagtailcore.Page", verbose_name=_("page"),
                             on_delete=models.CASCADE, related_name="+")
    is_helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    created_at = models.DateTimeField(_("left at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("page feedback")
        verbose_name_plural = _("page feedback")

    def __str__(self) -> str:
        return f"{self.page_id} {'+' if self.is_helpful else '-'}"


class PageViewCount(models.Model):
    """How often a page was served, one row per page and day; no reader data."""

    page = models.ForeignKey("wagtailcore.Page", verbose_name=_("page"),
                             on_delete=models.CASCADE, related_name="+")
    viewed_on = models.DateField(_("day"))
    count = models.PositiveIntegerField(_("views"), default=0)

    class Meta:
        ordering = ["-viewed_on", "-count"]
        verbose_name = _("page views")
        verbose_name_plural = _("page views")
        constraints = [
            models.UniqueConstraint(fields=["page", "viewed_on"],
                                    name="cms_pageviewcount_unique_day",
                                    violation_error_message=_("One row per page and day.")),
        ]

    def __str__(self) -> str:
        return f"{self.page_id} {self.viewed_on}: {self.count}"
