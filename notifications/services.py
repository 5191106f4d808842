"""Writes of the notifications app: set-wise fan-out into the delivery log and
the inbox, the per-delivery senders, marking read, preferences.

The fan-out is one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` into the
delivery log (whose unique key is the dedup) and one into the inbox, whatever
the number of rows: the caller's queryset is compiled into the SELECT, so the
database does the work and the query count does not grow with the rows.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone, translation

from approvals.models import Profile

from . import messages, sms
from .choices import Channel, Kind, SendState
from .models import Delivery, JobRun, Notification, NotificationPreference

log = logging.getLogger(__name__)

# Failures worth a retry: the mail server or the SMS gateway is down or busy.
TRANSIENT_ERRORS = (smtplib.SMTPException, OSError, sms.SmsError)

# Columns every fan-out queryset annotates (all annotations, so their SQL
# aliases are fixed whatever the model).
ROW_COLUMNS = ("n_object", "n_level", "n_occasion", "n_recipient", "n_data")

UNREAD_GENERATION = "notifications:generation"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _bump_unread() -> None:
    """New inbox rows for possibly many users: move every cached badge on."""
    try:
        cache.incr(UNREAD_GENERATION)
    except ValueError:
        cache.set(UNREAD_GENERATION, 2, None)


def _notify_inbox(run: JobRun, kind: str) -> int:
    """Inbox rows for this run's new deliveries of ``kind`` (in-app preference on)."""
    n, d, p = (_q(Notification._meta.db_table), _q(Delivery._meta.db_table),
               _q(NotificationPreference._meta.db_table))
    # table names from _meta, values as parameters
    sql = (
        f"INSERT INTO {n} (recipient_id, delivery_id, kind, data, created_at) "  # noqa: S608
        f"SELECT d.recipient_id, d.id, d.kind, d.data, d.created_at FROM {d} d "
        f"LEFT JOIN {p} p ON p.user_id = d.recipient_id "
        f"WHERE d.job_run_id = %s AND d.kind = %s AND COALESCE(p.in_app, %s) "
        f"ON CONFLICT (delivery_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [run.pk, kind, True])
        created = cursor.rowcount
    if created:
        transaction.on_commit(_bump_unread)
    return max(created, 0)


def fan_out(*, run: JobRun, kind: str, rows: QuerySet, recipients: QuerySet | None = None) -> int:
    """Record one notice of ``kind`` per row (and per recipient) not already
    recorded; returns how many were new.

    ``rows`` is annotated with ``n_object``, ``n_level``, ``n_occasion``,
    ``n_data`` and, unless ``recipients`` (a user queryset crossed with every
    row, e.g. all leaders) is given, ``n_recipient``. Channels are decided in
    the same statement from the recipient's preferences and addresses:
    e-mail when wanted and the user has an address, SMS when wanted and the
    profile has a mobile. Inactive users get nothing.
    """
    columns = ROW_COLUMNS if recipients is None else tuple(
        c for c in ROW_COLUMNS if c != "n_recipient")
    rows_sql, rows_params = rows.order_by().values(*columns).query.sql_with_params()
    # in the order of the placeholders: SELECT list, then the FROM's subqueries
    params: list = [kind, run.pk, timezone.now(), True, False]
    params += list(rows_params)
    source = f"({rows_sql}) r"
    recipient_col = "r.n_recipient"
    if recipients is not None:
        rec_sql, rec_params = (recipients.order_by().annotate(n_user=F("pk")).values("n_user")
                               .distinct().query.sql_with_params())
        source += f" CROSS JOIN ({rec_sql}) rc"
        params += list(rec_params)
        recipient_col = "rc.n_user"
    User = get_user_model()
    d, u, p, pr = (_q(Delivery._meta.db_table), _q(User._meta.db_table),
                   _q(NotificationPreference._meta.db_table), _q(Profile._meta.db_table))
    pending, skipped = SendState.PENDING.value, SendState.SKIPPED.value
    # names from _meta, the rows' SQL compiled by the ORM, values as parameters
    sql = (
        f"INSERT INTO {d} (kind, object_id, level, occasion_on, recipient_id, data, "  # noqa: S608
        f"job_run_id, created_at, email_state, sms_state) "
        f"SELECT %s, r.n_object, r.n_level, r.n_occasion, u.id, r.n_data, %s, %s, "
        f"CASE WHEN COALESCE(p.email, %s) AND u.email <> '' THEN '{pending}' "
        f"ELSE '{skipped}' END, "
        f"CASE WHEN COALESCE(p.sms, %s) AND pr.mobile IS NOT NULL AND pr.mobile <> '' "
        f"THEN '{pending}' ELSE '{skipped}' END "
        f"FROM {source} "
        f"INNER JOIN {u} u ON u.id = {recipient_col} "
        f"LEFT JOIN {p} p ON p.user_id = u.id "
        f"LEFT JOIN {pr} pr ON pr.user_id = u.id "
        f"WHERE u.is_active "
        f"ON CONFLICT (kind, object_id, level, occasion_on, recipient_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        created = max(cursor.rowcount, 0)
    if created:
        _notify_inbox(run, kind)
    return created


def fan_out_rows(
    *, run: JobRun, kind: str, rows: Iterable[tuple[int, int, date, int, dict]]
) -> int:
    """The same for rows computed in Python (a report's few hundred people):
    one ``bulk_create(ignore_conflicts=True)`` into the log, then the inbox
    insert. ``rows`` are ``(object_id, level, occasion_on, recipient_id, data)``."""
    rows = list(rows)
    if not rows:
        return 0
    User = get_user_model()
    people = {
        u["pk"]: u
        for u in User.objects.filter(pk__in={r[3] for r in rows}, is_active=True).values(
            "pk", "email", "profile__mobile", "notification_preference__email",
            "notification_preference__sms")
    }
    now = timezone.now()
    objs = []
    for object_id, level, occasion_on, recipient_id, data in rows:
        person = people.get(recipient_id)
        if person is None:
            continue
        wants_email = person["notification_preference__email"] is not False
        wants_sms = bool(person["notification_preference__sms"])
        objs.append(Delivery(
            kind=kind, object_id=object_id, level=level, occasion_on=occasion_on,
            recipient_id=recipient_id, data=data, job_run=run, created_at=now,
            email_state=SendState.PENDING if wants_email and person["email"] else SendState.SKIPPED,
            sms_state=SendState.PENDING if wants_sms and person["profile__mobile"] else SendState.SKIPPED,
        ))
    Delivery.objects.bulk_create(objs, ignore_conflicts=True, batch_size=1000)
    return _notify_inbox(run, kind) if objs else 0


# ------------------------------------------------------------------ sending


def _language(delivery: Delivery) -> str:
    try:
        return delivery.recipient.notification_preference.language
    except NotificationPreference.DoesNotExist:
        return settings.LANGUAGE_CODE


def _is_firm_user(user) -> bool:
    return user.firm_memberships.exists()


def _compose(delivery: Delivery) -> tuple[str, str]:
    """Subject and body in the recipient's language, with an absolute link."""
    data = delivery.data or {}
    extra = {}
    if delivery.kind == Kind.WEEKLY_REPORT:
        from visits.models import ServiceTeam
        from visits.selectors import weekly_report

        team = ServiceTeam.objects.filter(pk=delivery.object_id).first()
        extra["rows"] = weekly_report(date.fromisoformat(data["week"]), team=team)
    with translation.override(_language(delivery)):
        url = messages.absolute(messages.link(delivery.kind, data,
                                              firm=_is_firm_user(delivery.recipient)))
        return (messages.subject(delivery.kind, data),
                messages.body(delivery.kind, data, extra=extra, url=url))


def _deliver(delivery: Delivery, channel: str) -> None:
    subject, text = _compose(delivery)
    if channel == Channel.EMAIL:
        EmailMessage(
            subject, text, settings.DEFAULT_FROM_EMAIL, [delivery.recipient.email],
            headers={"X-Desk-Delivery": str(delivery.pk)},
        ).send()
    else:
        sms.get_backend().send(delivery.recipient.profile.mobile, f"{subject} {text}"[:300])


def send_delivery(*, delivery_id: int, channel: str, final: bool = False) -> bool:
    """Send one delivery on one channel, once.

    The row is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` and its state
    re-checked, so a redelivered or duplicated message finds it sent (or being
    sent) and does nothing. On a transient failure the error is recorded on the
    row (and, when this was the last attempt, on the job run as an error and
    the state becomes ``failed``), the transaction commits, and the exception
    is raised again for Celery's retry with backoff. Returns True when sent.

    The one window left: a worker killed after the mail server accepted the
    message but before this commit sends it again on redelivery (at least once,
    as any SMTP client).
    """
    state_field = f"{channel}_state"
    error: BaseException | None = None
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient", "recipient__profile")
            .filter(pk=delivery_id, **{state_field: SendState.PENDING}).first()
        )
        if delivery is None:
            return False
        now = timezone.now()
        try:
            _deliver(delivery, channel)
        except TRANSIENT_ERRORS as exc:
            error = exc
        attempts = getattr(delivery, f"{channel}_attempts") + 1
        setattr(delivery, f"{channel}_attempts", attempts)
        if error is None:
            setattr(delivery, state_field, SendState.SENT)
            setattr(delivery, f"{channel}_sent_at", now)
            setattr(delivery, f"{channel}_error", "")
        else:
            setattr(delivery, f"{channel}_error", f"{type(error).__name__}: {error}"[:1000])
            if final:
                setattr(delivery, state_field, SendState.FAILED)
                JobRun.objects.filter(pk=delivery.job_run_id).update(
                    errors=F("errors") + 1,
                    error_text=f"{channel} #{delivery.pk}: {type(error).__name__}: {error}"[:1000])
        delivery.save(update_fields=[state_field, f"{channel}_attempts", f"{channel}_error",
                                     f"{channel}_sent_at"])
    if error is not None:
        log.warning("delivery %s by %s failed (attempt %s): %s", delivery_id, channel,
                    attempts, error)
        raise error
    return True


def pending_ids(channel: str, *, run_id: int | None = None, older_than=None) -> list[int]:
    """Deliveries still waiting on ``channel``: those of one run (dispatch after
    its commit) or all older than a moment (the sweeper)."""
    qs = Delivery.objects.filter(**{f"{channel}_state": SendState.PENDING})
    if run_id is not None:
        qs = qs.filter(job_run_id=run_id)
    if older_than is not None:
        qs = qs.filter(created_at__lt=older_than)
    return list(qs.order_by("pk").values_list("pk", flat=True)[:10000])


# ------------------------------------------------------------------ the inbox


def notification_mark_read(*, user, notification_id: int) -> int:
    """Mark one of the user's notifications read (someone else's: nothing)."""
    n = Notification.objects.filter(pk=notification_id, recipient=user,
                                    read_at__isnull=True).update(read_at=timezone.now())
    cache.delete(unread_key(user.pk))
    return n


def notification_mark_all_read(*, user) -> int:
    n = Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now())
    cache.delete(unread_key(user.pk))
    return n


def unread_key(user_id: int) -> str:
    generation = cache.get_or_set(UNREAD_GENERATION, 1, None)
    return f"notifications:unread:{generation}:{user_id}"


def preference_update(*, user, in_app: bool, email: bool, sms: bool,
                      language: str) -> NotificationPreference:
    pref, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"in_app": in_app, "email": email, "sms": sms,
                             "language": language})
    return pref
