"""CMS fixtures: the home page from the migration, the two index pages, and
helpers that publish a guide or a checklist."""

from __future__ import annotations

from datetime import date

import pytest

from approvals.choices import Role
from cms.models import (
    ChecklistIndexPage,
    ChecklistPage,
    HomePage,
    PolicyGuidePage,
    PolicyIndexPage,
    Topic,
)
from tests.factories import UserFactory


@pytest.fixture
def home(db):
    return HomePage.objects.get()


@pytest.fixture
def policy_index(home):
    index = PolicyIndexPage(title="政策指南", slug="policies")
    home.add_child(instance=index)
    return index


@pytest.fixture
def checklist_index(home):
    index = ChecklistIndexPage(title="一纸清", slug="checklists")
    home.add_child(instance=index)
    return index


@pytest.fixture
def topic_jobs(db):
    return Topic.objects.create(code="yg", name="用工社保")


@pytest.fixture
def topic_build(db):
    return Topic.objects.create(code="gc", name="工程建设")


@pytest.fixture
def cms_editor(db):
    return UserFactory(username="cms_editor", role=Role.EDITOR)


@pytest.fixture
def cms_moderator(db):
    return UserFactory(username="cms_moderator", role=Role.MODERATOR)


def _publish(parent, page, *, topics=(), industries=(), live=True):
    page.live = False
    parent.add_child(instance=page)
    if topics:
        page.topics.set(topics)
    if industries:
        page.industries.set(industries)
    revision = page.save_revision()
    if live:
        revision.publish()
    page.refresh_from_db()
    return page


@pytest.fixture
def make_guide(policy_index):
    counter = iter(range(1000))

    def make(title, *, summary="", live=True, topics=(), industries=(), **fields):
        fields.setdefault("department", "区人力资源和社会保障局")
        fields.setdefault("published_on", date(2026, 1, 5))
        page = PolicyGuidePage(title=title, slug=f"guide-{next(counter)}", summary=summary,
                               **fields)
        return _publish(policy_index, page, topics=topics, industries=industries, live=live)

    return make


@pytest.fixture
def make_checklist(checklist_index):
    counter = iter(range(1000))

    def make(title, *, summary="", live=True, topics=(), industries=(), **fields):
        fields.setdefault("department", "区住房和城乡建设局")
        page = ChecklistPage(title=title, slug=f"checklist-{next(counter)}", summary=summary,
                             **fields)
        return _publish(checklist_index, page, topics=topics, industries=industries,
                        live=live)

    return make
