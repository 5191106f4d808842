"""Field-level encryption of personal information (PIPL) and blind indexes.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, ``cryptography``)
under ``FIELD_ENCRYPTION_KEY`` (a comma-separated list: the first key
encrypts, every key decrypts, so keys can be rotated). A database dump shows
only tokens. Because Fernet tokens are random, an encrypted column cannot be
searched; a *blind index* column next to it holds an HMAC-SHA256 of the
normalised value under ``FIELD_INDEX_KEY``, so an exact lookup (login by
mobile, the registry's search by a full number) stays one indexed query.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from functools import cache

from django.conf import settings
from django.core import validators
from django.db import models

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# every Fernet token starts with its version byte, in base64 (not a secret)
TOKEN_PREFIX = "gAAAAA"  # noqa: S105


def derived_key(purpose: str) -> str:
    """A development key derived from ``SECRET_KEY`` (a system check warns when
    production relies on it)."""
    digest = hashlib.sha256(f"{purpose}:{settings.SECRET_KEY}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


@cache
def _fernet(keys: str) -> MultiFernet:
    return MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])


def fernet() -> MultiFernet:
    return _fernet(settings.FIELD_ENCRYPTION_KEY or derived_key("field-encryption"))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    """Plain text for a token; a value that is not a token (a row written
    before encryption, or by a bulk loader) is returned as it is and is
    encrypted the next time the row is saved."""
    if not value.startswith(TOKEN_PREFIX):
        return value
    try:
        return fernet().decrypt(value.encode()).decode()
    except InvalidToken:
        return value


def normalise(value: str) -> str:
    """What a lookup compares: no spaces or dashes, lower case, and a Chinese
    mobile without its +86 / 86 prefix."""
    value = re.sub(r"[\s\-()]", "", value or "").lower()
    if re.fullmatch(r"(\+?86)1\d{10}", value):
        value = value[-11:]
    return value


def blind_index(value: str | None) -> str | None:
    """HMAC-SHA256 of the normalised value; None for an empty value."""
    if not value:
        return None
    key = (settings.FIELD_INDEX_KEY or derived_key("field-index")).encode()
    return hmac.new(key, normalise(value).encode(), hashlib.sha256).hexdigest()


class EncryptedCharField(models.TextField):
    """A text column holding a Fernet token; Python sees the plain value.

    ``max_length`` is validated on the plain value (forms and ``full_clean``);
    the column is ``text`` since tokens are about twice as long as the value."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.max_length:
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def formfield(self, **kwargs):
        # a one-line input, as the CharField it replaces
        return models.Field.formfield(self, **{"max_length": self.max_length, **kwargs})

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def get_lookup(self, lookup_name):
        # only null/empty checks make sense on ciphertext; an equality or
        # contains lookup would silently match nothing, so it is refused
        if lookup_name not in ("isnull", "exact", "in"):
            raise TypeError(f"encrypted field {self.name!r} cannot be searched with "
                            f"{lookup_name!r}: use its blind index")
        return super().get_lookup(lookup_name)


class EncryptedEmailField(EncryptedCharField):
    """An encrypted e-mail address, validated as one."""

    default_validators = [validators.validate_email]

    def formfield(self, **kwargs):
        from django import forms

        return super().formfield(**{"form_class": forms.EmailField, **kwargs})
