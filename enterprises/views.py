"""Pages of the enterprise registry."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from approvals import selectors as task_selectors
from approvals.permissions import is_staff_member
from letters.permissions import can_write_letter

from . import importing, selectors, services
from .forms import EnterpriseFilterForm, EnterpriseForm, ImportUploadForm, InvitationForm
from .models import AccountRequest, Enterprise
from .permissions import can_approve_accounts, can_enterprise

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
        "liaison_usernames": selectors.liaison_usernames(),
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
        "can_accounts": can_approve_accounts(request.user, enterprise),
        "can_letter": can_write_letter(request.user, enterprise),
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


@login_required
def enterprise_import_view(request):
    """Upload a CSV or XLSX file and preview it; nothing is written here. A clean
    file is kept under a random token for ``enterprise_import_confirm_view``."""
    if not can_enterprise(request.user, "import"):
        raise PermissionDenied
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return render(request, "enterprises/enterprise_import.html", {"form": form},
                      status=400 if form.errors else 200)
    path = None
    try:
        path = importing.store_upload(form.cleaned_data["file"])
        preview = importing.preview(path)
    except importing.ImportFileError as e:
        if path is not None:
            path.unlink(missing_ok=True)
        form.add_error("file", e)
        return render(request, "enterprises/enterprise_import.html", {"form": form},
                      status=400)
    if not preview.is_clean:
        # nothing to confirm: the file has to be corrected and uploaded again
        path.unlink(missing_ok=True)
    return render(request, "enterprises/enterprise_import.html", {
        "form": ImportUploadForm(), "preview": preview,
        "token": path.stem if preview.is_clean else None,
    })


@login_required
@require_POST
def enterprise_import_confirm_view(request, token: str):
    """Re-read the stored file and write it all, or show why not (the registry
    may have changed since the preview). The file is removed either way."""
    if not can_enterprise(request.user, "import"):
        raise PermissionDenied
    path = importing.stored_upload(token)
    if path is None:
        raise Http404(_("No such import: it was confirmed already or has expired."))
    try:
        preview = importing.preview(path)
        count = importing.commit(preview) if preview.is_clean else None
    except importing.ImportFileError as e:
        preview, count = None, None
        messages.error(request, e.messages[0])
    except IntegrityError:
        # a credit code was registered between the preview and now: show which
        preview, count = importing.preview(path), None
    finally:
        path.unlink(missing_ok=True)
    if count is not None:
        messages.success(request, _("%(count)d enterprises imported.") % {"count": count})
        return redirect("enterprises:enterprise-list")
    return render(request, "enterprises/enterprise_import.html", {
        "form": ImportUploadForm(), "preview": preview, "token": None,
    }, status=409 if preview else 400)


# ------------------------------------------------------------------ firm accounts


@login_required
def enterprise_accounts(request, pk: int):
    """The firm's portal accounts, as its liaison or the coordinator sees them:
    members, open invitations, account requests to decide, and an invitation
    form (the link is shown once)."""
    from approvals import selectors_portal

    enterprise = get_object_or_404(selectors.enterprises_visible_to(request.user), pk=pk)
    if not can_approve_accounts(request.user, enterprise):
        raise PermissionDenied
    form = InvitationForm(request.POST or None)
    link = None
    if request.method == "POST" and form.is_valid():
        try:
            _invitation, token = services.invitation_create(
                actor=request.user, enterprise=enterprise, **form.cleaned_data)
        except services.AccountError as e:
            form.add_error(None, e)
        else:
            link = services.invitation_link(token)
            form = InvitationForm()
    return render(request, "enterprises/enterprise_accounts.html", {
        "enterprise": enterprise, "form": form, "link": link, "now": timezone.now(),
        "members": list(selectors_portal.portal_members(enterprise)),
        "invitations": list(selectors_portal.portal_open_invitations(enterprise)),
        "requests": list(enterprise.account_requests.filter(
            status=AccountRequest.Status.PENDING)),
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def account_request_decide_view(request, pk: int):
    account_request = get_object_or_404(
        AccountRequest.objects.filter(
            enterprise__in=selectors.enterprises_visible_to(request.user)), pk=pk)
    if not can_approve_accounts(request.user, account_request.enterprise):
        raise PermissionDenied
    approve = request.POST.get("decision") == "approve"
    try:
        services.account_request_decide(request_id=pk, actor=request.user, approve=approve)
    except services.AccountError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("Approved: the invitation is mailed.") if approve
                         else _("Request refused."))
    return redirect("enterprises:enterprise-accounts", pk=account_request.enterprise_id)
