"""REST API v1: intake through the closed loop's service, idempotency by
external_ref, what each kind of client may read, and the error answers."""

from __future__ import annotations

from django.utils import translation

import pytest
from rest_framework.test import APIClient

from api.models import IntegrationObstacle
from approvals import services as loop
from approvals.choices import Channel, EventAction, TaskRole, TaskState
from approvals.models import Obstacle, TaskEvent
from tests.factories import EnterpriseFactory, TaskFactory

from .conftest import key_client

pytestmark = pytest.mark.django_db

LIST = "/api/v1/obstacles/"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_a_work_order_is_taken_in_through_the_closed_loop(hotline, hotline_client, order,
                                                           enterprise):
    response = hotline_client.post(LIST, order, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    obstacle = Obstacle.objects.get(pk=body["id"])
    assert obstacle.channel == Channel.HOTLINE
    assert obstacle.enterprise == enterprise
    assert obstacle.external_ref == "GD2026112500017"
    assert obstacle.urgency == "urgent"
    # no title sent: the description's first line
    assert obstacle.title == order["description"][:60]
    # the lead task is submitted, with its submit event by the integration's account
    task = obstacle.tasks.get(role=TaskRole.LEAD)
    assert task.state == TaskState.SUBMITTED
    event = TaskEvent.objects.get(task=task)
    assert (event.action, event.actor) == (EventAction.SUBMIT, hotline.user)
    # nobody at the desk has touched it: no first-contact person yet
    assert obstacle.received_by is None
    link = IntegrationObstacle.objects.get(obstacle=obstacle)
    assert link.integration == hotline
    assert body["state"] == "submitted"
    assert body["status"].startswith("Received")
    assert [e["action"] for e in body["events"]] == ["submit"]


def test_the_same_external_ref_returns_the_same_obstacle(hotline_client, order):
    first = hotline_client.post(LIST, order, format="json")
    again = hotline_client.post(LIST, {**order, "description": "重复推送"}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Obstacle.objects.filter(external_ref=order["external_ref"]).count() == 1
    assert IntegrationObstacle.objects.count() == 1


def test_a_reference_typed_in_at_the_desk_is_not_handed_to_the_integration(
        hotline_client, order, staff, enterprise, category):
    loop.obstacle_submit(actor=staff, enterprise=enterprise, category=category, title="热线转办",
                         description="电话记录", channel=Channel.HOTLINE,
                         external_ref=order["external_ref"])
    response = hotline_client.post(LIST, order, format="json")
    assert response.status_code == 409
    assert "external_ref" in response.json()
    assert IntegrationObstacle.objects.count() == 0


def test_a_reference_used_for_another_firm_is_refused(hotline_client, order):
    hotline_client.post(LIST, order, format="json")
    other = EnterpriseFactory()
    response = hotline_client.post(LIST, {**order, "credit_code": other.credit_code},
                                   format="json")
    assert response.status_code == 400
    assert "another enterprise" in response.json()["non_field_errors"][0]


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("credit_code", "91330106MA2B3C4D5", "18 characters"),
    ("credit_code", "WRONG-CHECK", "should be"),
    ("credit_code", "911101080000000000", None),
    ("category", "no-such-category", None),
    ("category", "cat\x00egory", None),  # PostgreSQL cannot compare a NUL: a 400, not a 500
    ("urgency", "tomorrow", None),
    ("description", "", None),
    ("external_ref", "", None),
    ("external_ref", "x" * 65, None),
])
def test_bad_input_is_a_400_with_a_reason_for_the_field(hotline_client, order, field, value,
                                                        reason):
    if value == "WRONG-CHECK":  # a valid code with its last character mistyped
        code = order["credit_code"]
        value = code[:17] + ("0" if code[17] != "0" else "1")
    response = hotline_client.post(LIST, {**order, field: value}, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert errors[field] and all(isinstance(r, str) and r for r in errors[field])
    if reason:
        assert reason in errors[field][0]
    assert not Obstacle.objects.exists()


def test_an_unregistered_but_valid_credit_code_is_named_as_such(hotline_client, order):
    from enterprises.validators import generate_credit_code

    response = hotline_client.post(LIST, {**order, "credit_code": generate_credit_code()},
                                   format="json")
    assert response.status_code == 400
    assert "No enterprise" in response.json()["credit_code"][0]


def test_malformed_json_is_a_400_not_a_500(hotline_client):
    response = hotline_client.post(LIST, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_without_a_key_the_api_answers_401():
    for url in (LIST, f"{LIST}1/", "/api/v1/categories/", "/api/v1/webhook/"):
        response = APIClient().get(url)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"] == "Api-Key"


def test_a_wrong_or_revoked_key_answers_401(hotline, hotline_key):
    assert key_client("nope.nothing").get(LIST).status_code == 401
    assert key_client(hotline_key + "x").get(LIST).status_code == 401
    hotline.keys.update(revoked=True)
    assert key_client(hotline_key).get(LIST).status_code == 401


def test_an_inactive_integration_is_refused(hotline, hotline_key):
    hotline.is_active = False
    hotline.save()
    assert key_client(hotline_key).get(LIST).status_code == 401


def test_a_key_of_channel_x_cannot_read_channel_y_obstacles(hotline_client, window_client,
                                                            order):
    created = hotline_client.post(LIST, order, format="json").json()
    ref = order["external_ref"]
    assert window_client.get(f"{LIST}{created['id']}/").status_code == 404
    assert window_client.get(f"{LIST}ref/{ref}/").status_code == 404
    assert window_client.get(LIST).json()["count"] == 0
    assert window_client.get(LIST, {"external_ref": ref}).json()["count"] == 0
    # and what the hotline sees of its own
    assert hotline_client.get(f"{LIST}{created['id']}/").status_code == 200
    assert hotline_client.get(f"{LIST}ref/{ref}/").json()["id"] == created["id"]
    # the window's own obstacle with the same number is a different one
    mine = window_client.post(LIST, order, format="json")
    assert mine.status_code == 201 and mine.json()["id"] != created["id"]


def test_an_integration_sees_only_what_it_took_in_not_its_channel(hotline_client, order, staff,
                                                                  enterprise, category):
    typed_in = loop.obstacle_submit(actor=staff, enterprise=enterprise, category=category,
                                    title="电话记录", description="热线转来", channel="hotline",
                                    external_ref="OTHER-1")
    assert hotline_client.get(f"{LIST}{typed_in.pk}/").status_code == 404
    assert hotline_client.get(LIST).json()["count"] == 0


def test_a_key_cannot_take_obstacles_in_on_the_portal(hotline):
    """The service account's intake right is the integration's channel only."""
    from django.core.exceptions import PermissionDenied

    from tests.factories import CategoryFactory

    with pytest.raises(PermissionDenied):
        loop.obstacle_submit(actor=hotline.user, enterprise=EnterpriseFactory(),
                             category=CategoryFactory(), title="t", description="d",
                             channel=Channel.PORTAL)


def test_the_detail_shows_state_department_deadline_and_only_firm_visible_events(
        hotline_client, order, coordinator, dept):
    created = hotline_client.post(LIST, order, format="json").json()
    task = Obstacle.objects.get(pk=created["id"]).tasks.get(role=TaskRole.LEAD)
    loop.task_assign(task_id=task.pk, actor=coordinator, department=dept)
    TaskEvent.objects.create(task=task, actor=coordinator, action=EventAction.NOTE,
                             to_state=task.state, comment="内部备注：勿外传")
    body = hotline_client.get(f"{LIST}{created['id']}/").json()
    assert body["state"] == "assigned"
    assert body["status"] == "Passed to the responsible department"
    assert body["department"] == dept.name
    assert body["deadline_on"]
    assert "内部备注：勿外传" not in str(body)
    assert [e["action"] for e in body["events"]][-1] == "assign"


def test_lists_are_paginated_and_their_query_count_does_not_grow(
        hotline, hotline_client, order, django_assert_max_num_queries):
    def add(n):
        for i in range(n):
            task = TaskFactory(obstacle__channel=Channel.HOTLINE,
                               obstacle__external_ref=f"R{Obstacle.objects.count()}-{i}")
            IntegrationObstacle.objects.create(obstacle=task.obstacle, integration=hotline)

    add(2)
    with django_assert_max_num_queries(6):
        small = hotline_client.get(LIST)
    add(28)
    with django_assert_max_num_queries(6):
        big = hotline_client.get(LIST)
    assert small.json()["count"] == 2
    body = big.json()
    assert body["count"] == 30 and len(body["results"]) == 25 and body["next"]
    assert len(hotline_client.get(LIST, {"page": 2}).json()["results"]) == 5
    assert hotline_client.get(LIST, {"page": 9}).status_code == 404
    assert hotline_client.get(LIST, {"state": "nonsense"}).status_code == 400


def test_staff_read_with_their_session_what_the_desk_lets_them(order, hotline_client,
                                                               coordinator, other_officer):
    created = hotline_client.post(LIST, order, format="json").json()
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(coordinator)
    assert client.get(f"{LIST}{created['id']}/").status_code == 200
    assert client.get(f"{LIST}ref/{order['external_ref']}/",
                      {"channel": "hotline"}).status_code == 200
    # staff do not take obstacles in through the API
    assert client.post(LIST, order, format="json").status_code == 403
    client.force_login(other_officer)
    assert client.get(f"{LIST}{created['id']}/").status_code == 404


def test_firm_users_read_their_own_enterprise_only(hotline_client, order, firm, firm2):
    created = hotline_client.post(LIST, order, format="json").json()
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(firm)
    assert client.get(f"{LIST}{created['id']}/").status_code == 200
    assert client.get(LIST).json()["count"] == 1
    client.force_login(firm2)
    assert client.get(f"{LIST}{created['id']}/").status_code == 404
    assert client.get(f"{LIST}ref/{order['external_ref']}/").status_code == 404
    assert client.get(LIST).json()["count"] == 0


def test_a_signed_in_user_without_a_desk_role_gets_403(editor):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(editor)
    assert client.get(LIST).status_code == 403


def test_categories_and_the_staff_only_enterprise_lookup(hotline_client, category, enterprise,
                                                         staff, firm):
    codes = [c["code"] for c in hotline_client.get("/api/v1/categories/").json()]
    assert category.code in codes
    url = "/api/v1/enterprises/"
    assert hotline_client.get(url, {"credit_code": enterprise.credit_code}).status_code == 403
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(firm)
    assert client.get(url, {"credit_code": enterprise.credit_code}).status_code == 403
    client.force_login(staff)
    found = client.get(url, {"credit_code": enterprise.credit_code.lower()}).json()
    assert [e["id"] for e in found["results"]] == [enterprise.pk]
    bad = client.get(url, {"credit_code": "123"})
    assert bad.status_code == 400 and "credit_code" in bad.json()
    assert client.get(url).status_code == 400


def test_anyone_may_read_the_schema_and_the_docs_use_local_assets(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "http" not in html.split("<body>")[1].replace(docs.wsgi_request.get_host(), "")
    assert "<style>" not in html and "<script>" not in html


def test_a_throttled_key_gets_429_with_retry_after(hotline_client, window_client, settings):
    settings.DESK = {**settings.DESK, "API_REQUESTS_PER_MINUTE": 3}
    answers = [hotline_client.get("/api/v1/categories/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    response = hotline_client.get(LIST)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    # counted per key: another integration is not held back
    assert window_client.get("/api/v1/categories/").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/obstacles/{}/", "/open311/v2/requests/{}.json"])
def test_an_id_too_long_for_the_database_is_a_404_not_a_500(hotline_client, path):
    # found by schemathesis: SQLite and PostgreSQL refuse a key beyond bigint
    response = hotline_client.get(path.format(2756337205820612010806440099840))
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/api/", "/api/v1/obstacles/abc/", "/api/v1/obstacles/%0A/",
                                  "/api/v1/obstacles/1%0A2/", "/open311/v2/x%0Ay.json"])
def test_an_unknown_api_path_is_a_json_404_even_with_a_newline(hotline_client, path):
    # found by schemathesis: ``<path:rest>`` is ``.+``, which stops at a
    # newline, so such a path fell through to the site's HTML 404
    response = hotline_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
