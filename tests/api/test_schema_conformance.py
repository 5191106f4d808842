"""Schemathesis against the project's own OpenAPI document, in process (WSGI):
every operation, generated input, no 500, and every answer matches the
schema (status code documented, content type, body, headers).

Bounded so the suite stays fast: a few dozen examples per operation, no
deadline (the machine is shared). The key's throttle is lifted for the run:
throttling has its own test.
"""

from __future__ import annotations

from django.core.signals import request_finished, request_started
from django.db import close_old_connections

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.models import IntegrationObstacle
from servicedesk.wsgi import application
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]


# the document as the desk serves it (no database needed to build it)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def _keep_connection():
    """The raw WSGI app closes the database connection after each request (as
    a server should); Django's test client switches that off so the test's
    transaction survives, and so does this (PostgreSQL would lose it)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def world(_keep_connection, settings, hotline, hotline_key, category, enterprise):
    """A hotline key, and obstacles it took in so reads also find something."""
    settings.DESK = {**settings.DESK, "API_REQUESTS_PER_MINUTE": 100_000}
    for n in range(3):
        task = TaskFactory(obstacle__channel="hotline", obstacle__external_ref=f"HL-{n}",
                           obstacle__enterprise=enterprise, obstacle__category=category)
        IntegrationObstacle.objects.create(obstacle=task.obstacle, integration=hotline)
    return {"Authorization": f"Api-Key {hotline_key}"}


@schema.parametrize()
@hypothesis.settings(max_examples=25, deadline=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
def test_every_operation_conforms_and_never_fails(case, world):
    case.call_and_validate(headers=world, checks=CHECKS)
