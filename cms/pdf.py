"""The one-page A4 checklist (打印一纸清) rendered by WeasyPrint, with a QR code
that leads back to the page online."""

from __future__ import annotations

from django.template.loader import render_to_string

import segno

from .models import ChecklistPage


def checklist_qr_svg(url: str) -> str:
    """An SVG data URI of a QR code for ``url`` (error correction M, no border
    beyond the quiet zone WeasyPrint needs)."""
    return segno.make(url, error="m", micro=False).svg_data_uri(scale=3, border=2)


def checklist_pdf(page: ChecklistPage, *, page_url: str) -> bytes:
    """The checklist as a one-page A4 PDF. Fonts: Noto Sans CJK SC (Debian
    fonts-noto-cjk), so the Chinese text is embedded and extractable."""
    from weasyprint import HTML  # heavy import, only when a PDF is asked for

    html = render_to_string("cms/checklist_pdf.html", {
        "page": page, "page_url": page_url, "qr": checklist_qr_svg(page_url),
    })
    return HTML(string=html, base_url=page_url).write_pdf()
