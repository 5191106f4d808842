"""Pages of integrity checks and insight: thin views over selectors, forms and
services (the closed loop's writes stay in ``approvals.services``)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from approvals import permissions as task_permissions
from approvals import selectors as task_selectors
from approvals import services as task_services
from approvals.choices import AppealStatus, TaskRole
from approvals.models import RatingAppeal

from . import forms, selectors, services
from .models import CloseOutSample, SampleItem
from .permissions import (
    can_call_samples,
    can_coordinate,
    can_read_insight,
    can_see_chase_notices,
    can_see_silent,
)


def _require(ok: bool) -> None:
    if not ok:
        raise PermissionDenied


def _task(request, pk: int):
    """A task through the user's scope: out of scope is a 404, like missing."""
    return get_object_or_404(task_selectors.tasks_visible_to(request.user)
                             .select_related("obstacle", "department"), pk=pk)


# ------------------------------------------------------------------ appeals


@login_required
def appeal_create_view(request, pk: int):
    """申诉复核: the handling department appeals the task's rating with evidence."""
    task = _task(request, pk)
    _require(task_permissions.can(request.user, "appeal", task))
    form = forms.AppealForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            task_services.appeal_submit(task_id=task.pk, actor=request.user,
                                        reason=form.cleaned_data["reason"],
                                        files=form.cleaned_data["files"])
        except task_services.InvalidTransition as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("The appeal was sent to the coordinator."))
            return redirect(task)
    return render(request, "insight/appeal_form.html", {"form": form, "task": task},
                  status=400 if form.errors else 200)


@login_required
def appeal_list(request):
    """Appeals waiting for a decision, then the latest decided."""
    _require(can_read_insight(request.user))
    qs = (RatingAppeal.objects.select_related("task", "task__obstacle", "task__department",
                                              "requested_by", "decided_by")
          .prefetch_related("task__events__attachments"))
    pending = qs.filter(status=AppealStatus.PENDING).order_by("requested_at", "pk")
    decided = qs.exclude(status=AppealStatus.PENDING).order_by("-decided_at", "-pk")[:50]
    return render(request, "insight/appeal_list.html", {
        "pending": pending, "decided": decided, "form": forms.AppealDecideForm(),
        "can_decide": can_coordinate(request.user)})


@login_required
@require_POST
def appeal_decide_view(request, pk: int):
    _require(can_coordinate(request.user))
    appeal = get_object_or_404(RatingAppeal, pk=pk)
    form = forms.AppealDecideForm(request.POST)
    if form.is_valid():
        try:
            task_services.appeal_decide(appeal_id=appeal.pk, actor=request.user,
                                        uphold=form.cleaned_data["decision"] == "uphold",
                                        comment=form.cleaned_data["comment"])
        except task_services.InvalidTransition as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("Done."))
            return redirect("insight:appeal-list")
    return render(request, "insight/appeal_decide.html", {"form": form, "appeal": appeal},
                  status=400)


# ------------------------------------------------------------------ duplicates


@login_required
def obstacle_merge_view(request, pk: int):
    """A coordinator merges a duplicate into another open obstacle of the same
    enterprise (the same category's are offered first)."""
    _require(can_coordinate(request.user))
    task = get_object_or_404(task_selectors.tasks_visible_to(request.user).select_related(
        "obstacle", "obstacle__enterprise", "obstacle__category"),
        obstacle_id=pk, role=TaskRole.LEAD)
    obstacle = task.obstacle
    candidates = selectors.open_obstacles(obstacle.enterprise, exclude=obstacle.pk)
    form = forms.MergeForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            task_services.obstacle_merge(obstacle_id=obstacle.pk,
                                         into_id=form.cleaned_data["into"].pk,
                                         actor=request.user, reason=form.cleaned_data["reason"])
        except task_services.InvalidTransition as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("Merged."))
            return redirect(form.cleaned_data["into"])
    return render(request, "insight/merge_form.html", {
        "form": form, "obstacle": obstacle, "task": task, "candidates": candidates},
        status=400 if form.errors else 200)


# ------------------------------------------------------------------ silent tasks


@login_required
def silent_list(request):
    """Open tasks without an event for the ladder's first rung, in the user's scope."""
    _require(can_see_silent(request.user))
    today = timezone.localdate()
    page = Paginator(selectors.silent_tasks(request.user, today),
                     25).get_page(request.GET.get("page"))
    for t in page:
        t.silent_days = selectors.silent_days(t.last_at, today)
    return render(request, "insight/silent_list.html", {
        "page": page, "ladder": services.ladder()})


# ------------------------------------------------------------------ chase notices


@login_required
def chase_list(request):
    """催办通知书 issued to the user's department (all of them for the office
    and leaders), newest first."""
    _require(can_see_chase_notices(request.user))
    page = Paginator(selectors.chase_notices_visible_to(request.user),
                     25).get_page(request.GET.get("page"))
    return render(request, "insight/chase_list.html", {"page": page})


@login_required
def chase_download(request, pk: int):
    """The archived PDF; out of the user's scope (firm users always) it is a 404."""
    from letters.views import pdf_response

    notice = get_object_or_404(selectors.chase_notices_visible_to(request.user), pk=pk)
    return pdf_response(notice, notice.download_name)


# ------------------------------------------------------------------ sampling


@login_required
def sample_list(request):
    _require(can_read_insight(request.user) or can_call_samples(request.user))
    form = forms.SampleDrawForm(request.POST or None)
    if request.method == "POST":
        _require(can_coordinate(request.user))
        if form.is_valid():
            try:
                sample = services.sample_draw(monday=form.cleaned_data["week"],
                                              actor=request.user,
                                              rate=form.cleaned_data["rate"],
                                              seed=form.cleaned_data["seed"])
            except task_services.InvalidTransition as e:
                form.add_error(None, e)
            else:
                return redirect(sample)
    samples = Paginator(CloseOutSample.objects.all(), 25).get_page(request.GET.get("page"))
    return render(request, "insight/sample_list.html", {
        "form": form, "page": samples, "can_draw": can_coordinate(request.user)},
        status=400 if form.errors else 200)


@login_required
def sample_detail(request, pk: int):
    _require(can_read_insight(request.user) or can_call_samples(request.user))
    sample = get_object_or_404(CloseOutSample, pk=pk)
    return render(request, "insight/sample_detail.html", {
        "sample": sample, "items": selectors.sample_items(sample),
        "form": forms.SampleRecordForm(), "can_call": can_call_samples(request.user)})


@login_required
@require_POST
def sample_record_view(request, pk: int):
    _require(can_call_samples(request.user))
    item = get_object_or_404(SampleItem.objects.select_related("sample"), pk=pk)
    form = forms.SampleRecordForm(request.POST)
    if form.is_valid():
        try:
            services.sample_record(item_id=item.pk, actor=request.user, **form.cleaned_data)
        except task_services.InvalidTransition as e:
            form.add_error(None, e)
        except PermissionDenied:
            form.add_error(None, _("The handling department and the owner cannot make "
                                   "the second callback."))
        else:
            messages.success(request, _("Done."))
            return redirect(item.sample)
    return render(request, "insight/sample_detail.html", {
        "sample": item.sample, "items": selectors.sample_items(item.sample),
        "form": forms.SampleRecordForm(), "error_form": form, "error_item": item.pk,
        "can_call": True}, status=400)


# ------------------------------------------------------------------ common issues


@login_required
def issue_list(request):
    """Common issues, and suggested groups of the chosen month for a
    coordinator to confirm."""
    _require(can_read_insight(request.user))
    today = timezone.localdate()
    form = forms.SuggestForm(request.GET or None, initial={"month": today.replace(day=1)})
    found = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        found = selectors.suggestions(data["month"], category=data["category"],
                                      street=data["street"], industry=data["industry"])[:30]
    return render(request, "insight/issue_list.html", {
        "issues": selectors.common_issues(), "form": form, "suggestions": found,
        "create_form": forms.CommonIssueForm(), "can_create": can_coordinate(request.user)},
        status=400 if form.errors else 200)


@login_required
def issue_create_view(request):
    _require(can_coordinate(request.user))
    initial = {"obstacles": request.GET.get("obstacles", ""),
               "category": request.GET.get("category"), "title": request.GET.get("title", "")}
    form = forms.CommonIssueForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issue = services.common_issue_create(
                actor=request.user, title=data["title"], category=data["category"],
                owner=data["owner"], deadline_on=data["deadline_on"],
                obstacle_ids=data["obstacles"], department=data["department"],
                description=data["description"])
        except task_services.InvalidTransition as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("Common issue recorded."))
            return redirect(issue)
    return render(request, "insight/issue_form.html", {"form": form},
                  status=400 if form.errors else 200)


@login_required
def issue_detail(request, pk: int):
    _require(can_read_insight(request.user))
    issue = get_object_or_404(selectors.common_issues(), pk=pk)
    obstacles = (issue.obstacles.select_related("enterprise", "enterprise__street")
                 .order_by("-received_at", "pk"))
    return render(request, "insight/issue_detail.html", {"issue": issue,
                                                         "obstacles": obstacles})


# ------------------------------------------------------------------ monthly report


def _report_context(request):
    today = timezone.localdate()
    form = forms.MonthForm(request.GET or None,
                           initial={"month": (today.replace(day=1)
                                              - timedelta(days=1)).replace(day=1)})
    month = form.initial["month"]
    if form.is_bound and form.is_valid():
        month = form.cleaned_data["month"]
    return form, selectors.monthly_report(month, today)


@login_required
def report_view(request):
    """运行分析报告 on screen, with the KPI definitions."""
    _require(can_read_insight(request.user))
    form, report = _report_context(request)
    return render(request, "insight/report.html", {"form": form, "r": report},
                  status=400 if form.errors else 200)


@login_required
def report_pdf_view(request):
    """The same report as PDF through the letters' WeasyPrint module."""
    _require(can_read_insight(request.user))
    form, report = _report_context(request)
    if form.errors:
        return render(request, "insight/report.html", {"form": form, "r": report}, status=400)
    # the letters app's WeasyPrint set-up: fonts once per process, a fetcher
    # that reads only our own files
    from letters import pdf

    html = render_to_string("insight/report_pdf.html", {
        "r": report, "font_face_css": pdf.font_face_css(), "font_stack": pdf.FONT_STACK,
        "office": settings.DESK["OFFICE_NAME"]})
    response = HttpResponse(pdf.render_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="report-{report["start"]:%Y-%m}.pdf"')
    return response
