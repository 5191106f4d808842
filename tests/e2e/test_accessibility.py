"""Accessibility of the main pages, in the browser: axe-core (vendored under
static/vendor/axe/) finds no serious or critical violation; every visible form
field has a label; on a phone every control is at least 44 x 44 CSS pixels;
the login form works from the keyboard alone.

Desktop and phone are both checked with axe, because the layout changes (the
ledger's table stacks into cards on a phone)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import DESKTOP, PASSWORD, PHONE, axe_violations, small_tap_targets

pytestmark = pytest.mark.e2e


def _first_link(page, url: str, pattern: str) -> str:
    page.goto(url)
    href = page.locator(f"main a[href*='{pattern}']").first.get_attribute("href")
    assert href, f"no link matching {pattern} on {url}"
    return href


# name: (user, how to reach the page)
PAGES = {
    "login": (None, lambda p: "/accounts/login/"),
    "desk-home": ("coordinator", lambda p: "/desk/"),
    "ledger": ("coordinator", lambda p: "/ledger/"),
    "task-detail": ("coordinator", lambda p: _first_link(p, "/ledger/?state=submitted", "/tasks/")),
    "visit-form": ("staff", lambda p: "/visits/new/"),
    "my-week": ("staff", lambda p: "/visits/"),
    "dashboard": ("leader", lambda p: "/dashboards/"),
    "letters": ("coordinator", lambda p: "/letters/"),
    "bulletins": ("leader", lambda p: "/letters/bulletins/"),
    "silent-tasks": ("coordinator", lambda p: "/insight/silent/"),
    "portal-home": ("firm", lambda p: "/portal/"),
    "portal-submit": ("firm", lambda p: "/portal/obstacles/new/"),
    "cms-home": (None, lambda p: "/"),
    "guide": (None, lambda p: _first_link(p, "/policies/", "/policies/")),
    "search": (None, lambda p: "/search/?q=企业开办"),
}

UNLABELLED_FIELDS = """() => Array.from(document.querySelectorAll(
        'main input:not([type=hidden]):not([type=submit]):not([type=button]), main select, main textarea'))
    .filter(el => el.offsetParent !== null)
    .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                  && !el.getAttribute('aria-labelledby') && !el.closest('label'))
    .map(el => el.name || el.id)"""


def _open(pages, name, viewport):
    user, where = PAGES[name]
    page = pages.open(user, viewport=viewport)
    url = where(page)
    response = page.goto(url)
    assert response.status == 200, (name, url, response.status)
    return page


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_or_critical_axe_violations(pages, name, viewport):
    page = _open(pages, name, viewport)
    violations = axe_violations(page)
    assert not violations, "\n".join(
        f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"][:5])
        for v in violations)


@pytest.mark.parametrize("name", list(PAGES))
def test_every_form_field_has_a_label(pages, name):
    page = _open(pages, name, DESKTOP)
    assert page.evaluate(UNLABELLED_FIELDS) == []


@pytest.mark.parametrize("name", list(PAGES))
def test_tap_targets_are_at_least_44px_on_a_phone(pages, name, shots):
    page = _open(pages, name, PHONE)
    shots(page, name)
    small = small_tap_targets(page)
    assert not small, "\n".join(
        f"<{s['tag']} class='{s['cls']}'> {s['text']!r}: {s['w']}x{s['h']}" for s in small)


def test_login_form_works_from_the_keyboard_alone(pages, shots):
    page = pages.open(None, viewport=PHONE)
    # on a page without autofocus the first Tab reaches the skip link, which shows
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip"
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == "#content"
    assert page.evaluate("() => document.activeElement.getBoundingClientRect().left") >= 0
    # the username field has the focus when the page opens
    page.goto("/accounts/login/")
    assert page.evaluate("() => document.activeElement.id") == "id_username"
    page.keyboard.type("staff")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "id_password"
    page.keyboard.type(PASSWORD)
    shots(page, "typed")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/visits/$", page.url), page.url
    shots(page, "logged-in")


def test_focus_is_visible_on_the_login_button(pages):
    """Keyboard users see where they are: the focused button draws an outline."""
    page = pages.open(None, viewport=DESKTOP)
    page.goto("/accounts/login/")
    page.focus("main button[type=submit]")
    outline = page.evaluate("""() => {
        const s = getComputedStyle(document.activeElement);
        return [s.outlineStyle, parseFloat(s.outlineWidth), s.boxShadow];
    }""")
    assert (outline[0] != "none" and outline[1] > 0) or outline[2] != "none", outline
