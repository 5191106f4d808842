"""The words of each notice: a subject (gettext, here) and a body template
(``notifications/messages/<kind>.txt``), both in the reader's language, filled
from the delivery's ``data``. Rendered when shown or sent, never stored, so the
inbox follows the language the reader chooses."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from .choices import Kind


class _Blank(dict):
    """Missing keys render empty instead of raising: old rows may lack a key."""

    def __missing__(self, key):
        return ""


def _subjects() -> dict[str, str]:
    return {
        Kind.TASK_ASSIGNED: _("New task for your department: #%(obstacle)s %(title)s"),
        Kind.OWNER_SET: _("You are the owner of task #%(obstacle)s %(title)s"),
        Kind.TASK_ESCALATED: _("Escalated (督办) level %(level)s: #%(obstacle)s %(title)s"),
        Kind.TASK_RETURNED: _("Task #%(obstacle)s returned by %(department)s"),
        Kind.TASK_RESOLVED: _("Resolved: #%(obstacle)s %(title)s — time for the callback"),
        Kind.TASK_REOPENED: _("Reopened for rectification: #%(obstacle)s %(title)s"),
        Kind.OBSTACLE_UPDATE: _("Your obstacle #%(obstacle)s: %(title)s"),
        Kind.DEADLINE_REMINDER: _("Deadline %(deadline)s: #%(obstacle)s %(title)s"),
        Kind.CALLBACK_DUE: _("Callback due: #%(obstacle)s %(title)s"),
        Kind.LICENCE_EXPIRY: _("%(licence)s of %(enterprise)s expires on %(expires)s"),
        Kind.WEEKLY_REPORT: _("Weekly visit report, week of %(week)s"),
        Kind.BELOW_QUOTA: _("Last week: %(firms)s of %(quota)s firms visited"),
        Kind.BULLETIN: _("Supervision bulletin %(period)s"),
        Kind.CALENDAR_MISSING: _("The holiday calendar has no data for %(year)s"),
        Kind.CHASE_NOTICE: _("Chase notice %(reference)s: #%(obstacle)s %(title)s"),
        Kind.SILENT_TASK: _("No progress for %(days)s working days: #%(obstacle)s %(title)s"),
    }


def link(kind: str, data: dict, *, firm: bool = False) -> str:
    """Where the notice leads (a path). Firm users go to the portal."""
    try:
        if kind in (Kind.OBSTACLE_UPDATE,) or (firm and "obstacle" in data):
            return reverse("portal:obstacle-detail", args=[data["obstacle"]])
        if kind == Kind.LICENCE_EXPIRY:
            if firm:
                return reverse("portal:home")
            return reverse("enterprises:enterprise-detail", args=[data["enterprise_id"]])
        if kind == Kind.CHASE_NOTICE:
            return reverse("insight:chase-download", args=[data["notice"]])
        if "task" in data:
            return reverse("approvals:task-detail", args=[data["task"]])
        if kind in (Kind.WEEKLY_REPORT, Kind.BELOW_QUOTA):
            return reverse("visits:weekly-report") + f"?week={data.get('week', '')}"
        if kind == Kind.BULLETIN:
            return reverse("letters:bulletin-list")
        if kind == Kind.CALENDAR_MISSING:
            return reverse("admin:approvals_holiday_changelist")
    except (NoReverseMatch, KeyError, TypeError, ValueError):
        pass
    return reverse("notifications:inbox")


def subject(kind: str, data: dict) -> str:
    template = _subjects().get(kind, "%(kind)s")
    return template % _Blank(data, kind=kind)


def body(kind: str, data: dict, *, extra: dict | None = None, url: str = "") -> str:
    context = {**data, **(extra or {}), "url": url, "kind": kind,
               "office": settings.DESK["OFFICE_NAME"]}
    return render_to_string(f"notifications/messages/{kind}.txt", context).strip()


def absolute(path: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path
