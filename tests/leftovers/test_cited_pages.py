"""A resolution cites policy guides and checklists ("policy explained"): the
service records and checks them, the staff resolve form offers them (the
category's first), and the staff task page and the firm portal link them, to
the right people only."""

from __future__ import annotations

from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone

from wagtail.models import Page

import pytest

from approvals import services
from approvals.choices import EventAction, TaskState
from approvals.models import Task
from tests.factories import CategoryFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(dept, category, officer, enterprise):
    return TaskFactory(in_progress=True, department=dept, owner=officer,
                       obstacle__enterprise=enterprise, obstacle__category=category)


@pytest.fixture
def guide(make_guide, category):
    page = make_guide("规划用地政策指南", summary="用地规划许可怎么办")
    page.categories.set([category])
    page.save_revision().publish()
    return page


@pytest.fixture
def checklist(make_checklist):
    return make_checklist("建设工程规划许可一纸清")


def _resolve_url(task):
    return reverse("approvals:task-action", args=[task.pk, "resolve"])


def _portal_url(task):
    return reverse("portal:obstacle-detail", args=[task.obstacle_id])


# ------------------------------------------------------------------ the service


def test_resolve_records_the_cited_pages_on_the_task_and_the_event(task, officer, guide,
                                                                    checklist):
    services.task_resolve(task_id=task.pk, actor=officer, resolution="已答复政策",
                          cited_pages=[guide, checklist.pk])
    task.refresh_from_db()
    assert task.state == TaskState.RESOLVED
    assert set(task.cited_pages.values_list("pk", flat=True)) == {guide.pk, checklist.pk}
    event = task.events.get(action=EventAction.RESOLVE)
    assert event.data["cited_pages"] == sorted([guide.pk, checklist.pk])
    assert event.is_visible_to_firm


def test_resolve_without_citations_still_works_and_records_none(task, officer):
    services.task_resolve(task_id=task.pk, actor=officer, resolution="已办结")
    task.refresh_from_db()
    assert task.state == TaskState.RESOLVED
    assert not task.cited_pages.exists()
    assert "cited_pages" not in task.events.get(action=EventAction.RESOLVE).data


@pytest.mark.parametrize("which", ["draft", "expired guide", "index page", "unknown id"])
def test_only_published_guides_in_force_and_checklists_can_be_cited(
        task, officer, make_guide, policy_index, which):
    page_id = {
        "draft": lambda: make_guide("草稿指南", live=False).pk,
        "expired guide": lambda: make_guide("过期指南", expires_on=date(2023, 1, 1)).pk,
        "index page": lambda: policy_index.pk,
        "unknown id": lambda: 987654,
    }[which]()
    with pytest.raises(services.InvalidTransition):
        services.task_resolve(task_id=task.pk, actor=officer, resolution="已办结",
                              cited_pages=[page_id])
    task.refresh_from_db()
    assert task.state == TaskState.IN_PROGRESS
    assert not task.cited_pages.exists()
    assert not task.events.filter(action=EventAction.RESOLVE).exists()


def test_a_new_resolution_replaces_what_the_earlier_one_cited(task, officer, firm, guide,
                                                               checklist):
    services.task_resolve(task_id=task.pk, actor=officer, resolution="第一次",
                          cited_pages=[guide])
    services.task_dispute(task_id=task.pk, actor=firm, reason="没有解决")
    services.task_resolve(task_id=task.pk, actor=officer, resolution="第二次",
                          cited_pages=[checklist])
    task.refresh_from_db()
    assert list(task.cited_pages.values_list("pk", flat=True)) == [checklist.pk]
    first, second = task.events.filter(action=EventAction.RESOLVE).order_by("pk")
    assert first.data["cited_pages"] == [guide.pk]
    assert second.data["cited_pages"] == [checklist.pk]


# ------------------------------------------------------------------ the staff form


def test_resolve_form_offers_the_categorys_pages_first_and_no_drafts(
        client, officer, task, guide, checklist, make_guide):
    make_guide("草稿指南", live=False)
    client.force_login(officer)
    form = client.get(task.get_absolute_url()).context["action_forms"]["resolve"]
    choices = [(int(str(value)), label) for value, label in
               form.fields["cited_pages"].choices]
    assert [pk for pk, _label in choices] == [guide.pk, checklist.pk]
    assert choices[0][1] == "规划用地政策指南 (for this category)"
    assert choices[1][1] == "建设工程规划许可一纸清"


def test_officer_resolves_citing_a_guide_and_both_pages_link_it(
        client, officer, firm, task, guide, checklist):
    client.force_login(officer)
    response = client.post(_resolve_url(task), {
        "resolve-resolution": "已向企业解读政策", "resolve-cited_pages": [guide.pk]})
    assert response.status_code == 302
    assert list(Task.objects.get(pk=task.pk).cited_pages.all()) == [Page.objects.get(
        pk=guide.pk)]
    staff_page = client.get(task.get_absolute_url()).content.decode()
    assert "Policies explained" in staff_page
    assert f'href="{guide.url}"' in staff_page
    assert checklist.title not in staff_page.split("Timeline")[0].split(
        "Policies explained")[1].split("</dd>")[0]

    client.force_login(firm)
    portal_page = client.get(_portal_url(task)).content.decode()
    assert "Policies explained" in portal_page
    assert f'href="{guide.url}"' in portal_page


def test_a_bad_page_id_is_a_form_error_not_a_500(client, officer, task, make_guide):
    draft = make_guide("草稿指南", live=False)
    client.force_login(officer)
    for value in (str(draft.pk), "abc"):
        response = client.post(_resolve_url(task), {
            "resolve-resolution": "已办结", "resolve-cited_pages": [value]})
        assert response.status_code == 400
        assert response.context["action_forms"]["resolve"].errors["cited_pages"]
        assert "已办结" in response.content.decode()
    assert Task.objects.get(pk=task.pk).state == TaskState.IN_PROGRESS


def test_user_without_the_role_cannot_resolve_with_citations(client, staff, task, guide):
    client.force_login(staff)
    response = client.post(_resolve_url(task), {
        "resolve-resolution": "越权", "resolve-cited_pages": [guide.pk]})
    assert response.status_code in (403, 404)
    assert Task.objects.get(pk=task.pk).state == TaskState.IN_PROGRESS
    assert not Task.objects.get(pk=task.pk).cited_pages.exists()


def test_officer_of_another_department_gets_404(client, other_officer, task, guide):
    client.force_login(other_officer)
    response = client.post(_resolve_url(task), {
        "resolve-resolution": "越权", "resolve-cited_pages": [guide.pk]})
    assert response.status_code == 404
    assert not Task.objects.get(pk=task.pk).cited_pages.exists()


def test_firm_user_cannot_use_the_staff_form(client, firm, task, guide):
    client.force_login(firm)
    response = client.post(_resolve_url(task), {
        "resolve-resolution": "企业自行办结", "resolve-cited_pages": [guide.pk]})
    assert response.status_code == 403
    assert Task.objects.get(pk=task.pk).state == TaskState.IN_PROGRESS


# ------------------------------------------------------------------ the portal


def test_firm_of_another_enterprise_sees_nothing_of_the_citation(client, officer, firm2,
                                                                 task, guide):
    services.task_resolve(task_id=task.pk, actor=officer, resolution="已向企业解读政策",
                          cited_pages=[guide])
    client.force_login(firm2)
    response = client.get(_portal_url(task))
    assert response.status_code == 404
    assert guide.title not in response.content.decode()


def test_a_cited_page_withdrawn_since_is_no_longer_linked(client, officer, firm, task,
                                                          guide, checklist):
    services.task_resolve(task_id=task.pk, actor=officer, resolution="已向企业解读政策",
                          cited_pages=[guide, checklist])
    guide.unpublish()
    client.force_login(firm)
    body = client.get(_portal_url(task)).content.decode()
    assert checklist.title in body
    assert guide.title not in body


def test_citations_stay_hidden_while_the_task_is_reopened(client, officer, firm, task,
                                                          guide):
    services.task_resolve(task_id=task.pk, actor=officer, resolution="已向企业解读政策",
                          cited_pages=[guide])
    services.task_dispute(task_id=task.pk, actor=firm, reason="没有解决")
    client.force_login(firm)
    assert "Policies explained" not in client.get(_portal_url(task)).content.decode()


def test_portal_page_query_count_does_not_grow_with_citations(
        client, officer, firm, enterprise, dept, category, make_checklist,
        django_assert_max_num_queries):
    def resolved_with(n):
        t = TaskFactory(in_progress=True, department=dept, owner=officer,
                        obstacle__enterprise=enterprise,
                        obstacle__category=CategoryFactory())
        pages = [make_checklist(f"一纸清{n}-{i}") for i in range(n)]
        services.task_resolve(task_id=t.pk, actor=officer, resolution="已办结",
                              cited_pages=pages)
        return t

    one, five = resolved_with(1), resolved_with(5)
    client.force_login(firm)
    client.get(_portal_url(one))  # warm the site root paths cache
    with django_assert_max_num_queries(40) as captured:
        assert client.get(_portal_url(one)).status_code == 200
    baseline = len(captured)
    with django_assert_max_num_queries(baseline):
        assert client.get(_portal_url(five)).status_code == 200


def test_staff_page_query_count_does_not_grow_with_citations(
        client, officer, dept, category, make_checklist, django_assert_max_num_queries):
    def resolved_with(n):
        t = TaskFactory(in_progress=True, department=dept, owner=officer,
                        obstacle__category=category,
                        assigned_at=timezone.now() - timedelta(hours=1))
        pages = [make_checklist(f"清单{n}-{i}") for i in range(n)]
        services.task_resolve(task_id=t.pk, actor=officer, resolution="已办结",
                              cited_pages=pages)
        return t

    one, five = resolved_with(1), resolved_with(5)
    client.force_login(officer)
    client.get(one.get_absolute_url())
    with django_assert_max_num_queries(60) as captured:
        assert client.get(one.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(len(captured)):
        assert client.get(five.get_absolute_url()).status_code == 200
