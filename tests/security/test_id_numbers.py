"""Resident ID numbers (the legal representative's, on the enterprise) and the
obstacle's contact phone on the task page: encrypted at rest, checked against
GB 11643, masked on the pages, shown in full only through the audited page,
with a stated purpose, to those who need them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

import pytest

from audit.erasure import firm_user_erase
from audit.fields import blind_index
from audit.identity import id_check_char, mask_id_number, validate_id_number
from audit.models import AuditRecord
from enterprises.models import Enterprise
from tests.factories import (
    LiaisonFactory,
    ObstacleFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

ID = "330106199003071236"  # the check character 6 by GB 11643's MOD 11-2
MASKED = "3301**********1236"


def _raw(pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT legal_representative_id_number, legal_representative_id_index "
                       "FROM enterprises_enterprise WHERE id = %s", [pk])
        return cursor.fetchone()


@pytest.fixture
def represented(enterprise):
    enterprise.legal_representative = "王建国"
    enterprise.legal_representative_id_number = ID
    enterprise.save()
    return enterprise


# ------------------------------------------------------------------ the number


def test_the_gb_11643_check_character():
    # the standard's own example, and ours
    assert id_check_char("11010519491231002") == "X"
    validate_id_number("11010519491231002x")  # a lower-case x is the same number
    validate_id_number(ID)
    assert mask_id_number(ID) == MASKED and mask_id_number("") == ""


@pytest.mark.parametrize(("typed", "code"), [
    ("330106199003071235", "id_number_check"),     # one digit off
    ("330106199002301236", "id_number_birth"),     # 30 February
    ("330106299003071236", "id_number_birth"),     # born in 2990
    ("33010619900307123", "id_number_format"),     # 17 characters
    ("33010619900307123A", "id_number_format"),
    ("", "id_number_format"),
])
def test_a_wrong_number_is_refused_with_a_reason(typed, code):
    with pytest.raises(ValidationError) as refused:
        validate_id_number(typed)
    assert refused.value.code == code


def test_the_number_is_unreadable_in_the_database_and_found_by_its_blind_index(represented):
    token, index = _raw(represented.pk)
    assert token.startswith("gAAAAA") and ID not in token and "1236" not in token
    assert index == blind_index(ID) and ID not in index
    assert Enterprise.objects.get(pk=represented.pk).legal_representative_id_number == ID
    assert Enterprise.objects.get(legal_representative_id_index=blind_index(
        "330106 19900307 1236")) == represented


def test_the_registry_finds_the_firms_a_person_represents_by_the_whole_number(
        client, coordinator, represented, enterprise_b):
    client.force_login(coordinator)
    page = client.get(reverse("enterprises:enterprise-list"), {"q": ID}).context["page"]
    assert [e.pk for e in page] == [represented.pk]
    page = client.get(reverse("enterprises:enterprise-list"), {"q": ID[:10]}).context["page"]
    assert list(page) == []  # no partial match on a personal number


def test_a_firm_user_leaving_does_not_erase_the_firms_registration(firm, represented):
    # the legal representative's number is the firm's registration, not the
    # leaving user's personal data: the enterprise's records stay intact
    firm_user_erase(user=firm)
    represented.refresh_from_db()
    assert represented.legal_representative_id_number == ID


# ------------------------------------------------------------------ pages


def test_the_enterprise_page_masks_it_and_offers_the_audited_view(client, coordinator,
                                                                 represented):
    client.force_login(coordinator)
    body = client.get(represented.get_absolute_url()).content.decode()
    assert MASKED in body and ID not in body
    assert reverse("security:enterprise-id-reveal", args=[represented.pk]) in body


def test_the_firm_sees_its_own_number_masked_with_no_full_view(client, firm, represented):
    client.force_login(firm)
    body = client.get(represented.get_absolute_url()).content.decode()
    assert MASKED in body and ID not in body
    assert reverse("security:enterprise-id-reveal", args=[represented.pk]) not in body


def test_the_full_view_needs_a_purpose_and_is_audited(client, coordinator, represented,
                                                     django_assert_max_num_queries):
    client.force_login(coordinator)
    url = reverse("security:enterprise-id-reveal", args=[represented.pk])
    page = client.get(url)
    assert page.status_code == 200 and MASKED in page.content.decode()
    assert ID not in page.content.decode()
    refused = client.post(url, {"purpose": ""})
    assert refused.status_code == 400 and ID not in refused.content.decode()
    assert not AuditRecord.objects.filter(action="pi_view").exists()
    # session, user, roles, enterprise, the audit record (one statement on
    # PostgreSQL, four on SQLite), the profile; +1 for the badge
    with django_assert_max_num_queries(10):
        shown = client.post(url, {"purpose": "核实法定代表人身份办理变更"})
    assert shown.status_code == 200 and ID in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    record = AuditRecord.objects.get(action="pi_view")
    assert (record.actor_name, record.object_type, record.object_id) == (
        "coordinator", "enterprises.enterprise", str(represented.pk))
    assert record.detail == {"purpose": "核实法定代表人身份办理变更",
                             "field": "legal_representative_id_number"}
    assert ID not in str(record.detail) and ID not in record.object_repr


def test_the_liaison_may_see_it_in_full(client, staff, represented):
    LiaisonFactory(staff=staff, enterprise=represented)
    client.force_login(staff)
    url = reverse("security:enterprise-id-reveal", args=[represented.pk])
    assert ID in client.post(url, {"purpose": "上门核实企业变更登记"}).content.decode()


@pytest.mark.parametrize(("who", "status"), [
    ("leader", 403), ("head", 403), ("officer", 403), ("staff", 403), ("firm", 403),
    ("firm2", 404), ("editor", 404),
])
def test_the_full_view_is_refused_to_those_who_do_not_need_it(client, request, represented,
                                                              firm, firm2, who, status):
    client.force_login(request.getfixturevalue(who))
    url = reverse("security:enterprise-id-reveal", args=[represented.pk])
    assert client.get(url).status_code == status
    response = client.post(url, {"purpose": "看看而已"})
    assert response.status_code == status and ID not in response.content.decode()
    assert not AuditRecord.objects.filter(action="pi_view").exists()


def test_anonymous_is_sent_to_log_in(client, represented):
    url = reverse("security:enterprise-id-reveal", args=[represented.pk])
    assert client.get(url).url.startswith(reverse("login"))


# ------------------------------------------------------------------ the form


def _form_data(enterprise, **changes):
    data = {"name": enterprise.name, "credit_code": enterprise.credit_code,
            "legal_representative": "王建国", "legal_representative_id_number": "",
            "registered_address": "", "street": "", "industry": "C", "industry_division": "",
            "scale": "small", "registered_capital": "", "established_on": "", "tags": "",
            "status": "active"}
    return {**data, **changes}


def test_a_wrong_number_is_a_form_error(client, coordinator, enterprise):
    client.force_login(coordinator)
    url = reverse("enterprises:enterprise-update", args=[enterprise.pk])
    response = client.post(url, _form_data(enterprise,
                                           legal_representative_id_number=ID[:-1] + "5"))
    assert response.status_code == 400
    assert response.context["form"].errors["legal_representative_id_number"] == [
        "The last character of this ID number does not match the others: please check "
        "it for a typo."]
    assert Enterprise.objects.get(pk=enterprise.pk).legal_representative_id_number == ""


def test_the_edit_form_never_shows_the_number_and_empty_keeps_it(client, coordinator,
                                                                 represented):
    client.force_login(coordinator)
    url = reverse("enterprises:enterprise-update", args=[represented.pk])
    body = client.get(url).content.decode()
    assert ID not in body and MASKED in body  # in the help text
    assert client.post(url, _form_data(represented, name="改名")).status_code == 302
    represented.refresh_from_db()
    assert represented.name == "改名" and represented.legal_representative_id_number == ID


def test_the_form_replaces_and_removes_the_number(client, coordinator, represented):
    client.force_login(coordinator)
    url = reverse("enterprises:enterprise-update", args=[represented.pk])
    client.post(url, _form_data(represented,
                                legal_representative_id_number="11010519491231002x"))
    represented.refresh_from_db()
    assert represented.legal_representative_id_number == "11010519491231002X"
    assert represented.legal_representative_id_index == blind_index("11010519491231002X")
    client.post(url, _form_data(represented, clear_legal_representative_id_number="on"))
    represented.refresh_from_db()
    assert represented.legal_representative_id_number == ""
    assert represented.legal_representative_id_index == ""


# ------------------------------------------------------------------ the task page's contact


PHONE = "13912345678"


@pytest.fixture
def task(enterprise, dept, officer):
    obstacle = ObstacleFactory(enterprise=enterprise, contact_name="李女士", contact_phone=PHONE)
    return TaskFactory(assigned=True, obstacle=obstacle, department=dept, owner=officer)


def test_the_task_page_masks_the_contact_phone_for_everyone(client, coordinator, head, task):
    for user, offered in ((coordinator, True), (head, False)):
        client.force_login(user)
        body = client.get(reverse("approvals:task-detail", args=[task.pk])).content.decode()
        assert "139****5678" in body and PHONE not in body
        reveal = reverse("security:obstacle-contact-reveal", args=[task.obstacle_id])
        assert (reveal in body) is offered


def test_the_officer_handling_it_sees_the_phone_in_full_with_a_purpose(
        client, officer, task, django_assert_max_num_queries):
    client.force_login(officer)
    body = client.get(reverse("approvals:task-detail", args=[task.pk])).content.decode()
    url = reverse("security:obstacle-contact-reveal", args=[task.obstacle_id])
    assert url in body and PHONE not in body
    back = reverse("approvals:task-detail", args=[task.pk])
    with django_assert_max_num_queries(12):
        shown = client.post(f"{url}?next={back}", {"purpose": "电话了解办理需要的材料"})
    assert shown.status_code == 200 and PHONE in shown.content.decode()
    assert f'href="{back}"' in shown.content.decode()
    record = AuditRecord.objects.get(action="pi_view")
    assert (record.actor_name, record.object_type, record.object_id) == (
        "officer", "approvals.obstacle", str(task.obstacle_id))
    assert record.detail["field"] == "contact_phone" and PHONE not in str(record.detail)


@pytest.mark.parametrize(("who", "status"), [
    ("head", 403), ("leader", 403), ("other_officer", 404), ("firm", 404), ("firm2", 404),
])
def test_the_contact_phone_is_refused_to_those_who_do_not_need_it(client, request, task,
                                                                  firm, firm2, who, status):
    client.force_login(request.getfixturevalue(who))
    url = reverse("security:obstacle-contact-reveal", args=[task.obstacle_id])
    response = client.post(url, {"purpose": "看看而已"})
    assert response.status_code == status and PHONE not in response.content.decode()
    assert not AuditRecord.objects.filter(action="pi_view").exists()


def test_a_foreign_next_is_not_followed(client, coordinator, task):
    client.force_login(coordinator)
    url = reverse("security:obstacle-contact-reveal", args=[task.obstacle_id])
    body = client.get(url, {"next": "https://evil.example/"}).content.decode()
    assert 'href="https://evil.example/"' not in body
