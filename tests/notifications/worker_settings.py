"""Settings of the ``celery worker`` subprocess the real-worker tests start:
the project's, on the test database and broker given in the environment,
with its own queue, a short visibility timeout (a killed worker's unacked
messages come back within seconds, not the default hour), one message at a
time, and e-mail written to a folder by a deliberately slow backend."""

import os

from servicedesk.settings import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = os.environ["JOBS_TEST_QUEUE"]
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
EMAIL_BACKEND = "tests.notifications.backends.SlowFileBackend"
SMS_BACKEND = "notifications.sms.LocmemSmsBackend"
