"""The staff obstacle form and the visit form's inline obstacles show the CMS
pages for the chosen category through the same endpoint (/cms/related/) and
the same external script as the firm portal, to the right users only."""

from __future__ import annotations

import re

from django.contrib.staticfiles import finders
from django.urls import reverse

import pytest

pytestmark = pytest.mark.django_db

SCRIPT = re.compile(r'<script src="[^"]*/portal/related\.js" defer></script>')
BOX = 'class="related-box" data-url="/cms/related/"'


def _scopes(body: str) -> list[str]:
    """The HTML of each element marked data-related-scope, up to the next one."""
    return re.split(r"data-related-scope", body)[1:]


def _obstacle_form(enterprise):
    return reverse("approvals:obstacle-create", args=[enterprise.pk])


def test_staff_obstacle_form_shows_related_pages_for_the_category(client, staff,
                                                                  enterprise):
    client.force_login(staff)
    body = client.get(_obstacle_form(enterprise)).content.decode()
    assert SCRIPT.search(body)
    (scope,) = _scopes(body)
    # the script pairs the select named "category" with the box in its scope
    assert 'name="category"' in scope
    assert BOX in scope
    assert "<script>" not in body  # no inline script: the CSP forbids it


def test_staff_obstacle_form_keeps_the_widget_when_it_shows_errors(client, staff,
                                                                  enterprise, category):
    client.force_login(staff)
    response = client.post(_obstacle_form(enterprise), {"category": category.pk})
    assert response.status_code == 400
    body = response.content.decode()
    assert BOX in body and SCRIPT.search(body)
    assert re.search(rf'<option value="{category.pk}" selected>', body)


@pytest.mark.parametrize("who", ["officer", "firm", "firm2"])
def test_staff_obstacle_form_is_refused_to_users_without_the_role(client, request,
                                                                 enterprise, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(_obstacle_form(enterprise))
    assert response.status_code in (403, 404)
    assert BOX not in response.content.decode()


def test_visit_form_gives_each_inline_obstacle_its_own_related_box(client, staff):
    client.force_login(staff)
    body = client.get(reverse("visits:visit-create")).content.decode()
    template = body.split('<template id="ob-template">')[1].split("</template>")[0]
    (scope,) = _scopes(template)
    assert 'name="ob-__prefix__-category"' in scope
    assert BOX in scope
    # the visit form's own script keeps typed text; the shared one follows it
    scripts = re.findall(r'<script src="([^"]+)" defer></script>', body)
    assert [s.rsplit("/", 1)[-1] for s in scripts][-2:] == ["visit_form.js", "related.js"]


def test_visit_form_redisplayed_with_two_obstacles_has_two_boxes(client, staff, category):
    client.force_login(staff)
    response = client.post(reverse("visits:visit-create"), {
        "ob-TOTAL_FORMS": "2", "ob-INITIAL_FORMS": "0", "ob-MIN_NUM_FORMS": "0",
        "ob-MAX_NUM_FORMS": "10",
        "ob-0-title": "消防验收难", "ob-0-category": category.pk,
        "ob-1-title": "用工难", "ob-1-category": category.pk,
    })
    assert response.status_code == 400
    body = response.content.decode().split('<template id="ob-template">')[0]
    scopes = _scopes(body)
    assert len(scopes) == 2
    for n, scope in enumerate(scopes):
        assert f'name="ob-{n}-category"' in scope
        assert BOX in scope


@pytest.mark.parametrize("who", ["officer", "firm", "firm2"])
def test_visit_form_is_refused_to_users_without_the_role(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("visits:visit-create"))
    assert response.status_code in (403, 404)
    assert BOX not in response.content.decode()


def test_portal_form_uses_the_same_script_and_box(client, firm):
    client.force_login(firm)
    body = client.get(reverse("portal:obstacle-create")).content.decode()
    (scope,) = _scopes(body)
    assert 'name="category"' in scope and BOX in scope
    assert SCRIPT.search(body)


def test_one_shared_script_matches_the_markup_the_forms_use():
    path = finders.find("portal/related.js")
    assert path, "the shared script is collected as a static file"
    source = open(path, encoding="utf-8").read()
    for hook in ("[data-related-scope]", ".related-box[data-url]", "name$='-category'",
                 "name='category'", "?category="):
        assert hook in source
    # no copy of it elsewhere
    assert finders.find("visits/related.js") is None
    assert finders.find("cms/related.js") is None


def test_related_endpoint_answers_the_category_of_an_inline_obstacle(
        client, staff, category, make_guide):
    guide = make_guide("规划用地政策指南")
    guide.categories.set([category])
    guide.save_revision().publish()
    client.force_login(staff)
    body = client.get(reverse("cms:related-pages"), {"category": category.pk}).content
    assert guide.title in body.decode()
