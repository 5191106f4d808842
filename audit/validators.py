"""Password rules of the classified-protection standard (等保 2.0): at least
eight characters (Django's ``MinimumLengthValidator``) from at least three of
four classes, not the username or the mobile number, not a common password
(Django's list plus ``data/common_passwords_cn.txt``, weak passwords that
nevertheless mix classes, as seen in Chinese leak lists)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

CLASSES = (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]")


class CharacterClassesValidator:
    """At least ``min_classes`` of lower case, upper case, digits and symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        found = sum(1 for pattern in CLASSES if re.search(pattern, password))
        if found < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return ngettext(
            "Your password must mix at least %(n)d kind of character: lower case, "
            "upper case, digits and symbols.",
            "Your password must mix at least %(n)d kinds of characters: lower case, "
            "upper case, digits and symbols.",
            self.min_classes) % {"n": self.min_classes}


class NotUsernameOrMobileValidator:
    """The password may not contain the username or the user's mobile number."""

    def validate(self, password, user=None):
        if user is None:
            return
        lowered = password.lower()
        username = (user.get_username() or "").lower()
        if len(username) >= 3 and username in lowered:
            raise ValidationError(_("Your password cannot contain your username."),
                                  code="password_has_username")
        profile = getattr(user, "profile", None) if user.pk else None
        mobile = getattr(profile, "mobile", None) or ""
        digits = re.sub(r"\D", "", password)
        if mobile and len(mobile) >= 7 and mobile[-7:] in digits:
            raise ValidationError(_("Your password cannot contain your mobile number."),
                                  code="password_has_mobile")

    def get_help_text(self):
        return _("Your password cannot contain your username or mobile number.")


@cache
def _local_common() -> frozenset[str]:
    path = Path(__file__).resolve().parent / "data" / "common_passwords_cn.txt"
    return frozenset(line.strip().lower() for line in path.read_text().splitlines()
                     if line.strip() and not line.startswith("#"))


class LocalCommonPasswordValidator:
    """Common passwords that pass the class rule (``Admin@123``, ``P@ssw0rd``)."""

    def validate(self, password, user=None):
        if password.lower().strip() in _local_common():
            raise ValidationError(_("This password is too common."),
                                  code="password_too_common")

    def get_help_text(self):
        return _("Your password cannot be a commonly used password.")
