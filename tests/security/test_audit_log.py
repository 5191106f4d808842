"""The audit log: append-only, hash-chained, verified by a command that names
the first broken link, archived (never dropped), and written for the events
the issue lists."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import timedelta
from io import StringIO

from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

import pytest
import time_machine

import audit
from audit.choices import AuditAction
from audit.models import AppendOnlyError, AuditArchive, AuditRecord
from audit.services import verify_chain
from audit.tasks import archive_old_records
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TABLE = AuditRecord._meta.db_table


def _write(n: int) -> list[AuditRecord]:
    return [audit.record(None, "export", f"file-{i}.xlsx", rows=i) for i in range(n)]


def test_each_record_links_to_the_previous_one():
    a, b, c = _write(3)
    assert b.prev_hash == a.hash and c.prev_hash == b.hash
    assert len({a.hash, b.hash, c.hash}) == 3
    assert a.compute_hash() == a.hash


def test_awkward_content_hashes_the_same_in_python_and_in_the_database():
    """On PostgreSQL the database computes the digest as it inserts the row:
    it must be the digest ``verify_chain`` recomputes from what it reads back,
    whatever the text holds (Chinese, quotes, backslashes, newlines, an emoji,
    dates, tuples, nested values)."""
    from datetime import date

    awkward = {"name": "规划图 \"终稿\" \\ 'v2'\n第二行 😀", "on": date(2026, 11, 25),
               "pair": (1, 2), "nested": {"b": [1.5, None, True], "a": "%s %(x)s"},
               "empty": ""}
    entry = audit.record(None, "download", "规划图.pdf", **awkward)
    again = AuditRecord.objects.get(pk=entry.pk)
    assert entry.hash == again.hash == again.compute_hash()
    assert again.prev_hash == entry.prev_hash
    assert again.detail["name"] == awkward["name"] and again.detail["pair"] == [1, 2]
    assert again.detail["on"] == "2026-11-25"
    assert verify_chain().ok


def test_an_ipv6_address_is_stored_as_it_reads_back():
    from django.test import RequestFactory

    request = RequestFactory().get("/", REMOTE_ADDR="2001:0db8:0000::0001")
    entry = audit.record(request, "download", "a.pdf")
    again = AuditRecord.objects.get(pk=entry.pk)
    assert again.ip_address == "2001:db8::1" and again.compute_hash() == again.hash


def test_a_record_written_inside_a_transaction_that_rolls_back_leaves_no_gap():
    from django.db import transaction

    first = _write(1)[0]
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(None, "export", "rolled-back.xlsx")
        raise RuntimeError
    after = _write(1)[0]
    assert after.prev_hash == first.hash and verify_chain().ok


def test_the_first_record_after_an_archived_segment_links_to_its_last_hash():
    AuditArchive.objects.create(first_id=1, last_id=2, count=2, first_prev_hash="0" * 64,
                                last_hash="a" * 64, path="/nowhere", sha256="b" * 64)
    entry = audit.record(None, "export", "after-archive.xlsx")
    assert entry.prev_hash == "a" * 64
    assert entry.hash == AuditRecord.objects.get(pk=entry.pk).compute_hash()


def test_writing_a_record_is_one_round_trip_on_postgresql(django_assert_max_num_queries):
    _write(1)
    expected = 1 if connection.vendor == "postgresql" else 4  # SQLite: BEGIN, head, insert, COMMIT
    with django_assert_max_num_queries(expected):
        audit.record(None, "export", "one.xlsx")


def test_verify_command_passes_on_an_intact_log():
    _write(4)
    out = StringIO()
    call_command("verify_audit_log", stdout=out)
    assert "intact" in out.getvalue()
    assert str(AuditRecord.objects.count()) in out.getvalue()


def test_a_row_changed_in_the_database_is_reported_as_the_first_broken_link():
    rows = _write(5)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET actor_name = %s "  # noqa: S608
                       "WHERE id = %s", ["mallory", rows[2].pk])
    report = verify_chain()
    assert (report.broken_id, report.reason) == (rows[2].pk, "content")
    with pytest.raises(CommandError, match=f"broken at record {rows[2].pk}"):
        call_command("verify_audit_log")


def test_a_tampered_detail_is_detected_too():
    rows = _write(3)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET detail = %s WHERE id = %s",  # noqa: S608
                       [json.dumps({"rows": 999}), rows[0].pk])
    assert verify_chain().broken_id == rows[0].pk


def test_a_deleted_row_breaks_the_next_link():
    rows = _write(4)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s",  # noqa: S608
                       [rows[1].pk])
    report = verify_chain()
    assert (report.broken_id, report.reason) == (rows[2].pk, "link")


def test_the_application_cannot_edit_or_delete_records():
    entry = _write(1)[0]
    entry.actor_name = "mallory"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.filter(pk=entry.pk).update(actor_name="x")
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.all().delete()
    assert AuditRecord.objects.get(pk=entry.pk).actor_name == ""


def test_archive_moves_old_records_to_a_file_and_the_chain_still_verifies(settings,
                                                                          tmp_path):
    settings.SECURITY = {**settings.SECURITY, "AUDIT_ARCHIVE_ROOT": tmp_path,
                         "AUDIT_ONLINE_DAYS": 180}
    with time_machine.travel(timezone.now() - timedelta(days=200)):
        old = _write(3)
    recent = _write(2)
    assert verify_chain().ok

    assert archive_old_records() == 3
    archive = AuditArchive.objects.get()
    assert (archive.first_id, archive.last_id, archive.count) == (old[0].pk, old[-1].pk, 3)
    assert not AuditRecord.objects.filter(pk__in=[r.pk for r in old]).exists()
    raw = gzip.open(archive.path, "rb").read()
    assert hashlib.sha256(raw).hexdigest() == archive.sha256
    lines = [json.loads(line) for line in raw.decode().splitlines()]
    assert [line["id"] for line in lines] == [r.pk for r in old]
    assert lines[-1]["hash"] == archive.last_hash
    assert AuditRecord.objects.filter(pk=recent[0].pk).get().prev_hash == archive.last_hash
    assert verify_chain().ok
    # the archiving itself is audited, and running again archives nothing
    assert AuditRecord.objects.filter(action=AuditAction.ARCHIVE).exists()
    assert archive_old_records() == 0


def test_recent_records_are_never_archived(settings, tmp_path):
    settings.SECURITY = {**settings.SECURITY, "AUDIT_ARCHIVE_ROOT": tmp_path,
                         "AUDIT_ONLINE_DAYS": 1}  # below the legal floor: 180 applies
    _write(3)
    assert archive_old_records() == 0
    assert AuditRecord.objects.count() == 3


def test_the_archive_job_is_on_the_beat_schedule():
    from servicedesk.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "audit.tasks.archive_audit_records_task" in tasks


# ------------------------------------------------------------------ what is recorded


def _actions():
    return list(AuditRecord.objects.order_by("id").values_list("action", "actor_name",
                                                               "result"))


def test_login_failure_success_and_logout_are_recorded_with_the_address(client):
    UserFactory(username="wangfang")
    client.post(reverse("login"), {"username": "wangfang", "password": "wrong"},
                REMOTE_ADDR="10.1.2.3")
    client.post(reverse("login"), {"username": "wangfang", "password": "Secret-pass-123"},
                REMOTE_ADDR="10.1.2.3")
    client.post(reverse("logout"), REMOTE_ADDR="10.1.2.3")
    rows = AuditRecord.objects.filter(action__in=["login", "login_failed", "logout"]
                                      ).order_by("id")
    assert [(r.action, r.result) for r in rows] == [
        ("login_failed", "failure"), ("login", "success"), ("logout", "success")]
    assert rows[0].object_repr == "wangfang" and rows[0].actor_name == ""
    assert rows[1].actor_name == "wangfang"
    assert {r.ip_address for r in rows} == {"10.1.2.3"}
    assert "password" not in json.dumps([r.detail for r in rows])


def test_lockout_is_recorded(client):
    UserFactory(username="wangfang")
    for _ in range(5):
        client.post(reverse("login"), {"username": "wangfang", "password": "wrong"})
    assert AuditRecord.objects.filter(action="lockout", object_repr="wangfang",
                                      result="denied").exists()


def test_role_grants_and_withdrawals_are_recorded():
    user = UserFactory(username="lihua")
    group = Group.objects.get(name="coordinator")
    user.groups.add(group)
    group.user_set.remove(user)
    grant = AuditRecord.objects.get(action="group_grant")
    assert grant.object_repr == "lihua" and grant.detail == {"groups": ["coordinator"]}
    assert AuditRecord.objects.filter(action="group_revoke",
                                      detail__group="coordinator").exists()


def test_user_creation_deactivation_and_password_change_are_recorded():
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("zhaoliu", password="Old-pass-2026")
    user.set_password("New-pass-2026!")
    user.save()
    user.is_active = False
    user.save()
    acts = [a for a, _n, _r in _actions()]
    assert acts.count("user_create") == 1
    assert "password_change" in acts and "user_deactivate" in acts


def test_admin_changes_and_superuser_use_are_recorded(client):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    response = client.post(reverse("admin:auth_group_add"), {"name": "temporary"})
    assert response.status_code == 302
    change = AuditRecord.objects.get(action="admin_change")
    assert change.actor_name == "root" and change.object_repr == "temporary"
    assert change.detail["kind"] == "add"
    assert AuditRecord.objects.filter(action="superuser_request", actor_name="root",
                                      object_repr="/admin/auth/group/add/").exists()
    login = AuditRecord.objects.get(action="login", actor_name="root")
    assert login.detail == {"superuser": True}


def test_ledger_export_is_recorded(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("approvals:ledger-export"))
    assert response.status_code == 200
    export = AuditRecord.objects.get(action="export")
    assert export.actor_name == "coordinator"
    assert export.object_repr.startswith("ledger-")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite serialises every write transaction anyway")
def test_concurrent_writers_keep_one_unbroken_chain():
    """The advisory lock orders writers: four threads writing at once still
    leave each record linked to the one before it."""
    import threading

    from django.db import connections

    def work(n):
        try:
            for i in range(25):
                audit.record(None, "export", f"thread{n}-{i}.xlsx")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = verify_chain()
    assert report.ok and report.checked == AuditRecord.objects.count() >= 100
