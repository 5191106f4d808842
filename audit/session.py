"""What a login decides once, kept in the session so that later requests need
no query: when the session started, whether the password must be changed
first, whether a second factor is still owed."""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from approvals.choices import Role

from .choices import ADMIN_ROLES

AUTH_AT = "sec_auth_at"  # when the session was authenticated (epoch seconds)
SEEN_AT = "sec_seen_at"  # last request seen (epoch seconds, refreshed each minute)
MUST_CHANGE = "sec_must_change"  # "first" (created by an administrator) or "expired"
OTP_PENDING = "sec_otp_pending"  # "verify" (has a device) or "setup" (must enrol)

# roles that must log in with a second factor (the issue: coordinators,
# leaders and administrators)
TWO_FACTOR_ROLES = frozenset({Role.COORDINATOR, Role.LEADER, *ADMIN_ROLES})


def two_factor_required(user) -> bool:
    """Whether policy obliges ``user`` to use a second factor."""
    if not settings.SECURITY["TWO_FACTOR_REQUIRED"]:
        return False
    if user.is_superuser:
        return True
    return bool(set(user.groups.values_list("name", flat=True)) & TWO_FACTOR_ROLES)


def has_device(user) -> bool:
    from django_otp import user_has_device

    return user_has_device(user, confirmed=True)


def password_must_change(user) -> str:
    from .models import UserSecurity

    sec = UserSecurity.objects.filter(user=user).first()
    if sec is not None and sec.must_change_password:
        return "first"
    max_age = settings.SECURITY["PASSWORD_MAX_AGE_DAYS"]
    if max_age:
        changed = (sec.password_changed_at if sec and sec.password_changed_at
                   else user.date_joined)
        if changed < timezone.now() - timedelta(days=max_age):
            return "expired"
    return ""


def start_session(request, user) -> None:
    """Called on every login (the login view, the admin's, ``force_login``)."""
    session = request.session
    now = int(time.time())
    session[AUTH_AT] = session[SEEN_AT] = now
    must = password_must_change(user)
    if must:
        session[MUST_CHANGE] = must
    if has_device(user):
        session[OTP_PENDING] = "verify"
    elif two_factor_required(user):
        session[OTP_PENDING] = "setup"
