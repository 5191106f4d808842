"""Fixtures of the leftovers' tests: the CMS page helpers are shared with
tests/cms (imported, not copied), plus English pages for stable assertions."""

from __future__ import annotations

import pytest

from tests.cms.conftest import (  # noqa: F401  (fixtures are found by name)
    checklist_index,
    home,
    make_checklist,
    make_guide,
    policy_index,
)


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
