"""Writes of the letters app: reference numbers, letters, batches, bulletins.

Every document is rendered, hashed (SHA-256 of the PDF bytes), stored in the
private store and archived as an immutable row. Numbers come from
``ReferenceCounter`` under a row lock held only for the increment, never
during the render, so concurrent generators (two staff, several workers) do
not queue behind each other's PDFs.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from enterprises.models import Enterprise

from . import documents, selectors
from .choices import BatchScope, BatchStatus, CounterKind, ItemStatus, Scope
from .models import Bulletin, Letter, LetterBatch, LetterBatchItem, ReferenceCounter

logger = logging.getLogger(__name__)


class LetterError(ValidationError):
    """A letter or batch cannot be made as asked; the message says why."""


# ------------------------------------------------------------------ numbers


def format_reference(kind: str, year: int, number: int) -> str:
    if kind == CounterKind.BULLETIN:
        return f"{settings.DESK['BULLETIN_REFERENCE_PREFIX']}〔{year}〕{number}号"
    return f"{settings.DESK['LETTER_REFERENCE_PREFIX']}〔{year}〕{number:04d}号"


@transaction.atomic
def reference_allocate(*, kind: str, year: int, count: int = 1) -> list[int]:
    """The next ``count`` numbers of ``kind`` in ``year``, unique however many
    processes ask at once: the counter row is locked until this transaction
    commits. The first number of a year creates the row; if two creators race,
    ``ignore_conflicts`` lets both go on to lock the one row that exists."""
    counter = ReferenceCounter.objects.select_for_update().filter(kind=kind, year=year).first()
    if counter is None:
        ReferenceCounter.objects.bulk_create(
            [ReferenceCounter(kind=kind, year=year, last_number=0)], ignore_conflicts=True)
        counter = ReferenceCounter.objects.select_for_update().get(kind=kind, year=year)
    first = counter.last_number + 1
    counter.last_number += count
    counter.save(update_fields=["last_number"])
    return list(range(first, first + count))


def chinese_date(d: date) -> str:
    """2026年11月25日, as GB/T 9704-2012 writes dates (Arabic numerals)."""
    return f"{d.year}年{d.month}月{d.day}日"


def _storage():
    # the field's own storage object (tests point it at a temporary folder)
    return Letter._meta.get_field("file").storage


def _store(name: str, content: bytes) -> str:
    return _storage().save(name, ContentFile(content))


# ------------------------------------------------------------------ letters


def _render_letter(*, enterprise: Enterprise, rows: list, reference: str,
                   number_key: str, issued_on: date) -> bytes:
    with translation.override("zh-hans"):
        html = documents.letter_html(enterprise=enterprise, rows=rows, reference=reference,
                                     token=documents.verification_token(number_key),
                                     issued_on=issued_on)
    return documents.render(html)


def letter_create(*, enterprise: Enterprise, actor=None, scope: str = Scope.OPEN,
                  obstacle_id: int | None = None, batch_item: LetterBatchItem | None = None,
                  number: int | None = None) -> Letter:
    """Write one status letter for ``enterprise`` and archive it.

    ``actor`` is the staff member (``None`` for batches and scripts; the views
    check permissions before calling). ``scope``: its open obstacles, those
    changed since its last letter, or one obstacle. Raises ``LetterError`` when
    there is nothing to report. In a batch, ``batch_item`` is marked written
    in the same transaction that archives the letter, so a crash leaves either
    both or neither; a second worker on the same item finds it written and
    throws its copy away."""
    rows = selectors.letter_rows(enterprise, scope=scope, obstacle_id=obstacle_id)
    if not rows:
        raise LetterError(_("There is nothing to report to this enterprise in this scope."))
    today = timezone.localdate()
    if number is None:
        (number,) = reference_allocate(kind=CounterKind.LETTER, year=today.year)
    reference = format_reference(CounterKind.LETTER, today.year, number)
    pdf = _render_letter(enterprise=enterprise, rows=rows, reference=reference,
                         number_key=f"{today.year}-{number}", issued_on=today)
    name = _store(f"letters/{today.year}/{today.year}-{number:05d}.pdf", pdf)
    with transaction.atomic():
        if batch_item is not None:
            item = LetterBatchItem.objects.select_for_update().get(pk=batch_item.pk)
            if item.status != ItemStatus.PENDING:
                # another worker wrote this firm's letter meanwhile
                transaction.on_commit(lambda: _delete(name))
                return item.letter
        letter = Letter.objects.create(
            reference=reference, year=today.year, number=number, enterprise=enterprise,
            scope=scope, obstacle_ids=[r.obstacle_id for r in rows], issued_on=today,
            generated_by=actor, batch_item=batch_item, sha256=hashlib.sha256(pdf).hexdigest(),
            size=len(pdf), file=name,
        )
        if batch_item is not None:
            LetterBatchItem.objects.filter(pk=batch_item.pk).update(status=ItemStatus.DONE)
            LetterBatch.objects.filter(pk=batch_item.batch_id).update(
                done_count=F("done_count") + 1)
    return letter


def _delete(name: str) -> None:
    _storage().delete(name)


def letter_email(*, letter: Letter) -> int:
    """Send the letter to the firm's contacts that have an e-mail; returns how
    many addresses it went to."""
    addresses = sorted({c.email for c in letter.enterprise.contacts.all() if c.email})
    if not addresses:
        return 0
    with translation.override("zh-hans"):
        message = EmailMessage(
            subject=_("Status letter %(reference)s") % {"reference": letter.reference},
            body=_("Please find attached the status letter %(reference)s about the "
                   "obstacles your enterprise reported to %(office)s.") % {
                "reference": letter.reference, "office": settings.DESK["OFFICE_NAME"]},
            to=addresses,
        )
    with letter.file.open("rb") as handle:
        message.attach(letter.download_name, handle.read(), "application/pdf")
    message.send()
    return len(addresses)


# ------------------------------------------------------------------ batches


@transaction.atomic
def batch_create(*, actor, scope: str, street=None, industry=None,
                 send_email: bool = False) -> LetterBatch:
    """A batch with one item per enterprise in scope, set-wise (one INSERT …
    SELECT-sized bulk insert per thousand firms); starts after commit."""
    if scope == BatchScope.STREET and street is None:
        raise LetterError(_("Choose the street."))
    if scope == BatchScope.INDUSTRY and industry is None:
        raise LetterError(_("Choose the industry."))
    enterprise_ids = list(selectors.batch_enterprise_ids(scope, street=street,
                                                         industry=industry))
    if not enterprise_ids:
        raise LetterError(_("No enterprise in this scope has open obstacles."))
    batch = LetterBatch.objects.create(
        scope=scope, street=street if scope == BatchScope.STREET else None,
        industry=industry if scope == BatchScope.INDUSTRY else None,
        send_email=send_email, created_by=actor, total=len(enterprise_ids))
    LetterBatchItem.objects.bulk_create(
        (LetterBatchItem(batch=batch, enterprise_id=pk) for pk in enterprise_ids),
        batch_size=1000)
    transaction.on_commit(lambda: batch_dispatch(batch_id=batch.pk))
    return batch


def batch_dispatch(*, batch_id: int) -> int:
    """Queue one Celery task per chunk of the batch's pending items; returns
    the number of chunks. Also the way to resume a batch whose queue was lost:
    items already written are skipped by the chunks, so dispatching twice
    never writes a letter twice."""
    from .tasks import write_letter_chunk_task

    chunk = settings.DESK["LETTER_BATCH_CHUNK"]
    ids = list(LetterBatchItem.objects.filter(batch_id=batch_id, status=ItemStatus.PENDING)
               .order_by("pk").values_list("pk", flat=True))
    chunks = [ids[i:i + chunk] for i in range(0, len(ids), chunk)]
    for part in chunks:
        write_letter_chunk_task.delay(batch_id, part)
    if not chunks:
        _batch_finish(batch_id)
    return len(chunks)


def batch_write_chunk(*, batch_id: int, item_ids: Iterable[int]) -> int:
    """Write the letters of these items that are still pending; returns how
    many were written. Idempotent: a redelivered or repeated chunk finds its
    written items done and skips them. Stops early when the batch is cancelled
    (checked before each letter: one indexed read)."""
    LetterBatch.objects.filter(pk=batch_id, status=BatchStatus.PENDING).update(
        status=BatchStatus.RUNNING, started_at=timezone.now())
    batch = LetterBatch.objects.get(pk=batch_id)
    items = list(LetterBatchItem.objects.filter(pk__in=list(item_ids), batch_id=batch_id,
                                                status=ItemStatus.PENDING)
                 .select_related("enterprise").order_by("pk"))
    written = 0
    for item in items:
        if LetterBatch.objects.filter(pk=batch_id, status=BatchStatus.CANCELLED).exists():
            break
        try:
            letter = letter_create(enterprise=item.enterprise, scope=Scope.OPEN,
                                   batch_item=item)
        except Exception as e:  # one firm's failure must not stop the batch
            logger.exception("batch %s: letter for enterprise %s failed", batch_id,
                             item.enterprise_id)
            updated = LetterBatchItem.objects.filter(
                pk=item.pk, status=ItemStatus.PENDING).update(
                status=ItemStatus.ERROR, error=str(e)[:300])
            if updated:
                LetterBatch.objects.filter(pk=batch_id).update(error_count=F("error_count") + 1)
            continue
        written += 1
        if batch.send_email:
            try:
                letter_email(letter=letter)
            except OSError:
                logger.exception("batch %s: e-mail for letter %s failed", batch_id, letter.pk)
    _batch_finish(batch_id)
    return written


def _batch_finish(batch_id: int) -> None:
    """Mark the batch done once every item is written or failed (a conditional
    UPDATE: of several chunks finishing at once, one wins)."""
    LetterBatch.objects.filter(
        pk=batch_id, status__in=[BatchStatus.PENDING, BatchStatus.RUNNING],
        total__lte=F("done_count") + F("error_count"),
    ).update(status=BatchStatus.DONE, finished_at=timezone.now())


@transaction.atomic
def batch_cancel(*, batch_id: int, actor) -> LetterBatch:
    """Stop a batch: chunks still queued or running stop before their next
    letter. Letters already written stay archived."""
    batch = LetterBatch.objects.select_for_update().get(pk=batch_id)
    if not batch.is_active:
        raise LetterError(_("Only a waiting or running batch can be cancelled."))
    batch.status, batch.finished_at = BatchStatus.CANCELLED, timezone.now()
    batch.save(update_fields=["status", "finished_at"])
    return batch


def batch_eta(batch: LetterBatch, now: datetime | None = None) -> timedelta | None:
    """Time left at the rate so far (None before the first letter)."""
    if batch.status != BatchStatus.RUNNING or not batch.started_at or not batch.processed:
        return None
    elapsed = (now or timezone.now()) - batch.started_at
    remaining = batch.total - batch.processed
    return timedelta(seconds=round(elapsed.total_seconds() / batch.processed * remaining))


# ------------------------------------------------------------------ bulletins


def bulletin_create(period_start: date, period_end: date, actor=None) -> Bulletin:
    """督查通报 for [period_start, period_end]: figures computed now, frozen in
    the archive with the PDF. Called by the bulletin page and by the monthly
    job (``actor=None``)."""
    if period_end < period_start:
        raise LetterError(_("The period cannot end before it starts."))
    data = selectors.bulletin_figures(period_start, period_end)
    today = timezone.localdate()
    (number,) = reference_allocate(kind=CounterKind.BULLETIN, year=today.year)
    reference = format_reference(CounterKind.BULLETIN, today.year, number)
    with translation.override("zh-hans"):
        html = documents.bulletin_html(data=data, reference=reference, issued_on=today)
    pdf = documents.render(html)
    name = _store(f"bulletins/{today.year}/{today.year}-{number:04d}.pdf", pdf)
    return Bulletin.objects.create(
        reference=reference, period_start_on=period_start, period_end_on=period_end,
        data=data, generated_by=actor, sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf), file=name)
