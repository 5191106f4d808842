"""Tasks, their immutable event log and callbacks."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..choices import EventAction, Rating, TaskRole, TaskState


class TaskQuerySet(models.QuerySet):
    """User-free filters; user scoping lives in ``approvals.permissions``."""

    def overdue(self, today):
        """Open tasks whose deadline day ended before ``today`` (local date)."""
        return self.filter(state__in=[TaskState.ASSIGNED, TaskState.IN_PROGRESS],
                           deadline_on__lt=today)

    def for_department(self, department):
        return self.filter(department=department)

    def leads(self):
        return self.filter(role=TaskRole.LEAD)


class Task(models.Model):
    """The work one department does on one obstacle. The lead task carries the
    obstacle's place in the closed loop; co-handling tasks report to it.

    State changes only through ``approvals.services``.
    """

    State = TaskState

    obstacle = models.ForeignKey(
        "approvals.Obstacle", verbose_name=_("obstacle"), on_delete=models.CASCADE,
        related_name="tasks",
    )
    role = models.CharField(
        _("role"), max_length=8, choices=TaskRole.choices, default=TaskRole.LEAD
    )
    department = models.ForeignKey(
        "approvals.Department", verbose_name=_("responsible department"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="tasks",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="owned_tasks",
    )
    state = models.CharField(
        _("state"), max_length=16, choices=TaskState.choices, default=TaskState.SUBMITTED
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    deadline_on = models.DateField(_("deadline"), null=True, blank=True)
    original_deadline_on = models.DateField(_("original deadline"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    transfer_count = models.PositiveSmallIntegerField(_("returns"), default=0)
    is_ruled = models.BooleanField(
        _("ownership ruled"), default=False,
        help_text=_("After a ruling the department can no longer return the task."),
    )
    extension_count = models.PositiveSmallIntegerField(_("extensions granted"), default=0)
    rectification_count = models.PositiveSmallIntegerField(_("rectifications"), default=0)
    co_reported_at = models.DateTimeField(_("co-handler reported at"), null=True, blank=True)
    resolution = models.TextField(_("what was done"), blank=True)
    # "policy explained": the guides and checklists the latest resolution cites, so
    # the firm and staff pages list them without reading the events; each resolve
    # event keeps its own list in ``data["cited_pages"]`` for the history.
    cited_pages = models.ManyToManyField(
        "wagtailcore.Page", verbose_name=_("cited guides and checklists"), blank=True,
        related_name="citing_tasks",
        limit_choices_to={"content_type__app_label": "cms",
                          "content_type__model__in": ["policyguidepage", "checklistpage"]},
    )
    resolved_on_time = models.BooleanField(_("resolved on time"), null=True, blank=True)
    resolution_working_days = models.PositiveIntegerField(
        _("working days to resolve"), null=True, blank=True
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"), choices=Rating.choices, null=True, blank=True,
        help_text=_("The latest counted callback rating."),
    )
    is_rating_excluded = models.BooleanField(
        _("rating excluded on appeal"), default=False,
        help_text=_("An upheld appeal (申诉复核) keeps the rating on record but out "
                    "of the satisfaction rate; a new callback counts again."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            # the ledger's first page: newest first
            models.Index(fields=["-created_at", "-id"], name="task_ledger"),
            # department-filtered ledger and "my department's tasks"
            models.Index(fields=["department", "-created_at"], name="task_dept_created"),
            # "my tasks"
            models.Index(fields=["owner", "state"], name="task_owner_state"),
            # the escalation job: open tasks past their deadline
            models.Index(fields=["state", "deadline_on"], name="task_state_deadline"),
            # KPIs: tasks resolved in a period
            models.Index(fields=["resolved_at"], name="task_resolved"),
            # KPIs and the league table: tasks assigned in a period (without it
            # every look at the league table read all tasks twice)
            models.Index(fields=["assigned_at"], name="task_assigned"),
            # the leaders' overview (dashboards.selectors.received_figures): the
            # lead task of each obstacle received in a period and the columns
            # its colour is read from, without visiting the table (PostgreSQL
            # covers them; elsewhere a plain partial index)
            models.Index(fields=["obstacle"], include=["state", "deadline_on",
                                                      "escalation_level", "department"],
                         condition=Q(role=TaskRole.LEAD), name="task_lead_overview"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["obstacle"], condition=Q(role=TaskRole.LEAD),
                name="task_one_lead_per_obstacle",
                violation_error_message=_("An obstacle has one lead task."),
            ),
            models.UniqueConstraint(
                fields=["obstacle", "department"], condition=Q(role=TaskRole.CO),
                name="task_one_co_per_department",
                violation_error_message=_("This department already co-handles the obstacle."),
            ),
            models.CheckConstraint(
                condition=Q(escalation_level__lte=2),
                name="task_escalation_level_range",
                violation_error_message=_("Escalation levels are 0, 1 and 2."),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.obstacle_id}/{self.pk} {self.get_state_display()}"

    def get_absolute_url(self) -> str:
        return reverse("approvals:task-detail", args=[self.pk])

    @property
    def is_lead(self) -> bool:
        return self.role == TaskRole.LEAD


class TaskEvent(models.Model):
    """An immutable line in a task's history: who did what, when, from which
    state to which, and whether the firm may read it."""

    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="events"
    )
    department = models.ForeignKey(
        "approvals.Department", verbose_name=_("responsible department then"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
        help_text=_("Empty for the system (scheduled jobs)."),
    )
    action = models.CharField(_("action"), max_length=24, choices=EventAction.choices)
    from_state = models.CharField(
        _("from"), max_length=16, choices=TaskState.choices, blank=True
    )
    to_state = models.CharField(_("to"), max_length=16, choices=TaskState.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    is_visible_to_firm = models.BooleanField(_("visible to the firm"), default=False)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("task event")
        verbose_name_plural = _("task events")
        indexes = [
            # a task's timeline
            models.Index(fields=["task", "created_at"], name="event_task_time"),
            # KPIs: returns per department in a period
            models.Index(fields=["action", "department", "created_at"], name="event_action_dept"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        # the log is append-only: an existing event is never rewritten
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("TaskEvent is immutable")
        super().save(*args, **kwargs)


class Callback(models.Model):
    """回访: staff called the firm (or the firm rated on the portal)."""

    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="callbacks"
    )
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("made by"), on_delete=models.PROTECT,
        related_name="+",
    )
    is_reached = models.BooleanField(_("firm reached"), default=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"), choices=Rating.choices, null=True, blank=True
    )
    comment = models.TextField(_("comment"), blank=True)
    is_by_firm = models.BooleanField(_("rated by the firm itself"), default=False)
    is_counted = models.BooleanField(
        _("counts as the callback"), default=True,
        help_text=_("A callback by the handling department does not count."),
    )
    made_at = models.DateTimeField(_("made at"), auto_now_add=True)

    class Meta:
        ordering = ["made_at", "pk"]
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")

    def __str__(self) -> str:
        return f"{self.task_id} {self.get_rating_display() or '-'}"
