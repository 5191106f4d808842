"""Open311 GeoReport v2 details the client libraries do not reach: XML bodies,
the error list in both formats, the key as a parameter, filters, throttling,
and the management command that issues keys."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # test-only parsing of our own XML
from io import StringIO

from django.core.management import CommandError, call_command
from django.test import Client

import pytest

from api.models import Integration, IntegrationKey, IntegrationObstacle
from approvals.models import Obstacle
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db

ROOT = "/open311/v2"


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _post(client, key, data, fmt="json"):
    return client.post(f"{ROOT}/requests.{fmt}", {"api_key": key, **data})


@pytest.fixture
def form(enterprise, category):
    return {"service_code": category.code, "attribute[credit_code]": enterprise.credit_code,
            "attribute[external_ref]": "XML-1", "description": "用电报装排期慢",
            "address_string": "拱墅区丽水路 1 号"}


def test_a_request_posted_for_xml_answers_in_xml(client, hotline_key, form):
    response = _post(client, hotline_key, form, fmt="xml")
    assert response.status_code == 201
    assert response["Content-Type"].startswith("text/xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own answer
    assert root.tag == "service_requests"
    request_id = root.find("request/service_request_id").text
    detail = client.get(f"{ROOT}/requests/{request_id}.xml", {"api_key": hotline_key})
    row = ET.fromstring(detail.content).find("request")  # noqa: S314
    assert row.find("status").text == "open"
    assert row.find("address").text == form["address_string"]
    assert row.find("lat").text is None  # null is an empty element


def test_errors_are_the_georeport_list_in_both_formats(client, hotline_key, form):
    bad = {**form, "attribute[credit_code]": "123", "service_code": ""}
    response = _post(client, hotline_key, bad)
    assert response.status_code == 400
    errors = response.json()
    assert {e["code"] for e in errors} == {400}
    described = " ".join(e["description"] for e in errors)
    assert "service_code: " in described and "attribute[credit_code]: " in described
    xml = _post(client, hotline_key, bad, fmt="xml")
    root = ET.fromstring(xml.content)  # noqa: S314
    assert root.tag == "errors" and root.find("error/code").text == "400"
    assert not Obstacle.objects.exists()


def test_requests_need_a_key_services_do_not(client, category):
    assert client.get(f"{ROOT}/services.json").status_code == 200
    assert client.get(f"{ROOT}/services/{category.code}.json").status_code == 200
    assert client.get(f"{ROOT}/services/nothing.json").status_code == 404
    for url in (f"{ROOT}/requests.json", f"{ROOT}/requests/1.json"):
        response = client.get(url)
        assert response.status_code == 401
        assert response.json()[0]["code"] == 401
    assert client.get(f"{ROOT}/requests.json", {"api_key": "bad.key"}).status_code == 401


def test_the_key_may_also_come_as_the_header(client, hotline_key):
    response = client.get(f"{ROOT}/requests.json", HTTP_AUTHORIZATION=f"Api-Key {hotline_key}")
    assert response.status_code == 200 and response.json() == []


def test_the_same_external_ref_is_the_same_request(client, hotline_key, form):
    first = _post(client, hotline_key, form)
    again = _post(client, hotline_key, form)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    assert Obstacle.objects.count() == 1


def test_list_filters(client, hotline, hotline_key, category):
    rows = []
    for state in ("submitted", "closed"):
        task = TaskFactory(state=state, obstacle__channel="hotline",
                           obstacle__category=category)
        IntegrationObstacle.objects.create(obstacle=task.obstacle, integration=hotline)
        rows.append(str(task.obstacle_id))

    def ids(**params):
        answer = client.get(f"{ROOT}/requests.json", {"api_key": hotline_key, **params})
        assert answer.status_code == 200, answer.content
        return sorted(r["service_request_id"] for r in answer.json())

    assert ids() == sorted(rows)
    assert ids(status="open") == [rows[0]]
    assert ids(status="closed") == [rows[1]]
    assert ids(service_code="other") == []
    assert ids(service_request_id=rows[1]) == [rows[1]]
    assert ids(start_date="2000-01-01T00:00:00Z", end_date="2000-02-01T00:00:00Z") == []
    for bad in ({"status": "pending"}, {"start_date": "yesterday"},
                {"service_request_id": "1,x"}):
        answer = client.get(f"{ROOT}/requests.json", {"api_key": hotline_key, **bad})
        assert answer.status_code == 400 and answer.json()[0]["code"] == 400


def test_open311_is_throttled_per_key(client, hotline_key, settings):
    settings.DESK = {**settings.DESK, "API_REQUESTS_PER_MINUTE": 2}
    codes = [client.get(f"{ROOT}/requests.json", {"api_key": hotline_key}).status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]


def test_create_api_key_prints_a_key_once_and_stores_only_its_hash():
    out, err = StringIO(), StringIO()
    call_command("create_api_key", "省平台", "--channel", "other", stdout=out, stderr=err)
    plain = out.getvalue().strip()
    integration = Integration.objects.get(name="省平台")
    assert integration.channel == "other"
    key = IntegrationKey.objects.get(integration=integration)
    assert plain.startswith(key.prefix + ".") and plain not in key.hashed_key
    assert key.is_valid(plain)
    response = Client().get(f"{ROOT}/requests.json", {"api_key": plain})
    assert response.status_code == 200
    # a second key for the same integration; the channel cannot change
    call_command("create_api_key", "省平台", "--channel", "other", stdout=StringIO(),
                 stderr=StringIO())
    assert integration.keys.count() == 2
    with pytest.raises(CommandError):
        call_command("create_api_key", "省平台", "--channel", "hotline", stdout=StringIO(),
                     stderr=StringIO())
