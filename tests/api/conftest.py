"""Fixtures of the API tests: integrations on two channels, each with a key."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api import services
from approvals.choices import Channel


@pytest.fixture
def hotline(db):
    return services.integration_create(name="12345热线", channel=Channel.HOTLINE)


@pytest.fixture
def hotline_key(hotline):
    _key, plain = services.key_create(integration=hotline)
    return plain


@pytest.fixture
def window(db):
    return services.integration_create(name="办不成事窗口", channel=Channel.WINDOW)


@pytest.fixture
def window_key(window):
    _key, plain = services.key_create(integration=window)
    return plain


def key_client(plain: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}", HTTP_ACCEPT_LANGUAGE="en")
    return client


@pytest.fixture
def hotline_client(hotline_key):
    return key_client(hotline_key)


@pytest.fixture
def window_client(window_key):
    return key_client(window_key)


@pytest.fixture
def order(enterprise, category):
    """A work order as the hotline sends it."""
    return {"credit_code": enterprise.credit_code, "category": category.code,
            "description": "企业反映：施工许可证办理进度慢，已超过承诺时限。",
            "urgency": "urgent", "contact_name": "王先生", "contact_phone": "13900001111",
            "external_ref": "GD2026112500017"}
