"""The production configuration as production loads it: settings with DEBUG and
TESTING off, and gunicorn.conf.py. Each runs in a child process, because both
configure logging and settings for the whole process they are loaded in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "DEBUG", "TESTING", "LOG_FORMAT", "CELERY_BROKER_URL"}}
    base.update({"DJANGO_SETTINGS_MODULE": "servicedesk.settings", "DEBUG": "False",
                 "TESTING": "False", "SECRET_KEY": "x" * 50,
                 "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}"}, **env)
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=base,
        capture_output=True, text=True, timeout=120, check=False)


def test_production_settings_redirect_to_https_except_the_health_probe(tmp_path):
    result = _run("""
        import django
        django.setup()
        from django.test import Client
        c = Client(HTTP_HOST="127.0.0.1")
        r = c.get("/accounts/login/")
        print(c.get("/healthz").status_code, r.status_code, r["Location"])
        # behind the proxy, which says the request came over HTTPS: no redirect
        print(c.get("/healthz", HTTP_X_FORWARDED_PROTO="https").status_code)
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "301", "https://127.0.0.1/accounts/login/", "200"]


def test_production_logs_are_one_json_object_per_line(tmp_path):
    result = _run("""
        import logging
        import django
        django.setup()
        logging.getLogger("approvals").warning("task %s is overdue", 42, extra={"task": 42})
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "task 42 is overdue"
    assert line["level"] == "WARNING" and line["logger"] == "approvals"
    assert line["task"] == 42 and "time" in line


def test_log_format_plain_is_kept_for_development(tmp_path):
    result = _run("""
        import logging
        import django
        django.setup()
        logging.getLogger("approvals").warning("plain line")
    """, tmp_path, LOG_FORMAT="plain")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().endswith("WARNING approvals plain line")


GUNICORN_ACCESS = """
    import datetime, runpy, types
    from gunicorn.config import Config
    conf = runpy.run_path("gunicorn.conf.py")
    print(conf["workers"], conf["threads"], conf["worker_class"], conf["timeout"])
    cfg = Config()
    for name in ("accesslog", "errorlog", "loglevel", "logconfig_dict"):
        if name in conf:
            cfg.set(name, conf[name])
    log = conf["JsonAccessLogger"](cfg)
    resp = types.SimpleNamespace(status="404 Not Found", sent=512, headers=[])
    req = types.SimpleNamespace(headers=[("X-REQUEST-ID", "r-1"), ("USER-AGENT", 'a "quoted" agent')])
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/ledger/", "QUERY_STRING": "q=1",
               "REMOTE_ADDR": "127.0.0.1"}
    log.access(resp, req, environ, datetime.timedelta(milliseconds=37))
"""


def test_gunicorn_takes_its_figures_from_the_environment(tmp_path):
    result = _run(GUNICORN_ACCESS, tmp_path, WEB_CONCURRENCY="3", GUNICORN_THREADS="4",
                  GUNICORN_TIMEOUT="45")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "3 4 gthread 45"


@pytest.mark.parametrize("env", [{}, {"WEB_CONCURRENCY": "2"}])
def test_gunicorn_access_log_is_json_with_the_request_fields(tmp_path, env):
    result = _run(GUNICORN_ACCESS, tmp_path, **env)
    assert result.returncode == 0, result.stderr
    first, access = result.stdout.splitlines()[:2]
    assert first.split()[2] == "sync"
    line = json.loads(access)
    assert line["logger"] == "gunicorn.access"
    assert {k: line[k] for k in ("method", "path", "query", "status", "bytes", "request_id",
                                 "user_agent", "remote_addr")} == {
        "method": "GET", "path": "/ledger/", "query": "q=1", "status": 404, "bytes": 512,
        "request_id": "r-1", "user_agent": 'a "quoted" agent', "remote_addr": "127.0.0.1"}
    assert line["duration_ms"] == 37.0
