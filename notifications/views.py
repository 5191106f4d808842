"""The inbox (every signed-in user: staff and firm users alike) and the
channel preferences. A user only ever reaches their own notifications: another
user's id is a 404, like a missing one."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import PreferenceForm
from .models import NotificationPreference


def _is_firm(user) -> bool:
    return user.firm_memberships.exists()


@login_required
def inbox(request):
    qs = selectors.inbox(request.user)
    if request.GET.get("unread") == "1":
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, settings.DESK["PAGE_SIZE"]).get_page(request.GET.get("page"))
    return render(request, "notifications/notification_list.html", {
        "page": page, "rows": selectors.rendered(page.object_list, firm=_is_firm(request.user)),
        "only_unread": request.GET.get("unread") == "1",
    })


def _back(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect("notifications:inbox")


@login_required
@require_POST
def notification_read_view(request, pk: int):
    if not services.notification_mark_read(user=request.user, notification_id=pk):
        if not selectors.inbox(request.user).filter(pk=pk).exists():
            raise Http404
    return _back(request)


@login_required
@require_POST
def notification_read_all_view(request):
    n = services.notification_mark_all_read(user=request.user)
    flash.success(request, _("%(n)d notifications marked read.") % {"n": n})
    return _back(request)


@login_required
def preferences(request):
    pref = NotificationPreference.objects.filter(user=request.user).first()
    initial = {"in_app": True, "email": True, "sms": False, "language": settings.LANGUAGE_CODE}
    if pref:
        initial = {"in_app": pref.in_app, "email": pref.email, "sms": pref.sms,
                   "language": pref.language}
    form = PreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.preference_update(user=request.user, **form.cleaned_data)
        flash.success(request, _("Your notification preferences are saved."))
        return redirect("notifications:preferences")
    status = 400 if request.method == "POST" else 200
    return render(request, "notifications/notification_preferences.html",
                  {"form": form}, status=status)
