"""The editorial workflow from the data migration: an editor submits through
the Wagtail admin, the page is not live; a moderator approves, it goes live."""

from django.urls import reverse

from wagtail.models import WorkflowState
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

import pytest

from cms.models import PolicyGuidePage

pytestmark = pytest.mark.django_db


def _guide_form(**extra):
    return nested_form_data({
        "title": "专精特新中小企业认定指南",
        "slug": "zjtx",
        "summary": "专注细分市场的中小企业可申报认定。",
        "department": "区经济和信息化局",
        "eligibility": rich_text(""),
        "benefits": rich_text(""),
        "steps": streamfield([]),
        **extra,
    })


def test_editors_and_moderators_reach_the_admin(client, cms_editor, cms_moderator):
    for user in (cms_editor, cms_moderator):
        client.force_login(user)
        assert client.get("/cms-admin/").status_code == 200


def test_editors_may_edit_but_not_publish(policy_index, cms_editor, cms_moderator):
    assert policy_index.permissions_for_user(cms_editor).can_add_subpage()
    assert not policy_index.permissions_for_user(cms_editor).can_publish()
    assert policy_index.permissions_for_user(cms_moderator).can_publish()


def test_editor_submits_moderator_approves(client, policy_index, cms_editor, cms_moderator):
    assert policy_index.get_workflow().name == "编辑提交、审核发布"
    client.force_login(cms_editor)
    add_url = reverse("wagtailadmin_pages:add",
                      args=["cms", "policyguidepage", policy_index.pk])
    response = client.post(add_url, _guide_form(**{"action-submit": "1"}))
    assert response.status_code == 302, response.context and response.context["form"].errors

    guide = PolicyGuidePage.objects.get(slug="zjtx")
    assert not guide.live
    state = WorkflowState.objects.get(base_content_type__model="page", object_id=str(guide.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    task_state = state.current_task_state
    assert client.get(guide.url or "/policies/zjtx/").status_code == 404

    # the editor cannot approve their own submission
    approve_url = reverse("wagtailadmin_pages:workflow_action",
                          args=[guide.pk, "approve", task_state.pk])
    client.post(approve_url)
    guide.refresh_from_db()
    assert not guide.live

    client.force_login(cms_moderator)
    response = client.post(approve_url)
    assert response.status_code in (200, 302)
    guide.refresh_from_db()
    state.refresh_from_db()
    assert guide.live
    assert state.status == WorkflowState.STATUS_APPROVED
    client.logout()
    assert client.get(guide.url).status_code == 200


def test_firm_users_cannot_reach_the_cms_admin(client, firm):
    client.force_login(firm)
    response = client.get("/cms-admin/")
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "login" in response["Location"]
    assert client.get("/cms-admin/pages/").status_code in (302, 403)


def test_anonymous_users_are_sent_to_the_admin_login(client):
    response = client.get("/cms-admin/")
    assert response.status_code == 302
    assert "login" in response["Location"]
