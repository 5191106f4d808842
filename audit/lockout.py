"""Lockout per account *and* per address (django-axes handler).

Axes has one failure limit for all its lockout parameters, so with
``["username", "ip_address"]`` five typos by one officer would lock every
colleague behind the same office NAT. This handler counts the two apart:
an account locks after ``AXES_FAILURE_LIMIT`` failures from anywhere, an
address after ``AXES_IP_FAILURE_LIMIT`` failures for any accounts (password
spraying), each for ``AXES_COOLOFF_TIME``.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Sum

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt


class AccountAndAddressHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        """Failures in the sense of ``is_locked``: the account's own count, or
        the address's count scaled so that it reaches the limit exactly when
        the address reaches ``AXES_IP_FAILURE_LIMIT``."""
        limit = get_failure_limit(request, credentials)
        username = get_client_username(request, credentials)
        attempts = AccessAttempt.objects.all()
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        account = 0
        if username:
            account = attempts.filter(username=username).aggregate(
                n=Sum("failures_since_start"))["n"] or 0
        ip = getattr(request, "axes_ip_address", None)
        address = 0
        if ip:
            address = attempts.filter(ip_address=ip).aggregate(
                n=Sum("failures_since_start"))["n"] or 0
        ip_limit = max(settings.AXES_IP_FAILURE_LIMIT, limit)
        return max(account, address - (ip_limit - limit))
