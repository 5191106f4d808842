"""The printed verification code scans: the letter's last page, rasterised
at a phone camera's resolution of paper (200 dpi), decodes (zxing-cpp) to the
letter's own verification URL, and that page names the letter."""

from __future__ import annotations

import shutil
import subprocess
from urllib.parse import urlsplit

import pytest

from letters import documents, services

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils"),
]


def _scan(pdf: bytes, tmp_path) -> list[str]:
    import zxingcpp
    from PIL import Image

    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(path), str(tmp_path / "page")],  # noqa: S603,S607
                   check=True)
    found = []
    for png in sorted(tmp_path.glob("page-*.png")):
        found += [code.text for code in zxingcpp.read_barcodes(Image.open(png))
                  if code.format == zxingcpp.BarcodeFormat.QRCode]
    return found


def test_the_printed_code_scans_to_the_letters_verification_page(firm_with_obstacles, client,
                                                                 tmp_path):
    letter = services.letter_create(enterprise=firm_with_obstacles)
    with letter.file.open("rb") as f:
        scanned = _scan(f.read(), tmp_path)
    expected = documents.verification_url(
        documents.verification_token(f"{letter.year}-{letter.number}"))
    assert scanned == [expected]
    page = client.get(urlsplit(scanned[0]).path)
    assert page.status_code == 200
    assert letter.reference in page.content.decode()
