"""Pages of the visit log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from approvals.downloads import private_file_response
from enterprises.models import Enterprise

from . import exports, permissions, selectors, services
from .forms import VisitForm, VisitObstacleFormSet, WeekForm
from .models import VisitAttachment, week_start_of


class CountedPaginator(Paginator):
    """A paginator that asks ``count`` for the number of rows instead of
    counting ``object_list`` (whose scope filter no index serves)."""

    def __init__(self, object_list, per_page, *, count):
        super().__init__(object_list, per_page)
        self._count = count

    @cached_property
    def count(self) -> int:
        return self._count()


def _team_id(user):
    profile = getattr(user, "profile", None)
    return profile.team_id if profile else None


@login_required
def my_week(request):
    """Staff home for visits: this week against the quota, my firms by last visit."""
    permissions.require_visit(request.user, "create")
    today = timezone.localdate()
    week = selectors.my_week(request.user, today)
    firms = list(selectors.my_firms(request.user, today)[:200])
    recent = (selectors.visits_visible_to(request.user)
              .filter(lead_visitor=request.user).select_related("enterprise")[:10])
    return render(request, "visits/visit_my_week.html", {
        "week": week, "firms": firms, "recent": recent,
        "never": sum(1 for f in firms if f.last_visit_at is None),
    })


def _visit_form_page(request, visit=None):
    user = request.user
    initial = {"visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "mode": "on_site"}
    if visit is None and request.GET.get("enterprise", "").isdigit():
        enterprise = Enterprise.objects.filter(pk=request.GET["enterprise"]).first()
        if enterprise:
            initial["enterprise"] = enterprise.name
    if visit is not None:
        initial = {f: getattr(visit, f) for f in services.EDITABLE}
        initial["enterprise"] = visit.enterprise.name
        initial["visited_at"] = timezone.localtime(visit.visited_at).strftime("%Y-%m-%dT%H:%M")
        initial["companions"] = list(visit.companions.all())
    data = request.POST if request.method == "POST" else None
    correction = visit is not None and permissions.is_correction(user, visit)
    form = VisitForm(data, request.FILES or None, initial=initial, user=user,
                     team_id=_team_id(visit.lead_visitor if visit else user),
                     correction=correction)
    obstacles = VisitObstacleFormSet(data, prefix="ob")
    if request.method == "POST" and form.is_valid() and obstacles.is_valid():
        d = form.cleaned_data
        try:
            saved = services.visit_save(
                actor=user, visit_id=visit.pk if visit else None,
                data={k: d[k] for k in services.EDITABLE if k in d},
                companions=list(d["companions"]),
                obstacles=[f.as_pending() for f in obstacles if f.has_changed()],
                files=d["files"], submit="submit" in request.POST,
                reason=d.get("reason", ""),
            )
        except services.InvalidVisit as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("Visit submitted.") if saved.is_submitted
                             else _("Draft saved."))
            return redirect(saved)
    my_firms = selectors.my_firms(user).values_list("name", flat=True)[:300]
    return render(request, "visits/visit_form.html", {
        "form": form, "obstacles": obstacles, "visit": visit, "my_firms": my_firms,
        "is_correction": correction,
        "storage_key": f"visit-{visit.pk}" if visit else "visit-new",
    }, status=400 if request.method == "POST" else 200)


@login_required
def visit_create_view(request):
    permissions.require_visit(request.user, "create")
    return _visit_form_page(request)


@login_required
def visit_update_view(request, pk: int):
    visit = get_object_or_404(selectors.visits_visible_to(request.user), pk=pk)
    if not permissions.can_visit(request.user, "edit", visit):
        raise PermissionDenied(_("This visit is locked; ask a coordinator to correct it."))
    return _visit_form_page(request, visit)


@login_required
def visit_detail(request, pk: int):
    visit = get_object_or_404(
        selectors.visits_visible_to(request.user)
        .select_related("enterprise", "lead_visitor__profile")
        .prefetch_related("companions__profile", "attachments", "obstacles__tasks",
                          "changes__actor"),
        pk=pk)
    return render(request, "visits/visit_detail.html", {
        "visit": visit, "can_edit": permissions.can_visit(request.user, "edit", visit),
        "is_locked": permissions.is_locked(visit),
    })


@login_required
def visit_list(request):
    if not permissions.can_visit(request.user, "report_team"):
        raise PermissionDenied
    qs = (selectors.visits_visible_to(request.user)
          .select_related("enterprise", "lead_visitor__profile").order_by("-visited_at", "-pk"))
    page = CountedPaginator(qs, 25, count=lambda: permissions.count_visible(request.user)
                            ).get_page(request.GET.get("page"))
    return render(request, "visits/visit_list.html", {"page": page, "query": ""})


@login_required
def coverage(request):
    if not permissions.can_visit(request.user, "coverage"):
        raise PermissionDenied
    weeks = request.GET.get("weeks", "8")
    weeks = int(weeks) if weeks.isdigit() and 1 <= int(weeks) <= 104 else 8
    return render(request, "visits/visit_coverage.html", {
        **selectors.coverage(request.user, weeks=weeks), "weeks": weeks})


@login_required
def weekly_report(request):
    """The team's report for staff; the whole office for coordinators and
    leaders; the chosen week and the three before it."""
    user = request.user
    if not permissions.can_visit(user, "report_team"):
        raise PermissionDenied
    form = WeekForm(request.GET or None)
    today = timezone.localdate()
    if form.is_bound and form.is_valid() and form.cleaned_data["week"]:
        today = form.cleaned_data["week"]
    team = None
    if not permissions.can_visit(user, "report_office"):
        team = getattr(getattr(user, "profile", None), "team", None)
        if team is None:
            raise PermissionDenied
    weeks = selectors.report_weeks(today, 4)
    if request.GET.get("format") == "xlsx":
        return exports.weekly_report_xlsx(weeks, team)
    reports = selectors.weekly_reports(weeks, team=team)
    return render(request, "visits/visit_report.html", {
        "form": form, "reports": reports, "team": team, "week": week_start_of(today)})


@login_required
def attachment_download(request, pk: int):
    attachment = get_object_or_404(
        VisitAttachment.objects.filter(visit__in=selectors.visits_visible_to(request.user)),
        pk=pk)
    return private_file_response(attachment)
