"""The admin: an integration is created with its service account, a key is
shown once on creation and works, a revoked key stops working."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client

import pytest

from api.models import Integration, IntegrationKey

from .conftest import key_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    user = get_user_model().objects.create_superuser("root", "root@example.gov.cn", "x")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_an_integration_and_its_key_are_made_in_the_admin(admin_client):
    response = admin_client.post("/admin/api/integration/add/", {
        "name": "省一体化平台", "channel": "other", "webhook_url": "",
        "webhook_secret": "s" * 40, "is_active": "on"})
    assert response.status_code == 302, response.content[:2000]
    integration = Integration.objects.get(name="省一体化平台")
    assert integration.user.username.startswith("api-")
    assert not integration.user.has_usable_password()

    response = admin_client.post("/admin/api/integrationkey/add/", {
        "name": "first", "integration": integration.pk})
    assert response.status_code == 302
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    plain = next(re.search(r"is: (\S+)\.\s", m).group(1) for m in shown if "is:" in m)
    key = IntegrationKey.objects.get(integration=integration)
    assert plain.startswith(key.prefix) and plain not in key.hashed_key
    assert key_client(plain).get("/api/v1/categories/").status_code == 200

    key.revoked = True
    key.save()
    assert key_client(plain).get("/api/v1/categories/").status_code == 401
