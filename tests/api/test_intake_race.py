"""Two deliveries of one work order at the same moment: one obstacle.

On PostgreSQL only, where the second insert really waits on the unique index
of (channel, external_ref). The test's own transaction takes the order in and
holds its commit; a second request on its own connection posts the same order
and blocks on the index (the test waits until PostgreSQL reports it waiting);
then the first commits. The second must answer 200 with the first's obstacle:
``obstacle_submit`` catches the IntegrityError and reads the winner.
"""

from __future__ import annotations

import threading
import time

from django.contrib.auth.models import Group
from django.db import connection, transaction

import pytest

from api import services
from api.models import IntegrationKey, IntegrationObstacle
from approvals.choices import Role
from approvals.models import Obstacle
from enterprises.models import Industry

from .conftest import key_client

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the unique index only makes a writer wait on PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _reference_data(transactional_db):
    for role in Role:
        Group.objects.get_or_create(name=role)
    Industry.objects.get_or_create(code="C", defaults={"name_zh": "制造业",
                                                       "name_en": "Manufacturing"})


def _waiting(observer) -> int:
    with observer.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                       "current_database() AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


def test_a_work_order_posted_twice_at_once_is_one_obstacle(hotline, hotline_key, order,
                                                           enterprise, category):
    results: dict = {}

    def second():
        try:
            response = key_client(hotline_key).post("/api/v1/obstacles/", order,
                                                    format="json")
            results["answer"] = (response.status_code, response.json())
        finally:
            connection.close()

    observer = connection.get_new_connection(connection.get_connection_params())
    observer.autocommit = True
    thread = threading.Thread(target=second)
    try:
        with transaction.atomic():
            first, created = services.integration_obstacle_submit(
                key=IntegrationKey.objects.get(integration=hotline), enterprise=enterprise,
                category=category, title="热线工单", description=order["description"],
                external_ref=order["external_ref"])
            assert created
            thread.start()
            deadline = time.monotonic() + 10
            while _waiting(observer) < 1:
                assert time.monotonic() < deadline, "the second insert never waited"
                time.sleep(0.02)
    finally:
        observer.close()
    thread.join(timeout=30)
    assert not thread.is_alive()
    status, body = results["answer"]
    assert status == 200 and body["id"] == first.pk
    assert Obstacle.objects.filter(external_ref=order["external_ref"]).count() == 1
    assert IntegrationObstacle.objects.get().obstacle_id == first.pk
