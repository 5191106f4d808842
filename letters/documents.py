"""HTML of the letters and bulletins, ready for ``letters.pdf.render_pdf``:
the verification token and QR code, the words a firm reads, the template
context. Rendering is kept apart from the services so the bench and the tests
can time the render alone."""

from __future__ import annotations

import io
from datetime import date
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

import segno

from approvals.choices import TaskState
from approvals.selectors_portal import PLAIN_STATUS

from . import pdf, selectors

VERIFY_SALT = "letters.verify"

# What happens next, in the firm's words, by the lead task's state.
NEXT_STEP = {
    TaskState.SUBMITTED: gettext_lazy("The office passes it to the responsible department"),
    TaskState.ASSIGNED: gettext_lazy("The department accepts it and starts work"),
    TaskState.IN_PROGRESS: gettext_lazy("The department resolves it by the deadline"),
    TaskState.RESOLVED: gettext_lazy("Please rate the result in the firm portal"),
    TaskState.CLOSING: gettext_lazy("Awaiting the close-out sign-off"),
    TaskState.CLOSED: gettext_lazy("Nothing more to do"),
    TaskState.REJECTED: gettext_lazy("Contact your liaison officer if you disagree"),
}


def verification_token(number_key: str) -> str:
    """A signed ``year-number`` (e.g. ``2026-17``): short enough for a small
    QR code, unforgeable without SECRET_KEY, and known before the PDF exists
    (the page then shows the SHA-256 of the archived file)."""
    return signing.Signer(salt=VERIFY_SALT).sign(number_key)


def verification_key(token: str) -> tuple[int, int]:
    """``(year, number)`` from a token; ``signing.BadSignature`` if tampered."""
    value = signing.Signer(salt=VERIFY_SALT).unsign(token)
    year, number = value.split("-", 1)
    return int(year), int(number)


def verification_url(token: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("letters:verify",
                                                                args=[token])


# QR mask pattern: segno tries all eight and scores each (the standard's
# penalty rules), 5.5 ms of a letter's 6.5 ms QR; any mask decodes, the
# choice only avoids patterns that may confuse a scanner, and a printed
# version-6 code at 24 mm is far from such trouble.
QR_MASK = 4


def qr_code(url: str):
    return segno.make(url, error="m", micro=False, mask=QR_MASK)


def qr_png(url: str) -> bytes:
    """The QR code of ``url`` as a PNG, one pixel per module with a two-module
    quiet zone; the stylesheet scales it to 24 mm with ``image-rendering:
    pixelated``. A 45-pixel image is one XObject for WeasyPrint to place, where
    the SVG's path of ~700 segments cost 7 ms to parse and draw per letter."""
    out = io.BytesIO()
    qr_code(url).save(out, kind="png", scale=1, border=2)
    return out.getvalue()


def qr_src(token: str) -> str:
    """The URL the letter's ``<img>`` asks the PDF fetcher for: the fetcher
    draws the code of ``verification_url(token)`` after checking the token's
    signature (``letters.pdf``)."""
    return f"{pdf.BASE_URL}{pdf.QR_PATH}{quote(token, safe=':')}.png"


def chinese_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _common(reference: str, issued_on: date) -> dict:
    return {
        "reference": reference,
        "issued_on": chinese_date(issued_on), "office": settings.DESK["OFFICE_NAME"],
        "office_address": settings.DESK["OFFICE_ADDRESS"],
        "office_phone": settings.DESK["OFFICE_PHONE"],
    }


def _summary(rows) -> dict:
    counts = {"total": len(rows), "handling": 0, "resolved": 0, "closed": 0, "rejected": 0,
              "waiting": 0}
    for r in rows:
        if r.state == TaskState.SUBMITTED:
            counts["waiting"] += 1
        elif r.state in (TaskState.ASSIGNED, TaskState.IN_PROGRESS):
            counts["handling"] += 1
        elif r.state in (TaskState.RESOLVED, TaskState.CLOSING):
            counts["resolved"] += 1
        elif r.state == TaskState.CLOSED:
            counts["closed"] += 1
        else:
            counts["rejected"] += 1
    return counts


_LOOKUP = object()


def letter_html(*, enterprise, rows, reference: str, token: str, issued_on: date,
                liaison=_LOOKUP) -> str:
    """The status letter's HTML (call inside ``translation.override``).
    ``liaison`` is looked up unless given (the bench renders without a DB)."""
    for r in rows:
        r.plain_status = PLAIN_STATUS.get(r.state, r.get_state_display())
        r.next_step = NEXT_STEP.get(r.state, "")
        r.deadline_text = chinese_date(r.deadline_on) if r.deadline_on else ""
    if liaison is _LOOKUP:
        liaison = selectors.current_liaison(enterprise)
    url = verification_url(token)
    return render_to_string("letters/letter_pdf.html", {
        **_common(reference, issued_on), "enterprise": enterprise, "rows": rows,
        "counts": _summary(rows), "liaison": liaison,
        "liaison_name": (liaison.staff.profile.display_name or liaison.staff.get_username())
        if liaison else "",
        "liaison_phone": (liaison.staff.profile.office_phone if liaison else "")
        or settings.DESK["OFFICE_PHONE"],
        "qr_src": qr_src(token), "verify_url": url,
    })


def bulletin_html(*, data: dict, reference: str, issued_on: date) -> str:
    start, end = (date.fromisoformat(d) for d in data["period"])
    prev_start, prev_end = (date.fromisoformat(d) for d in data["previous"])
    return render_to_string("letters/bulletin_pdf.html", {
        **_common(reference, issued_on), "data": data,
        "period": f"{chinese_date(start)}—{chinese_date(end)}",
        "previous": f"{chinese_date(prev_start)}—{chinese_date(prev_end)}",
    })


def render(html: str, language: str = "zh-hans") -> bytes:
    """A letter's or bulletin's PDF: their templates leave the house style to
    the pre-parsed stylesheet, in the document's language (its page footer)."""
    with translation.override(language):
        return pdf.render_pdf(html, house_style=True)
