"""Choices of the visit log."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Mode(models.TextChoices):
    ON_SITE = "on_site", _("On site")
    PHONE = "phone", _("Phone")
    VIDEO = "video", _("Video")
    MEETING = "meeting", _("Meeting")
    AT_OFFICE = "at_office", _("The firm came to us")


class VisitStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class OperatingStatus(models.TextChoices):
    NORMAL = "normal", _("Operating normally")
    PARTIAL = "partial", _("Partly operating")
    SUSPENDED = "suspended", _("Suspended")
    CONSTRUCTION = "construction", _("Under construction")


class Trend(models.TextChoices):
    UP = "up", _("Rising")
    FLAT = "flat", _("Flat")
    DOWN = "down", _("Falling")
