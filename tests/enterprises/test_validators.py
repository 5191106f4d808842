"""The unified social credit code (GB 32100-2015) validator, and the enterprise
form that uses it."""

from __future__ import annotations

import random
import subprocess

from django.core.exceptions import ValidationError
from django.utils import translation

import pytest

from enterprises.forms import EnterpriseForm
from enterprises.models import Industry
from enterprises.validators import (
    ALPHABET,
    credit_check_char,
    generate_credit_code,
    organisation_check_char,
    validate_credit_code,
)
from tests.factories import EnterpriseFactory

# Published codes of real organisations (as printed on their business licences).
PUBLISHED = ["91350100M000100Y43", "91110000802100433B"]


def _with_check(first17: str) -> str:
    """A code whose final mod-31 character is right, whatever the rest."""
    return first17 + credit_check_char(first17)


def _error(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        validate_credit_code(value)
    return info.value


def _message(error: ValidationError) -> str:
    with translation.override("en"):
        return " ".join(error.messages)


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_pass(code):
    assert validate_credit_code(code) == code


@pytest.mark.parametrize("seed", range(20))
def test_generated_codes_pass(seed):
    code = generate_credit_code(random.Random(seed))
    assert len(code) == 18
    assert validate_credit_code(code) == code


@pytest.mark.parametrize("division", ["110105", "330106", "440300", "100000"])
def test_generated_codes_in_other_divisions_pass(division):
    code = generate_credit_code(random.Random(1), division=division)
    assert code[2:8] == division
    assert validate_credit_code(code) == code


@pytest.mark.parametrize(
    "typed",
    [
        "91350100m000100y43",  # lower case
        " 91350100M000100Y43 ",  # padding
        "9135 0100 M000 100Y 43",  # grouped as people read it out
        "91350100M000100Y43\n",
        "9135\u00a00100M000100Y43",  # a non-breaking space pasted from a web page
        "\t91350100 m000100y43",
    ],
)
def test_lower_case_and_spaces_are_normalised(typed):
    assert validate_credit_code(typed) == "91350100M000100Y43"


@pytest.mark.parametrize("value", ["", None, "9135010", "91350100M000100Y4",
                                   "91350100M000100Y433", "9" * 30])
def test_wrong_length_is_refused_with_the_count(value):
    error = _error(value)
    assert error.code == "length"
    count = len("".join(str(value or "").split()))
    assert "18" in _message(error)
    assert str(count) in _message(error)


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_forbidden_letters_are_refused_by_name(letter):
    code = "91350100M000100Y43"
    bad = code[:9] + letter + code[10:]
    error = _error(bad)
    assert error.code == "alphabet"
    assert letter in error.params["chars"]
    assert letter in _message(error)


def test_forbidden_letter_in_lower_case_is_named_in_upper_case():
    error = _error("91350100m000100o43")
    assert error.code == "alphabet"
    assert error.params["chars"] == "O"


def test_punctuation_is_refused_as_outside_the_alphabet():
    error = _error("91350100-M000100Y4")
    assert error.code == "alphabet"
    assert "-" in _message(error)


@pytest.mark.parametrize("authority", ["B", "C", "0", "X"])
def test_unknown_registration_authority_is_refused(authority):
    error = _error(_with_check(authority + "1350100M000100Y4"))
    assert error.code == "authority"
    assert error.params["char"] == authority
    assert "Character 1" in _message(error)


@pytest.mark.parametrize(("authority", "kind"), [("9", "4"), ("9", "9"), ("Y", "2"),
                                                 ("5", "5"), ("1", "A")])
def test_organisation_type_not_of_that_authority_is_refused(authority, kind):
    error = _error(_with_check(authority + kind + "350100M000100Y4"))
    assert error.code == "type"
    assert error.params == {"char": kind, "authority": authority}
    assert "Character 2" in _message(error)


@pytest.mark.parametrize(("authority", "kind"), [("9", "1"), ("9", "2"), ("9", "3"),
                                                 ("5", "1"), ("1", "1"), ("Y", "1")])
def test_each_authority_accepts_its_own_types(authority, kind):
    body = "M000100Y"
    first17 = authority + kind + "350100" + body + organisation_check_char(body)
    assert validate_credit_code(_with_check(first17)) == _with_check(first17)


@pytest.mark.parametrize("division", ["990100", "000000", "35A100", "20XXXX", "960000"])
def test_bad_administrative_division_is_refused(division):
    error = _error(_with_check("91" + division + "M000100Y4"))
    assert error.code == "division"
    assert error.params["division"] == division
    assert division in _message(error)


def test_wrong_organisation_code_check_is_refused():
    """GB 11714: the 9th character of the organisation code is its own check;
    the final mod-31 character is made right so only that check fails."""
    good = "91350100M000100Y43"
    assert organisation_check_char(good[8:16]) == good[16]
    for wrong in (c for c in "0123456789X" if c != good[16]):
        error = _error(_with_check(good[:16] + wrong))
        assert error.code == "organisation_check"
        assert error.params["org"] == good[8:16] + wrong
        assert "organisation code" in _message(error)


def test_organisation_check_char_handles_x_and_zero():
    """11 - (sum mod 11): 10 is written X, 11 is written 0."""
    bodies = {organisation_check_char(f"{n:08d}") for n in range(0, 4000, 7)}
    assert "X" in bodies and "0" in bodies


@pytest.mark.parametrize("code", PUBLISHED)
def test_wrong_final_check_names_the_expected_character(code):
    for wrong in (c for c in ALPHABET if c != code[-1]):
        error = _error(code[:17] + wrong)
        assert error.code == "check"
        assert error.params["expected"] == code[-1]
        assert f"should be {code[-1]}" in _message(error)


def test_swapped_neighbours_are_caught():
    """The mod-31 check catches the commonest typing slip, two swapped characters."""
    code = "91110000802100433B"
    swapped = code[:10] + code[11] + code[10] + code[12:]
    assert swapped != code
    with pytest.raises(ValidationError):
        validate_credit_code(swapped)


@pytest.fixture
def zh_catalogue(tmp_path, settings):
    """The project's zh_Hans catalogue as committed, compiled afresh (``make test``
    compiles it too; this keeps the test true to the .po when run on its own)."""
    po = settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    if not po.exists():
        pytest.fail("locale/zh_Hans/LC_MESSAGES/django.po is missing")
    out = tmp_path / "zh_Hans" / "LC_MESSAGES"
    out.mkdir(parents=True)
    subprocess.run(["msgfmt", "-o", str(out / "django.mo"), str(po)], check=True)  # noqa: S603,S607
    settings.LOCALE_PATHS = [tmp_path]


def test_error_message_is_translated_to_chinese(zh_catalogue):
    """The issue asks for the message in Chinese and English."""
    error = _error("123")
    with translation.override("zh-hans"):
        zh = " ".join(error.messages)
    with translation.override("en"):
        en = " ".join(error.messages)
    assert "18" in en and "3" in en
    assert zh != en, "no Chinese translation of the credit-code messages"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)


# ------------------------------------------------------------------ the form


def _form_data(**overrides):
    data = {
        "name": "杭州丙制造有限公司", "credit_code": "91350100M000100Y43",
        "legal_representative": "王五", "registered_address": "", "street": "",
        "industry": "C", "industry_division": "", "scale": "small",
        "registered_capital": "", "established_on": "", "tags": "", "status": "active",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_form_accepts_and_normalises_a_good_code():
    assert Industry.objects.filter(code="C").exists()
    form = EnterpriseForm(data=_form_data(credit_code="91350100m000100y43 "))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["credit_code"] == "91350100M000100Y43"
    enterprise = form.save()
    assert enterprise.credit_code == "91350100M000100Y43"


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "fragment"), [
    ("9135010", "18 characters"),
    ("91350100M000100YO3", "cannot contain O"),
    ("91350100M000100Y44", "should be 3"),
])
def test_form_refuses_a_bad_code_with_a_field_error(code, fragment):
    form = EnterpriseForm(data=_form_data(credit_code=code))
    with translation.override("en"):
        assert not form.is_valid()
        assert "credit_code" in form.errors
        assert fragment in " ".join(form.errors["credit_code"])


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["91350100M000100Y43", "91350100m000100y43",
                                   " 9135 0100 M000 100Y43"])
def test_form_refuses_a_duplicate_code_however_typed(typed):
    EnterpriseFactory(credit_code="91350100M000100Y43")
    form = EnterpriseForm(data=_form_data(credit_code=typed))
    with translation.override("en"):
        assert not form.is_valid()
        assert "already exists" in " ".join(form.errors["credit_code"])


@pytest.mark.django_db
def test_form_editing_an_enterprise_keeps_its_own_code():
    enterprise = EnterpriseFactory(credit_code="91350100M000100Y43")
    form = EnterpriseForm(data=_form_data(name="改名后的公司"), instance=enterprise)
    assert form.is_valid(), form.errors
    form.save()
    enterprise.refresh_from_db()
    assert enterprise.name == "改名后的公司"


@pytest.mark.django_db
def test_form_editing_an_enterprise_to_another_ones_code_is_refused():
    EnterpriseFactory(credit_code="91350100M000100Y43")
    other = EnterpriseFactory(credit_code="91110000802100433B")
    form = EnterpriseForm(data=_form_data(credit_code="91350100M000100Y43"), instance=other)
    assert not form.is_valid()
    assert "credit_code" in form.errors
