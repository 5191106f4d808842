"""Shared fixtures: one user per role, departments, an enterprise pair."""

from __future__ import annotations

from django.core.cache import cache

import pytest

from approvals.choices import Role
from tests.factories import (
    CategoryFactory,
    DepartmentFactory,
    EnterpriseFactory,
    MembershipFactory,
    ServiceTeamFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def dept(db):
    return DepartmentFactory(code="zrzy", name="自然资源和规划局")


@pytest.fixture
def other_dept(db):
    return DepartmentFactory(code="scjg", name="市场监督管理局")


@pytest.fixture
def category(dept):
    return CategoryFactory(code="ghyd", name="规划用地", default_department=dept,
                           limit_normal_days=5, limit_urgent_days=2)


@pytest.fixture
def team(db):
    return ServiceTeamFactory(name="第一服务专班")


@pytest.fixture
def staff(team):
    return UserFactory(username="staff", role=Role.SERVICE_STAFF, team=team)


@pytest.fixture
def staff2(team):
    return UserFactory(username="staff2", role=Role.SERVICE_STAFF, team=team)


@pytest.fixture
def officer(dept):
    return UserFactory(username="officer", role=Role.DEPARTMENT_OFFICER, department=dept)


@pytest.fixture
def head(dept):
    return UserFactory(username="head", role=Role.DEPARTMENT_HEAD, department=dept)


@pytest.fixture
def other_officer(other_dept):
    return UserFactory(username="officer_other", role=Role.DEPARTMENT_OFFICER,
                       department=other_dept)


@pytest.fixture
def coordinator(db):
    return UserFactory(username="coordinator", role=Role.COORDINATOR)


@pytest.fixture
def leader(db):
    return UserFactory(username="leader", role=Role.LEADER)


@pytest.fixture
def editor(db):
    return UserFactory(username="editor", role=Role.EDITOR)


@pytest.fixture
def enterprise(db):
    return EnterpriseFactory(name="杭州甲科技有限公司")


@pytest.fixture
def enterprise_b(db):
    return EnterpriseFactory(name="杭州乙贸易有限公司")


@pytest.fixture
def firm(enterprise):
    return MembershipFactory(user=UserFactory(username="firm", role=Role.FIRM_USER),
                             enterprise=enterprise).user


@pytest.fixture
def firm2(enterprise_b):
    return MembershipFactory(user=UserFactory(username="firm2", role=Role.FIRM_USER),
                             enterprise=enterprise_b).user
