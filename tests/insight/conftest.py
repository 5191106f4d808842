"""Helpers for the insight tests: tasks driven through the services."""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage

import pytest

from approvals import services
from approvals.choices import Channel, TaskRole
from approvals.models import Attachment


@pytest.fixture
def private_storage(tmp_path, monkeypatch):
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage",
                        FileSystemStorage(location=tmp_path))
    return tmp_path


@pytest.fixture
def take_in(staff, enterprise, category):
    def make(title="用地规划条件未出具", description="项目已摘牌，规划条件迟迟未出具。",
             enterprise_=None, category_=None):
        obstacle = services.obstacle_submit(
            actor=staff, enterprise=enterprise_ or enterprise, category=category_ or category,
            title=title, description=description, channel=Channel.VISIT)
        return obstacle.tasks.get(role=TaskRole.LEAD)
    return make


@pytest.fixture
def rated(take_in, coordinator, officer, staff, dept):
    """A lead task of ``dept`` resolved by ``officer`` and rated ``rating`` by ``staff``."""
    def make(rating: int):
        task = take_in()
        services.task_assign(task_id=task.pk, actor=coordinator, department=dept)
        services.task_accept(task_id=task.pk, actor=officer)
        services.task_resolve(task_id=task.pk, actor=officer, resolution="已办结")
        services.task_callback(task_id=task.pk, actor=staff, is_reached=True, rating=rating)
        task.refresh_from_db()
        return task
    return make
