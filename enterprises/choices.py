"""Choices of the enterprise registry."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scale(models.TextChoices):
    LARGE = "large", _("Large")
    MEDIUM = "medium", _("Medium")
    SMALL = "small", _("Small")
    MICRO = "micro", _("Micro")


class EnterpriseStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DEREGISTERED = "deregistered", _("Deregistered")
