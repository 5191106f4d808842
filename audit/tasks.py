"""The daily retention job (beat in servicedesk/celery.py): archive old audit
records and erase the personal fields of old portal account requests."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from celery import shared_task

from . import services


def archive_old_records() -> int:
    """Archive records older than ``SECURITY["AUDIT_ONLINE_DAYS"]`` (at least
    180); returns how many were archived. Safe to run twice: the second run
    finds nothing older than the cut-off."""
    days = max(settings.SECURITY["AUDIT_ONLINE_DAYS"], 180)
    archive = services.archive_before(timezone.now() - timedelta(days=days))
    return archive.count if archive else 0


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1700)
def archive_audit_records_task() -> dict[str, int]:
    from .erasure import erase_old_account_requests

    return {"archived": archive_old_records(),
            "account_requests_erased": erase_old_account_requests()}
