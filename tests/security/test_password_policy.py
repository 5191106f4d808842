"""The password policy: eight characters, three of four classes, not the
username or mobile, not a common password."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(db):
    return UserFactory(username="wangfang", mobile="13900001234")


@pytest.mark.parametrize(("password", "code"), [
    ("Ab1!xyz", "password_too_short"),
    ("abcdefgh12", "password_too_simple"),
    ("ABCDEFGH!!", "password_too_simple"),
    ("xx-Wangfang-99", "password_has_username"),
    ("Tel#13900001234", "password_has_mobile"),
    ("Admin@123", "password_too_common"),
    ("P@ssw0rd", "password_too_common"),
])
def test_weak_passwords_are_refused(user, password, code):
    with pytest.raises(ValidationError) as info:
        validate_password(password, user)
    assert code in {e.code for e in info.value.error_list}


@pytest.mark.parametrize("password", ["Fresh-Pass-2026!", "qiu-Lan-4471", "Zz9#kettle"])
def test_strong_passwords_pass(user, password):
    validate_password(password, user)


def test_the_change_page_shows_the_refusal(client, user):
    client.force_login(user)
    response = client.post(reverse("security:password-change"), {
        "old_password": "Secret-pass-123", "new_password1": "abcdefgh12",
        "new_password2": "abcdefgh12"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "at least 3 kinds of characters" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password("Secret-pass-123")
