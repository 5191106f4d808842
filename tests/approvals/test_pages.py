"""The closed loop's pages: the three-colour ledger and its export, task lists,
task detail and its actions, obstacle intake with attachments, downloads, the
approval inbox and the KPI page."""

from __future__ import annotations

import io
import subprocess
from datetime import date, datetime, timedelta

from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

import pytest
from openpyxl import load_workbook

from approvals import services
from approvals.choices import (
    ApprovalKind,
    Channel,
    EventAction,
    Rating,
    Role,
    TaskRole,
    TaskState,
)
from approvals.models import ApprovalRequest, Attachment, Obstacle, Task, TaskEvent
from enterprises.models import Enterprise, Industry
from tests.factories import (
    CategoryFactory,
    EnterpriseFactory,
    StreetFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LEDGER = reverse("approvals:ledger")
EXPORT = reverse("approvals:ledger-export")
MINE = reverse("approvals:my-tasks")
DEPARTMENT = reverse("approvals:department-tasks")
INBOX = reverse("approvals:approval-inbox")
KPIS = reverse("approvals:kpis")

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture(autouse=True)
def private_storage(tmp_path, monkeypatch):
    """Attachments go to a temporary directory, not the developer's var/private."""
    field = Attachment._meta.get_field("file")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=tmp_path / "private"))
    return tmp_path / "private"


def _action(task, name):
    return reverse("approvals:task-action", args=[task.pk, name])


def _rows(response):
    assert response.status_code == 200, response.status_code
    return list(response.context["page"].object_list)


def _titles(response):
    return [t.obstacle.title for t in _rows(response)]


# ------------------------------------------------------------------ the ledger


@pytest.fixture
def colours(dept, category, enterprise):
    """One task of each colour (and a rejected one), all on enterprise A."""
    ob = {"obstacle__enterprise": enterprise, "obstacle__category": category}
    return {
        "new": TaskFactory(obstacle__title="新收诉求", **ob),
        "on_time": TaskFactory(assigned=True, department=dept, obstacle__title="按时办理", **ob),
        "accepted": TaskFactory(in_progress=True, department=dept, obstacle__title="办理中",
                                **ob),
        "overdue": TaskFactory(overdue=True, department=dept, obstacle__title="已超期", **ob),
        "escalated": TaskFactory(assigned=True, department=dept, escalation_level=1,
                                 obstacle__title="被督办", **ob),
        "resolved": TaskFactory(resolved=True, department=dept, obstacle__title="已办结", **ob),
        "closed": TaskFactory(resolved=True, state=TaskState.CLOSED, department=dept,
                              obstacle__title="已销号", **ob),
        "rejected": TaskFactory(state=TaskState.REJECTED, obstacle__title="不予受理", **ob),
    }


def test_ledger_counts_each_colour(client, coordinator, colours):
    client.force_login(coordinator)
    response = client.get(LEDGER)
    assert response.context["counts"] == {"yellow": 3, "red": 2, "green": 2, "grey": 1}
    body = response.content.decode()
    for n, label in ((3, "Yellow: new or on time"), (2, "Red: under supervision"),
                     (2, "Green: resolved")):
        assert f"<strong>{n}</strong>{label}" in body


def test_ledger_counts_follow_the_filters_but_not_the_colour(client, coordinator, colours):
    client.force_login(coordinator)
    response = client.get(LEDGER, {"colour": "red", "q": "超期"})
    assert response.context["counts"] == {"yellow": 0, "red": 1, "green": 0, "grey": 0}
    assert _titles(response) == ["已超期"]


@pytest.mark.parametrize(("colour", "expected"), [
    ("yellow", {"新收诉求", "按时办理", "办理中"}),
    ("red", {"已超期", "被督办"}),
    ("green", {"已办结", "已销号"}),
    ("grey", {"不予受理"}),
])
def test_ledger_colour_filter(client, coordinator, colours, colour, expected):
    client.force_login(coordinator)
    response = client.get(LEDGER, {"colour": colour})
    assert set(_titles(response)) == expected
    assert {t.colour for t in _rows(response)} == {colour}


def test_ledger_red_wins_over_yellow_for_a_task_due_yesterday(client, coordinator, dept):
    task = TaskFactory(assigned=True, department=dept)
    Task.objects.filter(pk=task.pk).update(deadline_on=timezone.localdate() - timedelta(days=1))
    client.force_login(coordinator)
    assert client.get(LEDGER).context["counts"]["red"] == 1


@pytest.fixture
def spread(dept, other_dept):
    """Tasks that differ on each ledger filter."""
    north, south = StreetFactory(name="北山街道"), StreetFactory(name="南星街道")
    land = CategoryFactory(code="land", name="规划用地")
    land_permit = CategoryFactory(code="land-permit", name="用地许可", parent=land)
    tax = CategoryFactory(code="tax", name="税费")
    maker = EnterpriseFactory(name="杭州制造有限公司", street=north,
                              industry=Industry.objects.get(code="C"), is_above_scale=True)
    soft = EnterpriseFactory(name="杭州软件有限公司", street=south,
                             industry=Industry.objects.get(code="I"), is_specialised=True)
    key = EnterpriseFactory(name="杭州重点项目公司", street=south,
                            industry=Industry.objects.get(code="I"), is_key_project=True)
    now = timezone.now()
    a = TaskFactory(assigned=True, department=dept, obstacle__enterprise=maker,
                    obstacle__category=land_permit, obstacle__channel=Channel.VISIT,
                    obstacle__title="厂房用地指标", obstacle__received_at=now - timedelta(days=40))
    b = TaskFactory(in_progress=True, department=other_dept, obstacle__enterprise=soft,
                    obstacle__category=tax, obstacle__channel=Channel.HOTLINE,
                    obstacle__title="退税进度", obstacle__received_at=now - timedelta(days=10))
    c = TaskFactory(obstacle__enterprise=key, obstacle__category=land,
                    obstacle__channel=Channel.WINDOW, obstacle__title="项目用地审批",
                    obstacle__received_at=now - timedelta(days=1))
    # a co-handling task is not a row of its own unless asked for
    TaskFactory(role=TaskRole.CO, obstacle=a.obstacle, assigned=True, department=other_dept)
    return {"a": a, "b": b, "c": c, "north": north, "south": south, "land": land,
            "land_permit": land_permit, "tax": tax}


def test_ledger_each_filter(client, coordinator, spread, dept, other_dept):
    s = spread
    today = timezone.localdate()
    client.force_login(coordinator)
    cases = [
        ({"department": dept.pk}, {"厂房用地指标"}),
        ({"department": other_dept.pk}, {"退税进度"}),
        ({"category": s["land"].pk}, {"厂房用地指标", "项目用地审批"}),  # with its children
        ({"category": s["land_permit"].pk}, {"厂房用地指标"}),
        ({"category": s["tax"].pk}, {"退税进度"}),
        ({"state": "submitted"}, {"项目用地审批"}),
        ({"state": "in_progress"}, {"退税进度"}),
        ({"channel": "hotline"}, {"退税进度"}),
        ({"channel": "window"}, {"项目用地审批"}),
        ({"street": s["north"].pk}, {"厂房用地指标"}),
        ({"street": s["south"].pk}, {"退税进度", "项目用地审批"}),
        ({"industry": "C"}, {"厂房用地指标"}),
        ({"industry": "I"}, {"退税进度", "项目用地审批"}),
        ({"flag": "above_scale"}, {"厂房用地指标"}),
        ({"flag": "key_project"}, {"项目用地审批"}),
        ({"flag": "specialised"}, {"退税进度"}),
        ({"received_from": (today - timedelta(days=15)).isoformat()},
         {"退税进度", "项目用地审批"}),
        ({"received_to": (today - timedelta(days=15)).isoformat()}, {"厂房用地指标"}),
        ({"received_from": (today - timedelta(days=12)).isoformat(),
          "received_to": (today - timedelta(days=5)).isoformat()}, {"退税进度"}),
        ({"q": "退税"}, {"退税进度"}),
        ({"q": "重点项目"}, {"项目用地审批"}),  # by enterprise name
        ({"q": f"#{s['b'].obstacle_id}"}, {"退税进度"}),
        ({"q": str(s["c"].obstacle_id)}, {"项目用地审批"}),
        ({"street": s["south"].pk, "channel": "hotline"}, {"退税进度"}),
        ({"role": "all", "department": other_dept.pk}, {"退税进度", "厂房用地指标"}),
        ({"role": "co"}, {"厂房用地指标"}),
    ]
    for params, expected in cases:
        response = client.get(LEDGER, params)
        assert not response.context["form"].errors, params
        assert set(_titles(response)) == expected, params


def test_ledger_sorts(client, coordinator, spread):
    client.force_login(coordinator)
    by = {sort: _titles(client.get(LEDGER, {"sort": sort}))
          for sort in ("-created", "created", "deadline", "enterprise")}
    assert by["-created"] == ["项目用地审批", "退税进度", "厂房用地指标"]
    assert by["created"] == list(reversed(by["-created"]))
    # a submitted task has no deadline yet: it sorts last
    assert by["deadline"][-1] == "项目用地审批"
    deadlines = [t.deadline_on for t in _rows(client.get(LEDGER, {"sort": "deadline"}))]
    assert deadlines[:2] == sorted(deadlines[:2])
    # by enterprise name in the database's own collation
    order = list(Enterprise.objects.filter(obstacles__isnull=False).distinct()
                 .order_by("name").values_list("name", flat=True))
    rows = _rows(client.get(LEDGER, {"sort": "enterprise"}))
    assert [t.obstacle.enterprise.name for t in rows] == order


def test_ledger_is_scoped_to_the_user(client, officer, other_officer, spread):
    client.force_login(officer)
    assert set(_titles(client.get(LEDGER, {"role": "all"}))) == {"厂房用地指标"}
    client.force_login(other_officer)
    assert set(_titles(client.get(LEDGER, {"role": "all"}))) == {"退税进度", "厂房用地指标"}


@pytest.mark.parametrize("params", [
    {"department": "abc"},
    {"department": "99999999999999999999"},
    {"category": "-1"},
    {"state": "exploded"},
    {"colour": "purple"},
    {"channel": "pigeon"},
    {"street": "1.5"},
    {"industry": "ZZ"},
    {"flag": "rich"},
    {"received_from": "notadate"},
    {"received_to": "2026-02-30"},
    {"received_from": "2026-03-01", "received_to": "2026-02-01"},
    {"sort": "password"},
    {"role": "boss"},
])
def test_ledger_invalid_filter_input_is_a_form_error_never_a_500(client, coordinator,
                                                                  colours, params):
    client.force_login(coordinator)
    response = client.get(LEDGER, params)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors
    body = response.content.decode()
    for messages in form.errors.values():
        for message in messages:
            assert message.replace("'", "&#x27;") in body or message in body
    # the export refuses nothing and fails nothing either
    assert client.get(EXPORT, params).status_code == 200


def test_ledger_page_out_of_range_or_nonsense(client, coordinator, colours):
    client.force_login(coordinator)
    assert client.get(LEDGER, {"page": "abc"}).status_code == 200
    assert client.get(LEDGER, {"page": "9999"}).status_code == 200


def _workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "attachment" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)


def test_ledger_export_opens_and_holds_the_filtered_rows(client, coordinator, colours):
    client.force_login(coordinator)
    wb = _workbook(client.get(EXPORT, {"colour": "red"}))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:4] == ("Number", "Colour", "Enterprise", "Title")
    assert {r[3] for r in rows[1:]} == {"已超期", "被督办"}
    assert {r[0] for r in rows[1:]} == {colours["overdue"].obstacle_id,
                                       colours["escalated"].obstacle_id}
    assert all(r[2] == "杭州甲科技有限公司" for r in rows[1:])
    assert all(isinstance(r[9], datetime) for r in rows[1:])


def test_ledger_export_is_scoped(client, other_officer, colours):
    client.force_login(other_officer)
    rows = list(_workbook(client.get(EXPORT)).worksheets[0].iter_rows(values_only=True))
    assert rows[1:] == []


@pytest.fixture
def zh_catalogue(tmp_path, settings):
    """The committed zh_Hans catalogue, compiled afresh (``make test`` compiles
    it too; this keeps the test true to the .po when run on its own)."""
    po = settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    out = tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES"
    out.mkdir(parents=True)
    subprocess.run(["msgfmt", "-o", str(out / "django.mo"), str(po)], check=True)  # noqa: S603,S607
    settings.LOCALE_PATHS = [tmp_path / "locale"]


def _cjk(text) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in str(text or ""))


def test_ledger_export_has_chinese_headers_in_chinese(client, coordinator, colours,
                                                      zh_catalogue):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    client.force_login(coordinator)
    wb = _workbook(client.get(EXPORT))
    sheet = wb.worksheets[0]
    headers = next(sheet.iter_rows(values_only=True))
    assert all(_cjk(h) for h in headers), headers
    assert _cjk(sheet.title)
    states = {r[8] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert all(_cjk(s) for s in states), states


# ------------------------------------------------------------------ query counts


def _make_rows(n, *, dept, owner=None, enterprise=None):
    """n tasks of ``dept`` that each bring their own enterprise, category,
    owner profile and street: what an N+1 would trip over."""
    for i in range(n):
        TaskFactory(
            in_progress=True, department=dept, owner=owner or UserFactory(
                role=Role.DEPARTMENT_OFFICER, department=dept),
            escalation_level=i % 2,
            obstacle__enterprise=enterprise or EnterpriseFactory(),
            obstacle__category=CategoryFactory(),
        )


# The same bound at 2 and at 20 rows: a page costs the same whatever its length.
# + 1 on each: the header's unread-notifications badge (one COUNT, then cached)
BOUNDS = {"ledger": 13, "mine": 7, "department": 7, "inbox": 7}


@pytest.mark.parametrize("n", [2, 20])
def test_ledger_query_count_is_constant(client, coordinator, dept,
                                        django_assert_max_num_queries, n):
    _make_rows(n, dept=dept)
    client.force_login(coordinator)
    with django_assert_max_num_queries(BOUNDS["ledger"]):
        response = client.get(LEDGER)
    assert len(_rows(response)) == n
    with django_assert_max_num_queries(BOUNDS["ledger"]):
        response = client.get(LEDGER, {"colour": "red", "q": "堵点", "sort": "deadline",
                                       "department": dept.pk})
    assert len(_rows(response)) == n // 2


@pytest.mark.parametrize("n", [2, 20])
def test_my_tasks_query_count_is_constant(client, officer, dept,
                                          django_assert_max_num_queries, n):
    _make_rows(n, dept=dept, owner=officer)
    client.force_login(officer)
    with django_assert_max_num_queries(BOUNDS["mine"]):
        response = client.get(MINE)
    assert len(_rows(response)) == n


@pytest.mark.parametrize("n", [2, 20])
def test_department_tasks_query_count_is_constant(client, head, dept,
                                                  django_assert_max_num_queries, n):
    _make_rows(n, dept=dept)
    client.force_login(head)
    with django_assert_max_num_queries(BOUNDS["department"]):
        response = client.get(DEPARTMENT)
    assert len(_rows(response)) == n


@pytest.mark.parametrize("n", [2, 20])
def test_approval_inbox_query_count_is_constant(client, coordinator, dept,
                                                django_assert_max_num_queries, n):
    _make_rows(n, dept=dept)
    for task in Task.objects.all():
        ApprovalRequest.objects.create(
            kind=ApprovalKind.EXTENSION, task=task, requested_by=task.owner, reason="补件",
            requested_deadline_on=task.deadline_on + timedelta(days=10),
            previous_deadline_on=task.deadline_on)
    client.force_login(coordinator)
    with django_assert_max_num_queries(BOUNDS["inbox"]):
        response = client.get(INBOX)
    assert response.status_code == 200
    assert len(response.context["pending"]) == n


def test_my_tasks_lists_only_mine_and_department_only_the_department(
        client, officer, head, dept, other_dept):
    mine = TaskFactory(in_progress=True, department=dept, owner=officer,
                       obstacle__title="我的任务")
    TaskFactory(in_progress=True, department=dept, obstacle__title="部门的任务")
    TaskFactory(in_progress=True, department=other_dept, obstacle__title="别的部门")
    client.force_login(officer)
    assert _titles(client.get(MINE)) == [mine.obstacle.title]
    client.force_login(head)
    assert set(_titles(client.get(DEPARTMENT))) == {"我的任务", "部门的任务"}


# ------------------------------------------------------------------ task detail


def _offered(client, user, task):
    client.force_login(user)
    response = client.get(task.get_absolute_url())
    assert response.status_code == 200
    return set(response.context["action_forms"]), response.content.decode()


def test_officer_sees_accept_and_return_on_an_assigned_task_not_assign(client, officer, dept):
    task = TaskFactory(assigned=True, department=dept)
    offered, body = _offered(client, officer, task)
    assert {"accept", "return"} <= offered
    assert not offered & {"assign", "reject", "rule", "set_owner", "escalate", "resolve",
                          "callback", "reopen_closed"}
    assert "Return as not ours" in body
    assert "Assign to a department" not in body
    assert _action(task, "accept") in body
    assert _action(task, "assign") not in body


def test_head_also_names_the_owner(client, head, dept):
    offered, _body = _offered(client, head, TaskFactory(assigned=True, department=dept))
    assert {"accept", "return", "set_owner"} <= offered


def test_coordinator_sees_assign_on_a_submitted_task(client, coordinator):
    task = TaskFactory()
    offered, body = _offered(client, coordinator, task)
    assert {"assign", "reject"} <= offered
    assert not offered & {"accept", "return", "resolve", "note"}
    assert "Assign to a department" in body


def test_officer_sees_resolve_on_a_task_in_progress(client, officer, dept):
    offered, body = _offered(client, officer, TaskFactory(in_progress=True, department=dept))
    assert "resolve" in offered
    assert not offered & {"accept", "return", "assign"}


def test_leader_reads_without_actions(client, leader, dept):
    offered, body = _offered(client, leader, TaskFactory(in_progress=True, department=dept))
    assert offered == set()
    assert "What you can do" not in body


def test_staff_who_recorded_it_is_offered_the_callback_once_resolved(client, staff, dept):
    task = TaskFactory(resolved=True, department=dept, obstacle__received_by=staff)
    offered, _body = _offered(client, staff, task)
    assert offered == {"callback"}


def test_task_page_shows_days_overdue_and_timeline(client, coordinator, dept):
    task = TaskFactory(overdue=True, department=dept)
    TaskEvent.objects.create(task=task, actor=coordinator, action=EventAction.NOTE,
                             from_state=task.state, to_state=task.state, comment="请加快办理")
    client.force_login(coordinator)
    body = client.get(task.get_absolute_url()).content.decode()
    assert "working days overdue" in body or "working day overdue" in body
    assert "请加快办理" in body


# ------------------------------------------------------------------ actions from the page


def test_bad_input_rerenders_with_400_and_keeps_what_was_typed(client, officer, dept):
    task = TaskFactory(in_progress=True, department=dept)
    client.force_login(officer)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(_action(task, "request_extension"), {
        "request_extension-new_deadline": yesterday,
        "request_extension-reason": "需要等待省厅批复后再办理",
    })
    assert response.status_code == 400
    body = response.content.decode()
    assert "The new deadline must be in the future." in body
    assert "需要等待省厅批复后再办理" in body
    assert f'value="{yesterday}"' in body
    assert response.context["open_action"] == "request_extension"
    assert not ApprovalRequest.objects.exists()


def test_missing_reason_is_a_form_error(client, officer, dept):
    task = TaskFactory(assigned=True, department=dept)
    client.force_login(officer)
    response = client.post(_action(task, "return"), {"return-reason": "   "})
    assert response.status_code == 400
    assert response.context["action_forms"]["return"].errors
    task.refresh_from_db()
    assert task.state == TaskState.ASSIGNED
    assert task.transfer_count == 0


def test_accepting_an_accepted_task_shows_the_message_not_a_500(client, officer, dept):
    task = TaskFactory(in_progress=True, department=dept, owner=officer)
    events = task.events.count()
    client.force_login(officer)
    response = client.post(_action(task, "accept"), {"accept-comment": "我来办"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Only an assigned task can be accepted." in body
    assert "我来办" in body
    task.refresh_from_db()
    assert task.state == TaskState.IN_PROGRESS
    assert task.events.count() == events


def test_two_officers_accept_one_task_the_second_gets_a_message(client, officer, dept):
    colleague = UserFactory(username="colleague", role=Role.DEPARTMENT_OFFICER, department=dept)
    task = TaskFactory(assigned=True, department=dept)
    client.force_login(officer)
    assert client.post(_action(task, "accept")).status_code == 302
    client.force_login(colleague)
    response = client.post(_action(task, "accept"))
    assert response.status_code == 400
    assert "Only an assigned task can be accepted." in response.content.decode()
    task.refresh_from_db()
    assert task.owner == officer


def test_assigning_an_assigned_task_shows_the_message(client, coordinator, dept, other_dept):
    task = TaskFactory(assigned=True, department=dept)
    client.force_login(coordinator)
    response = client.post(_action(task, "assign"), {"assign-department": other_dept.pk,
                                                     "assign-comment": "改派"})
    assert response.status_code == 400
    assert "Only a submitted obstacle can be assigned." in response.content.decode()
    task.refresh_from_db()
    assert task.department == dept


def test_extension_before_the_current_deadline_is_refused_with_the_date(client, officer, dept):
    task = TaskFactory(in_progress=True, department=dept)
    Task.objects.filter(pk=task.pk).update(
        deadline_on=timezone.localdate() + timedelta(days=20))
    client.force_login(officer)
    response = client.post(_action(task, "request_extension"), {
        "request_extension-new_deadline": (timezone.localdate() + timedelta(days=3)).isoformat(),
        "request_extension-reason": "材料不全",
    })
    assert response.status_code == 400
    assert "must be after the current one" in response.content.decode()
    assert not ApprovalRequest.objects.exists()


def test_a_good_action_redirects_with_a_message_and_writes_the_event(client, officer, dept):
    task = TaskFactory(assigned=True, department=dept)
    client.force_login(officer)
    response = client.post(_action(task, "accept"), {"accept-comment": "已接收"}, follow=True)
    assert response.redirect_chain == [(task.get_absolute_url(), 302)]
    assert "Done." in response.content.decode()
    event = task.events.get(action=EventAction.ACCEPT)
    assert (event.actor, event.comment) == (officer, "已接收")


def test_callback_by_the_handling_department_is_refused(client, officer, dept):
    task = TaskFactory(resolved=True, department=dept)
    client.force_login(officer)
    response = client.post(_action(task, "callback"), {
        "callback-is_reached": "yes", "callback-rating": Rating.VERY_SATISFIED})
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.state == TaskState.RESOLVED


# ------------------------------------------------------------------ obstacle intake


def _obstacle_data(category, **overrides):
    data = {
        "title": "厂房消防验收迟迟未办", "category": category.pk,
        "description": "企业反映消防验收排队两个月。", "channel": "visit", "urgency": "normal",
        "project_name": "", "project_investment": "", "contact_name": "李经理",
        "contact_phone": "13812341234", "external_ref": "",
    }
    data.update(overrides)
    return data


def test_staff_record_an_obstacle_with_a_pdf(client, staff, enterprise, category,
                                             private_storage):
    client.force_login(staff)
    url = reverse("approvals:obstacle-create", args=[enterprise.pk])
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("消防验收申请.pdf", PDF, content_type="application/pdf")
    response = client.post(url, {**_obstacle_data(category), "files": [upload]})
    obstacle = Obstacle.objects.get()
    assert response.status_code == 302
    assert response.url == obstacle.get_absolute_url()
    assert obstacle.enterprise == enterprise
    assert obstacle.received_by == staff
    lead = obstacle.tasks.get()
    assert lead.state == TaskState.SUBMITTED
    assert lead.events.filter(action=EventAction.SUBMIT, actor=staff).exists()
    attachment = obstacle.attachments.get()
    assert attachment.original_name == "消防验收申请.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(PDF)
    # stored privately, never under the user's file name
    assert "消防" not in attachment.file.name
    assert (private_storage / attachment.file.name).read_bytes() == PDF
    # the recorder lands on the task page, which lists the attachment
    page = client.get(response.url, follow=True)
    assert page.status_code == 200
    assert attachment.get_absolute_url() in page.content.decode()


@pytest.mark.parametrize(("name", "content"), [
    ("合同.pdf", b"just some plain text pretending to be a PDF\n"),
    ("scan.pdf", b"<html><script>alert(1)</script></html>"),
    ("photo.png", b"MZ\x90\x00\x03\x00\x00\x00"),  # an executable in disguise
])
def test_a_disguised_file_is_refused_with_a_form_error(client, staff, enterprise, category,
                                                       name, content):
    client.force_login(staff)
    url = reverse("approvals:obstacle-create", args=[enterprise.pk])
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = client.post(url, {**_obstacle_data(category), "files": [upload]})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "files" in errors
    assert "is not a PDF, image or Office document" in errors["files"][0]
    body = response.content.decode()
    assert "is not a PDF, image or Office document" in body
    # what was typed is kept
    assert "厂房消防验收迟迟未办" in body
    assert not Obstacle.objects.exists()
    assert not Attachment.objects.exists()


def test_obstacle_form_errors_are_400_and_save_nothing(client, staff, enterprise, category):
    client.force_login(staff)
    url = reverse("approvals:obstacle-create", args=[enterprise.pk])
    response = client.post(url, {**_obstacle_data(category), "title": "",
                                 "category": "999999", "channel": "portal"})
    assert response.status_code == 400
    assert {"title", "category", "channel"} <= set(response.context["form"].errors)
    assert not Obstacle.objects.exists()


def test_the_same_hotline_work_order_is_taken_in_once(client, staff, enterprise, category):
    client.force_login(staff)
    url = reverse("approvals:obstacle-create", args=[enterprise.pk])
    data = _obstacle_data(category, channel="hotline", external_ref="GD-2026-0001")
    first = client.post(url, data)
    assert first.status_code == 302
    # the second time the form says so, beside what was typed
    second = client.post(url, data)
    assert second.status_code == 400
    assert "already sent an obstacle with this reference" in second.content.decode()
    assert Obstacle.objects.count() == 1


# ------------------------------------------------------------------ attachment download


@pytest.fixture
def attachment(staff, dept, enterprise):
    task = TaskFactory(assigned=True, department=dept, obstacle__enterprise=enterprise,
                       obstacle__received_by=staff)
    return services.attachment_add(
        obstacle=task.obstacle, actor=staff,
        upload=SimpleUploadedFile("规划 \"图\".pdf", PDF, content_type="application/pdf"))


@pytest.mark.parametrize("who", ["staff", "officer", "head", "coordinator", "leader"])
def test_attachment_is_downloaded_by_those_who_see_the_obstacle(client, request, attachment,
                                                                who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(attachment.get_absolute_url())
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" in disposition


@pytest.mark.parametrize(("who", "status"), [("staff2", 404), ("other_officer", 404),
                                             ("firm", 403), ("firm2", 403), ("editor", 403)])
def test_attachment_is_refused_to_others(client, request, attachment, who, status):
    client.force_login(request.getfixturevalue(who))
    response = client.get(attachment.get_absolute_url())
    assert response.status_code == status
    assert PDF[:8] not in response.content


def test_attachment_missing_from_the_store_is_404(client, coordinator, attachment,
                                                  private_storage):
    (private_storage / attachment.file.name).unlink()
    client.force_login(coordinator)
    assert client.get(attachment.get_absolute_url()).status_code == 404


# ------------------------------------------------------------------ approval inbox


def test_inbox_shows_a_request_with_no_requester(client, coordinator, dept):
    """``requested_by`` may be empty (a request entered in the admin, or made by
    a job): the inbox must still render."""
    task = TaskFactory(in_progress=True, department=dept, obstacle__title="系统提出的申请")
    ApprovalRequest.objects.create(
        kind=ApprovalKind.EXTENSION, task=task, reason="补件",
        requested_deadline_on=task.deadline_on + timedelta(days=5),
        previous_deadline_on=task.deadline_on)
    client.force_login(coordinator)
    response = client.get(INBOX)
    assert response.status_code == 200
    assert "系统提出的申请" in response.content.decode()


def test_refusing_an_extension_without_a_reason_keeps_it_pending(client, coordinator, officer,
                                                                 dept):
    task = TaskFactory(in_progress=True, department=dept)
    approval = ApprovalRequest.objects.create(
        kind=ApprovalKind.EXTENSION, task=task, reason="补件", requested_by=officer,
        requested_deadline_on=task.deadline_on + timedelta(days=5),
        previous_deadline_on=task.deadline_on)
    client.force_login(coordinator)
    url = reverse("approvals:approval-decide", args=[approval.pk])
    response = client.post(url, {"decision": "refuse", "comment": ""}, follow=True)
    assert response.status_code == 200
    assert "Say why you refuse." in response.content.decode()
    approval.refresh_from_db()
    assert approval.status == "pending"
    # deciding twice: the second is told, not crashed
    assert client.post(url, {"decision": "approve"}).status_code == 302
    response = client.post(url, {"decision": "approve"}, follow=True)
    assert "already been decided" in response.content.decode()
    task.refresh_from_db()
    assert task.deadline_on == approval.requested_deadline_on


# ------------------------------------------------------------------ KPIs


@pytest.fixture
def kpi_tasks(dept, other_dept):
    TaskFactory(resolved=True, department=dept, rating=Rating.SATISFIED)
    TaskFactory(in_progress=True, department=dept)
    TaskFactory(in_progress=True, department=other_dept)


@pytest.mark.parametrize("who", ["coordinator", "leader"])
def test_kpis_for_coordinator_and_leader_cover_every_department(client, request, kpi_tasks,
                                                                dept, other_dept, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(KPIS)
    assert response.status_code == 200
    assert {r.department for r in response.context["rows"]} == {dept, other_dept}
    assert response.context["total"].received == 3


def test_kpis_for_a_head_cover_its_department_only(client, head, kpi_tasks, dept, other_dept):
    client.force_login(head)
    response = client.get(KPIS)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r.department for r in rows] == [dept]
    assert rows[0].received == 2
    assert rows[0].resolved == 1
    assert response.context["total"].received == 2
    assert other_dept.name not in response.content.decode()
    # the export follows the same rule
    export = client.get(KPIS, {"format": "xlsx"})
    wb = _workbook(export)
    names = [r[0] for r in wb.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert other_dept.name not in names


@pytest.mark.parametrize("who", ["staff", "officer", "other_officer", "firm", "editor"])
def test_kpis_refused_to_others(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(KPIS).status_code == 403


@pytest.mark.parametrize("params", [
    {"start": "notadate", "end": "2026-01-31"},
    {"start": "2026-03-01", "end": "2026-02-01"},
    {"start": "2026-13-01", "end": ""},
])
def test_kpis_bad_period_is_a_form_error(client, coordinator, kpi_tasks, params):
    client.force_login(coordinator)
    response = client.get(KPIS, params)
    assert response.status_code == 200
    assert response.context["form"].errors
    today = timezone.localdate()
    # the page falls back to the default period, said on the page
    assert response.context["start"] == date(today.year, 1, 1)
    assert response.context["end"] == today
    assert client.get(KPIS, {**params, "format": "xlsx"}).status_code == 200


def test_kpis_period_narrows_the_tasks(client, coordinator, kpi_tasks):
    client.force_login(coordinator)
    long_ago = client.get(KPIS, {"start": "2020-01-01", "end": "2020-12-31"})
    assert long_ago.status_code == 200
    assert long_ago.context["rows"] == []
    assert long_ago.context["total"].received == 0
