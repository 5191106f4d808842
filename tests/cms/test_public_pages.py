"""What readers see: published pages, never drafts; expired guides labelled;
feedback and view counts without personal data; the home page's sections."""

from datetime import date

import pytest

from cms.models import PageFeedback, PageViewCount

pytestmark = pytest.mark.django_db


def test_anonymous_users_read_published_pages_but_not_drafts(client, make_guide,
                                                              make_checklist):
    guide = make_guide("社保补贴政策指南", summary="可以申领社保补贴。")
    checklist = make_checklist("企业开办一纸清")
    draft = make_guide("未发布的政策", live=False)
    assert client.get(guide.url).status_code == 200
    assert client.get(checklist.url).status_code == 200
    assert client.get(f"/policies/{draft.slug}/").status_code == 404


def test_an_expired_guide_is_labelled(client, make_guide):
    guide = make_guide("2023年稳岗返还政策指南", expires_on=date(2023, 12, 31))
    body = client.get(guide.url).content.decode()
    assert "2023-12-31" in body
    assert 'class="banner expired"' in body


def test_feedback_is_recorded_without_the_reader(client, make_guide):
    guide = make_guide("社保补贴政策指南")
    response = client.post(f"/cms/pages/{guide.pk}/feedback/",
                           {"is_helpful": "no", "comment": "希望写清楚补贴标准"})
    assert response.status_code == 302
    feedback = PageFeedback.objects.get()
    assert feedback.page_id == guide.pk
    assert feedback.is_helpful is False
    assert feedback.comment == "希望写清楚补贴标准"
    assert {f.name for f in PageFeedback._meta.get_fields()} == {
        "id", "page", "is_helpful", "comment", "created_at"}


def test_no_feedback_on_drafts(client, make_guide):
    draft = make_guide("未发布的政策", live=False)
    response = client.post(f"/cms/pages/{draft.pk}/feedback/", {"is_helpful": "yes"})
    assert response.status_code == 404
    assert not PageFeedback.objects.exists()


def test_views_are_counted_per_page_and_day(client, make_guide):
    guide = make_guide("社保补贴政策指南")
    for _ in range(3):
        client.get(guide.url)
    row = PageViewCount.objects.get()
    assert (row.page_id, row.count) == (guide.pk, 3)


def test_editors_see_feedback_firms_do_not(client, make_guide, cms_editor, firm):
    guide = make_guide("社保补贴政策指南")
    PageFeedback.objects.create(page=guide, is_helpful=True, comment="很清楚")
    client.force_login(cms_editor)
    response = client.get("/cms-admin/pagefeedback/")
    assert response.status_code == 200
    assert "很清楚" in response.content.decode()
    assert client.get("/cms-admin/pageviewcount/").status_code == 200
    client.force_login(firm)
    assert client.get("/cms-admin/pagefeedback/").status_code in (302, 403)


def test_the_home_page_has_search_featured_and_browse(client, make_guide, topic_jobs):
    make_guide("社保补贴政策指南", is_featured=True, topics=[topic_jobs])
    body = client.get("/").content.decode()
    assert 'action="/search/"' in body
    assert "社保补贴政策指南" in body
    assert "/search/?topic=yg" in body
    assert "/search/?industry=E" in body
    assert 'href="/portal/"' in body


def test_obstacle_forms_get_the_pages_of_a_category_and_its_parent(client, make_guide,
                                                                    make_checklist,
                                                                    category):
    child = type(category).objects.create(code="ghyd-gh", name="规划条件", parent=category)
    guide = make_guide("规划条件政策指南")
    guide.categories.set([category])
    guide.save_revision().publish()
    checklist = make_checklist("规划许可一纸清")
    checklist.categories.set([child])
    checklist.save_revision().publish()
    old = make_guide("过期的规划政策", expires_on=date(2023, 1, 1))
    old.categories.set([category])
    old.save_revision().publish()

    body = client.get("/cms/related/", {"category": child.pk}).content.decode()
    assert "规划条件政策指南" in body
    assert "规划许可一纸清" in body
    assert "过期的规划政策" not in body
    parent_only = client.get("/cms/related/", {"category": category.pk}).content.decode()
    assert "规划许可一纸清" not in parent_only
    assert client.get("/cms/related/", {"category": "x"}).content.strip() == b""


def test_the_index_pages_list_published_pages(client, policy_index, checklist_index,
                                              make_guide, make_checklist):
    make_guide("社保补贴政策指南")
    make_guide("2023年稳岗返还政策指南", expires_on=date(2023, 12, 31))
    make_guide("未发布的政策", live=False)
    make_checklist("企业开办一纸清")
    body = client.get(policy_index.url).content.decode()
    assert "社保补贴政策指南" in body
    assert 'class="pill expired"' in body
    assert "未发布的政策" not in body
    assert "企业开办一纸清" in client.get(checklist_index.url).content.decode()
