"""Security pages: the audit log (audit administrator), lockouts (security
administrator), the second factor and password change (every user), and the
full view of personal data (a contact's mobile and e-mail, a legal
representative's ID number, an obstacle's contact phone) with a stated
purpose."""

from __future__ import annotations

import base64

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

import segno
from axes.utils import reset as axes_reset
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from approvals.models import Obstacle
from approvals.permissions import scope_obstacles, scope_tasks
from enterprises.models import Contact, Enterprise, mask_mobile
from enterprises.permissions import can_enterprise, scope_enterprises

from . import services
from .choices import AdminRole, AuditAction, AuditResult
from .exports import audit_xlsx_response
from .forms import AuditSearchForm, PurposeForm, TokenForm, UnlockForm
from .roles import has_admin_role
from .selectors import audit_records, locked_accounts_and_addresses
from .session import MUST_CHANGE, OTP_PENDING, two_factor_required

RECOVERY_CODES = 10
NEW_CODES = "sec_new_codes"  # recovery codes shown once, right after they are made


def _require_role(request, role: str) -> None:
    if not has_admin_role(request.user, role):
        raise PermissionDenied


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return default


# ------------------------------------------------------------------ audit log


def _search(request):
    form = AuditSearchForm(request.GET or None)
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        rows = audit_records(user=d["user"], action=d["action"], result=d["result"],
                             obj=d["object"], start=d["start"], end=d["end"])
    else:
        rows = audit_records()
    return form, rows


@login_required
def audit_log(request):
    """The audit administrator searches the log."""
    _require_role(request, AdminRole.AUDIT)
    form, rows = _search(request)
    if form.is_bound and not form.is_valid():
        rows = rows.none()
    page = Paginator(rows, settings.DESK["PAGE_SIZE"]).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/audit_log.html",
                  {"form": form, "page": page, "query": query.urlencode()})


@login_required
def audit_export(request):
    """The same search as XLSX (the export itself is audited)."""
    _require_role(request, AdminRole.AUDIT)
    form, rows = _search(request)
    if form.is_bound and not form.is_valid():
        return render(request, "audit/audit_log.html",
                      {"form": form, "page": None, "query": ""}, status=400)
    return audit_xlsx_response(rows)


# ------------------------------------------------------------------ lockouts


@login_required
def lockout_list(request):
    """Locked accounts and addresses, with an unlock button (security administrator)."""
    _require_role(request, AdminRole.SECURITY)
    accounts, addresses = locked_accounts_and_addresses()
    return render(request, "audit/lockout_list.html", {
        "accounts": accounts, "addresses": addresses, "form": UnlockForm()})


@login_required
@require_POST
def lockout_unlock(request):
    _require_role(request, AdminRole.SECURITY)
    form = UnlockForm(request.POST)
    if not form.is_valid():
        accounts, addresses = locked_accounts_and_addresses()
        return render(request, "audit/lockout_list.html", {
            "accounts": accounts, "addresses": addresses, "form": form}, status=400)
    username, ip = form.cleaned_data["username"], form.cleaned_data["ip_address"]
    kwargs = {"username": username} if username else {"ip": ip}
    count = axes_reset(**kwargs)
    services.record(request, AuditAction.UNLOCK, username or ip, attempts=count)
    messages.success(request, _("Unlocked: %(who)s.") % {"who": username or ip})
    return redirect("security:lockout-list")


# ------------------------------------------------------------------ second factor


def _new_recovery_codes(user) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(user=user, name="recovery",
                                                          defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def _verified(request, device) -> None:
    otp_login(request, device)
    request.session.pop(OTP_PENDING, None)


@login_required
def two_factor(request):
    """Set up an authenticator app (TOTP): scan, type a code, get recovery codes."""
    user = request.user
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if confirmed is not None:
        return render(request, "audit/two_factor.html", {
            "device": confirmed, "required": two_factor_required(user),
            "codes_left": StaticToken.objects.filter(device__user=user).count()})
    if request.session.get(OTP_PENDING) == "verify":
        return redirect("security:two-factor-verify")
    device, _created = TOTPDevice.objects.get_or_create(user=user, confirmed=False,
                                                        defaults={"name": "authenticator"})
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            request.session[NEW_CODES] = _new_recovery_codes(user)
            _verified(request, device)
            messages.success(request, _("Two-factor login is on."))
            return redirect(reverse("security:recovery-codes") + "?next="
                            + _next_url(request, reverse("home")))
        form.add_error("token", _("That code is not right; check the time on your phone."))
    secret = base64.b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, error="m")
    return render(request, "audit/two_factor_setup.html", {
        "form": form, "secret": secret, "qr": qr.svg_data_uri(scale=4),
        "next": _next_url(request, "")}, status=400 if form.is_bound else 200)


@login_required
def two_factor_verify(request):
    """The second step of a login: a TOTP code or a recovery code."""
    if request.session.get(OTP_PENDING) != "verify":
        return redirect(_next_url(request, reverse("home")))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            services.record(request, AuditAction.TWO_FACTOR_VERIFY, request.user,
                            device=type(device).__name__)
            _verified(request, device)
            return redirect(_next_url(request, reverse("home")))
        services.record(request, AuditAction.TWO_FACTOR_VERIFY, request.user,
                        AuditResult.FAILURE)
        form.add_error("token", _("That code is not right."))
    return render(request, "audit/two_factor_verify.html",
                  {"form": form, "next": _next_url(request, "")},
                  status=400 if form.is_bound else 200)


@login_required
def recovery_codes(request):
    """Shows new recovery codes once; a POST makes a fresh set (the old ones stop working)."""
    if not TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect("security:two-factor")
    if request.method == "POST":
        request.session[NEW_CODES] = _new_recovery_codes(request.user)
        services.record(request, AuditAction.TWO_FACTOR_ENABLE, request.user,
                        device="recovery codes")
        return redirect("security:recovery-codes")
    codes = request.session.pop(NEW_CODES, None)
    return render(request, "audit/recovery_codes.html",
                  {"codes": codes, "next": _next_url(request, reverse("home"))})


# ------------------------------------------------------------------ password


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view (its ``update_session_auth_hash`` keeps this session and
    ends every other one), clearing an owed change."""

    template_name = "audit/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.session.pop(MUST_CHANGE, None)
        messages.success(self.request, _("Your password has been changed."))
        return response

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs),
                "reason": self.request.session.get(MUST_CHANGE, "")}


# ------------------------------------------------------------------ personal data


def _reveal(request, obj, *, rows, detail: dict, title: str, back: str):
    """The shared "show in full" page: the masked values and a purpose form;
    a valid purpose is recorded (``pi_view``, with ``detail``) and the full
    values are shown once, in a response no cache keeps."""
    form = PurposeForm(request.POST or None)
    shown = request.method == "POST" and form.is_valid()
    if shown:
        services.record(request, AuditAction.PERSONAL_DATA_VIEW, obj,
                        purpose=form.cleaned_data["purpose"], **detail)
    response = render(request, "audit/personal_data_reveal.html", {
        "title": title, "back": back, "form": form, "shown": shown,
        "rows": [(label, full if shown else masked) for label, masked, full in rows]},
        status=400 if form.is_bound and not shown else 200)
    add_never_cache_headers(response)
    return response


@login_required
def contact_reveal(request, pk: int):
    """A contact's full mobile and e-mail, for those who need them, after they
    state why; every full view is audited with that purpose."""
    contact = get_object_or_404(
        Contact.objects.filter(enterprise__in=scope_enterprises(
            request.user, Contact.enterprise.field.related_model.objects.all()))
        .select_related("enterprise"), pk=pk)
    if not can_enterprise(request.user, "see_contact_mobile", contact.enterprise):
        raise PermissionDenied
    form = PurposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.record(request, AuditAction.PERSONAL_DATA_VIEW, contact,
                        purpose=form.cleaned_data["purpose"],
                        enterprise=contact.enterprise_id)
        response = render(request, "audit/contact_reveal.html",
                          {"contact": contact, "shown": True})
    else:
        response = render(request, "audit/contact_reveal.html",
                          {"contact": contact, "form": form, "shown": False},
                          status=400 if form.is_bound else 200)
    add_never_cache_headers(response)
    return response


@login_required
def enterprise_reveal(request, pk: int):
    """The legal representative's full resident ID number, for those who may
    see the firm's contacts in full (``see_contact_mobile``), with a purpose."""
    enterprise = get_object_or_404(scope_enterprises(request.user, Enterprise.objects.all()),
                                   pk=pk)
    if not can_enterprise(request.user, "see_contact_mobile", enterprise):
        raise PermissionDenied
    number = enterprise.legal_representative_id_number
    return _reveal(
        request, enterprise,
        rows=[(_("Legal representative"), enterprise.legal_representative or "—",
               enterprise.legal_representative or "—"),
              (_("ID number"), enterprise.masked_legal_representative_id or "—", number or "—")],
        detail={"field": "legal_representative_id_number"},
        title=enterprise.name, back=enterprise.get_absolute_url())


@login_required
def obstacle_contact_reveal(request, pk: int):
    """The full phone of an obstacle's follow-up contact, for the same people
    as a firm's contacts (the coordinator, the firm's liaison, the officers
    holding its tasks), from the task page, with a purpose."""
    obstacle = get_object_or_404(
        scope_obstacles(request.user, Obstacle.objects.select_related("enterprise")), pk=pk)
    if not can_enterprise(request.user, "see_contact_mobile", obstacle.enterprise):
        raise PermissionDenied
    phone = obstacle.contact_phone
    task = (scope_tasks(request.user, obstacle.tasks.all()).order_by("role", "pk")
            .values_list("pk", flat=True).first())  # "co" sorts before "lead"; any will do
    return _reveal(
        request, obstacle,
        rows=[(_("Contact"), obstacle.contact_name or "—", obstacle.contact_name or "—"),
              (_("Phone"), mask_mobile(phone) if phone else "—", phone or "—")],
        detail={"field": "contact_phone", "enterprise": obstacle.enterprise_id},
        title=str(obstacle),
        back=_next_url(request, reverse("approvals:task-detail", args=[task]) if task
                       else obstacle.enterprise.get_absolute_url()))
