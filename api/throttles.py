"""Throttling per integration key (and per user for sessions): a runaway
client gets 429 with ``Retry-After`` instead of slowing the desk for everyone.

The rate is read from ``settings.DESK["API_REQUESTS_PER_MINUTE"]`` on each
request (not frozen at import as DRF's ``DEFAULT_THROTTLE_RATES`` would be),
and counted in the shared cache, so every web process sees the same count.
"""

from __future__ import annotations

from django.conf import settings

from rest_framework.throttling import SimpleRateThrottle

from .models import IntegrationKey


class PerKeyThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self) -> str:
        return f"{int(settings.DESK['API_REQUESTS_PER_MINUTE'])}/min"

    def allow_request(self, request, view) -> bool:
        # read the rate each time so a changed setting applies at once
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.auth, IntegrationKey):
            ident = f"key:{request.auth.pk}"
        elif request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
