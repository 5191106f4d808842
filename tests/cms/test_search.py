"""Search in Chinese: words inside unspaced text, titles first, filters, and
only published pages that are in force."""

from datetime import date, timedelta

from django.utils import timezone

import pytest

from cms.selectors import SearchFilters, pages_search
from enterprises.models import Industry

pytestmark = pytest.mark.django_db


def titles(results):
    return [page.title for page in results]


def test_a_word_inside_unspaced_text_is_found(make_guide):
    make_guide("建设工程消防验收备案办理指南", summary="竣工验收合格后五个工作日内办理备案。")
    make_guide("纳税信用修复政策指南", summary="纠正失信行为后可以申请修复。")
    assert titles(pages_search("消防")) == ["建设工程消防验收备案办理指南"]


def test_a_word_inside_the_body_is_found(make_guide):
    make_guide("就业政策指南", summary="企业招用高校毕业生的，可以申领社保补贴。")
    make_guide("纳税信用修复政策指南")
    assert titles(pages_search("社保")) == ["就业政策指南"]


def test_a_word_only_in_rich_text_is_found(make_guide):
    make_guide("稳岗政策", eligibility="<p>上年度未裁员的参保企业，可享受失业保险稳岗返还。</p>")
    assert titles(pages_search("稳岗返还")) == ["稳岗政策"]
    assert titles(pages_search("参保企业")) == ["稳岗政策"]


def test_title_matches_come_first(make_guide, make_checklist):
    make_guide("吸纳就业补贴指南", summary="招用高校毕业生并缴纳社保的企业可以申领。")
    make_checklist("社保补贴申领一纸清")
    make_guide("社保补贴政策指南")
    assert titles(pages_search("社保")) == [
        "社保补贴政策指南", "社保补贴申领一纸清", "吸纳就业补贴指南"]


def test_drafts_and_expired_guides_are_not_found(make_guide):
    make_guide("社保补贴政策指南")
    make_guide("社保补贴草稿", live=False)
    make_guide("2023年社保补贴指南", expires_on=date(2023, 12, 31))
    taken_down = make_guide("社保补贴下线指南")
    taken_down.expire_at = timezone.now() - timedelta(hours=1)
    taken_down.save()
    assert titles(pages_search("社保")) == ["社保补贴政策指南"]


def test_filter_by_topic_and_industry(make_guide, make_checklist, topic_jobs, topic_build):
    construction = Industry.objects.get(pk="E")
    make_guide("社保补贴政策指南", topics=[topic_jobs])
    make_checklist("消防验收一纸清", topics=[topic_build], industries=[construction])
    make_guide("通用惠企政策", summary="各行业适用。")
    manufacturing = make_guide("制造业技改补贴", industries=[Industry.objects.get(pk="C")])
    assert titles(pages_search("", SearchFilters(topic="yg"))) == ["社保补贴政策指南"]
    by_industry = titles(pages_search("", SearchFilters(industry="E")))
    assert "消防验收一纸清" in by_industry
    assert "通用惠企政策" in by_industry  # no industries: applies to all
    assert manufacturing.title not in by_industry
    assert titles(pages_search("消防", SearchFilters(topic="yg"))) == []


def test_the_search_page_answers_anonymous_users(client, make_guide):
    make_guide("建设工程消防验收备案办理指南")
    make_guide("消防草稿指南", live=False)
    response = client.get("/search/", {"q": "消防"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "建设工程消防验收备案办理指南" in body
    assert "消防草稿指南" not in body


def test_an_empty_search_shows_a_hint_not_everything(client, make_guide):
    make_guide("社保补贴政策指南")
    response = client.get("/search/")
    assert response.status_code == 200
    assert "社保补贴政策指南" not in response.content.decode()


@pytest.mark.parametrize("guides", [2, 8])
def test_the_search_page_query_count_does_not_grow(client, make_guide, topic_jobs,
                                                    django_assert_max_num_queries, guides):
    for n in range(guides):
        make_guide(f"社保补贴政策指南{n}", topics=[topic_jobs])
    with django_assert_max_num_queries(20):
        response = client.get("/search/", {"q": "社保", "topic": "yg"})
    assert response.content.decode().count("社保补贴政策指南") == guides
