"""Every desk page against every kind of user (netbox ``GetObjectViewTestCase``,
healthchecks "charlie"): the right role gets 200, a role without the page 403,
a row out of the user's scope 404 (the same answer as a missing row),
anonymous users are sent to the login page. POST actions likewise, and a firm
user of another enterprise never reads a byte about enterprise A.

The expected table is derived from ``approvals/permissions.py``,
``enterprises/permissions.py`` and the views:

* staff desk pages (ledger, tasks, obstacles, attachments) refuse users with no
  staff role (firm users, CMS editors) outright with 403, before any lookup, so
  a firm user gets the same 403 for a task that exists and one that does not;
* a staff member out of a task's scope gets 404;
* registry pages look the enterprise up through ``scope_enterprises`` first:
  a firm user of enterprise B (or an editor, who has no registry scope) gets
  404 for enterprise A, a firm user of A gets 403 on what it may not do there.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import pytest

from approvals import services
from approvals.choices import ApprovalKind, EventAction, TaskState
from approvals.models import ApprovalRequest, Attachment, Task, TaskEvent
from tests.factories import ContactFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

LOGIN = "login"  # 302 to the login page
TO_A = "to enterprise A"  # 302 to enterprise A's page
TO_B = "to enterprise B"
TO_CMS = "to the CMS admin"
TO_TASK = "to the task"  # 302 to the lead task's page
TO_PORTAL = "to the firm portal"
TO_WEEK = "to the visits week"  # service staff start from their week of visits

USERS = ("anonymous", "firm", "firm2", "staff", "staff2", "officer", "other_officer",
         "head", "coordinator", "leader", "editor")

# staff: service staff who recorded the obstacle (首问负责人); staff2: service
# staff with no link to enterprise A; officer / head: the task's department;
# other_officer: another department.
PAGES: dict[str, tuple] = {
    #                  anonymous firm  firm2  staff  staff2 officer other  head   coord  leader editor
    "home":           (LOGIN,   TO_PORTAL, TO_PORTAL, TO_WEEK, TO_WEEK, 200, 200, 200,   200,   200,   TO_CMS),
    "ledger":         (LOGIN,   403,   403,   200,   200,   200,    200,   200,   200,   200,   403),
    "ledger_export":  (LOGIN,   403,   403,   200,   200,   200,    200,   200,   200,   200,   403),
    "my_tasks":       (LOGIN,   403,   403,   403,   403,   200,    200,   200,   403,   403,   403),
    "dept_tasks":     (LOGIN,   403,   403,   403,   403,   403,    403,   200,   403,   403,   403),
    "task":           (LOGIN,   403,   403,   200,   404,   200,    404,   200,   200,   200,   403),
    "obstacle":       (LOGIN,   403,   403,   TO_TASK, 404, TO_TASK, 404,  TO_TASK, TO_TASK, TO_TASK, 403),
    "obstacle_new":   (LOGIN,   403,   404,   200,   200,   403,    403,   403,   200,   403,   404),
    "attachment":     (LOGIN,   403,   403,   200,   404,   200,    404,   200,   200,   200,   403),
    "approvals":      (LOGIN,   403,   403,   403,   403,   403,    403,   403,   200,   403,   403),
    "kpis":           (LOGIN,   403,   403,   403,   403,   403,    403,   200,   200,   200,   403),
    "enterprises":    (LOGIN,   403,   403,   200,   200,   200,    200,   200,   200,   200,   403),
    "enterprise_new": (LOGIN,   403,   403,   403,   403,   403,    403,   403,   200,   403,   403),
    "enterprise":     (LOGIN,   200,   404,   200,   200,   200,    200,   200,   200,   200,   404),
    "enterprise_edit": (LOGIN,  403,   404,   200,   200,   403,    403,   403,   200,   403,   404),
}

URLS = {
    "home": lambda w: reverse("home"),
    "ledger": lambda w: reverse("approvals:ledger"),
    "ledger_export": lambda w: reverse("approvals:ledger-export"),
    "my_tasks": lambda w: reverse("approvals:my-tasks"),
    "dept_tasks": lambda w: reverse("approvals:department-tasks"),
    "task": lambda w: reverse("approvals:task-detail", args=[w.task.pk]),
    "obstacle": lambda w: reverse("approvals:obstacle-detail", args=[w.task.obstacle_id]),
    "obstacle_new": lambda w: reverse("approvals:obstacle-create", args=[w.enterprise.pk]),
    "attachment": lambda w: reverse("approvals:attachment-download", args=[w.attachment.pk]),
    "approvals": lambda w: reverse("approvals:approval-inbox"),
    "kpis": lambda w: reverse("approvals:kpis"),
    "enterprises": lambda w: reverse("enterprises:enterprise-list"),
    "enterprise_new": lambda w: reverse("enterprises:enterprise-create"),
    "enterprise": lambda w: reverse("enterprises:enterprise-detail", args=[w.enterprise.pk]),
    "enterprise_edit": lambda w: reverse("enterprises:enterprise-update",
                                         args=[w.enterprise.pk]),
}

# A lookup of something that does not exist answers like something out of scope.
MISSING_URLS = {
    "task": lambda: reverse("approvals:task-detail", args=[987654]),
    "obstacle": lambda: reverse("approvals:obstacle-detail", args=[987654]),
    "obstacle_new": lambda: reverse("approvals:obstacle-create", args=[987654]),
    "attachment": lambda: reverse("approvals:attachment-download", args=[987654]),
    "enterprise": lambda: reverse("enterprises:enterprise-detail", args=[987654]),
    "enterprise_edit": lambda: reverse("enterprises:enterprise-update", args=[987654]),
}


@pytest.fixture
def private_storage(tmp_path, monkeypatch):
    """Attachments go to a temporary directory, not the developer's var/private."""
    field = Attachment._meta.get_field("file")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=tmp_path))
    return tmp_path


@pytest.fixture
def world(enterprise, enterprise_b, firm, firm2, staff, staff2, officer, other_officer, head,
          coordinator, leader, editor, dept, category, private_storage):
    """One assigned task of ``dept`` on enterprise A, recorded by ``staff``, with
    a PDF attachment and a pending extension request; everyone logged in as
    themselves."""
    task = TaskFactory(
        assigned=True, department=dept,
        obstacle__enterprise=enterprise, obstacle__category=category,
        obstacle__received_by=staff, obstacle__title="甲公司厂房规划许可卡在审批",
    )
    ContactFactory(enterprise=enterprise, name="甲联系人", mobile="13812341234")
    attachment = services.attachment_add(
        obstacle=task.obstacle, actor=staff,
        upload=SimpleUploadedFile("规划图.pdf", PDF, content_type="application/pdf"),
    )
    approval = ApprovalRequest.objects.create(
        kind=ApprovalKind.EXTENSION, task=task, requested_by=officer, reason="需要补件",
        requested_deadline_on=task.deadline_on.replace(year=task.deadline_on.year + 1),
        previous_deadline_on=task.deadline_on,
    )
    users = {
        "anonymous": None, "firm": firm, "firm2": firm2, "staff": staff, "staff2": staff2,
        "officer": officer, "other_officer": other_officer, "head": head,
        "coordinator": coordinator, "leader": leader, "editor": editor,
    }
    return SimpleNamespace(task=task, enterprise=enterprise, enterprise_b=enterprise_b,
                           attachment=attachment, approval=approval, users=users)


def _login(client, world, who):
    user = world.users[who]
    if user is not None:
        client.force_login(user)
    return user


def _check(response, expected, world):
    status = response.status_code
    if expected == LOGIN:
        assert status == 302, status
        assert response.url.startswith(reverse("login") + "?next="), response.url
    elif expected in (TO_A, TO_B, TO_CMS, TO_TASK, TO_PORTAL, TO_WEEK):
        target = {
            TO_A: world.enterprise.get_absolute_url(),
            TO_B: world.enterprise_b.get_absolute_url(),
            TO_CMS: "/cms-admin/",
            TO_TASK: world.task.get_absolute_url(),
            TO_PORTAL: reverse("portal:home"),
            TO_WEEK: reverse("visits:my-week"),
        }[expected]
        assert status == 302, status
        assert response.url == target
    else:
        assert status == expected, f"{status} != {expected}"


MATRIX = [
    pytest.param(page, who, expected, id=f"{page}-{who}")
    for page, row in PAGES.items()
    for who, expected in zip(USERS, row, strict=True)
]


@pytest.mark.parametrize(("page", "who", "expected"), MATRIX)
def test_page_answers_each_user_by_the_rules(client, world, page, who, expected):
    _login(client, world, who)
    response = client.get(URLS[page](world))
    _check(response, expected, world)


def _without_csrf(content: bytes) -> bytes:
    # CSRF tokens are masked afresh on every render
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


OUT_OF_SCOPE = [
    pytest.param(page, who, id=f"{page}-{who}")
    for page in sorted(MISSING_URLS)
    for who, expected in zip(USERS, PAGES[page], strict=True)
    # 404: out of scope; 403 on a staff-desk page: refused before any lookup
    if expected == 404 or (expected == 403 and not page.startswith("enterprise")
                           and page != "obstacle_new")
]


@pytest.mark.parametrize(("page", "who"), OUT_OF_SCOPE)
def test_out_of_scope_answers_exactly_like_missing(client, world, page, who):
    """Out of scope and missing are indistinguishable: same status, same text,
    so nobody learns which ids exist."""
    _login(client, world, who)
    out_of_scope = client.get(URLS[page](world))
    missing = client.get(MISSING_URLS[page]())
    assert out_of_scope.status_code == missing.status_code
    assert _without_csrf(out_of_scope.content) == _without_csrf(missing.content)


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def test_firm_user_of_another_enterprise_never_reads_enterprise_a(client, world):
    """firm2 walks every page (following redirects): nothing of enterprise A,
    its obstacle, its contact or its attachment comes back."""
    client.force_login(world.users["firm2"])
    a = world.enterprise
    secrets_of_a = [
        a.name.encode(), "甲科技".encode(), a.credit_code.encode(),
        world.task.obstacle.title.encode(), "甲联系人".encode(), b"13812341234",
        b"1234", "规划图".encode(), PDF[:8],
    ]
    seen_b = False
    for page, url in URLS.items():
        response = client.get(url(world), follow=True)
        assert response.status_code in (200, 403, 404), (page, response.status_code)
        body = _body(response)
        seen_b |= world.enterprise_b.name.encode() in body
        for secret in secrets_of_a:
            assert secret not in body, (page, secret.decode(errors="replace"))
    assert seen_b, "firm2's portal should have been reached from /desk/"


def test_firm_user_sees_no_internal_task_of_its_own_enterprise(client, world):
    """A firm user follows its obstacles in the portal, never on the staff desk."""
    client.force_login(world.users["firm"])
    response = client.get(URLS["enterprise"](world))
    assert response.status_code == 200
    assert world.task.obstacle.title.encode() not in response.content


def test_get_on_a_post_only_url_is_refused(client, world):
    client.force_login(world.users["officer"])
    url = reverse("approvals:task-action", args=[world.task.pk, "accept"])
    assert client.get(url).status_code == 405
    assert client.get(reverse("approvals:approval-decide", args=[world.approval.pk])
                      ).status_code == 405


# ------------------------------------------------------------------ POST actions

#                        anonymous firm firm2 staff staff2 officer other head coord leader editor
ACCEPT_ROW = (LOGIN, 403, 403, 403, 404, TO_TASK, 404, TO_TASK, 403, 403, 403)
# assign is a coordinator's: department users do not see a submitted task
# (it has no department yet), staff who recorded it do
ASSIGN_ROW = (LOGIN, 403, 403, 403, 404, 404, 404, 404, TO_TASK, 403, 403)
DECIDE_ROW = (LOGIN, 403, 403, 403, 403, 403, 403, 403, "inbox", 403, 403)


@pytest.mark.parametrize(
    ("who", "expected"),
    [pytest.param(w, e, id=w) for w, e in zip(USERS, ACCEPT_ROW, strict=True)],
)
def test_accept_action_by_each_user(client, world, who, expected):
    _login(client, world, who)
    response = client.post(reverse("approvals:task-action", args=[world.task.pk, "accept"]),
                           {"accept-comment": "收到"})
    _check(response, expected, world)
    world.task.refresh_from_db()
    if expected == TO_TASK:
        assert world.task.state == TaskState.IN_PROGRESS
        assert world.task.events.filter(action=EventAction.ACCEPT,
                                        actor=world.users[who]).exists()
    else:
        assert world.task.state == TaskState.ASSIGNED
        assert not world.task.events.filter(action=EventAction.ACCEPT).exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [pytest.param(w, e, id=w) for w, e in zip(USERS, ASSIGN_ROW, strict=True)],
)
def test_assign_action_by_each_user(client, world, dept, who, expected):
    submitted = TaskFactory(obstacle__enterprise=world.enterprise,
                            obstacle__received_by=world.users["staff"])
    world.task = submitted
    _login(client, world, who)
    response = client.post(reverse("approvals:task-action", args=[submitted.pk, "assign"]),
                           {"assign-department": dept.pk, "assign-comment": "请办理"})
    _check(response, expected, world)
    submitted.refresh_from_db()
    if expected == TO_TASK:
        assert submitted.state == TaskState.ASSIGNED
        assert submitted.department == dept
    else:
        assert submitted.state == TaskState.SUBMITTED
        assert not TaskEvent.objects.filter(task=submitted, action=EventAction.ASSIGN).exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [pytest.param(w, e, id=w) for w, e in zip(USERS, DECIDE_ROW, strict=True)],
)
def test_approval_decision_by_each_user(client, world, who, expected):
    _login(client, world, who)
    response = client.post(reverse("approvals:approval-decide", args=[world.approval.pk]),
                           {"decision": "approve", "comment": ""})
    world.approval.refresh_from_db()
    if expected == "inbox":
        assert response.status_code == 302
        assert response.url == reverse("approvals:approval-inbox")
        assert world.approval.status == "approved"
    else:
        _check(response, expected, world)
        assert world.approval.status == "pending"


def test_unknown_action_or_approval_is_404(client, world):
    client.force_login(world.users["coordinator"])
    assert client.post(reverse("approvals:task-action", args=[world.task.pk, "explode"])
                       ).status_code == 404
    assert client.post(reverse("approvals:task-action", args=[987654, "assign"])
                       ).status_code == 404
    assert client.post(reverse("approvals:approval-decide", args=[987654]),
                       {"decision": "approve"}).status_code == 404


def test_action_on_a_task_out_of_scope_is_404_like_a_missing_task(client, world):
    client.force_login(world.users["other_officer"])
    url = reverse("approvals:task-action", args=[world.task.pk, "accept"])
    out_of_scope = client.post(url)
    missing = client.post(reverse("approvals:task-action", args=[987654, "accept"]))
    assert out_of_scope.status_code == missing.status_code == 404
    assert out_of_scope.content == missing.content


def test_enterprise_edit_post_refused_for_wrong_role_and_other_firm(client, world):
    url = URLS["enterprise_edit"](world)
    name = world.enterprise.name
    for who, expected in (("officer", 403), ("firm", 403), ("firm2", 404), ("editor", 404),
                          ("anonymous", LOGIN)):
        client.logout()
        _login(client, world, who)
        _check(client.post(url, {"name": "改名"}), expected, world)
    world.enterprise.refresh_from_db()
    assert world.enterprise.name == name


def test_head_without_a_department_gets_404_on_kpis(client, db):
    from approvals.choices import Role

    headless = UserFactory(username="headless", role=Role.DEPARTMENT_HEAD)
    client.force_login(headless)
    assert client.get(reverse("approvals:kpis")).status_code == 404


def test_task_detail_of_a_task_in_another_state_keeps_the_same_scope(client, world, dept):
    """Scope is by department, not by state: a resolved task of the department
    stays visible to its officer, and out of scope for another department."""
    done = TaskFactory(resolved=True, department=dept, obstacle__enterprise=world.enterprise)
    assert Task.objects.filter(pk=done.pk, state=TaskState.RESOLVED).exists()
    client.force_login(world.users["officer"])
    assert client.get(done.get_absolute_url()).status_code == 200
    client.force_login(world.users["other_officer"])
    assert client.get(done.get_absolute_url()).status_code == 404
