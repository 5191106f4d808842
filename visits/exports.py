"""XLSX of the weekly visit report (openpyxl write-only)."""

from __future__ import annotations

from datetime import date

from django.http import FileResponse
from django.utils.translation import gettext as _

from openpyxl import Workbook

from approvals.exports import xlsx_response, xlsx_sheet

from .selectors import weekly_reports


def weekly_report_xlsx(weeks: list[date], team) -> FileResponse:
    wb = Workbook(write_only=True)
    ws = xlsx_sheet(wb, _("Weekly visits"), [
        (_("Week of"), 12), (_("Team"), 16), (_("Staff member"), 18), (_("Visits"), 8),
        (_("Distinct firms"), 10), (_("Quota"), 8), (_("Quota met"), 10),
        (_("Obstacles raised"), 10),
    ])
    for week, rows in weekly_reports(weeks, team=team):
        for r in rows:
            ws.append([week, r.team, r.name, r.visits, r.firms, r.quota,
                       _("Yes") if r.is_met else _("No"), r.obstacles])
    return xlsx_response(wb, f"visits-{weeks[0].isoformat()}.xlsx")
