"""gunicorn's configuration for the desk in production (``make run-prod``).

gunicorn reads this file from the working directory by itself; every figure
comes from the environment so one file serves a laptop, the load test and the
district's servers. Defaults suit one 2-core machine behind a reverse proxy.

| variable | default | meaning |
| --- | --- | --- |
| ``GUNICORN_BIND`` | ``127.0.0.1:8000`` | where to listen (the proxy talks to it) |
| ``WEB_CONCURRENCY`` | 2 x cores + 1 | worker processes |
| ``GUNICORN_THREADS`` | 1 | threads per worker (> 1 switches to ``gthread``) |
| ``GUNICORN_TIMEOUT`` | 30 | seconds before a stuck worker is killed and replaced |
| ``GUNICORN_MAX_REQUESTS`` | 1000 | recycle a worker after this many requests (0: never) |
| ``FORWARDED_ALLOW_IPS`` | ``127.0.0.1`` | proxies whose ``X-Forwarded-*`` headers are trusted |
| ``LOG_FORMAT`` | ``json`` | ``json``: one JSON object per line; ``plain``: gunicorn's text |

Access log lines are JSON objects (method, path, status, duration, client,
request id) on stdout, like the application's own log (settings ``LOGGING``),
so one shipper reads both.
"""

import multiprocessing
import os

from gunicorn.glogging import Logger


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
wsgi_app = "servicedesk.wsgi:application"
proc_name = "servicedesk"

workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
threads = _int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"

# A request that takes longer than this is a bug or a stuck query: the worker
# is killed and replaced rather than holding a slot forever. Long jobs (batch
# letters, imports) run in Celery, not in a request.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# behind a proxy that keeps connections open to us
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# recycle workers now and then: a slow leak in any library cannot grow forever;
# the jitter keeps them from all restarting at the same moment
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)
# the heartbeat file on tmpfs: a slow or full disk must not look like a hung worker
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()


class JsonAccessLogger(Logger):
    """gunicorn's logger with the access line as structured fields.

    gunicorn formats its access line with ``%`` into a string, which a JSON
    formatter could only wrap as one opaque ``message``; here each part is an
    attribute of the record, and ``python-json-logger`` writes it as a key.
    """

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        headers = dict(req.headers) if hasattr(req, "headers") else {}
        fields = {
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": environ.get("QUERY_STRING") or None,
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "remote_addr": environ.get("REMOTE_ADDR"),
            "forwarded_for": headers.get("X-FORWARDED-FOR"),
            "request_id": headers.get("X-REQUEST-ID"),
            "user_agent": headers.get("USER-AGENT"),
        }
        self.access_log.info("%s %s %s", fields["method"], fields["path"], status,
                             extra=fields)


if os.environ.get("LOG_FORMAT", "json") == "json":
    logger_class = JsonAccessLogger
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
                "datefmt": "%Y-%m-%dT%H:%M:%S%z",
                "rename_fields": {"asctime": "time", "levelname": "level",
                                  "name": "logger"},
            },
        },
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "formatter": "json",
                       "stream": "ext://sys.stdout"},
        },
        # not propagated: Django's own LOGGING puts a handler on the root logger
        # in each worker, which would print every line twice
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stdout"],
                               "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["stdout"],
                                "propagate": False},
        },
        "root": {"level": "INFO", "handlers": []},
    }
