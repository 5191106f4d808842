"""Writes of the visit log: save a draft, submit, correct, always atomically."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals import services as loop
from approvals.choices import Channel
from approvals.models import ObstacleCategory
from enterprises.models import Enterprise

from . import permissions
from .choices import VisitStatus
from .models import (
    FirmLastVisit,
    QuotaCredit,
    Visit,
    VisitAttachment,
    VisitChange,
    week_start_of,
)

# fields a visitor (or a correcting coordinator) may change
EDITABLE = [
    "enterprise", "visited_at", "mode", "purpose", "notes", "operating_status",
    "orders_trend", "headcount_trend", "investment_plans", "policies_explained",
    "latitude", "longitude",
]


class InvalidVisit(ValidationError):
    """The visit cannot be saved as asked; the message says why."""


def _check_time(visited_at: datetime) -> None:
    # a few minutes of clock skew between phone and server are forgiven
    if visited_at > timezone.now() + timedelta(minutes=10):
        raise InvalidVisit(_("A visit cannot be in the future."))


def _credit(visit: Visit) -> None:
    """(Re)write the quota credits of a submitted visit: lead and companions,
    each once, for the visit's firm and week."""
    QuotaCredit.objects.filter(visit=visit).delete()
    if visit.status != VisitStatus.SUBMITTED:
        return
    people = {visit.lead_visitor_id, *visit.companions.values_list("pk", flat=True)}
    QuotaCredit.objects.bulk_create(
        QuotaCredit(visit=visit, user_id=pk, enterprise_id=visit.enterprise_id,
                    week_start=visit.week_start)
        for pk in people
    )


def refresh_last_visits(enterprise_ids: Iterable[int]) -> None:
    """Recompute ``FirmLastVisit`` of these firms from their submitted visits
    (one index probe each): after a submit, and after a correction that moved a
    visit in time or to another firm."""
    ids = set(enterprise_ids)
    if not ids:
        return
    # Two visits to one firm submitted at once: each would compute the maximum
    # without the other's visit, and the later write could keep the earlier
    # time. Refreshes of a firm take turns on its row (NO KEY: visits and
    # obstacles referencing the firm are not held up); each then reads what
    # the one before committed.
    list(Enterprise.objects.select_for_update(no_key=True).filter(pk__in=ids)
         .order_by("pk").values_list("pk", flat=True))
    last = dict(Visit.objects.filter(enterprise__in=ids, status=VisitStatus.SUBMITTED)
                .values("enterprise").order_by().annotate(at=Max("visited_at"))
                .values_list("enterprise", "at"))
    FirmLastVisit.objects.filter(enterprise__in=ids - last.keys()).delete()
    FirmLastVisit.objects.bulk_create(
        [FirmLastVisit(enterprise_id=pk, visited_at=at) for pk, at in last.items()],
        update_conflicts=True, unique_fields=["enterprise"], update_fields=["visited_at"])


def _take_in_obstacles(visit: Visit, actor) -> None:
    categories = ObstacleCategory.objects.in_bulk(
        [o["category"] for o in visit.pending_obstacles])
    for item in visit.pending_obstacles:
        loop.obstacle_submit(
            actor=actor, enterprise=visit.enterprise, category=categories[item["category"]],
            title=item["title"], description=item["description"],
            urgency=item.get("urgency", "normal"), channel=Channel.VISIT,
            received_by=visit.lead_visitor, received_at=visit.visited_at, visit=visit,
        )
    visit.pending_obstacles = []


def _attach(visit: Visit, files: Iterable, actor) -> None:
    for upload in files:
        attachment = VisitAttachment(
            visit=visit, token=secrets.token_hex(16), original_name=upload.name[:200],
            content_type=getattr(upload, "content_type", "application/octet-stream"),
            size=upload.size, uploaded_by=actor,
        )
        attachment.file.save(attachment.token, upload, save=False)
        attachment.save()


@transaction.atomic
def visit_save(
    *,
    actor,
    data: dict,
    companions: Sequence = (),
    obstacles: Sequence[dict] = (),
    files: Iterable = (),
    submit: bool = False,
    visit_id: int | None = None,
    reason: str = "",
) -> Visit:
    """Create or change a visit; with ``submit`` it is submitted: its obstacles
    enter the closed loop (channel "visit", the lead visitor as first-contact
    person) and its participants are credited for the week's quota.

    A visitor edits within the edit window; after it, or on someone else's
    visit, only a coordinator may change it and the change is recorded with a
    reason. A submitted visit stays submitted."""
    if visit_id is None:
        permissions.require_visit(actor, "create")
        visit = Visit(lead_visitor=actor)
        before = None
    else:
        visit = Visit.objects.select_for_update().get(pk=visit_id)
        permissions.require_visit(actor, "edit", visit)
        before = {f: getattr(visit, f) for f in EDITABLE}
        before["companions"] = sorted(visit.companions.values_list("pk", flat=True))
    correction = visit.pk is not None and permissions.is_correction(actor, visit)
    if correction and not reason.strip():
        raise InvalidVisit(_("Say why you correct this visit."))
    _check_time(data["visited_at"])
    for field in EDITABLE:
        if field in data:
            setattr(visit, field, data[field])
    visit.week_start = week_start_of(timezone.localdate(visit.visited_at))
    if obstacles:
        if visit.status == VisitStatus.SUBMITTED:
            # obstacles of a submitted visit go straight into the loop
            visit.pending_obstacles = list(obstacles)
        else:
            visit.pending_obstacles = [*visit.pending_obstacles, *obstacles]
    if submit and visit.status == VisitStatus.DRAFT:
        visit.status, visit.submitted_at = VisitStatus.SUBMITTED, timezone.now()
    visit.save()
    visit.companions.set([c for c in companions if c.pk != visit.lead_visitor_id])
    if visit.status == VisitStatus.SUBMITTED:
        if visit.pending_obstacles:
            _take_in_obstacles(visit, actor)
            visit.save(update_fields=["pending_obstacles", "updated_at"])
        _credit(visit)
        moved_from = before["enterprise"].pk if before and before["enterprise"] else None
        refresh_last_visits({visit.enterprise_id, moved_from} - {None})
    _attach(visit, files, actor)
    if correction:
        after = {f: getattr(visit, f) for f in EDITABLE}
        after["companions"] = sorted(visit.companions.values_list("pk", flat=True))
        changed = {
            k: [str(before[k]), str(after[k])] for k in after if before[k] != after[k]
        }
        VisitChange.objects.create(visit=visit, actor=actor, changes=changed, reason=reason)
    return visit
