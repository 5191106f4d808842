"""Throttle for the one form of the portal that anyone may post without an
account: the account request (企业账号申请).

Its credit-code-and-name check answers "match" or "no match", so unthrottled it
would let a script learn which names go with which codes, and fill the liaisons'
inbox. Two fixed-window counters in Django's cache, so they hold across web
processes when the cache is shared (``CACHE_URL`` = Redis in production; the
per-process default only limits each process):

- per client address, ``DESK["ACCOUNT_REQUESTS_PER_IP_PER_HOUR"]`` an hour;
- per credit code, ``DESK["ACCOUNT_REQUESTS_PER_CODE_PER_DAY"]`` a day, so
  changing addresses does not help against one firm.

The address is the one django-axes uses for login lockouts (its proxy settings
decide whether X-Forwarded-For is believed; by default it is not).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from axes.helpers import get_client_ip_address

HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True)
class Refusal:
    """Why an account request was not taken, in words for the firm."""

    message: str


def _hit(scope: str, value: str, window: int) -> int:
    """Count one attempt in the current window of ``window`` seconds and return
    the count so far. ``incr`` is atomic in Redis and in the memory cache."""
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]  # no raw address in keys
    key = f"throttle:account-request:{scope}:{digest}:{int(time.time() // window)}"
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # the window's key expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def account_request_hit(request, credit_code: str) -> Refusal | None:
    """Count an account request from ``request`` for ``credit_code``; a
    ``Refusal`` when the address or the code has had its share. An address over
    its limit does not use up the code's share (it cannot lock a firm out)."""
    desk = settings.DESK
    ip = get_client_ip_address(request) or request.META.get("REMOTE_ADDR") or "unknown"
    phone = desk["OFFICE_PHONE"]
    per_ip = desk.get("ACCOUNT_REQUESTS_PER_IP_PER_HOUR", 10)
    if _hit("ip", ip, HOUR) > per_ip:
        return Refusal(_(
            "Too many account requests have come from your network in the last hour. "
            "Please try again later, or call the office at %(phone)s.") % {"phone": phone})
    per_code = desk.get("ACCOUNT_REQUESTS_PER_CODE_PER_DAY", 5)
    if _hit("code", credit_code.strip().upper(), DAY) > per_code:
        return Refusal(_(
            "This enterprise has asked for accounts too many times today. Please try "
            "again tomorrow, or call the office at %(phone)s.") % {"phone": phone})
    return None
