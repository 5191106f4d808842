"""The tamper-evident audit log, its archive segments, and per-user security
state (must-change-password, when the password was last changed)."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import AuditResult

GENESIS_HASH = "0" * 64


class AppendOnlyError(RuntimeError):
    """Raised when code tries to edit or delete an audit record."""


class AuditRecordQuerySet(models.QuerySet):
    """Refuses bulk edits and deletes: no application path changes the log.
    The archive job removes archived rows through ``_archive_delete`` only."""

    def update(self, **kwargs):
        raise AppendOnlyError("audit records are append-only")

    def delete(self):
        raise AppendOnlyError("audit records are append-only")

    def _archive_delete(self) -> int:
        return self._raw_delete(self.db)


# one encoder for every record (json.dumps with options builds a new one per call)
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                              default=str)


def canonical_json(content: dict) -> str:
    """The record's content as hashed: sorted keys, no spaces, UTF-8 text."""
    return _CANONICAL.encode(content)


def chain_hash(content: dict, prev_hash: str) -> str:
    """SHA-256 over the previous record's hash, a newline and the record's
    canonical JSON content: changing, removing or reordering a row breaks the
    link. (``audit.services`` has PostgreSQL compute the same digest of the
    same bytes while it inserts the row.)"""
    payload = canonical_json(content)
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


class AuditRecord(models.Model):
    """One security-relevant event: who, when, from which address, what object,
    what action, what result. Written only by ``audit.services.record``; rows
    are never updated and deleted only after they are archived.

    The actor is kept by id and name rather than a foreign key so erasing or
    deleting a user cannot cascade into (and so alter) the log."""

    created_at = models.DateTimeField(_("when"), db_index=True)
    actor_id = models.BigIntegerField(_("user id"), null=True, blank=True)
    actor_name = models.CharField(_("user"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=32)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=AuditResult.choices,
                              default=AuditResult.SUCCESS)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    objects = AuditRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        indexes = [
            # the audit administrator's search: by user, by action, by object, in a period
            models.Index(fields=["actor_name", "created_at"], name="audit_actor_when"),
            models.Index(fields=["action", "created_at"], name="audit_action_when"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.actor_name}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("audit records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit records are append-only")

    def content(self) -> dict:
        """The hashed fields, as plain JSON values (stable across a round trip
        through the database)."""
        return {
            "created_at": self.created_at.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "ip_address": self.ip_address,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "result": self.result,
            "detail": self.detail,
        }

    def compute_hash(self) -> str:
        return chain_hash(self.content(), self.prev_hash)


class AuditArchive(models.Model):
    """A segment of the log moved to a compressed file by the archive job; the
    file's digest and the segment's last hash keep the chain verifiable."""

    created_at = models.DateTimeField(_("archived at"), auto_now_add=True)
    first_id = models.BigIntegerField(_("first record"))
    last_id = models.BigIntegerField(_("last record"))
    count = models.PositiveIntegerField(_("records"))
    first_prev_hash = models.CharField(_("hash before the segment"), max_length=64)
    last_hash = models.CharField(_("last hash"), max_length=64)
    path = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(_("file digest"), max_length=64)

    class Meta:
        ordering = ["-last_id"]
        verbose_name = _("audit archive")
        verbose_name_plural = _("audit archives")

    def __str__(self) -> str:
        return f"{self.first_id}-{self.last_id}"


class UserSecurity(models.Model):
    """Security state of an account beyond ``auth.User``: whether the next
    login must start by changing the password (accounts an administrator
    created) and when it was last changed (for the optional expiry)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
        related_name="security",
    )
    must_change_password = models.BooleanField(_("must change password"), default=False)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True,
                                               blank=True)

    class Meta:
        verbose_name = _("account security")
        verbose_name_plural = _("account security")

    def __str__(self) -> str:
        return str(self.user)
