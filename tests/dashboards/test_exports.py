"""The dashboards' XLSX downloads open with openpyxl and hold the expected rows."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO

from django.urls import reverse

import pytest
from openpyxl import load_workbook

from dashboards import exports

pytestmark = pytest.mark.django_db

TABLES = reverse("dashboards:tables-export")
ROWS = reverse("dashboards:ledger-export")
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return load_workbook(BytesIO(b"".join(response.streaming_content)))


def test_every_table_is_a_sheet_with_chinese_headers(client, leader, world):
    client.force_login(leader)
    wb = workbook(client.get(TABLES, **ZH))
    assert wb.sheetnames == [
        "三色台账", "每周新增与办结", "各责任单位超期任务", "诉求类别分布", "诉求街道分布",
        "诉求行业分布", "满意度", "各专班每周走访任务完成情况", "未走访的重点企业", "责任单位排行榜"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.column_dimensions["A"].width > 5
        assert all(c.font.b for c in ws[1])
    colours = list(wb["三色台账"].values)
    assert colours[0] == ("颜色", "诉求")
    assert [r[1] for r in colours[1:]] == [1, 2, 2, 1, 6]  # yellow red green grey, total
    assert colours[-1][0] == "合计"


def test_weeks_are_dates_and_counts_are_numbers(client, leader, world):
    client.force_login(leader)
    ws = workbook(client.get(TABLES, {"table": "weeks"}, **ZH)).active
    rows = list(ws.iter_rows(min_row=2))
    first = rows[0][0]
    assert first.is_date and first.value == datetime(2026, 10, 26)
    assert [(r[1].value, r[2].value) for r in rows] == [
        (1, 0), (2, 2), (1, 0), (0, 1), (2, 0), (0, 0), (6, 3)]


def test_one_table_alone(client, leader, world):
    client.force_login(leader)
    wb = workbook(client.get(TABLES, {"table": "satisfaction"}, **ZH))
    assert wb.sheetnames == ["满意度"]
    rows = list(wb.active.values)
    assert rows[0] == ("好差评", "任务数", "占比 %")
    assert [r[1] for r in rows[1:]] == [1, 1, 0, 1, 0, 3]
    assert rows[1][2] == pytest.approx(33.3)


def test_the_ledger_rows_of_the_period(client, leader, world):
    client.force_login(leader)
    wb = workbook(client.get(ROWS, {"received_from": "2026-11-01",
                                    "received_to": "2026-11-30"}, **ZH))
    ws = wb.active
    assert ws.freeze_panes == "A2"
    header, *rows = list(ws.values)
    assert header[:3] == ("编号", "颜色", "企业") and len(header) == 17
    t = world.tasks
    # the six lead tasks received in November, newest first (the ledger's
    # order: created at the same frozen moment here, so the last created first)
    assert [r[0] for r in rows] == [
        x.obstacle_id for x in (t.t7, t.t5, t.t4, t.t3, t.t2, t.t1)]
    by_number = {r[0]: r for r in rows}
    o2 = by_number[t.t2.obstacle_id]
    assert o2[1] == "绿色" and o2[8] == world.dept.name and o2[14] == "非常满意"
    # dates as dates, in Shanghai time: received 3 Nov 11:00, deadline 10 Nov
    cells = {c.column_letter: c for c in next(
        ws.iter_rows(min_row=2 + [r[0] for r in rows].index(t.t2.obstacle_id)))}
    assert cells["L"].is_date and cells["L"].value == datetime(2026, 11, 3, 11, 0)
    assert cells["M"].is_date and cells["M"].value.date() == date(2026, 11, 10)
    assert cells["N"].value == datetime(2026, 11, 5, 10, 0)


def test_the_rows_export_stops_at_its_limit_and_says_so(client, leader, world, monkeypatch):
    monkeypatch.setattr(exports, "MAX_LEDGER_ROWS", 3)
    client.force_login(leader)
    rows = list(workbook(client.get(ROWS, {"role": "all"},
                                    HTTP_ACCEPT_LANGUAGE="en")).active.values)
    assert len(rows) == 1 + 3 + 1
    assert rows[-1][0].startswith("Only the first 3 rows are exported")


def test_the_sheet_writer_keeps_awkward_text_and_types():
    """What dashboards.xlsx writes, openpyxl reads back as it was: markup
    characters, spaces at the ends, Chinese, numbers, booleans, dates; the
    characters XML cannot carry are dropped; the header is bold and frozen."""
    from dashboards.xlsx import SheetWriter

    ws = SheetWriter("台账 [1]"[:31].replace("[", "(").replace("]", ")"),
                     [("名称", 20), ("数", 8), ("日", 12), ("时", 18), ("是", 6)])
    ws.append(['<a href="x">&amp; 甲</a>', 3, date(2026, 11, 25),
               datetime(2026, 11, 25, 9, 30, 15), True])
    ws.append(["  两端有空格  ", 2.5, None, "", False])
    ws.append(["控制\x01字符\x1f", -1])
    book = load_workbook(BytesIO(b"".join(ws.response("t.xlsx").streaming_content)))
    sheet = book.active
    assert sheet.title == "台账 (1)" and sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 20
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert list(sheet.values) == [
        ("名称", "数", "日", "时", "是"),
        ('<a href="x">&amp; 甲</a>', 3, datetime(2026, 11, 25), datetime(2026, 11, 25, 9, 30, 15),
         True),
        ("  两端有空格  ", 2.5, None, None, False),
        ("控制字符", -1, None, None, None),
    ]
    assert sheet["C2"].is_date and sheet["D2"].is_date
