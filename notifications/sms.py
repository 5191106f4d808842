"""SMS behind a small backend interface: no vendor is assumed.

``settings.SMS_BACKEND`` names a class with ``send(to, text)``; it raises an
exception (``SmsError`` or an ``OSError``) when the message could not be handed
over, and the sender retries. The default writes each message as a JSON line to
a file under ``var/sms/`` (``SMS_FILE_PATH``), like Django's file e-mail backend;
a vendor's gateway is one small class away.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

outbox: list[dict] = []


class SmsError(Exception):
    """The gateway refused or could not be reached: worth a retry."""


class BaseSmsBackend:
    def send(self, to: str, text: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class FileSmsBackend(BaseSmsBackend):
    """Appends ``{"to", "text", "at"}`` to ``SMS_FILE_PATH/<date>.jsonl``."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path or settings.SMS_FILE_PATH)

    def send(self, to: str, text: str) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        now: datetime = timezone.localtime()
        line = json.dumps({"to": to, "text": text, "at": now.isoformat()}, ensure_ascii=False)
        with open(self.path / f"{now:%Y-%m-%d}.jsonl", "a", encoding="utf-8") as f:
            f.write(line + "\n")


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps messages in ``notifications.sms.outbox`` (tests)."""

    def send(self, to: str, text: str) -> None:
        outbox.append({"to": to, "text": text})


def get_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()
