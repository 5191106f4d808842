"""Per-request security controls, after authentication.

* Publishes the request to ``audit.context`` for records written without one.
* Idle timeout and absolute lifetime of a session (``SECURITY`` settings):
  an expired session is logged out (audited) and sent to the login page.
* A session that still owes a password change or a second factor reaches only
  the pages that settle it (and logout, static files, language switch).
* Every request of a superuser is audited: the account is for installation.

Everything it needs was put in the session at login (``audit.session``), so
an ordinary request costs no query here.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils.translation import gettext as _

from .choices import AuditAction
from .context import current_request
from .session import AUTH_AT, MUST_CHANGE, OTP_PENDING, SEEN_AT

# how stale "last seen" may get before it is written again (one session write
# a minute at most, not one per request)
SEEN_RESOLUTION = 60


class SecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request)
        try:
            response = self._check(request)
            if response is None:
                response = self.get_response(request)
            return response
        finally:
            current_request.reset(token)

    _paths: tuple[str, ...] | None = None

    def _open_paths(self) -> tuple[str, ...]:
        """Where a session that owes a password change or a second factor may
        go (resolved once: reversing on every request costs more than the rest)."""
        if self._paths is None:
            self._paths = (
                reverse("logout"), reverse("set_language"), settings.STATIC_URL,
                reverse("security:password-change"), reverse("security:two-factor"),
                reverse("security:two-factor-verify"), reverse("security:recovery-codes"))
        return self._paths

    def _check(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        session = request.session
        now = int(time.time())
        conf = settings.SECURITY
        auth_at = session.get(AUTH_AT)
        seen_at = session.get(SEEN_AT)
        if auth_at is None:  # a session from before these controls
            session[AUTH_AT] = session[SEEN_AT] = auth_at = seen_at = now
        reason = ""
        if conf["SESSION_IDLE_MINUTES"] and now - seen_at > conf["SESSION_IDLE_MINUTES"] * 60:
            reason = "idle"
        elif conf["SESSION_MAX_HOURS"] and now - auth_at > conf["SESSION_MAX_HOURS"] * 3600:
            reason = "lifetime"
        if reason:
            from . import services

            services.record(request, AuditAction.SESSION_EXPIRED, user, reason=reason)
            request._audit_logout_reason = reason
            logout(request)
            messages.info(request, _("Your session has ended; please log in again."))
            return redirect_to_login(request.get_full_path())
        if now - seen_at >= SEEN_RESOLUTION:
            session[SEEN_AT] = now
        if user.is_superuser:
            from . import services

            services.record(request, AuditAction.SUPERUSER_REQUEST, request.path[:200],
                            method=request.method)
        pending = session.get(OTP_PENDING)
        must_change = session.get(MUST_CHANGE)
        if (pending or must_change) and not request.path.startswith(self._open_paths()):
            if pending:
                return redirect_to_login(request.get_full_path(), reverse(
                    "security:two-factor-verify" if pending == "verify"
                    else "security:two-factor"))
            return redirect_to_login(request.get_full_path(),
                                     reverse("security:password-change"))
        return None
