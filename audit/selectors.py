"""Reads of the audit log and of the lockout table."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from axes.models import AccessAttempt

from .models import AuditRecord


def audit_records(*, user: str = "", action: str = "", result: str = "", obj: str = "",
                  start=None, end=None) -> QuerySet[AuditRecord]:
    """Records matching the audit administrator's search, newest first; each
    filter is served by one of the model's indexes."""
    qs = AuditRecord.objects.all()
    if user:
        qs = qs.filter(actor_name=user.strip())
    if action:
        qs = qs.filter(action=action)
    if result:
        qs = qs.filter(result=result)
    if obj:
        obj = obj.strip()
        qs = qs.filter(Q(object_type=obj) | Q(object_id=obj) | Q(object_repr__icontains=obj))
    tz = timezone.get_current_timezone()
    if start:
        qs = qs.filter(created_at__gte=datetime.combine(start, time.min, tzinfo=tz))
    if end:
        qs = qs.filter(created_at__lt=datetime.combine(end + timedelta(days=1), time.min,
                                                        tzinfo=tz))
    return qs.order_by("-id")


def locked_accounts_and_addresses() -> tuple[list[dict], list[dict]]:
    """Accounts and addresses currently over their failure limit (as
    ``audit.lockout`` counts them), for the security administrator."""
    recent = AccessAttempt.objects.all()
    if settings.AXES_COOLOFF_TIME is not None:
        recent = recent.filter(attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME)
    accounts = list(
        recent.exclude(username__isnull=True).values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT).order_by("username"))
    addresses = list(
        recent.exclude(ip_address__isnull=True).values("ip_address")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_IP_FAILURE_LIMIT).order_by("ip_address"))
    return accounts, addresses
