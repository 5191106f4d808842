"""Writes from the public front: feedback and view counts. Neither stores
anything about the reader."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from wagtail.models import Page

from .models import PageFeedback, PageViewCount


def feedback_create(*, page: Page, is_helpful: bool, comment: str = "") -> PageFeedback:
    """Record one "was this helpful?" answer."""
    return PageFeedback.objects.create(page=page, is_helpful=is_helpful,
                                       comment=comment.strip()[:1000])


def page_view_record(*, page: Page) -> None:
    """Add one view to today's count for the page: an UPDATE with F() so
    concurrent requests do not lose counts; the first view of a day inserts."""
    today = timezone.localdate()
    if PageViewCount.objects.filter(page=page, viewed_on=today).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            PageViewCount.objects.create(page=page, viewed_on=today, count=1)
    except IntegrityError:
        # another request inserted today's row first
        PageViewCount.objects.filter(page=page, viewed_on=today).update(
            count=F("count") + 1)
