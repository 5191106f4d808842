"""The audit log as XLSX, with the ledger's streaming sheet helpers."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from openpyxl import Workbook

from approvals.exports import xlsx_response, xlsx_sheet


def audit_xlsx_response(rows):
    wb = Workbook(write_only=True)
    ws = xlsx_sheet(wb, _("Audit log"), [
        (_("Number"), 10), (_("When"), 20), (_("User"), 16), (_("Address"), 16),
        (_("Action"), 18), (_("Object type"), 20), (_("Object id"), 10), (_("Object"), 30),
        (_("Result"), 10), (_("Detail"), 50), (_("Hash"), 66),
    ])
    for r in rows.iterator(chunk_size=2000):
        ws.append([
            r.pk, timezone.localtime(r.created_at).replace(tzinfo=None), r.actor_name,
            r.ip_address or "", r.action, r.object_type, r.object_id, r.object_repr,
            r.get_result_display(), str(r.detail) if r.detail else "", r.hash,
        ])
    return xlsx_response(wb, f"audit-{timezone.localdate().isoformat()}.xlsx")
