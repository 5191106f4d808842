"""The registry's pages: list (search, filters, pagination, constant queries),
create and edit with inline validation, masked contact mobiles, firm users."""

from __future__ import annotations

import random
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

import pytest

from approvals.choices import Role
from enterprises.models import Enterprise, Industry
from enterprises.validators import generate_credit_code
from enterprises.views import PAGE_SIZE
from tests.factories import (
    ContactFactory,
    EnterpriseFactory,
    LiaisonFactory,
    StreetFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LIST = reverse("enterprises:enterprise-list")
CREATE = reverse("enterprises:enterprise-create")


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def names(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return [e.name for e in response.context["page"].object_list]


# ------------------------------------------------------------------ search and filters


@pytest.fixture
def registry(db):
    """A few enterprises that differ on every filter."""
    north, south = StreetFactory(name="北山街道"), StreetFactory(name="南星街道")
    c, i = Industry.objects.get(code="C"), Industry.objects.get(code="I")
    firms = {
        "alpha": EnterpriseFactory(name="杭州阿尔法制造有限公司", credit_code="91350100M000100Y43",
                                   street=north, industry=c, scale="large",
                                   is_above_scale=True),
        "beta": EnterpriseFactory(name="杭州贝塔软件有限公司", credit_code="91110000802100433B",
                                  street=south, industry=i, scale="micro",
                                  is_key_project=True),
        "gamma": EnterpriseFactory(name="杭州伽马软件有限公司", street=south, industry=i,
                                   scale="small", is_specialised=True),
    }
    ContactFactory(enterprise=firms["gamma"], name="赵小明", mobile="13900001111")
    ContactFactory(enterprise=firms["alpha"], name="钱大海", mobile="13700002222")
    return firms, north, south, c, i


def test_search_by_name(client, staff, registry):
    client.force_login(staff)
    assert names(client.get(LIST, {"q": "软件"})) == ["杭州伽马软件有限公司",
                                                       "杭州贝塔软件有限公司"]
    assert names(client.get(LIST, {"q": " 阿尔法 "})) == ["杭州阿尔法制造有限公司"]


@pytest.mark.parametrize("partial", ["M000100", "m000100y4", "91350100", "100Y43"])
def test_search_by_partial_credit_code_in_any_case(client, staff, registry, partial):
    client.force_login(staff)
    assert names(client.get(LIST, {"q": partial})) == ["杭州阿尔法制造有限公司"]


@pytest.mark.parametrize(("q", "expected"), [
    ("赵小明", ["杭州伽马软件有限公司"]),
    ("小明", ["杭州伽马软件有限公司"]),
    ("13700002222", ["杭州阿尔法制造有限公司"]),
    # mobiles are encrypted: a whole number (any spacing) is found by its blind index
    ("137 0000 2222", ["杭州阿尔法制造有限公司"]),
])
def test_search_by_contact_name_or_mobile(client, staff, registry, q, expected):
    client.force_login(staff)
    assert names(client.get(LIST, {"q": q})) == expected


def test_search_matching_several_contacts_lists_the_enterprise_once(client, staff, registry):
    firms = registry[0]
    ContactFactory(enterprise=firms["gamma"], name="赵二", mobile="13900003333")
    client.force_login(staff)
    assert names(client.get(LIST, {"q": "赵"})) == ["杭州伽马软件有限公司"]


def test_filters(client, staff, registry):
    firms, north, south, c, i = registry
    client.force_login(staff)
    assert names(client.get(LIST, {"industry": "C"})) == ["杭州阿尔法制造有限公司"]
    assert names(client.get(LIST, {"street": south.pk})) == ["杭州伽马软件有限公司",
                                                               "杭州贝塔软件有限公司"]
    assert names(client.get(LIST, {"scale": "micro"})) == ["杭州贝塔软件有限公司"]
    assert names(client.get(LIST, {"flag": "is_above_scale"})) == ["杭州阿尔法制造有限公司"]
    assert names(client.get(LIST, {"flag": "is_key_project"})) == ["杭州贝塔软件有限公司"]
    assert names(client.get(LIST, {"flag": "is_specialised"})) == ["杭州伽马软件有限公司"]
    # filters combine
    assert names(client.get(LIST, {"street": south.pk, "industry": "I",
                                   "scale": "small"})) == ["杭州伽马软件有限公司"]
    assert names(client.get(LIST, {"street": north.pk, "q": "软件"})) == []


def test_liaison_filter_counts_current_assignments_only(client, staff, staff2, registry):
    firms = registry[0]
    today = timezone.localdate()
    LiaisonFactory(staff=staff2, enterprise=firms["beta"])
    LiaisonFactory(staff=staff2, enterprise=firms["alpha"],
                   starts_on=today - timedelta(days=90), ends_on=today - timedelta(days=1))
    LiaisonFactory(staff=staff2, enterprise=firms["gamma"], starts_on=today + timedelta(days=5))
    client.force_login(staff)
    assert names(client.get(LIST, {"liaison": staff2.username})) == ["杭州贝塔软件有限公司"]


def test_invalid_filter_input_shows_the_error_never_a_500(client, staff, registry):
    client.force_login(staff)
    for params in ({"industry": "ZZ"}, {"street": "abc"}, {"scale": "huge"},
                   {"flag": "rich"}, {"liaison": "99999999999999999999"},
                   {"street": "-1"}):
        response = client.get(LIST, params)
        assert response.status_code == 200, params
        assert response.context["form"].errors, params
        # the refusal is said on the page, not silently ignored
        for errors in response.context["form"].errors.values():
            for message in errors:
                assert message in response.content.decode(), (params, message)


def test_pagination(client, staff, db):
    EnterpriseFactory.create_batch(PAGE_SIZE + 5)
    client.force_login(staff)
    first = client.get(LIST)
    assert len(first.context["page"].object_list) == PAGE_SIZE
    assert first.context["page"].paginator.count == PAGE_SIZE + 5
    second = client.get(LIST, {"page": 2})
    assert len(second.context["page"].object_list) == 5
    assert not set(names(first)) & set(names(second))
    # out-of-range and nonsense pages fall back instead of failing
    assert client.get(LIST, {"page": 99}).context["page"].number == 2
    assert client.get(LIST, {"page": "x"}).context["page"].number == 1


def test_pagination_keeps_the_search(client, staff, db):
    EnterpriseFactory.create_batch(PAGE_SIZE + 1, name=factory_name("软件"))
    client.force_login(staff)
    response = client.get(LIST, {"q": "软件"})
    assert response.context["page"].has_next()
    assert "?q=%E8%BD%AF%E4%BB%B6&page=2" in response.content.decode()


def factory_name(word):
    import factory

    return factory.Sequence(lambda n: f"测试{word}{n:04d}有限公司")


def _bulk(n: int) -> None:
    rng = random.Random(n)
    industry = Industry.objects.get(code="C")
    streets = [StreetFactory() for _ in range(3)]
    codes: set[str] = set()
    while len(codes) < n:
        codes.add(generate_credit_code(rng))
    Enterprise.objects.bulk_create(
        Enterprise(name=f"杭州批量{i:05d}有限公司", credit_code=code, industry=industry,
                   street=streets[i % 3], is_key_project=i % 2 == 0)
        for i, code in enumerate(sorted(codes))
    )


# Every page of the list costs the same, whatever the size of the registry:
# session, user, roles, profile, the filter form's three choice lists, the
# count, one page of rows, and the header's unread-notifications badge.
LIST_QUERY_BOUND = 10


@pytest.mark.parametrize("n", [10, 1000])
@pytest.mark.parametrize("params", [{}, {"q": "批量"}, {"flag": "is_key_project", "page": 2},
                                    {"q": "0000"}])
def test_list_query_count_does_not_grow_with_the_registry(
        client, staff, django_assert_max_num_queries, n, params):
    _bulk(n)
    LiaisonFactory.create_batch(3, enterprise=Enterprise.objects.first())
    client.force_login(staff)
    with django_assert_max_num_queries(LIST_QUERY_BOUND):
        response = client.get(LIST, params)
    assert response.status_code == 200


@pytest.mark.parametrize("n", [10, 1000])
def test_list_query_count_for_the_coordinator(client, coordinator,
                                              django_assert_max_num_queries, n):
    _bulk(n)
    client.force_login(coordinator)
    with django_assert_max_num_queries(LIST_QUERY_BOUND + 2):  # + the calendar banner
        assert client.get(LIST).status_code == 200


# ------------------------------------------------------------------ create and edit


def _data(**overrides):
    data = {
        "name": "杭州新设科技有限公司", "credit_code": "91350100M000100Y43",
        "legal_representative": "孙七", "registered_address": "文一路1号", "street": "",
        "industry": "C", "industry_division": "", "scale": "small",
        "registered_capital": "", "established_on": "", "tags": "", "status": "active",
    }
    data.update(overrides)
    return data


def test_create_with_a_bad_code_is_400_with_the_error_and_saves_nothing(client, coordinator):
    client.force_login(coordinator)
    response = client.post(CREATE, _data(credit_code="91350100M000100Y44"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "The last character should be 3" in body
    assert 'role="alert"' in body
    # what the user typed is kept
    assert 'value="91350100M000100Y44"' in body
    assert 'value="杭州新设科技有限公司"' in body
    assert not Enterprise.objects.exists()


def test_create_with_a_duplicate_code_is_400(client, coordinator):
    EnterpriseFactory(credit_code="91350100M000100Y43")
    client.force_login(coordinator)
    response = client.post(CREATE, _data(credit_code="9135 0100 m000 100y43"))
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert Enterprise.objects.count() == 1


def test_create_with_missing_fields_is_400(client, coordinator):
    client.force_login(coordinator)
    response = client.post(CREATE, _data(name="", industry="ZZ", established_on="yesterday"))
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "industry", "established_on"}
    assert not Enterprise.objects.exists()


def test_create_with_a_good_code_redirects_to_the_new_enterprise(client, coordinator):
    client.force_login(coordinator)
    response = client.post(CREATE, _data(credit_code=" 91350100m000100y43 "))
    enterprise = Enterprise.objects.get()
    assert response.status_code == 302
    assert response.url == enterprise.get_absolute_url()
    assert enterprise.credit_code == "91350100M000100Y43"
    assert client.get(response.url).status_code == 200


def test_create_form_renders_for_the_coordinator(client, coordinator):
    client.force_login(coordinator)
    response = client.get(CREATE)
    assert response.status_code == 200
    assert 'name="credit_code"' in response.content.decode()


def test_edit_with_a_bad_code_is_400_and_changes_nothing(client, staff, enterprise):
    client.force_login(staff)
    url = reverse("enterprises:enterprise-update", args=[enterprise.pk])
    before = (enterprise.name, enterprise.credit_code)
    response = client.post(url, _data(name="新名字", credit_code="91350100M000100YO3"))
    assert response.status_code == 400
    assert "cannot contain O" in response.content.decode()
    enterprise.refresh_from_db()
    assert (enterprise.name, enterprise.credit_code) == before


def test_edit_with_good_data_redirects_and_saves(client, staff, enterprise):
    client.force_login(staff)
    url = reverse("enterprises:enterprise-update", args=[enterprise.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, _data(name="杭州甲科技股份有限公司",
                                      credit_code=enterprise.credit_code))
    assert response.status_code == 302
    assert response.url == enterprise.get_absolute_url()
    enterprise.refresh_from_db()
    assert enterprise.name == "杭州甲科技股份有限公司"


def test_edit_to_another_enterprises_code_is_400(client, staff, enterprise, enterprise_b):
    client.force_login(staff)
    url = reverse("enterprises:enterprise-update", args=[enterprise.pk])
    response = client.post(url, _data(credit_code=enterprise_b.credit_code))
    assert response.status_code == 400
    assert "already exists" in response.content.decode()


# ------------------------------------------------------------------ masked mobiles


@pytest.fixture
def contact(enterprise):
    return ContactFactory(enterprise=enterprise, name="李经理", mobile="13812341234")


def _detail(client, user, enterprise):
    client.force_login(user)
    response = client.get(enterprise.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("who", ["staff", "officer", "head", "leader"])
def test_mobile_is_masked_for_those_who_do_not_need_it(client, request, contact, who):
    body = _detail(client, request.getfixturevalue(who), contact.enterprise)
    assert "138****1234" in body
    assert "13812341234" not in body


def _revealed(client, user, contact):
    """Those who need the number see it in full after stating why (PIPL: each
    full view is audited with its purpose, audit.views.contact_reveal)."""
    body = _detail(client, user, contact.enterprise)
    assert "13812341234" not in body
    url = reverse("security:contact-reveal", args=[contact.pk])
    assert url in body
    response = client.post(url, {"purpose": "回访核实办理情况"})
    assert response.status_code == 200
    return response.content.decode()


def test_mobile_is_shown_in_full_to_the_coordinator(client, coordinator, contact):
    assert "13812341234" in _revealed(client, coordinator, contact)


def test_mobile_is_shown_in_full_to_the_current_liaison(client, staff, contact):
    LiaisonFactory(staff=staff, enterprise=contact.enterprise)
    assert "13812341234" in _revealed(client, staff, contact)


def test_mobile_is_masked_again_once_the_liaison_ended(client, staff, contact):
    today = timezone.localdate()
    LiaisonFactory(staff=staff, enterprise=contact.enterprise,
                   starts_on=today - timedelta(days=60), ends_on=today - timedelta(days=1))
    body = _detail(client, staff, contact.enterprise)
    assert "13812341234" not in body
    assert "138****1234" in body


def test_mobile_is_shown_in_full_to_the_owner_of_a_task_of_the_firm(
        client, officer, other_officer, dept, contact):
    TaskFactory(in_progress=True, department=dept, owner=officer,
                obstacle__enterprise=contact.enterprise)
    assert "13812341234" in _revealed(client, officer, contact)
    assert "13812341234" not in _detail(client, other_officer, contact.enterprise)


def test_a_liaison_of_another_firm_sees_this_one_masked(client, staff, contact, enterprise_b):
    LiaisonFactory(staff=staff, enterprise=enterprise_b)
    assert "13812341234" not in _detail(client, staff, contact.enterprise)


# ------------------------------------------------------------------ firm users


def test_firm_user_sees_its_own_enterprise_and_404_for_another(client, firm, enterprise,
                                                               enterprise_b):
    client.force_login(firm)
    own = client.get(enterprise.get_absolute_url())
    assert own.status_code == 200
    assert enterprise.name in own.content.decode()
    assert client.get(enterprise_b.get_absolute_url()).status_code == 404
    assert client.get(reverse("enterprises:enterprise-update",
                              args=[enterprise_b.pk])).status_code == 404


def test_firm_users_desk_redirects_to_its_enterprise(client, firm, enterprise, enterprise_b):
    """A firm user has no staff desk: /desk/ sends it to its own enterprise's
    home (the enterprise page, or the firm portal once there is one)."""
    client.force_login(firm)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    landed = client.get(response.url, follow=True)
    assert landed.status_code == 200
    body = landed.content.decode()
    assert enterprise.name in body
    assert enterprise_b.name not in body


def test_firm_user_without_an_enterprise_is_refused_the_desk(client, db):
    lonely = UserFactory(username="lonely", role=Role.FIRM_USER)
    client.force_login(lonely)
    response = client.get(reverse("home"), follow=True)
    assert response.status_code in (403, 404)


def test_unknown_enterprise_id_is_404_never_500(client, staff):
    client.force_login(staff)
    for pk in (987654, 2**63 + 5):
        assert client.get(f"/enterprises/{pk}/").status_code == 404
        assert client.get(f"/enterprises/{pk}/edit/").status_code == 404
