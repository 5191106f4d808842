"""Objects the URL matrix (tests/test_url_matrix.py) needs for the letters'
rows, made on first use and kept on the matrix's world: a letter to
enterprise A written by the coordinator, a finished batch and a bulletin.
Files go to the Letter/Bulletin field storage, which the matrix points at a
temporary folder."""

from __future__ import annotations

from datetime import date

from django.core.files.base import ContentFile
from django.utils import timezone

from letters.choices import BatchScope, BatchStatus
from letters.documents import verification_token
from letters.models import Bulletin, Letter, LetterBatch

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def letter(w) -> Letter:
    if not hasattr(w, "letter"):
        name = Letter._meta.get_field("file").storage.save("letters/m.pdf", ContentFile(PDF))
        w.letter = Letter.objects.create(
            reference="营商服函〔2026〕9001号", year=2026, number=9001, enterprise=w.a,
            scope="open", obstacle_ids=[w.task.obstacle_id], issued_on=timezone.localdate(),
            generated_by=w.users["coordinator"], sha256="0" * 64, size=len(PDF), file=name)
    return w.letter


def token(w) -> str:
    letter(w)
    return verification_token("2026-9001")


def batch(w) -> LetterBatch:
    if not hasattr(w, "batch"):
        w.batch = LetterBatch.objects.create(
            scope=BatchScope.ALL_OPEN, status=BatchStatus.DONE, total=0,
            created_by=w.users["coordinator"])
    return w.batch


def bulletin(w) -> Bulletin:
    if not hasattr(w, "bulletin"):
        name = Bulletin._meta.get_field("file").storage.save("bulletins/m.pdf",
                                                             ContentFile(PDF))
        w.bulletin = Bulletin.objects.create(
            reference="营商督通〔2026〕901号", period_start_on=date(2026, 10, 1),
            period_end_on=date(2026, 10, 31), data={}, sha256="0" * 64, size=len(PDF),
            file=name)
    return w.bulletin
