"""E-mail backends for the tests."""

import smtplib

from django.core.mail.backends.locmem import EmailBackend

attempts: dict[str, int] = {}


class FailForOneAddressBackend(EmailBackend):
    """The locmem backend, except that the server refuses ``broken@…`` with a
    temporary error every time (and counts the attempts)."""

    def send_messages(self, messages):
        for message in messages:
            for address in message.to:
                if address.startswith("broken@"):
                    attempts[address] = attempts.get(address, 0) + 1
                    raise smtplib.SMTPRecipientsRefused(
                        {address: (451, b"4.3.0 Mailbox temporarily unavailable")})
        return super().send_messages(messages)


class SlowFileBackend(EmailBackend):
    """For the real-worker tests: each message leaves a ``started-<delivery>-…``
    marker, waits ``JOBS_TEST_SEND_SECONDS`` (a slow mail server, so a test
    can kill the worker in the middle of a send), then is written as
    ``sent-<delivery>-….eml`` under ``JOBS_TEST_MAIL_DIR``."""

    def send_messages(self, messages):
        import os
        import time
        import uuid
        from pathlib import Path

        folder = Path(os.environ["JOBS_TEST_MAIL_DIR"])
        for message in messages:
            pk = message.extra_headers.get("X-Desk-Delivery", "0")
            tag = uuid.uuid4().hex[:8]
            (folder / f"started-{pk}-{tag}").touch()
            time.sleep(float(os.environ.get("JOBS_TEST_SEND_SECONDS", "0")))
            (folder / f"sent-{pk}-{tag}.eml").write_bytes(message.message().as_bytes())
        return len(messages)
