"""Pages: issuing a letter, the archive by role, the firm's downloads, the
public verification page."""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

import pytest

from letters import services
from letters.documents import verification_token
from letters.models import Letter
from tests.factories import EnterpriseFactory, LiaisonFactory, MembershipFactory

from .conftest import make_obstacles

pytestmark = pytest.mark.django_db


def test_the_liaison_issues_a_letter_from_the_enterprise_page(client, staff,
                                                               firm_with_obstacles):
    client.force_login(staff)
    page = client.get(reverse("enterprises:enterprise-detail", args=[firm_with_obstacles.pk]))
    create = reverse("letters:letter-create", args=[firm_with_obstacles.pk])
    assert create in page.content.decode()
    response = client.post(create, {"scope": "open"})
    letter = Letter.objects.get()
    assert response.status_code == 302 and response.url == letter.get_absolute_url()
    assert letter.generated_by == staff
    download = client.get(reverse("letters:letter-download", args=[letter.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]


def test_nothing_to_report_is_a_form_error_not_a_500(client, coordinator):
    firm = EnterpriseFactory()
    client.force_login(coordinator)
    response = client.post(reverse("letters:letter-create", args=[firm.pk]), {"scope": "open"})
    assert response.status_code == 400 and not Letter.objects.exists()
    bad = client.post(reverse("letters:letter-create", args=[firm.pk]), {"scope": "obstacle"})
    assert bad.status_code == 400


def test_the_staff_list_is_scoped_by_role(client, staff, other_officer, coordinator,
                                          firm_with_obstacles, dept):
    mine = services.letter_create(enterprise=firm_with_obstacles)
    elsewhere = EnterpriseFactory(name="杭州丙公司")
    make_obstacles(elsewhere, dept, n=1)
    theirs = services.letter_create(enterprise=elsewhere)
    client.force_login(staff)
    body = client.get(reverse("letters:letter-list")).content.decode()
    assert mine.reference in body and theirs.reference not in body
    assert client.get(reverse("letters:letter-detail", args=[theirs.pk])).status_code == 404
    client.force_login(other_officer)
    assert mine.reference not in client.get(reverse("letters:letter-list")).content.decode()
    client.force_login(coordinator)
    body = client.get(reverse("letters:letter-list")).content.decode()
    assert mine.reference in body and theirs.reference in body


@pytest.mark.parametrize("n", [2, 20])
def test_the_list_query_count_does_not_grow(client, coordinator, django_assert_max_num_queries,
                                            n):
    for i in range(n):
        firm = EnterpriseFactory()
        Letter.objects.create(reference=f"R{i}", year=2026, number=i + 1, enterprise=firm,
                              scope="open", issued_on="2026-11-25", sha256="0" * 64, size=1,
                              file="x.pdf", generated_by=coordinator)
    client.force_login(coordinator)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("letters:letter-list")).status_code == 200


def test_firm_users_download_only_their_own_letters(client, firm, firm2,
                                                    firm_with_obstacles):
    letter = services.letter_create(enterprise=firm_with_obstacles)
    client.force_login(firm)
    listing = client.get(reverse("portal:letter-list")).content.decode()
    assert letter.reference in listing
    url = reverse("portal:letter-download", args=[letter.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(firm2)
    assert letter.reference not in client.get(reverse("portal:letter-list")).content.decode()
    assert client.get(url).status_code == 404
    # the staff pages stay closed to firm users
    assert client.get(reverse("letters:letter-detail", args=[letter.pk])).status_code == 404


def test_a_colleague_of_the_firm_downloads_too(client, firm_with_obstacles):
    colleague = MembershipFactory(enterprise=firm_with_obstacles).user
    letter = services.letter_create(enterprise=firm_with_obstacles)
    client.force_login(colleague)
    assert client.get(reverse("portal:letter-download", args=[letter.pk])).status_code == 200


def test_verification_shows_only_the_four_fields(client, firm_with_obstacles, staff):
    letter = services.letter_create(enterprise=firm_with_obstacles, actor=staff)
    token = verification_token(f"{letter.year}-{letter.number}")
    response = client.get(reverse("letters:verify", args=[token]))
    body = response.content.decode()
    assert response.status_code == 200
    for shown in (letter.reference, firm_with_obstacles.name, letter.sha256, "2026"):
        assert shown in body
    for hidden in (firm_with_obstacles.credit_code, "厂房消防验收", "staff", "包保"):
        assert hidden not in body


def test_a_tampered_or_unknown_token_verifies_nothing(client, firm_with_obstacles):
    letter = services.letter_create(enterprise=firm_with_obstacles)
    good = verification_token(f"{letter.year}-{letter.number}")
    tampered = good.replace(f"-{letter.number}:", f"-{letter.number + 1}:")
    unknown = verification_token(f"{letter.year}-999")
    for token in (tampered, good[:-2] + "xx", unknown, "garbage"):
        response = client.get(reverse("letters:verify", args=[token]))
        assert response.status_code == 404
        assert letter.reference not in response.content.decode()
    with pytest.raises(signing.BadSignature):
        signing.Signer(salt="letters.verify").unsign(tampered)


def test_a_letter_goes_only_to_the_liaison_or_coordinator(client, staff2, firm_with_obstacles):
    client.force_login(staff2)  # service staff, not this firm's liaison
    url = reverse("letters:letter-create", args=[firm_with_obstacles.pk])
    assert client.post(url, {"scope": "open"}).status_code == 403
    LiaisonFactory(staff=staff2, enterprise=firm_with_obstacles)
    assert client.post(url, {"scope": "open"}).status_code == 302
