"""Outbound webhooks: a task state change reaches the integration that took the
obstacle in, signed; failures are retried with backoff, logged, replayable.

The receiver is a real HTTP server on 127.0.0.1 in a thread (no network
beyond loopback), and the signature is checked with the standard library's
``hmac`` written out here, not with the desk's own signer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.contrib.auth import get_user_model
from django.test import Client

import pytest

from api import webhooks
from api.choices import DeliveryStatus
from api.models import WebhookDelivery
from approvals import services as loop
from approvals.choices import EventAction, TaskRole
from approvals.models import Obstacle, TaskEvent

pytestmark = pytest.mark.django_db


class Receiver:
    """Records each POST; answers with the next code of ``codes`` (then 200)."""

    def __init__(self):
        self.calls: list[dict] = []
        self.codes: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.calls.append({"headers": dict(self.headers), "body": body})
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/desk-hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def verify(secret: str, headers: dict, body: bytes, *, max_age: int = 300) -> bool:
    """How a receiver checks a delivery (the README's recipe, written anew)."""
    timestamp = headers["X-Desk-Timestamp"]
    if abs(time.time() - int(timestamp)) > max_age:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(headers["X-Desk-Signature"], "sha256=" + expected.hexdigest())


@pytest.fixture
def hooked(hotline, receiver):
    hotline.webhook_url = receiver.url
    hotline.save()
    return hotline


def _take_in(client, order) -> Obstacle:
    response = client.post("/api/v1/obstacles/", order, format="json")
    assert response.status_code == 201
    return Obstacle.objects.get(pk=response.json()["id"])


def _assign(obstacle, coordinator, dept, capture):
    task = obstacle.tasks.get(role=TaskRole.LEAD)
    with capture(execute=True):
        loop.task_assign(task_id=task.pk, actor=coordinator, department=dept)
    return task


def test_a_state_change_is_posted_signed_to_the_integration(
        hooked, hotline_client, order, coordinator, dept, receiver,
        django_capture_on_commit_callbacks):
    obstacle = _take_in(hotline_client, order)
    # taking in is the integration's own act: nothing is sent for it
    assert receiver.calls == []
    task = _assign(obstacle, coordinator, dept, django_capture_on_commit_callbacks)
    assert len(receiver.calls) == 1
    call = receiver.calls[0]
    assert verify(hooked.webhook_secret, call["headers"], call["body"])
    # a changed body or another secret does not verify
    assert not verify(hooked.webhook_secret, call["headers"], call["body"] + b" ")
    assert not verify("another-secret", call["headers"], call["body"])
    payload = json.loads(call["body"])
    assert payload["type"] == "task.state_changed"
    assert payload["event"]["action"] == EventAction.ASSIGN
    assert (payload["event"]["from_state"], payload["event"]["to_state"]) == (
        "submitted", "assigned")
    assert payload["obstacle"] == {
        "id": obstacle.pk, "external_ref": order["external_ref"], "state": "assigned",
        "status": payload["obstacle"]["status"], "department": dept.name,
        "deadline_on": task.__class__.objects.get(pk=task.pk).deadline_on.isoformat()}
    assert payload["obstacle"]["status"]  # plain words, in the desk's language
    delivery = WebhookDelivery.objects.get()
    assert call["headers"]["X-Desk-Delivery"] == str(delivery.pk)
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        DeliveryStatus.DELIVERED, 1, 200)


def test_notes_and_other_integrations_obstacles_send_nothing(
        hooked, hotline_client, window_client, order, coordinator, dept, receiver,
        django_capture_on_commit_callbacks):
    theirs = _take_in(window_client, order)
    _assign(theirs, coordinator, dept, django_capture_on_commit_callbacks)
    assert receiver.calls == []
    mine = _take_in(hotline_client, {**order, "external_ref": "N-1"})
    task = mine.tasks.get(role=TaskRole.LEAD)
    with django_capture_on_commit_callbacks(execute=True):
        event = TaskEvent.objects.create(task=task, actor=coordinator,
                                         action=EventAction.NOTE, to_state=task.state)
        from approvals import signals

        signals.announce([event.pk])
    assert receiver.calls == []
    assert not WebhookDelivery.objects.exists()


def test_a_failing_receiver_is_retried_with_exponential_backoff(
        hooked, hotline_client, order, coordinator, dept, receiver, monkeypatch,
        django_capture_on_commit_callbacks):
    waits = []
    real = webhooks.backoff_seconds
    monkeypatch.setattr(webhooks, "backoff_seconds", lambda n: waits.append(real(n)) or 0)
    receiver.codes = [500, 503]
    _assign(_take_in(hotline_client, order), coordinator, dept,
            django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        DeliveryStatus.DELIVERED, 3, 200)
    assert len(receiver.calls) == 3
    # each attempt is signed afresh over the same body
    assert len({c["body"] for c in receiver.calls}) == 1
    assert waits == [30, 60]


def test_a_receiver_that_never_answers_well_is_given_up_and_logged(
        hooked, hotline_client, order, coordinator, dept, receiver, settings,
        django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(webhooks, "backoff_seconds", lambda n: 0)
    settings.DESK = {**settings.DESK, "WEBHOOK_MAX_ATTEMPTS": 3}
    receiver.codes = [500] * 10
    _assign(_take_in(hotline_client, order), coordinator, dept,
            django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        DeliveryStatus.FAILED, 3, 500)
    assert delivery.last_error == "HTTP 500"


def test_an_unreachable_receiver_is_logged_not_raised(
        hooked, hotline_client, order, coordinator, dept, settings, monkeypatch,
        django_capture_on_commit_callbacks, receiver):
    monkeypatch.setattr(webhooks, "backoff_seconds", lambda n: 0)
    settings.DESK = {**settings.DESK, "WEBHOOK_MAX_ATTEMPTS": 2}
    receiver.close()  # nothing listens on that port any more
    _assign(_take_in(hotline_client, order), coordinator, dept,
            django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.response_code is None and "ConnectionError" in delivery.last_error
    receiver.server = type("Closed", (), {"shutdown": lambda s: None,
                                          "server_close": lambda s: None})()


def test_the_backoff_doubles_and_is_capped():
    assert [webhooks.backoff_seconds(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert webhooks.backoff_seconds(30) == 6 * 3600


def test_the_admin_replays_a_delivery(
        hooked, hotline_client, order, coordinator, dept, receiver, settings, monkeypatch,
        django_capture_on_commit_callbacks):
    monkeypatch.setattr(webhooks, "backoff_seconds", lambda n: 0)
    settings.DESK = {**settings.DESK, "WEBHOOK_MAX_ATTEMPTS": 1}
    receiver.codes = [502]
    _assign(_take_in(hotline_client, order), coordinator, dept,
            django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    admin = get_user_model().objects.create_superuser("root", "root@example.gov.cn", "x")
    client = Client()
    client.force_login(admin)
    changelist = "/admin/api/webhookdelivery/"
    assert client.get(changelist).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(changelist, {"action": "replay_deliveries",
                                            "_selected_action": [delivery.pk]})
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        DeliveryStatus.DELIVERED, 1, 200)
    assert len(receiver.calls) == 2
    assert verify(hooked.webhook_secret, receiver.calls[1]["headers"],
                  receiver.calls[1]["body"])


def test_an_integration_sets_its_webhook_and_reads_its_secret(hotline, hotline_client):
    body = hotline_client.get("/api/v1/webhook/").json()
    assert body == {"url": "", "secret": hotline.webhook_secret,
                    "events": ["task.state_changed"]}
    response = hotline_client.put("/api/v1/webhook/", {"url": "https://hotline.example/hook"},
                                  format="json")
    assert response.status_code == 200
    hotline.refresh_from_db()
    assert hotline.webhook_url == "https://hotline.example/hook"
    bad = hotline_client.put("/api/v1/webhook/", {"url": "not a url"}, format="json")
    assert bad.status_code == 400 and "url" in bad.json()
