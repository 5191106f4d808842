"""Choices of the letters app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    """Which obstacles of the enterprise a status letter reports."""

    OPEN = "open", _("Open obstacles")
    CHANGED = "changed", _("Changed since the last letter")
    OBSTACLE = "obstacle", _("One obstacle")


class BatchScope(models.TextChoices):
    """Which enterprises a batch writes to (each for its open obstacles)."""

    ALL_OPEN = "all_open", _("Every enterprise with open obstacles")
    STREET = "street", _("Enterprises of a street with open obstacles")
    INDUSTRY = "industry", _("Enterprises of an industry with open obstacles")
    KEY = "key", _("Key enterprises with open obstacles")


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class ItemStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DONE = "done", _("Written")
    ERROR = "error", _("Failed")


class CounterKind(models.TextChoices):
    LETTER = "letter", _("Status letter")
    BULLETIN = "bulletin", _("Supervision bulletin")
    CHASE = "chase", _("Chase notice")
