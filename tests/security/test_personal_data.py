"""Personal information: encrypted at rest, found by blind index, masked in
lists, shown in full only with a stated purpose (audited), erased when a firm
user leaves."""

from __future__ import annotations

from django.db import connection
from django.urls import reverse

import pytest

from approvals.models import Obstacle, Profile
from audit.erasure import firm_user_erase
from audit.fields import blind_index, normalise
from audit.models import AuditRecord
from enterprises.models import Contact
from tests.factories import ContactFactory, ObstacleFactory, UserFactory

pytestmark = pytest.mark.django_db


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_contact_mobile_and_email_are_unreadable_in_the_database(enterprise):
    contact = ContactFactory(enterprise=enterprise, mobile="13812341234",
                             email="li.jingli@example.com")
    for column, plain in (("mobile", "13812341234"), ("email", "li.jingli@example.com")):
        raw = _raw("enterprises_contact", column, contact.pk)
        assert plain not in raw and "1234" not in raw and raw.startswith("gAAAAA")
    again = Contact.objects.get(pk=contact.pk)
    assert (again.mobile, again.email) == ("13812341234", "li.jingli@example.com")


def test_profile_mobile_and_obstacle_phone_are_encrypted_too():
    user = UserFactory(username="wangfang", mobile="13900001234")
    obstacle = ObstacleFactory(contact_phone="0571-87654321")
    assert "13900001234" not in _raw("approvals_profile", "mobile", user.profile.pk)
    assert "87654321" not in _raw("approvals_obstacle", "contact_phone", obstacle.pk)
    assert Obstacle.objects.get(pk=obstacle.pk).contact_phone == "0571-87654321"
    assert Profile.objects.get(pk=user.profile.pk).mobile == "13900001234"


def test_the_blind_index_finds_a_mobile_however_it_is_typed():
    assert normalise("+86 139-0000-1234") == "13900001234"
    assert blind_index("139 0000 1234") == blind_index("13900001234")
    assert blind_index("13900001234") != blind_index("13900001235")
    assert len(blind_index("13900001234")) == 64 and blind_index("") is None
    user = UserFactory(username="wangfang", mobile="13900001234")
    assert Profile.objects.get(mobile_index=blind_index("+8613900001234")).user == user


def test_login_by_mobile_works_through_the_blind_index(client):
    UserFactory(username="wangfang", mobile="13900001234")
    response = client.post(reverse("login"), {"username": "139 0000 1234",
                                              "password": "Secret-pass-123"})
    assert response.status_code == 302


def test_searching_ciphertext_with_like_is_refused():
    with pytest.raises(TypeError, match="blind index"):
        list(Contact.objects.filter(mobile__contains="1234"))


def test_an_old_plain_row_is_still_read_and_encrypted_on_save(enterprise):
    contact = ContactFactory(enterprise=enterprise, mobile="13812341234")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE enterprises_contact SET mobile = %s WHERE id = %s",
                       ["13800000000", contact.pk])
    legacy = Contact.objects.get(pk=contact.pk)
    assert legacy.mobile == "13800000000"
    legacy.save()
    assert _raw("enterprises_contact", "mobile", contact.pk).startswith("gAAAAA")
    assert legacy.mobile_index == blind_index("13800000000")


# ------------------------------------------------------------------ full view with a purpose


@pytest.fixture
def contact(enterprise):
    return ContactFactory(enterprise=enterprise, name="李经理", mobile="13812341234",
                          email="li@example.com")


def test_the_detail_page_masks_and_offers_the_full_view(client, coordinator, contact):
    client.force_login(coordinator)
    body = client.get(contact.enterprise.get_absolute_url()).content.decode()
    assert "138****1234" in body and "l***@example.com" in body
    assert "13812341234" not in body and "li@example.com" not in body
    assert reverse("security:contact-reveal", args=[contact.pk]) in body


def test_the_full_view_needs_a_purpose_and_is_audited(client, coordinator, contact):
    client.force_login(coordinator)
    url = reverse("security:contact-reveal", args=[contact.pk])
    page = client.get(url)
    assert page.status_code == 200 and "13812341234" not in page.content.decode()
    refused = client.post(url, {"purpose": ""})
    assert refused.status_code == 400 and "13812341234" not in refused.content.decode()
    shown = client.post(url, {"purpose": "回访核实办理情况"})
    assert shown.status_code == 200 and "13812341234" in shown.content.decode()
    record = AuditRecord.objects.get(action="pi_view")
    assert record.actor_name == "coordinator"
    assert record.object_type == "enterprises.contact" and record.object_id == str(contact.pk)
    assert record.detail["purpose"] == "回访核实办理情况"
    assert "13812341234" not in str(record.detail)


def test_the_full_view_is_refused_to_those_who_do_not_need_it(client, leader, firm2,
                                                              contact):
    client.force_login(leader)
    url = reverse("security:contact-reveal", args=[contact.pk])
    assert client.post(url, {"purpose": "看看"}).status_code == 403
    client.force_login(firm2)
    assert client.post(url, {"purpose": "看看"}).status_code == 404
    assert not AuditRecord.objects.filter(action="pi_view").exists()


# ------------------------------------------------------------------ erasure


def test_a_firm_user_who_leaves_is_anonymised_and_the_records_stay(client, firm,
                                                                   enterprise):
    firm.profile.mobile = "13900009999"
    firm.profile.save()
    obstacle = ObstacleFactory(enterprise=enterprise, received_by=firm)
    client.force_login(firm)
    firm_user_erase(user=firm)
    firm.refresh_from_db()
    assert firm.username == f"erased-{firm.pk}" and firm.email == ""
    assert not firm.is_active and not firm.has_usable_password()
    assert firm.profile.mobile is None and firm.profile.mobile_index is None
    assert not firm.firm_memberships.exists() and not firm.groups.exists()
    assert Obstacle.objects.get(pk=obstacle.pk).received_by_id == firm.pk
    assert client.get(reverse("portal:home")).status_code == 302  # session ended
    assert AuditRecord.objects.filter(action="user_erase").exists()


def test_staff_accounts_cannot_be_erased(officer):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        firm_user_erase(user=officer)


def test_the_admin_list_of_profiles_masks_mobiles(client):
    UserFactory(username="wangfang", mobile="13900001234")
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    page = client.get(reverse("admin:approvals_profile_changelist")).content.decode()
    assert "wangfang" in page and "139****1234" in page
    assert "13900001234" not in page
