"""Resident identity card numbers (居民身份证号码), GB 11643-1999.

Layout of the 18 characters::

    1-6    administrative division of the holder's registration (GB/T 2260)
    7-14   date of birth, YYYYMMDD
    15-17  sequence number (the 17th is odd for men, even for women)
    18     check character over the first 17: ISO 7064 MOD 11-2, 0-9 or X

The number is personal information (PIPL): it is stored encrypted
(``audit.fields.EncryptedCharField``), shown masked (``mask_id_number``) and in
full only through the audited "show in full" pages.
"""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# 2^(17-i) mod 11 for the 17 leading digits
_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_CHECK = "10X98765432"  # indexed by the weighted sum mod 11


def normalise_id_number(value: str) -> str:
    """What people type (spaces, a lower-case x) as stored: 18 characters."""
    return re.sub(r"[\s\-]", "", value or "").upper()


def id_check_char(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str) -> None:
    """Raise ``ValidationError`` unless ``value`` is a well-formed 18-character
    resident ID number: digits (and a final X), a real date of birth, and the
    right check character."""
    number = normalise_id_number(value)
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise ValidationError(
            _("A resident ID number has 18 characters: 17 digits, then a digit or X."),
            code="id_number_format")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    if born is None or born.year < 1900 or born > timezone.localdate():
        raise ValidationError(
            _("Characters 7 to 14 of a resident ID number are the date of birth "
              "(YYYYMMDD); %(digits)s is not one.") % {"digits": number[6:14]},
            code="id_number_birth")
    if id_check_char(number[:17]) != number[17]:
        raise ValidationError(
            _("The last character of this ID number does not match the others: "
              "please check it for a typo."),
            code="id_number_check")


def mask_id_number(number: str) -> str:
    """3301**********1234: the division's first four and the last four only."""
    if not number:
        return ""
    if len(number) < 8:
        return "*" * len(number)
    return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}"
