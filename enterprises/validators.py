"""Unified social credit code (统一社会信用代码), GB 32100-2015.

Layout of the 18 characters::

    1      registration authority (登记管理部门码)
    2      organisation type within that authority (机构类别码)
    3-8    administrative division of the registering office (登记管理机关行政区划码)
    9-17   organisation code, GB 11714, whose 9th character is its own check
    18     check character over the first 17, modulo 31

The alphabet is the digits and the capital letters without I, O, S, V, Z.
Forms, the import, the API and the generator all use this one module.
"""

from __future__ import annotations

import random

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_WEIGHTS_18 = [pow(3, i, 31) for i in range(17)]
_WEIGHTS_ORG = [3, 7, 9, 10, 5, 8, 4, 2]

# Registration authority -> organisation types it may register (GB 32100-2015,
# table 1 and its later assignments).
AUTHORITY_TYPES: dict[str, str] = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 群众团体, 其他
    "2": "19",  # 外交
    "3": "123459",  # 司法行政
    "4": "19",  # 文化
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": "129",  # 旅游
    "7": "129",  # 宗教
    "8": "19",  # 工会
    "9": "123",  # 市场监管(工商): 企业, 个体工商户, 农民专业合作社
    "A": "19",  # 中央军委改革和编制办公室
    "N": "1239",  # 农业农村
    "Y": "1",  # 其他
}

# First two digits of a GB/T 2260 division code (10 is used for national bodies).
PROVINCES = frozenset(
    "10 11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)


def _char_value(ch: str) -> int:
    """GB 11714 values: digits are themselves, letters A=10 ... Z=35."""
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def organisation_check_char(body: str) -> str:
    """The GB 11714 check character for the 8-character organisation code body."""
    total = sum(_char_value(c) * w for c, w in zip(body, _WEIGHTS_ORG, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_check_char(first17: str) -> str:
    """The final mod-31 check character over the first 17 characters."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS_18, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> str:
    """Normalise and check a unified social credit code.

    Strips whitespace, upper-cases, and returns the normalised code; raises
    ``ValidationError`` naming the part that is wrong.
    """
    code = "".join(str(value or "").split()).upper()
    if len(code) != 18:
        raise ValidationError(
            _("A credit code has 18 characters; this one has %(count)d."),
            code="length",
            params={"count": len(code)},
        )
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        raise ValidationError(
            _("A credit code cannot contain %(chars)s (no I, O, S, V or Z)."),
            code="alphabet",
            params={"chars": ", ".join(bad)},
        )
    authority, kind = code[0], code[1]
    if authority not in AUTHORITY_TYPES:
        raise ValidationError(
            _("Character 1 (%(char)s) is not a registration-authority code."),
            code="authority",
            params={"char": authority},
        )
    if kind not in AUTHORITY_TYPES[authority]:
        raise ValidationError(
            _(
                "Character 2 (%(char)s) is not an organisation type of "
                "registration authority %(authority)s."
            ),
            code="type",
            params={"char": kind, "authority": authority},
        )
    division = code[2:8]
    if not division.isdigit() or division[:2] not in PROVINCES:
        raise ValidationError(
            _("Characters 3-8 (%(division)s) are not an administrative division code."),
            code="division",
            params={"division": division},
        )
    org = code[8:17]
    if organisation_check_char(org[:8]) != org[8]:
        raise ValidationError(
            _("The organisation code %(org)s (characters 9-17) fails its check character."),
            code="organisation_check",
            params={"org": org},
        )
    if credit_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("The last character should be %(expected)s: the code was mistyped."),
            code="check",
            params={"expected": credit_check_char(code[:17])},
        )
    return code


def generate_credit_code(
    rng: random.Random | None = None, *, division: str = "330106"
) -> str:
    """A valid random credit code of a company (9 1) in ``division``.

    Used by the demo data, the benchmark generator and the tests.
    """
    rng = rng or random.Random()  # noqa: S311 - not for security
    digits = "0123456789"
    body = "".join(rng.choice(digits + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    org = body + organisation_check_char(body)
    first17 = "91" + division + org
    return first17 + credit_check_char(first17)
