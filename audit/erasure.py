"""PIPL erasure: a firm user who leaves is removed with their personal data
anonymised, while what they did for the enterprise (obstacles, ratings, events)
stays, pointing at an account that no longer says who it was.

The account row is kept (foreign keys with PROTECT point at it) but renamed,
emptied, disabled and stripped of its memberships, grants, second factor and
sessions. The audit log keeps its records: the law asks for six months of them.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.choices import Role
from approvals.permissions import STAFF_ROLES, roles

from . import services
from .choices import AuditAction


@transaction.atomic
def firm_user_erase(*, user, actor=None):
    """Anonymise firm user ``user``; refuses staff accounts (their records are
    official acts and stay attributable)."""
    from enterprises.services import membership_end

    held = roles(user)
    if held & STAFF_ROLES or Role.FIRM_USER not in held:
        raise PermissionDenied(_("Only a firm user's account can be erased."))
    original = user.get_username()
    for membership in list(user.firm_memberships.all()):
        membership_end(membership=membership)
    user.groups.clear()
    user.user_permissions.clear()
    user.username = f"erased-{user.pk}"
    user.first_name = user.last_name = user.email = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    profile = getattr(user, "profile", None)
    if profile is not None:
        profile.display_name = _("Erased user")
        profile.mobile = None
        profile.office_phone = ""
        profile.save()
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    _end_sessions(user)
    services.record(None, AuditAction.USER_ERASE, user, actor=actor, former=original[:2] + "***")
    return user


def _end_sessions(user) -> None:
    # sessions store the user id inside their encoded data: decode the live ones
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()


def erase_old_account_requests(now=None) -> int:
    """Empty the personal fields of account requests decided longer ago than
    ``SECURITY["ACCOUNT_REQUEST_RETENTION_DAYS"]``; returns how many."""
    from enterprises.models import AccountRequest

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SECURITY["ACCOUNT_REQUEST_RETENTION_DAYS"])
    old = AccountRequest.objects.filter(decided_at__lt=cutoff).exclude(contact_name="")
    return old.update(contact_name="", email="", mobile="")
