"""Open311 GeoReport v2 as existing civic clients see it: two client libraries
written by others talk to a live server on 127.0.0.1.

* ``georeport`` (PyPI) reads services and service definitions, in JSON and in
  XML (it parses the XML with xmltodict); it cannot post.
* ``civicbot`` (PyPI) posts requests (validated against our service
  definition first) and reads them back; its HTTP transport is the documented
  place to add the ``api_key`` to reads, which GeoReport v2 leaves to servers.

The older Open311 wrappers on PyPI (``open311``, ``three``) are Python 2 only.
"""

from __future__ import annotations

import json

from django.contrib.auth.models import Group

import pytest
from civicbot import Endpoint, HttpError, Open311Client
from civicbot.http import HttpTransport, RateLimiter
from georeport import GeoReport

from approvals.choices import Role
from approvals.models import Obstacle
from enterprises.models import Industry
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _reference_data(transactional_db):
    """Rows migrations put in that an earlier transactional test may have flushed."""
    for role in Role:
        Group.objects.get_or_create(name=role)
    Industry.objects.get_or_create(code="C", defaults={"name_zh": "制造业",
                                                       "name_en": "Manufacturing"})


class KeyedTransport(HttpTransport):
    """civicbot's transport, adding the integration's key to reads as well."""

    def __init__(self, api_key: str):
        super().__init__(rate_limiter=RateLimiter(min_interval=0))
        self.api_key = api_key

    def get_json(self, url, params=None, headers=None):
        return super().get_json(url, {**(params or {}), "api_key": self.api_key}, headers)


@pytest.fixture
def root(live_server) -> str:
    return f"{live_server.url}/open311/v2"


def _civic(root: str, key: str) -> Open311Client:
    endpoint = Endpoint(id="desk", name="Service desk", base_url=root, write=True)
    return Open311Client(endpoint, transport=KeyedTransport(key))


def _as_list(value):
    return value if isinstance(value, list) else [value]


def test_georeport_reads_services_and_definitions_in_json_and_xml(root, category):
    for fmt in ("json", "xml"):
        client = GeoReport(root, output_format=fmt)
        services = _as_list(client.get_service_list())
        ours = next(s for s in services if s["service_code"] == category.code)
        assert ours["service_name"] == category.name
        assert str(ours["metadata"]).lower() == "true"
        definition = client.get_service_definition(category.code)
        attributes = definition["attributes"]
        if fmt == "xml":
            attributes = _as_list(attributes["attribute"])
        codes = {a["code"]: a for a in attributes}
        assert str(codes["credit_code"]["required"]).lower() == "true"
        assert {"external_ref", "urgency"} <= codes.keys()


def test_civicbot_posts_a_request_and_reads_it_back(root, hotline_key, window_key, category,
                                                    enterprise):
    client = _civic(root, hotline_key)
    kwargs = {"address_string": "西湖区文三路 90 号", "description": "厂房消防验收排期过长。",
              "first_name": "王", "last_name": "明", "phone": "13900001111",
              "attributes": {"credit_code": enterprise.credit_code,
                             "external_ref": "HL-0001", "urgency": "urgent"}}
    sent = client.create_request(category.code, dry_run=False, confirm="SEND",
                                 api_key=hotline_key, validate_remote=True, **kwargs)
    request_id = sent.response[0]["service_request_id"]
    obstacle = Obstacle.objects.get(pk=int(request_id))
    assert obstacle.channel == "hotline" and obstacle.external_ref == "HL-0001"
    assert obstacle.enterprise == enterprise and obstacle.urgency == "urgent"
    assert "文三路" in obstacle.description and obstacle.contact_name == "王 明"
    # the same reference again: the same request, never a second obstacle
    again = client.create_request(category.code, dry_run=False, confirm="SEND",
                                  api_key=hotline_key, **kwargs)
    assert again.response[0]["service_request_id"] == request_id
    assert Obstacle.objects.count() == 1

    row = client.get_request(request_id)
    assert row["status"] == "open" and row["service_code"] == category.code
    assert row["address"] == "西湖区文三路 90 号" and row["status_notes"]
    listed = client.list_requests(status="open")
    assert [r["service_request_id"] for r in listed] == [request_id]
    assert client.list_requests(status="closed") == []

    # another integration's key: not found, and not in its list
    other = _civic(root, window_key)
    with pytest.raises(HttpError) as missing:
        other.get_request(request_id)
    assert missing.value.status == 404
    assert other.list_requests() == []


def test_civicbot_checks_required_attributes_against_our_definition(root, hotline_key,
                                                                    category):
    from civicbot import ValidationError

    client = _civic(root, hotline_key)
    with pytest.raises(ValidationError) as refused:
        client.create_request(category.code, dry_run=False, confirm="SEND",
                              api_key=hotline_key, validate_remote=True,
                              address_string="x", description="y")
    assert "credit_code" in str(refused.value)


def test_server_errors_reach_the_client_in_the_open311_format(root, hotline_key, category):
    client = _civic(root, hotline_key)
    unregistered = EnterpriseFactory.build().credit_code
    with pytest.raises(HttpError) as refused:
        client.create_request(category.code, dry_run=False, confirm="SEND",
                              api_key=hotline_key, address_string="x", description="y",
                              attributes={"credit_code": unregistered})
    assert refused.value.status == 400
    errors = json.loads(refused.value.body)
    assert errors[0]["code"] == 400
    assert errors[0]["description"].startswith("attribute[credit_code]: ")
    with pytest.raises(HttpError) as no_key:
        client.create_request(category.code, dry_run=False, confirm="SEND",
                              api_key="wrong.key", address_string="x", description="y",
                              attributes={"credit_code": unregistered})
    assert no_key.value.status == 401
