"""Who may use the API, and which obstacles each client sees.

Three kinds of client:

* an integration, by key: reads only the obstacles it took in, and takes new
  ones in on its own channel;
* desk staff, by their session: read what the desk lets them read
  (``approvals.permissions.scope_obstacles``), never take obstacles in here
  (they record them on the desk, with a first-contact person);
* a firm user, by their session: reads its own enterprises' obstacles (the
  portal's django-guardian scope); another firm's obstacle is a 404.

Anyone else signed in (a CMS editor) gets 403; no credentials at all, 401.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from rest_framework import permissions as drf_permissions

from approvals.choices import Role
from approvals.permissions import STAFF_ROLES, is_staff_member, roles

from .models import Integration, IntegrationKey


def client_integration(request) -> Integration | None:
    """The integration whose key authenticated the request, if any."""
    auth = getattr(request, "auth", None)
    return auth.integration if isinstance(auth, IntegrationKey) else None


def is_desk_staff(request) -> bool:
    return client_integration(request) is None and is_staff_member(request.user)


def is_firm_user(request) -> bool:
    return client_integration(request) is None and Role.FIRM_USER in roles(request.user)


class IsApiClient(drf_permissions.BasePermission):
    """An integration key, or a session of desk staff or a firm user."""

    def has_permission(self, request, view) -> bool:
        if client_integration(request) is not None:
            return True
        return bool(roles(request.user) & (STAFF_ROLES | {Role.FIRM_USER}))


class IsIntegration(drf_permissions.BasePermission):
    """Only an integration key (taking obstacles in, its webhook)."""

    message = _("Only an integration key may do this.")

    def has_permission(self, request, view) -> bool:
        return client_integration(request) is not None


class IsDeskStaff(drf_permissions.BasePermission):
    """Only desk staff with a session (the registry lookup)."""

    def has_permission(self, request, view) -> bool:
        return is_desk_staff(request)
