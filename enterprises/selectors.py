"""Reads of the enterprise registry."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from audit.fields import blind_index

from .models import Contact, Enterprise, Liaison
from .permissions import scope_enterprises


def enterprises_visible_to(user) -> QuerySet[Enterprise]:
    return scope_enterprises(user, Enterprise.objects.all())


def current_liaisons(today=None) -> QuerySet[Liaison]:
    today = today or timezone.localdate()
    return Liaison.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today), starts_on__lte=today
    )


def enterprise_list(user, *, q: str = "", industry=None, street=None, scale: str = "",
                    flag: str = "", liaison=None) -> QuerySet[Enterprise]:
    """The registry list: search by name, partial credit code or contact (name or
    mobile), filtered in SQL, with what a row shows in constant queries."""
    qs = enterprises_visible_to(user)
    if q:
        q = q.strip()
        # The firms matching each way, UNION ALL-ed into one id list: each branch
        # uses the trigram index of its own column (enterprises migration 0005),
        # where an OR (one side an EXISTS) makes PostgreSQL read every firm,
        # twice (the page and its count).
        branches = [
            Enterprise.objects.filter(credit_code__icontains=q.upper()).values("pk"),
            Contact.objects.filter(name__icontains=q).values("enterprise_id"),
        ]
        if any(ch.isdigit() for ch in q):
            # mobiles are encrypted (PIPL): a whole number matches its blind index
            branches.append(Contact.objects.filter(mobile_index=blind_index(q))
                            .values("enterprise_id"))
            # and a legal representative's whole ID number (encrypted too)
            branches.append(Enterprise.objects.filter(
                legal_representative_id_index=blind_index(q)).values("pk"))
        matching = Enterprise.objects.filter(name__icontains=q).values("pk").order_by().union(
            *(b.order_by() for b in branches), all=True,
        )
        qs = qs.filter(pk__in=matching)
    if industry:
        qs = qs.filter(industry=industry)
    if street:
        qs = qs.filter(street=street)
    if scale:
        qs = qs.filter(scale=scale)
    if flag in ("is_above_scale", "is_key_project", "is_specialised"):
        qs = qs.filter(**{flag: True})
    if liaison:
        qs = qs.filter(Exists(current_liaisons().filter(enterprise=OuterRef("pk"),
                                                        staff=liaison)))
    return qs.select_related("industry", "street").order_by("name", "pk")


def enterprise_detail(user, pk: int) -> Enterprise:
    return (
        enterprises_visible_to(user)
        .select_related("industry", "street")
        .prefetch_related(
            "contacts", "licences",
            Prefetch("liaisons", queryset=Liaison.objects.select_related(
                "staff", "staff__profile")),
        )
        .get(pk=pk)
    )


def liaison_usernames() -> list[str]:
    """Usernames of service staff, for the liaison filter's suggestions."""
    from django.contrib.auth import get_user_model

    from approvals.choices import Role

    return list(
        get_user_model().objects.filter(groups__name=Role.SERVICE_STAFF, is_active=True)
        .order_by("username").values_list("username", flat=True)
    )
