"""XLSX downloads of the dashboards (openpyxl, write-only).

* ``tables_xlsx``: every table of the overview (or one), a sheet each, with
  the page's Chinese headers, a frozen header row, column widths, dates as
  dates and numbers as numbers.
* ``ledger_rows_xlsx``: the ledger rows behind a figure, up to
  ``MAX_LEDGER_ROWS``. Rows come from the database cursor in chunks
  (``iterator(chunk_size=...)``, a server-side cursor on PostgreSQL) as plain
  tuples (no model instances), go straight into the sheet's compressed XML
  (``dashboards.xlsx.SheetWriter``, a row at a time into a temporary file) and
  the finished workbook is streamed from that file: memory stays flat whatever
  the number of rows.
"""

from __future__ import annotations

from datetime import date

from django.http import FileResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from openpyxl import Workbook

from approvals import selectors as ledger
from approvals.choices import Channel, Rating, TaskRole, TaskState
from approvals.exports import xlsx_response, xlsx_sheet

from .figures import Figure
from .xlsx import SheetWriter

MAX_LEDGER_ROWS = 100_000
CHUNK = 2000


def _sheet_title(title: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    for ch in "[]:*?/\\":
        title = title.replace(ch, " ")
    return title[:31]


def tables_xlsx(figures: list[Figure], filename: str) -> FileResponse:
    wb = Workbook(write_only=True)
    for fig in figures:
        ws = xlsx_sheet(wb, _sheet_title(fig.title), fig.table.columns)
        for row in [*fig.table.rows, *([fig.table.footer] if fig.table.footer else [])]:
            # lazy translations (choice labels) are written as the text they are now
            ws.append([str(c.value) if isinstance(c.value, Promise) else c.value for c in row])
    return xlsx_response(wb, filename)


LEDGER_FIELDS = (
    "obstacle_id", "colour", "obstacle__enterprise__name", "obstacle__enterprise__credit_code",
    "obstacle__title", "obstacle__category__name", "obstacle__channel", "role",
    "department__name", "owner__profile__display_name", "owner__username", "state",
    "obstacle__received_at", "deadline_on", "resolved_at", "rating", "escalation_level",
    "transfer_count",
)


def _local(moment):
    # Excel has no time zones: the desk's local time, as the pages show it
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def ledger_rows_xlsx(user, filters: ledger.LedgerFilters, today: date) -> FileResponse:
    """The ledger's rows for ``filters`` as the user may see them, newest first
    (or in the ledger's chosen order), at most ``MAX_LEDGER_ROWS``; a last line
    says so when more matched."""
    rows = ledger.ledger_page_rows(ledger.ledger_queryset(user, filters), filters, today)
    ws = SheetWriter(_sheet_title(_("Ledger")), [
        (_("Number"), 10), (_("Colour"), 10), (_("Enterprise"), 32),
        (_("Unified social credit code"), 22), (_("Title"), 40), (_("Category"), 16),
        (_("Channel"), 14), (_("Task"), 8), (_("Department"), 22), (_("Owner"), 14),
        (_("State"), 14), (_("Received"), 18), (_("Deadline"), 12), (_("Resolved"), 18),
        (_("Rating"), 14), (_("Escalation"), 10), (_("Returns"), 8),
    ])
    colours = {"yellow": _("Yellow"), "red": _("Red"), "green": _("Green"), "grey": _("Grey")}
    channels, states, ratings, roles = (
        {value: str(label) for value, label in choices.choices}
        for choices in (Channel, TaskState, Rating, TaskRole))
    written = 0
    for (number, colour, firm, code, title, category, channel, role, department, owner_name,
         owner_login, state, received, deadline, resolved, rating, escalation,
         returns) in rows.values_list(*LEDGER_FIELDS)[:MAX_LEDGER_ROWS + 1].iterator(
            chunk_size=CHUNK):
        if written == MAX_LEDGER_ROWS:
            ws.append([_("Only the first %(count)s rows are exported: narrow the filters "
                         "to get the rest.") % {"count": f"{MAX_LEDGER_ROWS:,}"}])
            break
        ws.append([
            number, colours.get(colour, colour), firm, code, title, category,
            channels.get(channel, channel), roles.get(role, role), department or "",
            owner_name or owner_login or "", states.get(state, state), _local(received),
            deadline, _local(resolved), ratings.get(rating, "") if rating else "",
            escalation, returns,
        ])
        written += 1
    return ws.response(f"ledger-{today.isoformat()}.xlsx")
