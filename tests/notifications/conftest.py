"""Fixtures of the notification tests: a running eager Celery whose task errors
stay in their results (a failing address must not stop the batch), and the
outboxes."""

from django.core import mail

import pytest

from notifications import sms


@pytest.fixture(autouse=True)
def _outboxes():
    sms.outbox.clear()
    mail.outbox = []
    yield
    sms.outbox.clear()


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run a job with its on-commit dispatch (e-mails, SMS) executed."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run
