"""The firm portal (/portal/): a firm member submits and follows its own
obstacles, rates or disputes a resolution, and its administrator manages
colleagues. Thin views: reads through ``approvals.selectors_portal`` (scoped by
django-guardian grants in SQL, so another firm's row is a 404), writes through
one service each. Staff and CMS editors hold no grant: 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guardian.core import ObjectPermissionChecker

from approvals import selectors_portal as selectors
from approvals import services as task_services
from approvals.choices import TaskState
from approvals.downloads import private_file_response
from approvals.models import Task
from cms.selectors import cited_pages_prefetch
from letters import selectors as letter_selectors
from letters.models import Letter
from letters.views import pdf_response

from . import forms, services, throttles
from .models import Enterprise

PAGE_SIZE = 20


def _portal(request, perm: str | None = None) -> tuple[Enterprise, frozenset[str]]:
    """The current enterprise and the user's grants on it; 403 without a grant."""
    enterprise = selectors.current_enterprise(request)
    if enterprise is None:
        raise PermissionDenied
    granted = frozenset(ObjectPermissionChecker(request.user).get_perms(enterprise))
    if perm and perm not in granted:
        raise PermissionDenied
    return enterprise, granted


def _context(request, enterprise, granted, **extra):
    return {"enterprise": enterprise, "granted": granted,
            "statuses": selectors.PLAIN_STATUS, **extra}


@login_required
def portal_home(request):
    enterprise, granted = _portal(request)
    return render(request, "portal/portal_home.html", _context(
        request, enterprise, granted,
        enterprises=list(selectors.portal_enterprises(request.user)),
        rows=list(selectors.portal_tasks(enterprise)[:5]),
        waiting=selectors.portal_tasks(enterprise).filter(state=TaskState.RESOLVED).count(),
    ))


@login_required
@require_POST
def enterprise_switch_view(request, pk: int):
    enterprise = get_object_or_404(selectors.portal_enterprises(request.user), pk=pk)
    request.session[selectors.SESSION_KEY] = enterprise.pk
    messages.success(request, _("You are now working for %(name)s.") % {"name": enterprise.name})
    return redirect("portal:home")


@login_required
def obstacle_list(request):
    enterprise, granted = _portal(request)
    page = Paginator(selectors.portal_tasks(enterprise), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "portal/obstacle_list.html",
                  _context(request, enterprise, granted, page=page))


@login_required
def obstacle_create_view(request):
    enterprise, granted = _portal(request, "submit_obstacle")
    form = forms.PortalObstacleForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            obstacle = services.portal_obstacle_submit(
                actor=request.user, enterprise=enterprise, files=data.pop("files"), **data)
        except (services.AccountError, task_services.InvalidTransition) as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("Obstacle #%(number)s received. We will keep you "
                                        "informed here.") % {"number": obstacle.pk})
            return redirect("portal:obstacle-detail", pk=obstacle.pk)
    return render(request, "portal/obstacle_form.html",
                  _context(request, enterprise, granted, form=form),
                  status=400 if form.errors else 200)


def _get_task(request, pk: int) -> tuple[Enterprise, frozenset[str], Task]:
    enterprise, granted = _portal(request)
    try:
        return enterprise, granted, selectors.portal_task(enterprise, pk)
    except Task.DoesNotExist:
        raise Http404(_("No such obstacle.")) from None


def _detail(request, enterprise, granted, task, *, rating_form=None, dispute_form=None,
            status=200):
    can_rate = "rate" in granted
    prefetch_related_objects([task], cited_pages_prefetch())
    return render(request, "portal/obstacle_detail.html", _context(
        request, enterprise, granted, task=task, obstacle=task.obstacle,
        rating_form=(rating_form or forms.RatingForm())
        if can_rate and task.state == TaskState.RESOLVED else None,
        dispute_form=(dispute_form or forms.DisputeForm())
        if can_rate and task.state in (TaskState.RESOLVED, TaskState.CLOSING) else None,
    ), status=status)


@login_required
def obstacle_detail(request, pk: int):
    enterprise, granted, task = _get_task(request, pk)
    return _detail(request, enterprise, granted, task)


@login_required
@require_POST
def obstacle_rate_view(request, pk: int):
    """The firm's own rating is the callback (回访): 2 or less reopens the task."""
    enterprise, granted, task = _get_task(request, pk)
    if "rate" not in granted:
        raise PermissionDenied
    form = forms.RatingForm(request.POST)
    if form.is_valid():
        try:
            task_services.task_callback(
                task_id=task.pk, actor=request.user, is_reached=True,
                rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"],
                by_firm=True)
        except task_services.InvalidTransition as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("Thank you: your rating is recorded."))
            return redirect("portal:obstacle-detail", pk=pk)
    task = selectors.portal_task(enterprise, pk)
    return _detail(request, enterprise, granted, task, rating_form=form, status=400)


@login_required
@require_POST
def obstacle_dispute_view(request, pk: int):
    """The firm says the obstacle is not solved: it reopens for rectification."""
    enterprise, granted, task = _get_task(request, pk)
    if "rate" not in granted:
        raise PermissionDenied
    form = forms.DisputeForm(request.POST)
    if form.is_valid():
        try:
            task_services.task_dispute(task_id=task.pk, actor=request.user,
                                       reason=form.cleaned_data["reason"])
        except task_services.InvalidTransition as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("The obstacle is reopened; the department has "
                                        "a new deadline."))
            return redirect("portal:obstacle-detail", pk=pk)
    task = selectors.portal_task(enterprise, pk)
    return _detail(request, enterprise, granted, task, dispute_form=form, status=400)


@login_required
def attachment_download(request, pk: int):
    """A file of the user's own obstacles, as a download, never inline."""
    attachment = get_object_or_404(selectors.portal_attachments(request.user), pk=pk)
    return private_file_response(attachment)


@login_required
def letter_list(request):
    """The status letters the office sent the current enterprise."""
    enterprise, granted = _portal(request)
    page = Paginator(letter_selectors.letters_of_enterprise(enterprise), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "portal/letter_list.html",
                  _context(request, enterprise, granted, page=page))


@login_required
def letter_download(request, pk: int):
    """A letter of one of the user's enterprises; any other letter is a 404."""
    letter = get_object_or_404(
        Letter.objects.filter(enterprise__in=selectors.portal_enterprises(request.user)), pk=pk)
    return pdf_response(letter, letter.download_name)


# ------------------------------------------------------------------ colleagues


@login_required
def member_list(request):
    """The firm's administrator: colleagues, open invitations, invite someone."""
    enterprise, granted = _portal(request, "manage_members")
    form = forms.InvitationForm(request.POST or None)
    link = None
    if request.method == "POST" and form.is_valid():
        try:
            _invitation, token = services.invitation_create(
                actor=request.user, enterprise=enterprise, **form.cleaned_data)
        except services.AccountError as e:
            form.add_error(None, e)
        else:
            link = services.invitation_link(token)
            form = forms.InvitationForm()
    return render(request, "portal/member_list.html", _context(
        request, enterprise, granted, form=form, link=link,
        members=list(selectors.portal_members(enterprise)),
        invitations=list(selectors.portal_open_invitations(enterprise)),
        now=timezone.now(),
    ), status=400 if form.errors else 200)


@login_required
@require_POST
def member_remove_view(request, pk: int):
    enterprise, _granted = _portal(request, "manage_members")
    membership = get_object_or_404(selectors.portal_members(enterprise), pk=pk)
    try:
        services.membership_remove(membership_id=membership.pk, actor=request.user)
    except services.AccountError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("%(name)s no longer has access.") % {
            "name": membership.user.get_username()})
    return redirect("portal:member-list")


@login_required
@require_POST
def invitation_revoke_view(request, pk: int):
    enterprise, _granted = _portal(request, "manage_members")
    invitation = get_object_or_404(selectors.portal_open_invitations(enterprise), pk=pk)
    services.invitation_revoke(invitation_id=invitation.pk, actor=request.user)
    messages.success(request, _("The invitation is withdrawn."))
    return redirect("portal:member-list")


# ------------------------------------------------------------------ joining


def invitation_accept(request, token: str):
    """The one-time link: set a username and password (or, logged in already as
    a firm user, join this enterprise too)."""
    invitation = services.invitation_for_token(token)
    usable = invitation is not None and invitation.is_usable(timezone.now())
    form = forms.InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and usable:
        try:
            if request.user.is_authenticated and "join" in request.POST:
                services.invitation_accept_as(token=token, user=request.user)
                user = request.user
            elif form.is_valid():
                user = services.invitation_accept(
                    token=token, username=form.cleaned_data["username"],
                    password=form.cleaned_data["password1"])
                login(request, user, backend="approvals.auth.UsernameOrMobileBackend")
            else:
                user = None
        except services.AccountError as e:
            form.add_error(None, e)
        else:
            if user is not None:
                request.session[selectors.SESSION_KEY] = invitation.enterprise_id
                messages.success(request, _("Welcome. You can now follow %(name)s's "
                                            "obstacles here.") % {"name": invitation.enterprise.name})
                return redirect("portal:home")
    if invitation is None:
        state, status = "unknown", 404
    elif invitation.accepted_at is not None:
        state, status = "used", 410
    elif not usable:
        state, status = "expired", 410
    else:
        state, status = "ok", 400 if form.errors else 200
    return render(request, "portal/invitation_accept.html", {
        "invitation": invitation if usable else None, "form": form, "state": state,
    }, status=status)


def account_request_view(request):
    """A firm without an account asks for one; the liaison approves. Anyone may
    post here, so attempts are throttled per address and per credit code (429)."""
    form = forms.AccountRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        refusal = throttles.account_request_hit(request, form.cleaned_data["credit_code"])
        if refusal is not None:
            form.add_error(None, refusal.message)
            return render(request, "portal/account_request.html", {"form": form},
                          status=429)
        try:
            services.account_request_submit(**form.cleaned_data)
        except services.AccountError as e:
            form.add_error(None, e)
        else:
            return render(request, "portal/account_request.html", {"done": True})
    return render(request, "portal/account_request.html", {"form": form},
                  status=400 if form.errors else 200)
