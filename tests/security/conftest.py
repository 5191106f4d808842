"""Fixtures of the security tests: the three administrators."""

from __future__ import annotations

import pytest

from audit.choices import AdminRole
from tests.factories import UserFactory


@pytest.fixture
def system_admin(db):
    return UserFactory(username="sysadmin", role=AdminRole.SYSTEM, is_staff=True)


@pytest.fixture
def security_admin(db):
    return UserFactory(username="secadmin", role=AdminRole.SECURITY, is_staff=True)


@pytest.fixture
def audit_admin(db):
    return UserFactory(username="auditadmin", role=AdminRole.AUDIT, is_staff=True)


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
