"""Batches: one letter per batch and enterprise, chunks that survive a worker
crash without duplicates, cancel, progress, ZIP and e-mail."""

from __future__ import annotations

import io
import zipfile

from django.core import mail
from django.urls import reverse

import pytest

from letters import documents, services
from letters.choices import BatchScope, BatchStatus, ItemStatus
from letters.models import Letter, LetterBatch, LetterBatchItem
from tests.factories import ContactFactory, EnterpriseFactory

from .conftest import make_obstacles

pytestmark = pytest.mark.django_db


@pytest.fixture
def firms(dept):
    firms = [EnterpriseFactory(name=f"杭州批量{i}号公司", is_key_project=i % 2 == 0)
             for i in range(5)]
    for f in firms:
        make_obstacles(f, dept, n=2)
    EnterpriseFactory(name="没有诉求的公司")  # nothing open: not in any batch
    return firms


def test_a_batch_writes_one_letter_per_firm_and_finishes(
        client, coordinator, firms, django_capture_on_commit_callbacks, settings):
    settings.DESK = {**settings.DESK, "LETTER_BATCH_CHUNK": 2}
    ContactFactory(enterprise=firms[0], email="boss@example.com")
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("letters:batch-list"),
                               {"scope": BatchScope.ALL_OPEN, "send_email": "on"})
    batch = LetterBatch.objects.get()
    assert response.status_code == 302
    assert (batch.status, batch.total, batch.done_count, batch.error_count) == (
        BatchStatus.DONE, 5, 5, 0)
    assert Letter.objects.filter(batch_item__batch=batch).count() == 5
    assert [m.to for m in mail.outbox] == [["boss@example.com"]]
    assert mail.outbox[0].attachments[0][2] == "application/pdf"
    page = client.get(batch.get_absolute_url())
    assert page.status_code == 200 and "5 / 5" in page.content.decode()
    archive = client.get(reverse("letters:batch-download", args=[batch.pk]))
    names = zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content))).namelist()
    assert len(names) == 5 and all(n.endswith(".pdf") for n in names)


def test_scopes_pick_their_firms(coordinator, firms):
    batch = services.batch_create(actor=coordinator, scope=BatchScope.KEY)
    assert batch.total == 3
    with pytest.raises(services.LetterError):
        services.batch_create(actor=coordinator, scope=BatchScope.STREET)
    street_batch = services.batch_create(actor=coordinator, scope=BatchScope.STREET,
                                         street=firms[1].street)
    assert street_batch.total == 1


class Crash(BaseException):
    """A worker killed mid-chunk: not an Exception, nothing catches it."""


def test_a_crashed_chunk_resumes_without_duplicates(coordinator, firms, monkeypatch):
    batch = services.batch_create(actor=coordinator, scope=BatchScope.ALL_OPEN)
    ids = list(batch.items.values_list("pk", flat=True))
    real_render, calls = documents.render, {"n": 0}

    def crashing_render(html):
        calls["n"] += 1
        if calls["n"] == 3:
            raise Crash
        return real_render(html)

    monkeypatch.setattr(documents, "render", crashing_render)
    with pytest.raises(Crash):
        services.batch_write_chunk(batch_id=batch.pk, item_ids=ids)
    assert LetterBatchItem.objects.filter(batch=batch, status=ItemStatus.DONE).count() == 2
    # the broker redelivers the chunk (acks_late), and the queue is dispatched again too
    monkeypatch.setattr(documents, "render", real_render)
    assert services.batch_write_chunk(batch_id=batch.pk, item_ids=ids) == 3
    assert services.batch_write_chunk(batch_id=batch.pk, item_ids=ids) == 0
    batch.refresh_from_db()
    assert (batch.status, batch.done_count) == (BatchStatus.DONE, 5)
    assert Letter.objects.filter(batch_item__batch=batch).count() == 5
    assert Letter.objects.values("enterprise").distinct().count() == 5


def test_an_item_written_meanwhile_is_not_written_twice(coordinator, firms):
    batch = services.batch_create(actor=coordinator, scope=BatchScope.ALL_OPEN)
    item = batch.items.order_by("pk").first()
    first = services.letter_create(enterprise=item.enterprise, batch_item=item)
    # a second worker still holding the stale item
    again = services.letter_create(enterprise=item.enterprise, batch_item=item)
    assert again.pk == first.pk and Letter.objects.count() == 1


def test_one_failing_firm_does_not_stop_the_batch(coordinator, firms, monkeypatch):
    batch = services.batch_create(actor=coordinator, scope=BatchScope.ALL_OPEN)
    real = documents.letter_html

    def broken(*, enterprise, **kw):
        if enterprise == firms[2]:
            raise RuntimeError("模板错误")
        return real(enterprise=enterprise, **kw)

    monkeypatch.setattr(documents, "letter_html", broken)
    services.batch_write_chunk(batch_id=batch.pk,
                               item_ids=batch.items.values_list("pk", flat=True))
    batch.refresh_from_db()
    assert (batch.status, batch.done_count, batch.error_count) == (BatchStatus.DONE, 4, 1)
    assert batch.items.get(enterprise=firms[2]).error == "模板错误"


def test_a_cancelled_batch_stops(client, coordinator, firms):
    batch = services.batch_create(actor=coordinator, scope=BatchScope.ALL_OPEN)
    client.force_login(coordinator)
    assert client.post(reverse("letters:batch-cancel", args=[batch.pk])).status_code == 302
    assert services.batch_write_chunk(batch_id=batch.pk,
                                      item_ids=batch.items.values_list("pk", flat=True)) == 0
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CANCELLED and not Letter.objects.exists()
    with pytest.raises(services.LetterError):
        services.batch_cancel(batch_id=batch.pk, actor=coordinator)


def test_progress_shows_an_estimate_while_running(coordinator, firms):
    from datetime import timedelta

    batch = services.batch_create(actor=coordinator, scope=BatchScope.ALL_OPEN)
    item = batch.items.order_by("pk").first()
    services.batch_write_chunk(batch_id=batch.pk, item_ids=[item.pk])
    batch.refresh_from_db()
    assert batch.status == BatchStatus.RUNNING and batch.done_count == 1
    eta = services.batch_eta(batch, now=batch.started_at + timedelta(seconds=10))
    assert eta == timedelta(seconds=40)


def test_bad_batch_input_is_a_form_error(client, coordinator):
    client.force_login(coordinator)
    assert client.post(reverse("letters:batch-list"), {"scope": "street"}).status_code == 400
    assert client.post(reverse("letters:batch-list"), {"scope": "nope"}).status_code == 400
    # no firm in scope: a message, not a 500
    assert client.post(reverse("letters:batch-list"),
                       {"scope": BatchScope.ALL_OPEN}).status_code == 400
