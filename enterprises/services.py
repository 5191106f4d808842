"""Writes of the firm accounts: invitations, account requests, memberships and
the object permissions (django-guardian) that go with them, and the portal's
rate-limited intake.

A membership and its grants are made and ended together, here and only here:
``membership_add`` grants, ``membership_remove`` withdraws. Each function is
atomic, takes the actor, checks it, and returns the object.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guardian.shortcuts import assign_perm, remove_perm

from approvals.choices import Channel, EventAction, Role
from approvals.permissions import is_staff_member

from . import permissions
from .models import AccountRequest, Enterprise, FirmMembership, Invitation

INVITATION_DAYS = 7
MEMBER_PERMS = ("view_portal", "submit_obstacle", "rate")
ADMIN_PERMS = (*MEMBER_PERMS, "manage_members")


class AccountError(ValidationError):
    """The request cannot be done (expired link, name mismatch...); the message
    says why and is shown beside the form."""


class RateLimited(AccountError):
    """Too many submissions in the last hour."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _grant(user, enterprise: Enterprise, is_admin: bool) -> None:
    for codename in ADMIN_PERMS:
        if codename in MEMBER_PERMS or is_admin:
            assign_perm(f"enterprises.{codename}", user, enterprise)
        else:
            remove_perm(f"enterprises.{codename}", user, enterprise)


def _revoke(user, enterprise: Enterprise) -> None:
    for codename in ADMIN_PERMS:
        remove_perm(f"enterprises.{codename}", user, enterprise)


@transaction.atomic
def membership_add(*, user, enterprise: Enterprise, is_admin: bool = False) -> FirmMembership:
    """Make ``user`` a member of ``enterprise`` (a firm user), with the grants
    of a member or of the firm's administrator."""
    membership, created = FirmMembership.objects.get_or_create(
        user=user, enterprise=enterprise, defaults={"is_admin": is_admin})
    if not created and is_admin and not membership.is_admin:
        membership.is_admin = True
        membership.save(update_fields=["is_admin"])
    user.groups.add(Group.objects.get(name=Role.FIRM_USER))
    _grant(user, enterprise, membership.is_admin)
    return membership


@transaction.atomic
def membership_remove(*, membership_id: int, actor) -> None:
    """A firm's administrator (or the coordinator, or its liaison) removes a
    colleague: the membership ends and its grants go with it. Nobody removes
    themselves, so a firm never loses its last administrator by accident."""
    membership = (FirmMembership.objects.select_for_update()
                  .select_related("enterprise", "user").get(pk=membership_id))
    if not permissions.can_manage_members(actor, membership.enterprise):
        raise PermissionDenied
    if membership.user_id == actor.pk:
        raise AccountError(_("You cannot remove yourself."))
    membership_end(membership=membership)


@transaction.atomic
def membership_end(*, membership: FirmMembership) -> None:
    """Delete a membership with its grants (the admin calls this directly; its
    own permission system has decided)."""
    user, enterprise = membership.user, membership.enterprise
    membership.delete()
    _revoke(user, enterprise)
    if not user.firm_memberships.exists():
        user.groups.remove(Group.objects.get(name=Role.FIRM_USER))


@transaction.atomic
def membership_grants_sync(*, membership: FirmMembership) -> None:
    """Make the grants match a membership saved in the Django admin."""
    membership.user.groups.add(Group.objects.get(name=Role.FIRM_USER))
    _grant(membership.user, membership.enterprise, membership.is_admin)


def invitation_link(token: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse(
        "portal:invitation-accept", args=[token])


def _mail_invitation(invitation_id: int, token: str) -> None:
    invitation = Invitation.objects.select_related("enterprise").get(pk=invitation_id)
    send_mail(
        _("Your account for %(name)s in the firm portal") % {"name": invitation.enterprise.name},
        _("Open this link within %(days)d days to set your password: %(link)s")
        % {"days": INVITATION_DAYS, "link": invitation_link(token)},
        None, [invitation.email],
    )


@transaction.atomic
def invitation_create(*, actor, enterprise: Enterprise, name: str, email: str = "",
                      is_admin: bool = False) -> tuple[Invitation, str]:
    """A liaison, the coordinator or the firm's administrator invites a person.
    Returns the invitation and its token: only the token's hash is stored, so
    the link is shown now (and mailed when an address is given) and never again."""
    if not permissions.can_manage_members(actor, enterprise):
        raise PermissionDenied
    name = (name or "").strip()
    if not name:
        raise AccountError(_("Give the name of the person you invite."))
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        enterprise=enterprise, name=name, email=email, is_admin=is_admin,
        token_hash=hash_token(token), created_by=actor,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    if email:
        transaction.on_commit(partial(_mail_invitation, invitation.pk, token))
    return invitation, token


@transaction.atomic
def invitation_revoke(*, invitation_id: int, actor) -> Invitation:
    invitation = Invitation.objects.select_for_update().select_related("enterprise").get(
        pk=invitation_id)
    if not permissions.can_manage_members(actor, invitation.enterprise):
        raise PermissionDenied
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link stands for, usable or not (the page says which)."""
    return (Invitation.objects.select_related("enterprise")
            .filter(token_hash=hash_token(token)).first())


def _usable(token: str) -> Invitation:
    # the row is locked: two clicks on one link cannot both make an account
    invitation = (Invitation.objects.select_for_update().select_related("enterprise")
                  .filter(token_hash=hash_token(token)).first())
    if invitation is None:
        raise AccountError(_("This invitation link is not valid."))
    if invitation.accepted_at is not None:
        raise AccountError(_("This invitation has already been used. Log in instead."))
    if invitation.revoked_at is not None or timezone.now() >= invitation.expires_at:
        raise AccountError(
            _("This invitation has expired. Ask your liaison officer or your firm's "
              "administrator for a new one."))
    return invitation


def _accept(invitation: Invitation, user) -> FirmMembership:
    membership = membership_add(user=user, enterprise=invitation.enterprise,
                                is_admin=invitation.is_admin)
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def invitation_accept(*, token: str, username: str, password: str):
    """Someone new opens the link: an account with the chosen username and
    password (already validated by the form) joins the enterprise."""
    invitation = _usable(token)
    User = get_user_model()
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError(_("This username is taken; choose another."))
    user = User.objects.create_user(username=username, password=password,
                                    email=invitation.email)
    from approvals.models import Profile

    Profile.objects.update_or_create(user=user, defaults={"display_name": invitation.name})
    _accept(invitation, user)
    return user


@transaction.atomic
def invitation_accept_as(*, token: str, user) -> FirmMembership:
    """A logged-in firm user joins another enterprise with its link (one person,
    several enterprises)."""
    invitation = _usable(token)
    if is_staff_member(user):
        raise AccountError(_("Staff accounts cannot join an enterprise."))
    return _accept(invitation, user)


# ------------------------------------------------------------------ account requests


def normalise_name(name: str) -> str:
    """Names compare without spaces, with full-width brackets as half-width."""
    return "".join((name or "").split()).replace("（", "(").replace("）", ")")


@transaction.atomic
def account_request_submit(*, credit_code: str, enterprise_name: str, contact_name: str,
                           email: str, mobile: str = "") -> AccountRequest:
    """A firm asks for an account: the code must be in the registry and the name
    must be the registered one (a code alone is public and proves nothing)."""
    enterprise = Enterprise.objects.filter(credit_code=credit_code.strip().upper()).first()
    if enterprise is None or normalise_name(enterprise.name) != normalise_name(enterprise_name):
        raise AccountError(
            _("The credit code and the name do not match an enterprise in the registry. "
              "Check both against your business licence."))
    return AccountRequest.objects.create(enterprise=enterprise, contact_name=contact_name,
                                         email=email, mobile=mobile)


@transaction.atomic
def account_request_decide(*, request_id: int, actor, approve: bool
                           ) -> tuple[AccountRequest, str | None]:
    """The liaison or the coordinator approves (an invitation is mailed; the
    firm's first account administers it) or refuses a request."""
    request = AccountRequest.objects.select_for_update().select_related("enterprise").get(
        pk=request_id)
    if not permissions.can_approve_accounts(actor, request.enterprise):
        raise PermissionDenied
    if request.status != AccountRequest.Status.PENDING:
        raise AccountError(_("This request has already been decided."))
    token = None
    if approve:
        first = not request.enterprise.memberships.filter(is_admin=True).exists()
        request.invitation, token = invitation_create(
            actor=actor, enterprise=request.enterprise, name=request.contact_name,
            email=request.email, is_admin=first)
    request.status = (AccountRequest.Status.APPROVED if approve
                      else AccountRequest.Status.REFUSED)
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at", "invitation"])
    return request, token


# ------------------------------------------------------------------ portal intake


def _desk(key: str, default: int) -> int:
    return settings.DESK.get(key, default)


@transaction.atomic
def portal_obstacle_submit(*, actor, enterprise: Enterprise, **data):
    """A firm member submits an obstacle on the portal (channel "firm portal"),
    at most ``DESK["PORTAL_SUBMISSIONS_PER_HOUR"]`` an hour. Counted in the
    database, not a per-process cache, so it holds across web processes; the
    user's row is locked so two parallel submissions cannot both slip under."""
    from approvals import services as approval_services
    from approvals.models import TaskEvent

    if not actor.has_perm("enterprises.submit_obstacle", enterprise):
        raise PermissionDenied
    get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
    limit = _desk("PORTAL_SUBMISSIONS_PER_HOUR", 20)
    recent = TaskEvent.objects.filter(
        actor=actor, action=EventAction.SUBMIT,
        created_at__gte=timezone.now() - timedelta(hours=1)).count()
    if recent >= limit:
        raise RateLimited(
            _("You have submitted %(n)d obstacles in the last hour, the most allowed. "
              "Please wait a while, or call the office if it is urgent.") % {"n": limit})
    return approval_services.obstacle_submit(
        actor=actor, enterprise=enterprise, channel=Channel.PORTAL, **data)
