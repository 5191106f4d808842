"""Pages of the enterprise registry."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals import selectors as task_selectors
from approvals.permissions import is_staff_member

from . import selectors
from .forms import EnterpriseFilterForm, EnterpriseForm
from .models import Enterprise
from .permissions import can_enterprise

PAGE_SIZE = 25


@login_required
def enterprise_list(request):
    if not is_staff_member(request.user):
        # a firm user has its own enterprise page, not the registry
        raise PermissionDenied
    form = EnterpriseFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    qs = selectors.enterprise_list(request.user, **{k: v for k, v in filters.items() if v})
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "enterprises/enterprise_list.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "can_create": can_enterprise(request.user, "create"),
        "can_import": can_enterprise(request.user, "import"),
    })


@login_required
def enterprise_detail(request, pk: int):
    try:
        enterprise = selectors.enterprise_detail(request.user, pk)
    except Enterprise.DoesNotExist:
        raise Http404(_("No such enterprise.")) from None
    today = timezone.localdate()
    staff = is_staff_member(request.user)
    tasks = (
        task_selectors.ledger_page_rows(
            task_selectors.tasks_visible_to(request.user).filter(
                obstacle__enterprise=enterprise, role="lead"),
            task_selectors.LedgerFilters(), today)[:50]
        if staff else []
    )
    return render(request, "enterprises/enterprise_detail.html", {
        "enterprise": enterprise, "tasks": tasks, "today": today, "is_staff_view": staff,
        "see_mobile": can_enterprise(request.user, "see_contact_mobile", enterprise),
        "can_change": can_enterprise(request.user, "change", enterprise),
        "can_record": can_enterprise(request.user, "record_obstacle", enterprise),
    })


@login_required
def enterprise_create_view(request):
    if not can_enterprise(request.user, "create"):
        raise PermissionDenied
    form = EnterpriseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enterprise = form.save()
        messages.success(request, _("Enterprise created."))
        return redirect(enterprise)
    return render(request, "enterprises/enterprise_form.html", {"form": form},
                  status=400 if form.errors else 200)


@login_required
def enterprise_update_view(request, pk: int):
    enterprise = get_object_or_404(selectors.enterprises_visible_to(request.user), pk=pk)
    if not can_enterprise(request.user, "change", enterprise):
        raise PermissionDenied
    form = EnterpriseForm(request.POST or None, instance=enterprise)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect(enterprise)
    return render(request, "enterprises/enterprise_form.html",
                  {"form": form, "enterprise": enterprise},
                  status=400 if form.errors else 200)


