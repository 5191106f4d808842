"""Security headers: a Content-Security-Policy without inline scripts on the
desk's and the portal's pages; the Django and Wagtail admins (which need inline
scripts) are left out of it and still load."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("url", ["/accounts/login/", "/portal/request-account/"])
def test_pages_carry_a_policy_without_inline_script(client, url):
    response = client.get(url)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"]


def test_portal_page_of_a_firm_user_has_the_policy(client, firm):
    client.force_login(firm)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("url", ["/cms-admin/", "/admin/"])
def test_admins_still_load_for_a_superuser_outside_the_policy(client, url):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.get(url)
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response


def test_no_template_of_ours_has_an_inline_script_or_handler():
    """Inline code would be blocked by the policy: scripts are files. A PDF
    template (``*_pdf.html``) is read by WeasyPrint only, never by a browser,
    so the policy does not apply to its inline styles (its scripts would still
    be refused)."""
    base = Path(settings.BASE_DIR)
    offenders = []
    for path in base.glob("*/templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        inline_style = re.search(r'\sstyle\s*=\s*"', text) and not path.name.endswith("_pdf.html")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(
                r"\son[a-z]+\s*=", text) or inline_style:
            offenders.append(str(path.relative_to(base)))
    assert offenders == []
