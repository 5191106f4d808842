"""Fixtures of the letters tests: an enterprise with obstacles in every state
the letter words differently, a liaison, and the private store in tmp."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.storage import FileSystemStorage
from django.utils import timezone

import pytest

from approvals.choices import TaskState
from approvals.models import TaskEvent
from letters import models as letter_models
from tests.factories import (
    CategoryFactory,
    ContactFactory,
    LiaisonFactory,
    ObstacleFactory,
    TaskFactory,
)

TITLES = [
    ("厂房消防验收排期过长", "新建厂房消防验收预约已等待两个月，影响投产。"),
    ("用地规划许可办理进度", "二期项目用地规划许可材料已提交，尚未收到审查意见。"),
    ("电力增容接入", "生产线扩建需要由 400 千伏安增容至 1250 千伏安。"),
    ("员工子女入学", "引进人才子女就近入学需要协调。"),
    ("排污许可证变更", "扩产后需要变更排污许可证载明事项。"),
    ("道路开口审批", "厂区新增出入口需要道路开口审批。"),
    ("招工用工对接", "春节后用工缺口约 80 人，希望对接招聘会。"),
    ("研发费用加计扣除", "咨询研发费用加计扣除政策的申报流程。"),
]
STATES = [TaskState.IN_PROGRESS, TaskState.ASSIGNED, TaskState.RESOLVED, TaskState.SUBMITTED,
          TaskState.IN_PROGRESS, TaskState.CLOSING, TaskState.IN_PROGRESS, TaskState.CLOSED]


@pytest.fixture(autouse=True)
def private_store(tmp_path, monkeypatch):
    """Letters and bulletins are written to a temporary private store."""
    storage = FileSystemStorage(location=tmp_path / "private")
    for model in (letter_models.Letter, letter_models.Bulletin):
        monkeypatch.setattr(model._meta.get_field("file"), "storage", storage)
    return tmp_path / "private"


def make_obstacles(enterprise, dept, n=8):
    """``n`` obstacles of ``enterprise`` with lead tasks in varied states and a
    firm-visible progress note on each (and an internal one it must not see)."""
    category = CategoryFactory(code="xfys", name="消防验收", default_department=dept)
    tasks = []
    for i in range(n):
        title, description = TITLES[i % len(TITLES)]
        state = STATES[i % len(STATES)]
        obstacle = ObstacleFactory(enterprise=enterprise, category=category, title=title,
                                   description=description,
                                   received_at=timezone.now() - timedelta(days=20 - i))
        trait = {TaskState.SUBMITTED: {}, TaskState.ASSIGNED: {"assigned": True}}.get(
            state, {"in_progress": True})
        task = TaskFactory(obstacle=obstacle, department=None if state == TaskState.SUBMITTED
                           else dept, **trait)
        task.state = state
        task.save(update_fields=["state"])
        TaskEvent.objects.create(task=task, action="note", comment="内部备注：勿告知企业",
                                 is_visible_to_firm=False)
        TaskEvent.objects.create(task=task, action="note", is_visible_to_firm=True,
                                 comment=f"已与企业电话沟通，第{i + 1}次协调会已召开。")
        tasks.append(task)
    return tasks


@pytest.fixture
def firm_with_obstacles(enterprise, dept, staff):
    LiaisonFactory(staff=staff, enterprise=enterprise)
    ContactFactory(enterprise=enterprise, name="王经理", email="wang@example.com")
    make_obstacles(enterprise, dept)
    return enterprise


@pytest.fixture
def letters_models():
    return letter_models


def assert_renders_the_same_by_either_parser(html: str, monkeypatch) -> None:
    """``html`` takes the XHTML fast path (``letters.pdf.parse_xhtml``), and its
    PDF is byte-for-byte the one WeasyPrint's HTML5 parser gives."""
    from letters import documents, pdf

    assert pdf.parse_xhtml(html) is not None
    fast = documents.render(html)
    monkeypatch.setattr(pdf, "parse_xhtml", lambda html: None)
    assert documents.render(html) == fast
