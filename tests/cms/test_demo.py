"""seed_demo's CMS part: about ten guides and ten checklists, idempotent."""

import pytest

from cms.demo import seed_cms_demo
from cms.models import ChecklistPage, PolicyGuidePage
from cms.selectors import pages_search

pytestmark = pytest.mark.django_db


def test_the_demo_content_is_created_once_and_searchable():
    assert seed_cms_demo() == {"guides": 10, "checklists": 10}
    assert seed_cms_demo() == {"guides": 10, "checklists": 10}
    assert PolicyGuidePage.objects.live().count() == 10
    assert ChecklistPage.objects.live().count() == 10
    found = [page.title for page in pages_search("消防")]
    assert found[0] == "建设工程消防验收备案办理指南"
