"""The desk's journeys in a real browser, one person at a time, each logged in
through the login page in a browser context of their own (their own cookies).

1. The closed loop: service staff on a phone log a visit that raises an
   obstacle; the coordinator assigns it; the department head names the owner;
   the officer accepts it and asks for an extension, which the coordinator
   approves; the officer resolves it; staff record the callback; the
   coordinator signs the close-out off.
2. The firm portal: a firm user submits an obstacle, follows it while the desk
   handles it, rates the result (the rating is the callback), and downloads a
   status letter.
3. The CMS: an editor writes a policy guide and submits it; the moderator
   approves it through Wagtail's workflow; a firm finds it by a Chinese search.
4. The dashboard: the leader reads this year's figures, follows the red count
   to the ledger records behind it and exports the tables; a department head
   sees their own department's dashboard.

Every step leaves a screenshot under var/e2e/shots/<test>/. What each step
checks is what the next person sees (the state on the page, the message, the
link), never the database.
"""

from __future__ import annotations

import re
import secrets
import subprocess
from datetime import date, timedelta

from django.utils import translation

import pytest

from approvals.choices import Rating, TaskState
from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.e2e

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
       b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
       b"\x00\x00\x00IEND\xaeB`\x82")
# a category whose default department is the demo officer's and head's
CATEGORY = "规划条件与方案审查"
DEPARTMENT = "区自然资源和规划局"


def zh(text) -> str:
    """What a Chinese reader sees for an English msgid or a lazy label."""
    with translation.override("zh-hans"):
        return str(translation.gettext(text) if isinstance(text, str) else text)


def run_id() -> str:
    """Names this run's records (a reused database keeps earlier runs')."""
    return secrets.token_hex(3).upper()


def fact(page, label: str) -> str:
    """The value beside a label in the task page's first list of facts."""
    return page.locator("dl.facts").first.locator(
        f"dt:text-is('{zh(label)}') + dd").inner_text().strip()


def expect_done(page) -> None:
    """A transition succeeded: redirected back with the success message and no
    form error on the page."""
    assert page.locator(".errorlist").count() == 0, page.locator(".errorlist").all_inner_texts()
    assert page.locator(".messages li.success").count() == 1, page.url


def act(page, action: str, **fields) -> None:
    """Open the action's panel on a task page, fill it, submit it.

    ``fields`` maps a field name (without the action prefix) to a value: text
    for inputs, an option label (``select:<label>``), a radio value
    (``radio:<value>``) or ``check`` for a checkbox.
    """
    form = page.locator(f"form[action$='/{action}/']")
    panel = page.locator("details.action", has=form)
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    for name, value in fields.items():
        field = f"[name='{action}-{name}']"
        if value.startswith("select:"):
            form.locator(f"select{field}").select_option(label=value[7:])
        elif value == "check":
            form.locator(f"input{field}").check()
        elif value.startswith("radio:"):
            form.locator(f"input{field}[value='{value[6:]}']").check()
        else:
            form.locator(field).fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect_done(page)


def decide(page, task_url: str) -> None:
    """The coordinator approves the pending request of one task in the inbox."""
    page.goto("/approvals/")
    card = page.locator("section.card", has=page.locator(f"h2 a[href='{task_url}']"))
    assert card.count() == 1, f"no pending request for {task_url} in the inbox"
    card.locator("input[name=decision][value=approve]").check()
    with page.expect_navigation():
        card.locator("button[type=submit]").click()
    assert page.locator(".errorlist").count() == 0


def test_closed_loop_from_a_phone_visit_to_close_out(pages, shots):
    title = f"厂区规划条件调整迟迟未出具{run_id()}"

    # service staff, on a 375 x 667 phone: their week, then a visit
    staff = pages.open("staff", viewport=PHONE)
    assert staff.url.endswith("/visits/"), "service staff start from their week"
    shots(staff, "staff-my-week")
    staff.locator("ul.firm-list li").first.locator("a.btn").click()
    staff.wait_for_url(re.compile(r"/visits/new/\?enterprise=\d+"))
    firm_name = staff.input_value("#id_enterprise")
    assert firm_name, "the visit form names the firm chosen from the week"
    staff.fill("#id_purpose", "了解新厂区建设进度")
    staff.fill("#id_notes", "企业反映厂区规划条件调整申请提交两个月未出具。")
    staff.select_option("#id_operating_status", "construction")
    staff.set_input_files("#id_files", files=[
        {"name": "现场照片.png", "mimeType": "image/png", "buffer": PNG}])
    staff.click("#ob-add")
    staff.fill("#id_ob-0-title", title)
    staff.select_option("#id_ob-0-category", label=CATEGORY)
    staff.fill("#id_ob-0-description", "规划条件调整申请已提交两个月，影响项目开工。")
    shots(staff, "staff-visit-form")
    staff.click("button[name=submit]")
    staff.wait_for_url(re.compile(r"/visits/\d+/$"))
    shots(staff, "staff-visit-submitted")
    staff.locator("a", has_text=title).click()
    staff.wait_for_url(re.compile(r"/tasks/\d+/$"))
    task_url = staff.url.removeprefix(pages.server.url)
    assert fact(staff, "State") == zh(TaskState.SUBMITTED.label)
    shots(staff, "staff-task-submitted")

    # the coordinator finds it in the ledger and assigns it
    coordinator = pages.open("coordinator")
    coordinator.goto("/ledger/?q=" + title)
    coordinator.locator("table a", has_text=title).first.click()
    assert coordinator.url.endswith(task_url)
    act(coordinator, "assign", department=f"select:{DEPARTMENT}",
        comment="请五个工作日内答复企业。")
    assert fact(coordinator, "State") == zh(TaskState.ASSIGNED.label)
    assert fact(coordinator, "Department") == DEPARTMENT
    deadline = date.fromisoformat(fact(coordinator, "Deadline")[:10])
    shots(coordinator, "coordinator-assigned")

    # the department head names the owner from the department's list
    head = pages.open("head")
    head.goto("/tasks/department/")
    head.locator("a", has_text=title).first.click()
    assert head.url.endswith(task_url)
    act(head, "set_owner", owner="select:王建华")
    assert fact(head, "Owner").startswith("王建华")
    shots(head, "head-owner-named")

    # the officer accepts it and asks for a week more
    officer = pages.open("officer")
    officer.goto("/tasks/mine/")
    officer.locator("a", has_text=title).first.click()
    assert officer.url.endswith(task_url)
    act(officer, "accept", comment="已签收，正在核实。")
    assert fact(officer, "State") == zh(TaskState.IN_PROGRESS.label)
    new_deadline = deadline + timedelta(days=7)
    act(officer, "request_extension", new_deadline=new_deadline.isoformat(),
        reason="需征求住建部门意见，申请延期一周。")
    shots(officer, "officer-extension-requested")

    # the coordinator approves the extension: the deadline moves
    decide(coordinator, task_url)
    shots(coordinator, "coordinator-extension-approved")
    coordinator.goto(task_url)
    assert fact(coordinator, "Deadline").startswith(new_deadline.isoformat())

    # the officer resolves it
    officer.goto(task_url)
    act(officer, "resolve", resolution="已出具调整后的规划条件，并电话告知企业。")
    assert fact(officer, "State") == zh(TaskState.RESOLVED.label)
    shots(officer, "officer-resolved")

    # service staff call the firm back, on the phone again
    staff.goto(task_url)
    act(staff, "callback", is_reached="radio:yes",
        rating=f"select:{zh(Rating.VERY_SATISFIED.label)}", comment="企业表示满意。")
    assert fact(staff, "State") == zh(TaskState.CLOSING.label)
    shots(staff, "staff-callback-recorded")

    # the coordinator signs the close-out off: closed, green
    decide(coordinator, task_url)
    coordinator.goto(task_url)
    assert fact(coordinator, "State") == zh(TaskState.CLOSED.label)
    assert coordinator.locator("h1 .pill.green").count() == 1
    shots(coordinator, "coordinator-closed")

    # the ledger shows it green
    coordinator.goto("/ledger/?colour=green&q=" + title)
    assert coordinator.locator("table a", has_text=title).count() >= 1
    shots(coordinator, "ledger-green")


def test_firm_submits_follows_rates_and_downloads_a_letter(pages, shots, tmp_path):
    title = f"新建仓库用地规划条件咨询{run_id()}"

    firm = pages.open("firm", viewport=PHONE)
    assert firm.url.endswith("/portal/"), "a firm user lands on the portal"
    shots(firm, "firm-portal-home")
    firm.locator("a.btn[href$='/portal/obstacles/new/']").click()
    firm.select_option("#id_category", label=CATEGORY)
    firm.fill("#id_title", title)
    firm.fill("#id_description", "公司拟新建仓库，需要了解地块规划条件和办理流程。")
    firm.fill("#id_contact_name", "刘伟")
    firm.fill("#id_contact_phone", "13800138000")
    shots(firm, "firm-obstacle-form")
    with firm.expect_navigation():
        firm.click("form.card button[type=submit]")
    assert re.search(r"/portal/obstacles/\d+/$", firm.url), firm.url
    portal_url = firm.url.removeprefix(pages.server.url)
    shots(firm, "firm-obstacle-submitted")

    # it is listed among the firm's obstacles
    firm.goto("/portal/obstacles/")
    assert firm.locator(f"a[href='{portal_url}']").count() == 1
    shots(firm, "firm-obstacle-list")

    # the desk handles it: assigned, accepted, resolved
    coordinator = pages.open("coordinator")
    coordinator.goto("/ledger/?q=" + title)
    coordinator.locator("table a", has_text=title).first.click()
    task_url = coordinator.url.removeprefix(pages.server.url)
    act(coordinator, "assign", department=f"select:{DEPARTMENT}")
    officer = pages.open("officer")
    officer.goto(task_url)
    act(officer, "accept")
    act(officer, "note", comment="已约企业下周现场踏勘。", is_visible_to_firm="check")
    # the firm follows the progress: the note meant for it is on its page
    firm.goto(portal_url)
    assert firm.get_by_text("已约企业下周现场踏勘。").count() == 1
    shots(firm, "firm-follows-progress")
    act(officer, "resolve", resolution="已书面答复地块规划条件及办理流程。")

    # the firm rates the result: that is the callback, the task awaits close-out
    firm.goto(portal_url)
    assert firm.locator("dl.facts").get_by_text("已书面答复地块规划条件及办理流程。").count() == 1
    firm.locator("input[name=rating][value='5']").check()
    firm.fill("textarea[name=comment]", "答复及时，谢谢。")
    shots(firm, "firm-rating-form")
    with firm.expect_navigation():
        firm.locator("form[action$='/rate/'] button[type=submit]").click()
    assert firm.locator(".errorlist").count() == 0
    assert firm.locator("dl.facts").get_by_text(zh(Rating.VERY_SATISFIED.label)).count() == 1
    shots(firm, "firm-rated")
    coordinator.goto(task_url)
    assert fact(coordinator, "State") == zh(TaskState.CLOSING.label)

    # the coordinator issues a status letter on this obstacle from the firm's page
    coordinator.locator("section[aria-labelledby=t-ob] dl.facts a").first.click()
    coordinator.locator("a.btn[href*='/letters/new/']").click()
    coordinator.select_option("#id_scope", "obstacle")
    coordinator.fill("#id_obstacle", portal_url.rstrip("/").rsplit("/", 1)[1])
    with coordinator.expect_navigation():
        coordinator.locator("main form button[type=submit]").click()
    expect_done(coordinator)
    shots(coordinator, "coordinator-letter-issued")

    reference = coordinator.locator("h1").inner_text().strip()

    # the firm downloads it from "my letters": the PDF of that reference number,
    # addressed to the firm, reporting its one obstacle
    firm.goto("/portal/")
    enterprise = firm.locator("h1").inner_text().strip()
    firm.locator("a[href$='/portal/letters/']").first.click()
    shots(firm, "firm-letters")
    row = firm.locator("tbody tr").filter(has_text=re.sub(r".*?(〔\d+〕\d+号).*", r"\1",
                                                          reference))
    assert row.count() == 1, reference
    with firm.expect_download() as info:
        row.locator("a.btn").click()
    pdf = tmp_path / info.value.suggested_filename
    info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,  # noqa: S603, S607
                          text=True, check=True).stdout
    assert f"{enterprise}：" in text and re.search(r"共\s*1\s*件", text), text[:600]
    assert title[:8] in text


def test_guide_published_through_the_workflow_is_found_by_a_chinese_search(pages, shots):
    token = run_id()
    title = f"跨境电商海外仓建设补助政策指南{token}"

    # the editor writes the guide under 政策指南 and submits it for moderation
    editor = pages.open("editor")
    editor.goto("/cms-admin/pages/")
    # the explorer lists 政策指南 under the home page; add a child page to it
    index = editor.locator("a", has_text="政策指南").first.get_attribute("href")
    editor.goto(re.sub(r"/edit/$", "/add_subpage/", index))
    editor.wait_for_url(re.compile(r"/cms-admin/pages/add/cms/policyguidepage/\d+/"))
    editor.fill("#id_title", title)
    editor.fill("#id_summary", "支持外贸企业在境外建设和租用海外仓，按实际投资额给予一次性补助。")
    editor.fill("#id_department", "区商务局")
    shots(editor, "editor-guide-form")
    editor.get_by_role("button", name=zh("More actions")).click()
    with editor.expect_navigation():
        editor.locator("button[name=action-submit]").click()
    assert editor.locator(".messages").get_by_text(title).count() == 1
    shots(editor, "editor-submitted")

    # not public until approved
    firm = pages.open("firm")
    firm.goto("/search/?q=海外仓")
    assert firm.get_by_role("link", name=re.compile(token)).count() == 0

    # the moderator approves it from the dashboard
    moderator = pages.open("moderator")
    moderator.goto("/cms-admin/")
    row = moderator.locator("tr", has=moderator.locator("a", has_text=title))
    shots(moderator, "moderator-dashboard")
    row.locator(".w-dropdown__toggle").first.click()
    with moderator.expect_navigation():
        row.locator("button[data-workflow-action-url*='/approve/']"
                    ":not([data-launch-modal])").click()
    shots(moderator, "moderator-approved")

    # a firm finds it by a Chinese word of its text, and reads it
    firm.goto("/search/?q=海外仓补助")
    shots(firm, "firm-search-results")
    link = firm.get_by_role("link", name=re.compile(token))
    assert link.count() == 1
    link.click()
    assert firm.locator("h1").inner_text().startswith(title)
    shots(firm, "firm-reads-guide")


def test_leader_follows_a_dashboard_figure_to_its_records_and_exports_them(pages, shots, tmp_path):
    import openpyxl

    from approvals.choices import Colour

    leader = pages.open("leader")
    leader.goto("/dashboards/?period=year")
    assert leader.locator("h1").inner_text().strip() == zh("District dashboard")
    shots(leader, "leader-dashboard")
    # the colours table: each colour's count is a link to the ledger
    red = leader.locator("section.figure-colours tbody tr",
                         has=leader.get_by_role("link", name=zh(Colour.RED.label), exact=True))
    count = red.locator("a").last
    number = int(count.inner_text())
    with leader.expect_navigation():
        count.click()
    assert "/ledger/" in leader.url and "colour=red" in leader.url
    shots(leader, "leader-ledger-red")
    # the ledger counts the same red tasks, and lists them (a page holds 25)
    assert int(leader.locator(".counts a.red strong").inner_text()) == number
    rows = leader.locator("table.list tbody tr").filter(has=leader.locator("a[href*='/tasks/']"))
    assert rows.count() == min(number, 25)

    # every table as one workbook with Chinese headers
    leader.go_back()
    with leader.expect_download() as info:
        leader.locator("a[href*='tables.xlsx']").first.click()
    book = tmp_path / info.value.suggested_filename
    info.value.save_as(book)
    sheets = openpyxl.load_workbook(book, read_only=True)
    assert len(sheets.sheetnames) >= 5
    first = next(sheets[sheets.sheetnames[0]].iter_rows(max_row=1, values_only=True))
    assert first[0] == zh("Colour")

    # a department head sees their department's dashboard, not the district's
    head = pages.open("head")
    head.goto("/dashboards/")
    assert head.locator("h1").inner_text().strip() == zh("Dashboard: %(name)s") % {
        "name": DEPARTMENT}
    shots(head, "head-dashboard")
