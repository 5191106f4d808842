"""Reads for the public front: search over guides and checklists."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from wagtail.models import Page

from .models import ChecklistPage, PolicyGuidePage
from .search import query_terms

# the search backend answers with at most this many ids per page type
MAX_HITS = 200


@dataclass(frozen=True)
class SearchFilters:
    topic: str = ""
    industry: str = ""


def guides_searchable() -> QuerySet[PolicyGuidePage]:
    """Published, public guides still in force and not taken down by expiry."""
    now = timezone.now()
    return (
        PolicyGuidePage.objects.live().public()
        .exclude(expires_on__lt=timezone.localdate())
        .exclude(expire_at__lte=now)
    )


def checklists_searchable() -> QuerySet[ChecklistPage]:
    return ChecklistPage.objects.live().public().exclude(expire_at__lte=timezone.now())


def pages_for_category(category_id: int | None) -> dict[str, list]:
    """Guides in force and checklists linked to an obstacle category or to its
    parent, for the obstacle forms ("the policy that may already answer this")."""
    from approvals.models import ObstacleCategory

    category = ObstacleCategory.objects.filter(pk=category_id).first()
    if category is None:
        return {"guides": [], "checklists": []}
    ids = [category.pk] + ([category.parent_id] if category.parent_id else [])
    return {
        "guides": list(guides_searchable().filter(categories__in=ids).distinct()
                       .order_by("title")[:5]),
        "checklists": list(checklists_searchable().filter(categories__in=ids).distinct()
                           .order_by("title")[:5]),
    }


def pages_citable(category_id: int | None = None) -> QuerySet[Page]:
    """Guides in force and published checklists a resolution may cite ("policy
    explained"), as plain ``Page`` rows (title and URL are all a citation needs).
    Pages linked to ``category_id`` or its parent come first (``is_related``)."""
    from approvals.models import ObstacleCategory

    qs = Page.objects.filter(
        Q(pk__in=guides_searchable().values("pk"))
        | Q(pk__in=checklists_searchable().values("pk"))
    )
    category = (ObstacleCategory.objects.filter(pk=category_id).first()
                if category_id else None)
    if category is None:
        return qs.annotate(is_related=Value(0, output_field=IntegerField())).order_by(
            "title", "pk")
    ids = [category.pk] + ([category.parent_id] if category.parent_id else [])
    related = (Q(pk__in=guides_searchable().filter(categories__in=ids).values("pk"))
               | Q(pk__in=checklists_searchable().filter(categories__in=ids).values("pk")))
    return qs.annotate(
        is_related=Case(When(related, then=Value(1)), default=Value(0),
                        output_field=IntegerField())
    ).order_by("-is_related", "title", "pk")


def cited_pages_prefetch() -> Prefetch:
    """A task's cited pages that are still published (a page withdrawn since is
    no longer linked), for the staff task page and the firm portal."""
    return Prefetch("cited_pages", queryset=Page.objects.live().public().order_by("title"))


def _matching_ids(model, query: str) -> set[int]:
    """Ids of ``model`` pages the query matches: the segmented words through
    Wagtail's index (every word must occur), and the raw query as a substring
    of the title or summary, which catches words jieba splits differently."""
    ids = set(
        model.objects.filter(Q(title__icontains=query) | Q(summary__icontains=query))
        .values_list("pk", flat=True)[:MAX_HITS]
    )
    terms = query_terms(query)
    if terms:
        hits = model.objects.live().search(" ".join(terms), operator="and")
        ids.update(page.pk for page in hits[:MAX_HITS])
    return ids


def _ranked(qs: QuerySet, query: str, filters: SearchFilters) -> QuerySet:
    if filters.topic:
        qs = qs.filter(topics__code=filters.topic)
    if filters.industry:
        # a page with no industries applies to every industry
        qs = qs.filter(Q(industries__code=filters.industry) | Q(industries__isnull=True))
    if query:
        qs = qs.filter(pk__in=_matching_ids(qs.model, query)).annotate(
            in_title=Case(When(title__icontains=query, then=Value(1)), default=Value(0),
                          output_field=IntegerField()))
    else:
        qs = qs.annotate(in_title=Value(0, output_field=IntegerField()))
    return qs.distinct().order_by("-in_title", "title")


def pages_search(query: str, filters: SearchFilters | None = None) -> list:
    """Guides and checklists matching ``query`` (Chinese or not), title matches
    first, then guides before checklists, then by title."""
    filters = filters or SearchFilters()
    query = (query or "").strip()[:100]
    if not query and not filters.topic and not filters.industry:
        return []
    guides = list(_ranked(guides_searchable(), query, filters)[:MAX_HITS])
    checklists = list(_ranked(checklists_searchable(), query, filters)[:MAX_HITS])
    title_hits = [p for p in guides + checklists if p.in_title]
    others = [p for p in guides + checklists if not p.in_title]
    return title_hits + others
