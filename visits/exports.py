"""XLSX of the weekly visit report (openpyxl write-only)."""

from __future__ import annotations

import tempfile
from datetime import date

from django.http import FileResponse
from django.utils.translation import gettext as _

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from .selectors import weekly_report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def weekly_report_xlsx(weeks: list[date], team) -> FileResponse:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Weekly visits"))
    widths = [12, 16, 18, 8, 10, 8, 10, 10]
    for i, w in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = w
    ws.freeze_panes = "A2"
    headers = [_("Week of"), _("Team"), _("Staff member"), _("Visits"), _("Distinct firms"),
               _("Quota"), _("Quota met"), _("Obstacles raised")]
    bold = Font(bold=True)
    row = []
    for h in headers:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = bold
        row.append(cell)
    ws.append(row)
    for week in weeks:
        for r in weekly_report(week, team=team):
            name = getattr(getattr(r.user, "profile", None), "display_name", "") or r.user.username
            ws.append([week, r.team, name, r.visits, r.firms, r.quota,
                       _("Yes") if r.is_met else _("No"), r.obstacles])
    handle = tempfile.TemporaryFile()
    wb.save(handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, content_type=XLSX,
                        filename=f"visits-{weeks[0].isoformat()}.xlsx")
