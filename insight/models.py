"""Integrity checks and insight beyond the closed loop: the silent-task ladder,
chase notices (催办通知书), close-out sampling (销号抽查) and common issues (共性问题).

None of these change a task's state themselves: a reopening goes through
``approvals.services``.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from letters.models import ImmutableModel


class SilentNudge(models.Model):
    """One rung of the silent-task ladder reached by one task: no event for
    ``rung`` working days since ``last_event``. Unique per task, silence and
    rung, so the scan can run any number of times: a rung is written (and its
    notice sent) once; a new event starts a new silence and a new ladder."""

    task = models.ForeignKey(
        "approvals.Task", verbose_name=_("task"), on_delete=models.CASCADE,
        related_name="silent_nudges",
    )
    last_event = models.ForeignKey(
        "approvals.TaskEvent", verbose_name=_("last event before the silence"),
        on_delete=models.CASCADE, related_name="+",
    )
    rung = models.PositiveSmallIntegerField(_("working days silent"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("notified"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )
    is_to_head = models.BooleanField(_("notice to the department head"), default=False)
    created_at = models.DateTimeField(_("flagged at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("silent-task reminder")
        verbose_name_plural = _("silent-task reminders")
        constraints = [
            models.UniqueConstraint(fields=["task", "last_event", "rung"],
                                    name="silentnudge_once_per_rung",
                                    violation_error_message=_("This reminder was already sent."))
        ]
        indexes = [
            # reminders still to deliver
            models.Index(fields=["delivered_at"], name="silentnudge_undelivered"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} +{self.rung}"


class CloseOutSample(models.Model):
    """销号抽查: the weekly random sample of the tasks closed that week. The seed
    is kept, so the same week, rate and seed draw the same tasks again."""

    week_start_on = models.DateField(_("week starting"), unique=True)
    rate = models.DecimalField(_("sample rate"), max_digits=4, decimal_places=3)
    seed = models.BigIntegerField(_("random seed"))
    population = models.PositiveIntegerField(_("tasks closed that week"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("drawn by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    created_at = models.DateTimeField(_("drawn at"), auto_now_add=True)

    class Meta:
        ordering = ["-week_start_on"]
        verbose_name = _("close-out sample")
        verbose_name_plural = _("close-out samples")

    def __str__(self) -> str:
        return f"{self.week_start_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("insight:sample-detail", args=[self.pk])


class SampleResult(models.TextChoices):
    PENDING = "pending", _("Not yet called")
    SOLVED = "solved", _("Confirmed solved")
    NOT_SOLVED = "not_solved", _("Not actually solved")
    UNREACHABLE = "unreachable", _("Firm not reached")


class SampleItem(models.Model):
    """One sampled task and the result of its independent second callback.
    ``department`` is the department that closed it: a "not actually solved"
    counts against it even after the task moves on."""

    Result = SampleResult

    sample = models.ForeignKey(CloseOutSample, verbose_name=_("sample"),
                               on_delete=models.CASCADE, related_name="items")
    task = models.ForeignKey("approvals.Task", verbose_name=_("task"),
                             on_delete=models.CASCADE, related_name="sample_items")
    department = models.ForeignKey(
        "approvals.Department", verbose_name=_("department"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    result = models.CharField(_("result"), max_length=12, choices=SampleResult.choices,
                              default=SampleResult.PENDING)
    comment = models.TextField(_("what the firm said"), blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("called by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)

    class Meta:
        ordering = ["sample_id", "task_id"]
        verbose_name = _("sampled task")
        verbose_name_plural = _("sampled tasks")
        constraints = [
            models.UniqueConstraint(fields=["sample", "task"], name="sampleitem_once",
                                    violation_error_message=_("The task is already sampled."))
        ]

    def __str__(self) -> str:
        return f"{self.sample} {self.task_id} {self.result}"


class CommonIssue(models.Model):
    """共性问题: obstacles of one category raised by many firms, grouped for
    thematic supervision (专题督办) with their own owner and deadline."""

    title = models.CharField(_("title"), max_length=120)
    category = models.ForeignKey("approvals.ObstacleCategory", verbose_name=_("category"),
                                 on_delete=models.PROTECT, related_name="+")
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        "approvals.Department", verbose_name=_("lead department"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    deadline_on = models.DateField(_("deadline"))
    obstacles = models.ManyToManyField("approvals.Obstacle", verbose_name=_("obstacles"),
                                       related_name="common_issues")
    is_closed = models.BooleanField(_("closed"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["is_closed", "deadline_on", "pk"]
        verbose_name = _("common issue")
        verbose_name_plural = _("common issues")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("insight:issue-detail", args=[self.pk])


class ChaseNotice(ImmutableModel):
    """催办通知书: the formal chase notice of one task, issued the working day
    after its deadline passed, addressed to the owning department and copied to
    its head. Archived like a status letter: numbered from ``ReferenceCounter``
    (kind ``chase``), hashed, stored in the private store, never rewritten.

    One per task and deadline: an extension gives the task a new deadline and,
    if that one passes too, a new notice. ``data`` freezes what the PDF printed
    (names, dates, days late), so the archive and the page always agree."""

    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    task = models.ForeignKey("approvals.Task", verbose_name=_("task"),
                             on_delete=models.PROTECT, related_name="chase_notices")
    department = models.ForeignKey("approvals.Department", verbose_name=_("department"),
                                   on_delete=models.PROTECT, related_name="+")
    deadline_on = models.DateField(_("deadline that passed"))
    issued_on = models.DateField(_("issued on"))
    bulletin_on = models.DateField(
        _("named in the bulletin if still late on"),
        help_text=_("The fifth working day after the deadline: a task not resolved by the "
                    "end of that day is named in the next supervision bulletin."))
    data = models.JSONField(_("contents"), default=dict)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("chase notice")
        verbose_name_plural = _("chase notices")
        constraints = [
            models.UniqueConstraint(
                fields=["task", "deadline_on"], name="chasenotice_once_per_deadline",
                violation_error_message=_("A chase notice was already issued for this "
                                          "deadline.")),
            models.UniqueConstraint(
                fields=["year", "number"], name="chasenotice_year_number",
                violation_error_message=_("This reference number is already used.")),
        ]
        indexes = [
            # a department's notices, newest first (the notice list of its users)
            models.Index(fields=["department", "-created_at"], name="chasenotice_dept_created"),
            # the notices of the last days, whose notifications the job (re)sends
            models.Index(fields=["issued_on"], name="chasenotice_issued"),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("insight:chase-download", args=[self.pk])

    @property
    def download_name(self) -> str:
        return f"{self.reference}.pdf"
