"""The server the journeys run against is the production stack: gunicorn with
gunicorn.conf.py, WhiteNoise for static files, the health probe, the security
headers, and one JSON object per access-log line."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

pytestmark = pytest.mark.e2e


def _get(server, path: str):
    return urllib.request.urlopen(server.url + path, timeout=10)  # noqa: S310


def test_healthz_through_gunicorn(server):
    with _get(server, "/healthz") as r:
        assert r.status == 200
        body = json.loads(r.read())
    assert body["status"] == "ok"
    assert {k: v["ok"] for k, v in body["checks"].items()} == {
        "database": True, "broker": True, "disk": True}


def test_static_files_come_from_whitenoise(server):
    with _get(server, "/static/desk/desk.css") as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/css")
        assert "max-age" in r.headers["Cache-Control"]
    with _get(server, "/static/vendor/axe/axe.min.js") as r:
        assert r.read(20).startswith(b"/*! axe v")


def test_pages_carry_the_security_headers(server):
    with _get(server, "/accounts/login/") as r:
        headers = r.headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_access_log_is_one_json_object_per_request(server):
    with _get(server, "/accounts/login/?next=/desk/"):
        pass
    # gunicorn logs the request after it has sent the response: under load the
    # line reaches the file a moment after the client has read the page
    deadline = time.monotonic() + 5
    while True:
        lines = server.access_log()
        mine = [x for x in lines
                if x["path"] == "/accounts/login/" and x["query"] == "next=/desk/"]
        if mine or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert lines, "gunicorn wrote no access line"
    assert mine, lines[-3:]
    line = mine[-1]
    assert line["method"] == "GET" and line["status"] == 200 and line["bytes"] > 0
    assert line["duration_ms"] >= 0 and line["remote_addr"] == "127.0.0.1"
    assert line["level"] == "INFO" and "time" in line
