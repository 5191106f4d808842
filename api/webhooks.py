"""Outbound webhooks: task state changes POSTed to the integration that took
the obstacle in, signed so the receiver knows the desk sent them.

Signature: ``X-Desk-Signature: sha256=<hex>``, the HMAC-SHA256 under the
integration's ``webhook_secret`` of ``<X-Desk-Timestamp> + "." + <raw body>``
(the timestamp is Unix seconds; a receiver refuses old ones, which stops
replays). The body is JSON, UTF-8, keys sorted, so every attempt of a delivery
sends the same bytes. ``X-Desk-Delivery`` is the delivery's id: a receiver
that already has it may ignore a second copy.

The flow: ``approvals.signals.events_recorded`` (sent after the commit) ->
``enqueue_deliveries`` writes one ``WebhookDelivery`` per (integration, event)
in one statement and enqueues a Celery task each -> ``attempt_delivery`` POSTs,
and the task retries with exponential backoff until the receiver answers 2xx
or ``WEBHOOK_MAX_ATTEMPTS`` is reached.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

import requests

from approvals.choices import TaskRole
from approvals.models import TaskEvent
from approvals.selectors_portal import PLAIN_STATUS

from .choices import DeliveryStatus
from .models import WebhookDelivery

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Desk-Signature"
TIMESTAMP_HEADER = "X-Desk-Timestamp"
DELIVERY_HEADER = "X-Desk-Delivery"
EVENT_TYPE = "task.state_changed"

RETRY, DONE = "retry", "done"


def body_bytes(payload: dict) -> bytes:
    """The exact bytes sent (and signed): compact JSON, sorted keys, UTF-8."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body,
                   hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def backoff_seconds(attempts: int) -> int:
    """Exponential: base, 2*base, 4*base ... after the 1st, 2nd, 3rd failure,
    capped at six hours."""
    base = settings.DESK["WEBHOOK_BACKOFF_SECONDS"]
    return int(min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def _payload(event: TaskEvent) -> dict:
    task = event.task
    obstacle = task.obstacle
    with translation.override(settings.LANGUAGE_CODE):
        status = str(PLAIN_STATUS.get(task.state, task.get_state_display()))
    return {
        "type": EVENT_TYPE,
        "event": {
            "id": event.pk,
            "action": event.action,
            "from_state": event.from_state,
            "to_state": event.to_state,
            "at": event.created_at.isoformat(),
            # the firm-visible explanation; internal notes never leave the desk
            "comment": event.comment if event.is_visible_to_firm else "",
        },
        "obstacle": {
            "id": obstacle.pk,
            "external_ref": obstacle.external_ref,
            "state": task.state,
            "status": status,
            "department": task.department.name if task.department_id else None,
            "deadline_on": task.deadline_on.isoformat() if task.deadline_on else None,
        },
    }


def enqueue_deliveries(sender=None, *, event_ids, **kwargs) -> list[int]:
    """Receiver of ``events_recorded``: queue a delivery for each state change
    of a lead task whose obstacle an active integration with a webhook URL
    took in. One query for the events, one insert; notes and other events
    that leave the state as it was are not sent."""
    events = (
        TaskEvent.objects.filter(
            pk__in=event_ids,
            task__role=TaskRole.LEAD,
            task__obstacle__integration_link__integration__is_active=True,
        )
        .exclude(task__obstacle__integration_link__integration__webhook_url="")
        .exclude(Q(from_state="") | Q(from_state=F("to_state")))
        .select_related("task__obstacle__integration_link__integration", "task__department")
    )
    rows = []
    for event in events:
        integration = event.task.obstacle.integration_link.integration
        rows.append(WebhookDelivery(integration=integration, event=event,
                                    url=integration.webhook_url, payload=_payload(event)))
    if not rows:
        return []
    # a repeated signal finds the rows already there and queues nothing new
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(WebhookDelivery.objects.filter(
        event_id__in=[r.event_id for r in rows], attempts=0,
        status=DeliveryStatus.PENDING).values_list("pk", flat=True))
    from .tasks import deliver_webhook_task

    for pk in ids:
        transaction.on_commit(lambda pk=pk: deliver_webhook_task.delay(pk))
    return ids


def attempt_delivery(delivery_id: int) -> str:
    """One attempt. Claims the row with a conditional UPDATE (a second worker
    holding the same message finds nothing to do), POSTs, records the answer.
    Returns ``RETRY`` when the task should try again later, else ``DONE``."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING).update(
        attempts=F("attempts") + 1, last_attempt_at=now)
    if not claimed:
        return DONE
    delivery = WebhookDelivery.objects.select_related("integration").get(pk=delivery_id)
    body = body_bytes(delivery.payload)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "servicedesk-webhooks/1",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(delivery.integration.webhook_secret, timestamp, body),
        DELIVERY_HEADER: str(delivery.pk),
    }
    code, error = None, ""
    try:
        response = requests.post(delivery.url, data=body, headers=headers,
                                 timeout=settings.DESK["WEBHOOK_TIMEOUT_SECONDS"],
                                 allow_redirects=False)
        code = response.status_code
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:255]
    fields = {"response_code": code, "last_error": error}
    if not error:
        fields.update(status=DeliveryStatus.DELIVERED, delivered_at=timezone.now())
        outcome = DONE
    elif delivery.attempts >= settings.DESK["WEBHOOK_MAX_ATTEMPTS"]:
        fields["status"] = DeliveryStatus.FAILED
        outcome = DONE
        log.warning("webhook delivery %s to %s failed after %s attempts: %s",
                    delivery.pk, delivery.url, delivery.attempts, error)
    else:
        outcome = RETRY
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    return outcome


def attempts_of(delivery_id: int) -> int:
    return WebhookDelivery.objects.values_list("attempts", flat=True).get(pk=delivery_id)


@transaction.atomic
def deliveries_replay(delivery_ids) -> int:
    """Send deliveries again (the admin's action): back to pending with a fresh
    count of attempts, each enqueued after the commit. Returns how many."""
    ids = list(WebhookDelivery.objects.filter(pk__in=list(delivery_ids))
               .values_list("pk", flat=True))
    WebhookDelivery.objects.filter(pk__in=ids).update(
        status=DeliveryStatus.PENDING, attempts=0, last_error="", delivered_at=None)
    from .tasks import deliver_webhook_task

    for pk in ids:
        transaction.on_commit(lambda pk=pk: deliver_webhook_task.delay(pk))
    return len(ids)
