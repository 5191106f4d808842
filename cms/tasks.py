"""Celery tasks of the CMS."""

from django.core.management import call_command

from celery import shared_task


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def publish_scheduled_pages_task() -> None:
    """Publish pages whose scheduled go-live time has come and unpublish those
    past their expiry (Wagtail's ``publish_scheduled``). Idempotent: a second
    run finds nothing due. Meant for beat every few minutes."""
    call_command("publish_scheduled")
