"""Pages of the closed loop: thin views over selectors, forms and services."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cms.selectors import cited_pages_prefetch
from enterprises.models import Enterprise
from enterprises.permissions import can_enterprise, scope_enterprises

from . import exports, forms, permissions, selectors, services
from .calendar import working_days_between
from .choices import OPEN_STATES, ApprovalKind, Colour, Role
from .downloads import private_file_response
from .models import ApprovalRequest, Attachment, Department, Task


def _staff_only(request) -> None:
    if not permissions.is_staff_member(request.user):
        raise PermissionDenied


@login_required
def home(request):
    """Staff home: counts by colour, my open tasks, approvals waiting.
    A firm user goes to the firm portal."""
    user = request.user
    if permissions.roles(user) & permissions.STAFF_ROLES == {Role.SERVICE_STAFF}:
        # service staff start from their week of visits
        return redirect("visits:my-week")
    if not permissions.is_staff_member(user):
        if Role.FIRM_USER in permissions.roles(user):
            return redirect("portal:home")
        if permissions.has_role(user, Role.EDITOR, Role.MODERATOR):
            return redirect("/cms-admin/")
        raise PermissionDenied
    today = timezone.localdate()
    visible = selectors.tasks_visible_to(user).filter(role="lead")
    context = {
        "counts": selectors.colour_counts(visible, today),
        "my_tasks": selectors.my_tasks(user, today).filter(state__in=OPEN_STATES)[:10],
        "pending_approvals": (
            selectors.approvals_pending().count()
            if permissions.can_decide_approvals(user) else None
        ),
        "colours": Colour,
    }
    return render(request, "approvals/home.html", context)


def _filters(request) -> tuple[forms.LedgerFilterForm, selectors.LedgerFilters]:
    form = forms.LedgerFilterForm(request.GET or None)
    filters = selectors.LedgerFilters()
    if form.is_bound and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        filters = selectors.LedgerFilters(**data)
    return form, filters


@login_required
def ledger(request):
    """三色台账: counts per colour over the filtered set, then one page of rows."""
    _staff_only(request)
    today = timezone.localdate()
    form, filters = _filters(request)
    base = selectors.ledger_queryset(request.user, filters)
    counts = selectors.ledger_colour_counts(base, today)
    rows = selectors.ledger_page_rows(base, filters, today)
    paginator = Paginator(rows, forms.PAGE_SIZE)
    # the colour counts already hold the total: spare the COUNT(*) query
    paginator.count = counts[filters.colour] if filters.colour else sum(counts.values())
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    colour_links = {}
    for c in Colour:
        q = request.GET.copy()
        q.pop("page", None)
        q["colour"] = c.value
        colour_links[c.value] = q.urlencode()
    return render(request, "approvals/task_ledger.html", {
        "form": form, "page": page, "counts": counts, "today": today,
        "query": query.urlencode(), "colour_links": colour_links, "colours": Colour,
    })


@login_required
def ledger_export(request):
    """The filtered ledger as XLSX (streamed)."""
    _staff_only(request)
    today = timezone.localdate()
    _form, filters = _filters(request)
    rows = selectors.ledger_page_rows(
        selectors.ledger_queryset(request.user, filters), filters, today)
    return exports.ledger_xlsx_response(rows, today)


@login_required
def my_tasks(request):
    if not permissions.has_role(request.user, *permissions.DEPARTMENT_ROLES):
        raise PermissionDenied
    today = timezone.localdate()
    page = Paginator(selectors.my_tasks(request.user, today), forms.PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "approvals/task_list.html", {
        "page": page, "title": _("My tasks"), "today": today})


@login_required
def department_tasks(request):
    if not permissions.has_role(request.user, Role.DEPARTMENT_HEAD):
        raise PermissionDenied
    today = timezone.localdate()
    page = Paginator(selectors.department_tasks(request.user, today), forms.PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "approvals/task_list.html", {
        "page": page, "title": _("My department's tasks"), "today": today})


# Task actions: action name -> (form, title, call of one service).
def _assign(user, task, d):
    return services.task_assign(task_id=task.pk, actor=user, department=d["department"],
                                co_departments=list(d["co_departments"]), comment=d["comment"])


ACTIONS = {
    "assign": (forms.AssignForm, _assign),
    "reject": (forms.RejectForm, lambda u, t, d: services.task_reject(
        task_id=t.pk, actor=u, reason=d["reason"], comment=d["comment"])),
    "rule": (forms.RuleForm, lambda u, t, d: services.task_rule(
        task_id=t.pk, actor=u, department=d["department"], reason=d["reason"])),
    "set_owner": (forms.SetOwnerForm, lambda u, t, d: services.task_set_owner(
        task_id=t.pk, actor=u, owner=d["owner"])),
    "accept": (forms.CommentForm, lambda u, t, d: services.task_accept(
        task_id=t.pk, actor=u, comment=d["comment"])),
    "return": (forms.ReasonForm, lambda u, t, d: services.task_return(
        task_id=t.pk, actor=u, reason=d["reason"])),
    "note": (forms.NoteForm, lambda u, t, d: services.task_add_note(
        task_id=t.pk, actor=u, comment=d["comment"],
        is_visible_to_firm=d["is_visible_to_firm"])),
    "request_extension": (forms.ExtensionForm, lambda u, t, d: services.extension_request(
        task_id=t.pk, actor=u, new_deadline=d["new_deadline"], reason=d["reason"])),
    "escalate": (forms.EscalateForm, lambda u, t, d: services.task_escalate(
        task_id=t.pk, actor=u, level=d["level"], reason=d["reason"])),
    "resolve": (forms.ResolveForm, lambda u, t, d: services.task_resolve(
        task_id=t.pk, actor=u, resolution=d["resolution"], files=d["files"],
        cited_pages=d["cited_pages"])),
    "co_report": (forms.ResolveForm, lambda u, t, d: services.task_resolve(
        task_id=t.pk, actor=u, resolution=d["resolution"], files=d["files"],
        cited_pages=d["cited_pages"])),
    "callback": (forms.CallbackForm, lambda u, t, d: services.task_callback(
        task_id=t.pk, actor=u, is_reached=d["is_reached"], rating=d["rating"],
        comment=d["comment"])),
    "reopen_closed": (forms.ReasonForm, lambda u, t, d: services.task_reopen(
        task_id=t.pk, actor=u, reason=d["reason"])),
}

# forms whose choices depend on the task
TASK_FORMS = (forms.AssignForm, forms.SetOwnerForm, forms.ResolveForm)


def _action_forms(task, allowed, bound=None):
    """One unbound form per allowed action, and the bound one that failed."""
    result = {}
    for name, (form_class, _call) in ACTIONS.items():
        # the form the user sent stays, with its message, even when its move is
        # no longer offered (someone else moved the task first)
        if name not in allowed and (bound is None or bound.prefix != name):
            continue
        kwargs = {"prefix": name}
        if form_class in TASK_FORMS:
            kwargs["task"] = task
        result[name] = bound if bound is not None and bound.prefix == name else form_class(
            **kwargs)
    return result


def _detail_context(request, task, bound=None):
    prefetch_related_objects([task], cited_pages_prefetch())
    allowed = services.available_actions(request.user, task)
    today = timezone.localdate()
    days_left = (
        working_days_between(today, task.deadline_on)
        if task.deadline_on and task.state in OPEN_STATES else None
    )
    return {
        "task": task, "obstacle": task.obstacle, "today": today, "days_left": days_left,
        "days_overdue": -days_left if days_left is not None and days_left < 0 else None,
        "action_forms": _action_forms(task, allowed, bound),
        "return_window_ends": services.return_window_ends(task) if task.assigned_at else None,
        "see_contact": can_enterprise(
            request.user, "see_contact_mobile", task.obstacle.enterprise),
    }


def _get_task(request, pk: int) -> Task:
    _staff_only(request)
    try:
        return selectors.task_detail(request.user, pk)
    except Task.DoesNotExist:
        raise Http404(_("No such task.")) from None


@login_required
def task_detail(request, pk: int):
    task = _get_task(request, pk)
    return render(request, "approvals/task_detail.html", _detail_context(request, task))


@login_required
@require_POST
def task_action_view(request, pk: int, action: str):
    """Run one transition from the task page; a refusal re-renders the page with
    the message beside the form and what the user typed."""
    task = _get_task(request, pk)
    if action not in ACTIONS:
        raise Http404(_("No such action."))
    if not permissions.can(request.user, action, task):
        raise PermissionDenied
    form_class, call = ACTIONS[action]
    kwargs = {"prefix": action}
    if form_class in TASK_FORMS:
        kwargs["task"] = task
    form = form_class(request.POST, request.FILES, **kwargs)
    if form.is_valid():
        try:
            call(request.user, task, form.cleaned_data)
        except services.InvalidTransition as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("Done."))
            return redirect(task)
    context = _detail_context(request, task, bound=form)
    context["open_action"] = action
    return render(request, "approvals/task_detail.html", context, status=400)


@login_required
def obstacle_detail(request, pk: int):
    """An obstacle's page is its lead task's page."""
    _staff_only(request)
    obstacle = get_object_or_404(selectors.obstacles_visible_to(request.user), pk=pk)
    lead = obstacle.tasks.filter(role="lead").first()
    if lead is None:
        raise Http404
    return redirect(lead)


@login_required
def obstacle_create_view(request, enterprise_pk: int):
    """Staff record an obstacle from an enterprise's page."""
    enterprise = get_object_or_404(scope_enterprises(request.user, Enterprise.objects.all()),
                                   pk=enterprise_pk)
    if not can_enterprise(request.user, "record_obstacle", enterprise):
        raise PermissionDenied
    form = forms.ObstacleForm(request.POST or None, request.FILES or None,
                              initial={"channel": "visit"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            obstacle = services.obstacle_submit(
                actor=request.user, enterprise=enterprise,
                files=data.pop("files"), **data)
        except services.InvalidTransition as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("Obstacle #%(number)s recorded.") % {
                "number": obstacle.pk})
            return redirect(obstacle)
    return render(request, "approvals/obstacle_form.html", {
        "form": form, "enterprise": enterprise}, status=400 if form.errors else 200)


@login_required
def attachment_download(request, pk: int):
    """An attachment, only to those who may see its obstacle; never inline."""
    _staff_only(request)
    attachment = get_object_or_404(
        Attachment.objects.filter(obstacle__in=selectors.obstacles_visible_to(request.user)),
        pk=pk)
    return private_file_response(attachment)


@login_required
def approval_inbox(request):
    if not permissions.can_decide_approvals(request.user):
        raise PermissionDenied
    pending = list(selectors.approvals_pending()[:200])
    return render(request, "approvals/approval_inbox.html", {
        "pending": pending, "form": forms.DecideForm(), "kinds": ApprovalKind})


@login_required
@require_POST
def approval_decide_view(request, pk: int):
    if not permissions.can_decide_approvals(request.user):
        raise PermissionDenied
    approval = get_object_or_404(ApprovalRequest, pk=pk)
    form = forms.DecideForm(request.POST)
    if form.is_valid():
        decide = {
            ApprovalKind.EXTENSION: services.extension_decide,
            ApprovalKind.CLOSE_OUT: services.close_out_decide,
        }.get(approval.kind)
        if decide is None:
            raise Http404
        try:
            decide(approval_id=approval.pk, actor=request.user,
                   approve=form.cleaned_data["decision"] == "approve",
                   comment=form.cleaned_data["comment"])
        except services.InvalidTransition as e:
            messages.error(request, " ".join(e.messages))
        else:
            messages.success(request, _("Decision recorded."))
        return redirect("approvals:approval-inbox")
    messages.error(request, " ".join(m for errs in form.errors.values() for m in errs))
    return redirect("approvals:approval-inbox")


def _default_period(today: date) -> tuple[date, date]:
    return today.replace(month=1, day=1), today


@login_required
def kpis(request):
    """KPIs and the department league table for a period."""
    if not permissions.can_view_kpis(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    start, end = _default_period(today)
    form = forms.PeriodForm(request.GET or None, initial={"start": start, "end": end})
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    department = None
    if not permissions.has_role(request.user, Role.COORDINATOR, Role.LEADER):
        department = get_object_or_404(
            Department, pk=permissions.user_department_id(request.user) or 0)
    total, rows = selectors.kpis(start, end, department=department)
    if request.GET.get("format") == "xlsx":
        return exports.kpi_xlsx_response(total, rows, start, end)
    return render(request, "approvals/kpis.html", {
        "form": form, "total": total, "rows": rows, "start": start, "end": end,
        "week_ago": today - timedelta(days=7)})
