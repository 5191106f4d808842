"""The unread badge in the header of every page (one cached count)."""

from django.utils.functional import SimpleLazyObject

from .selectors import unread_count


def unread(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # lazy: pages that do not show the header do not count
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
