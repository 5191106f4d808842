"""Integration keys as DRF authentication.

``Authorization: Api-Key <key>`` everywhere; Open311 clients may send the
``api_key`` parameter instead (GeoReport v2 puts it in the query or the form).
A valid key authenticates as the integration's service account, with the key
as ``request.auth``; a wrong, revoked or expired key, or one of an inactive
integration, is a 401 (never a silent anonymous request).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from rest_framework import authentication, exceptions

from .models import IntegrationKey

KEYWORD = "Api-Key"


def _lookup(raw: str) -> IntegrationKey:
    prefix, _dot, _secret = raw.partition(".")
    key = (IntegrationKey.objects.select_related("integration__user")
           .filter(revoked=False, prefix=prefix).first())
    # the hash is compared in constant time by the library
    if key is None or not key.is_valid(raw):
        raise exceptions.AuthenticationFailed(_("Unknown or revoked API key."))
    if key.has_expired or not key.integration.is_active:
        raise exceptions.AuthenticationFailed(_("This API key is no longer valid."))
    return key


class IntegrationKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Api-Key <key>``."""

    def _raw_key(self, request) -> str | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        keyword, _sep, raw = header.partition(" ")
        if keyword.lower() != KEYWORD.lower():
            return None
        raw = raw.strip()
        if not raw:
            raise exceptions.AuthenticationFailed(_("The API key is missing after Api-Key."))
        return raw

    def authenticate(self, request):
        raw = self._raw_key(request)
        if raw is None:
            return None
        key = _lookup(raw)
        return key.integration.user, key

    def authenticate_header(self, request) -> str:
        # makes DRF answer 401 (not 403) to a request without credentials
        return KEYWORD


class Open311KeyAuthentication(IntegrationKeyAuthentication):
    """The header, or GeoReport v2's ``api_key`` parameter (query or form)."""

    def _raw_key(self, request) -> str | None:
        raw = super()._raw_key(request)
        if raw is not None:
            return raw
        raw = request.query_params.get("api_key") or request.POST.get("api_key")
        return raw.strip() if raw and raw.strip() else None
