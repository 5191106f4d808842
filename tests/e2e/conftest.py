"""End-to-end fixtures: the desk served by gunicorn (``gunicorn.conf.py``, the
production WSGI stack with WhiteNoise and the JSON access log) on a fresh
SQLite database loaded with ``seed_demo``, driven by Debian's ``chromium``
through Playwright.

Why a gunicorn child process rather than pytest-django's ``live_server``: the
journeys cross many users and pages, so they need the demo data that
``seed_demo`` builds (Wagtail's page tree and workflow included), which a
``transactional_db`` flush would remove between tests; and a separate process
is what production runs. The child runs with ``TESTING=1`` (no HTTPS redirect,
Celery tasks run inline, e-mail kept in memory, quick password hashes) and
``DEBUG`` off, so pages are the production pages. The pytest process never
touches that database: the tests see only what a browser sees.

Playwright's own browser downloads are never used (``playwright install`` is
not run): ``chromium.launch(executable_path=/usr/bin/chromium)``.

Artifacts land under ``var/e2e/``: ``shots/<test>/NN-step.png`` (a full-page
screenshot of every step, to look at), ``server-<worker>/server.log`` (the
gunicorn log, JSON lines) and the database.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "e2e"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
# Headless, no sandbox (root in a container), and nothing that phones home:
# the desk runs on intranets and the tests must not depend on the Internet.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PASSWORD = os.environ.get("DEMO_PASSWORD", "Demo@2026")
PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 900}
AXE_VERSION = "4.14.1"
AXE_URL = "/static/vendor/axe/axe.min.js"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn on a fresh demo database, in its own process group."""

    def __init__(self, name: str):
        self.dir = ARTIFACTS / f"server-{name}"
        self.log_path = self.dir / "server.log"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith(("DATABASE_URL", "CELERY_", "DJANGO_ALLOW_ASYNC"))}
        self.env = {
            **keep,
            "DJANGO_SETTINGS_MODULE": "servicedesk.settings",
            "DEBUG": "False", "TESTING": "True", "SECRET_KEY": "e2e-" + "k" * 46,
            "DATABASE_URL": f"sqlite:///{self.dir / 'db.sqlite3'}",
            "STATIC_ROOT": str(self.dir / "static"),
            "MEDIA_ROOT": str(self.dir / "media"),
            "PRIVATE_MEDIA_ROOT": str(self.dir / "private"),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CELERY_TASK_ALWAYS_EAGER": "True",
            # the second factor (audit/) is required of coordinators, leaders and
            # admins only in production; the journeys log in with passwords
            "TWO_FACTOR_REQUIRED": "False",
            "LOG_FORMAT": "json",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": os.environ.get("E2E_WORKERS", "2"),
            "GUNICORN_MAX_REQUESTS": "0",
        }

    def _manage(self, *args: str) -> None:
        with self.log_path.open("a") as log:
            subprocess.run(  # noqa: S603 - our interpreter, our manage.py
                [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
                stdout=log, stderr=subprocess.STDOUT, check=True, timeout=600)

    def start(self) -> None:
        # E2E_REUSE_DB=1 keeps the last run's database (quicker while writing a
        # journey; each journey names what it creates uniquely, so reruns work)
        reuse = os.environ.get("E2E_REUSE_DB") == "1" and (self.dir / "db.sqlite3").exists()
        if not reuse:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._manage("migrate", "--no-input", "-v0")
        if not reuse:
            self._manage("seed_demo")
        self._manage("collectstatic", "--no-input", "-v0")
        log = self.log_path.open("a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=ROOT,
            env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer /healthz in 60 s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # gunicorn's graceful stop
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def access_log(self) -> list[dict]:
        """gunicorn's access lines, parsed (each must be a JSON object)."""
        lines = []
        for raw in self.log_path.read_text(errors="replace").splitlines():
            if '"gunicorn.access"' in raw:
                lines.append(json.loads(raw))
        return lines


@pytest.fixture(scope="session")
def server():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test-e2e` installs Debian's chromium")
    srv = Server(os.environ.get("PYTEST_XDIST_WORKER", "main"))
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def browser(server):
    # Playwright's sync API runs an event loop in this thread; Django's ORM is
    # not used here, but pytest-django's fixtures may still check for one
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    try:
        yield b
    finally:
        b.close()
        pw.stop()


class Shots:
    """Numbered full-page screenshots of one test: var/e2e/shots/<test>/NN-step.png."""

    def __init__(self, test_name: str):
        self.dir = ARTIFACTS / "shots" / re.sub(r"[^\w.-]+", "_", test_name)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.n = 0

    def __call__(self, page, step: str) -> Path:
        self.n += 1
        path = self.dir / f"{self.n:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request) -> Shots:
    return Shots(request.node.name)


class Pages:
    """Opens browser contexts (one per user: separate cookies) and records
    every page error and CSP violation, which fail the test at teardown."""

    def __init__(self, browser, server):
        self.browser, self.server = browser, server
        self.contexts = []
        self.errors: list[str] = []

    def open(self, user: str | None = None, *, viewport=DESKTOP, locale="zh-CN"):
        context = self.browser.new_context(
            base_url=self.server.url, viewport=viewport, locale=locale,
            is_mobile=viewport is PHONE, has_touch=viewport is PHONE,
            device_scale_factor=1)
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))
        page.on("console", lambda m: self.errors.append(f"{page.url}: {m.text}")
                if m.type == "error" and "Content Security Policy" in m.text else None)
        if user:
            login(page, user)
        return page

    def close(self):
        for c in self.contexts:
            c.close()


@pytest.fixture
def pages(browser, server):
    p = Pages(browser, server)
    yield p
    p.close()
    assert not p.errors, "script errors or CSP violations:\n" + "\n".join(p.errors)


def login(page, username: str, password: str = PASSWORD) -> None:
    """Through the login page, as a person would: type, press Enter."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    assert "/accounts/login/" not in page.url, f"{username} could not log in: {page.url}"


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run the vendored axe-core on the page; the serious and critical
    violations, each with the selectors of the offending nodes."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return {version: axe.version, violations: r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}))};
    }""")
    assert result["version"] == AXE_VERSION
    return [v for v in result["violations"] if v["impact"] in impacts]


def small_tap_targets(page, minimum: int = 44) -> list[dict]:
    """Visible controls smaller than ``minimum`` CSS pixels in either direction.

    WCAG 2.5.5's exceptions apply: a link inside a sentence (its box is the
    line of text) and a checkbox or radio whose label is the target (the
    label's box is measured instead).
    """
    return page.evaluate("""(minimum) => {
        const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
        const out = [];
        for (const el of document.querySelectorAll(sel)) {
            const style = getComputedStyle(el);
            if (style.visibility === 'hidden' || style.display === 'none') continue;
            let box = el.getBoundingClientRect();
            if (box.width === 0 && box.height === 0) continue;
            if (el.closest('.skip')) continue;  // the skip link shows only on focus
            if (['checkbox', 'radio'].includes(el.type) && el.closest('label')) {
                box = el.closest('label').getBoundingClientRect();
            }
            // a link inside running text: the inline exception
            if (el.tagName === 'A' && style.display === 'inline') {
                const parent = el.parentElement;
                const text = Array.from(parent.childNodes).filter(n => n.nodeType === 3)
                    .map(n => n.textContent.trim()).join('');
                if (text.length > 0 && !el.classList.contains('btn')) continue;
            }
            if (box.width < minimum || box.height < minimum) {
                out.push({tag: el.tagName.toLowerCase(), text: (el.innerText || el.name || el.id || '').trim().slice(0, 40),
                          cls: el.className, w: Math.round(box.width), h: Math.round(box.height)});
            }
        }
        return out;
    }""", minimum)
