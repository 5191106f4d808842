"""XLSX exports of the ledger and the league table (openpyxl, write-only, so
rows stream from the database cursor and are never all held in memory)."""

from __future__ import annotations

import tempfile
from datetime import date

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

import audit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_sheet(wb: Workbook, title: str, headers: list[tuple[str, int]]):
    ws = wb.create_sheet(title)
    for i, (_h, width) in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    row = []
    for h, _w in headers:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = bold
        row.append(cell)
    ws.append(row)
    return ws


def xlsx_response(wb: Workbook, filename: str) -> FileResponse:
    # spooled to a temporary file: the workbook is written once, then streamed
    handle = tempfile.TemporaryFile()
    wb.save(handle)
    handle.seek(0)
    audit.record(None, "export", filename)  # who exported what, and when
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)


def ledger_xlsx_response(rows, today: date) -> FileResponse:
    wb = Workbook(write_only=True)
    ws = xlsx_sheet(wb, _("Ledger"), [
        (_("Number"), 10), (_("Colour"), 10), (_("Enterprise"), 32), (_("Title"), 40),
        (_("Category"), 16), (_("Channel"), 14), (_("Department"), 22), (_("Owner"), 14),
        (_("State"), 14), (_("Received"), 18), (_("Deadline"), 12), (_("Escalation"), 10),
        (_("Returns"), 8),
    ])
    colours = {"yellow": _("Yellow"), "red": _("Red"), "green": _("Green"), "grey": _("Grey")}
    for t in rows.iterator(chunk_size=2000):
        ob = t.obstacle
        received = timezone.localtime(ob.received_at).replace(tzinfo=None)
        ws.append([
            ob.pk, colours.get(t.colour, t.colour), ob.enterprise.name, ob.title,
            ob.category.name, ob.get_channel_display(),
            t.department.name if t.department else "",
            str(getattr(t.owner, "profile", "") or t.owner or "") if t.owner else "",
            t.get_state_display(), received, t.deadline_on, t.escalation_level,
            t.transfer_count,
        ])
    return xlsx_response(wb, f"ledger-{today.isoformat()}.xlsx")


def kpi_xlsx_response(total, rows, start: date, end: date) -> FileResponse:
    wb = Workbook(write_only=True)
    ws = xlsx_sheet(wb, _("League table"), [
        (_("Department"), 26), (_("Received"), 10), (_("Resolved"), 10),
        (_("Completion rate %"), 14), (_("On-time rate %"), 14), (_("Satisfaction rate %"), 14),
        (_("Returns per task"), 14), (_("Median working days"), 14),
    ])
    for r in [*rows, total]:
        ws.append([
            r.department.name if r.department else _("All departments"), r.received,
            r.resolved, r.completion_rate, r.on_time_rate, r.satisfaction_rate,
            r.returns_per_task, r.median_days,
        ])
    return xlsx_response(wb, f"league-{start.isoformat()}-{end.isoformat()}.xlsx")
