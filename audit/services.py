"""Writing, verifying and archiving the audit log.

``record`` is the one way to write: it serialises writers (a PostgreSQL
advisory lock; SQLite's IMMEDIATE transactions already do), reads the last
record's hash and inserts the new record chained to it (on PostgreSQL in one
round trip, see ``_insert_sql``). ``verify_chain``
recomputes every hash; ``archive_before`` moves old records to a compressed
file, keeping the chain checkable from the archive's last hash.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

import psycopg

from .choices import AuditAction, AuditResult
from .context import current_request
from .models import GENESIS_HASH, AuditArchive, AuditRecord, canonical_json

# any fixed 64-bit number: the key of the advisory lock that orders writers
_ADVISORY_LOCK_KEY = 7_201_405_114


def client_ip(request) -> str | None:
    """The client's address as django-axes resolved it (it knows the proxy
    settings), else ``REMOTE_ADDR``."""
    if request is None:
        return None
    ip = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")
    if ip and ":" in ip:
        # the form PostgreSQL's inet gives back (2001:db8::1), so the hash of
        # the record as written is the hash of the record as read
        try:
            ip = clean_ipv6_address(ip)
        except ValidationError:
            pass
    return ip or None


def _object_fields(obj) -> dict:
    if obj is None:
        return {"object_type": "", "object_id": "", "object_repr": ""}
    if isinstance(obj, str):
        return {"object_type": "", "object_id": "", "object_repr": obj[:200]}
    meta = getattr(obj, "_meta", None)
    return {
        "object_type": meta.label_lower if meta else type(obj).__name__,
        "object_id": str(getattr(obj, "pk", "") or ""),
        "object_repr": str(obj)[:200],
    }


_DETAIL_JSON = json.JSONEncoder(ensure_ascii=False, default=str)


def record(request=None, action: str = "", obj=None, result: str = AuditResult.SUCCESS,
           *, actor=None, **detail) -> AuditRecord:
    """Append one record. ``request`` defaults to the request being served;
    ``actor`` to its user. ``obj`` is a model instance, a string or None;
    ``detail`` is anything JSON-serialisable (no secrets, no full personal data)."""
    if request is None:
        request = current_request.get()
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    # JSON-safe and stable: what is hashed is exactly what the database gives
    # back (dates and other objects become strings, tuples lists)
    detail_json = _DETAIL_JSON.encode(detail)
    entry = AuditRecord(
        created_at=timezone.now(),
        actor_id=actor.pk if actor is not None else None,
        actor_name=actor.get_username() if actor is not None else "",
        ip_address=client_ip(request),
        action=str(action),
        result=str(result),
        detail=json.loads(detail_json),
        **_object_fields(obj),
    )
    if connection.vendor == "postgresql":
        _insert_chained(entry, detail_json)
    else:
        # SQLite's IMMEDIATE transaction takes the write lock at BEGIN: writers
        # are serialised, so the head read inside it is the one extended
        with transaction.atomic():
            entry.prev_hash = _head_hash()
            entry.hash = entry.compute_hash()
            entry.save(force_insert=True)
    return entry


@cache
def _insert_sql() -> str:
    """Two statements sent as one simple-protocol query (one round trip):

    1. ``pg_advisory_xact_lock`` orders writers: one at a time extends the
       chain, until its transaction ends;
    2. ``INSERT ... SELECT`` reads the head hash (the newest record's, else
       the last archived segment's, else the genesis hash) and stores the new
       row with ``sha256(prev_hash || '\\n' || canonical JSON)`` computed by
       PostgreSQL, the digest ``AuditRecord.compute_hash`` recomputes.

    Under READ COMMITTED each statement of the string takes its own snapshot,
    so the head read *after* the lock sees the previous writer's committed
    row (a single statement would read with the snapshot taken before it
    waited for the lock, and fork the chain). In autocommit the string is one
    implicit transaction: the lock is released by its commit. Inside an
    ``atomic`` block it is held until that block commits, as any row lock.
    """
    qn = connection.ops.quote_name
    table = qn(AuditRecord._meta.db_table)
    archive = qn(AuditArchive._meta.db_table)
    return (
        # only table names and constants are formatted in; values are parameters
        f"SELECT pg_advisory_xact_lock({int(_ADVISORY_LOCK_KEY)}); "  # noqa: S608
        # MATERIALIZED: the head is read once, not once per reference
        f"WITH head AS MATERIALIZED (SELECT COALESCE("
        f"(SELECT hash FROM {table} ORDER BY id DESC LIMIT 1), "
        f"(SELECT last_hash FROM {archive} ORDER BY last_id DESC LIMIT 1), "
        f"'{GENESIS_HASH}') AS hash) "
        f"INSERT INTO {table} (created_at, actor_id, actor_name, ip_address, action, "
        "object_type, object_id, object_repr, result, detail, prev_hash, hash) "
        "SELECT %s::timestamptz, %s::bigint, %s::text, %s::inet, %s::text, %s::text, "
        "%s::text, %s::text, %s::text, %s::jsonb, head.hash, "
        "encode(sha256(convert_to(head.hash || chr(10) || %s::text, 'UTF8')), 'hex') "
        "FROM head RETURNING id, prev_hash, hash"
    )


def _insert_chained(entry: AuditRecord, detail_json: str) -> None:
    """Lock, read the head, insert and hash in one round trip (PostgreSQL)."""
    params = [entry.created_at, entry.actor_id, entry.actor_name, entry.ip_address,
              entry.action, entry.object_type, entry.object_id, entry.object_repr,
              entry.result, detail_json, canonical_json(entry.content())]
    sql = _insert_sql()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if not isinstance(raw, psycopg.ClientCursor):
            # a server-side-binding cursor cannot send two statements with
            # parameters: merge them here (psycopg quotes each literal)
            sql, params = psycopg.ClientCursor(raw.connection).mogrify(sql, params), None
        cursor.execute(sql, params)
        cursor.nextset()  # the first result is the lock's
        entry.pk, entry.prev_hash, entry.hash = cursor.fetchone()
    entry._state.adding = False
    entry._state.db = connection.alias


def _head_hash() -> str:
    last = AuditRecord.objects.order_by("-id").values_list("hash", flat=True).first()
    if last is not None:
        return last
    archive = AuditArchive.objects.order_by("-last_id").values_list(
        "last_hash", flat=True).first()
    return archive or GENESIS_HASH


@dataclass
class ChainReport:
    checked: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify_chain() -> ChainReport:
    """Recompute every hash in id order; the first record whose link or content
    does not match is reported (a changed row fails its own hash, a removed or
    reordered one fails the next row's link)."""
    archive = AuditArchive.objects.order_by("-last_id").first()
    expected_prev = archive.last_hash if archive else GENESIS_HASH
    checked = 0
    for entry in AuditRecord.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != expected_prev:
            return ChainReport(checked, entry.pk, "link")
        if entry.compute_hash() != entry.hash:
            return ChainReport(checked, entry.pk, "content")
        expected_prev = entry.hash
        checked += 1
    return ChainReport(checked)


def archive_before(cutoff: datetime) -> AuditArchive | None:
    """Move records older than ``cutoff`` into a gzip JSON-lines file under
    ``AUDIT_ARCHIVE_ROOT`` and delete them only once the file is written and
    its digest recorded. Never drops anything silently: the segment's bounds,
    count, hashes and digest stay in ``AuditArchive``."""
    root = Path(settings.SECURITY["AUDIT_ARCHIVE_ROOT"])
    root.mkdir(parents=True, exist_ok=True)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])
        old = AuditRecord.objects.filter(created_at__lt=cutoff).order_by("id")
        # keep the newest record online so the chain always has a head to extend
        newest = AuditRecord.objects.order_by("-id").values_list("id", flat=True).first()
        old = old.exclude(id=newest)
        first = old.first()
        if first is None:
            return None
        last_id = old.values_list("id", flat=True).last()
        segment = AuditRecord.objects.filter(id__gte=first.pk, id__lte=last_id).order_by("id")
        path = root / f"audit-{first.pk:012d}-{last_id:012d}.jsonl.gz"
        digest = hashlib.sha256()
        count, last_hash = 0, first.prev_hash
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            for entry in segment.iterator(chunk_size=2000):
                line = json.dumps({"id": entry.pk, **entry.content(),
                                   "prev_hash": entry.prev_hash, "hash": entry.hash},
                                  ensure_ascii=False, sort_keys=True)
                handle.write(line + "\n")
                digest.update(line.encode() + b"\n")
                count, last_hash = count + 1, entry.hash
        archive = AuditArchive.objects.create(
            first_id=first.pk, last_id=last_id, count=count,
            first_prev_hash=first.prev_hash, last_hash=last_hash, path=str(path),
            sha256=digest.hexdigest())
        segment._archive_delete()
    record(None, AuditAction.ARCHIVE, archive, count=count, path=str(path))
    return archive
