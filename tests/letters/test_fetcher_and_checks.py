"""The URL fetcher serves only our own files; the system checks keep the
HarfBuzz fast path and the subset fonts in place."""

from __future__ import annotations

import pytest

from letters import checks, pdf


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "http://example.com/x.png",
    "https://example.com/static/desk/desk.css",
    "data:image/svg+xml;base64,PHN2Zy8+",
    "ftp://desk-pdf.invalid/static/desk/desk.css",
    "https://desk-pdf.invalid/static/../../../etc/passwd",
    "https://desk-pdf.invalid/fonts/../../etc/passwd",
    "https://desk-pdf.invalid/etc/passwd",
    "https://desk-pdf.invalid/fonts/other.otf",
    "https://desk-pdf.invalid/static/no/such/file.css",
    "https://desk-pdf.invalid/qr/2026-1:forged.png",
])
def test_the_fetcher_refuses_everything_but_our_files(url):
    with pytest.raises(pdf.RefusedURL):
        pdf.resolve(url)
    with pytest.raises(pdf.RefusedURL):
        pdf.fetcher()(url)


def test_the_fetcher_serves_static_files_and_the_subset_fonts():
    assert pdf.resolve(f"{pdf.BASE_URL}static/desk/desk.css").name == "desk.css"
    name = pdf.FONT_FILES[("regular", 1)]
    assert pdf.resolve(f"{pdf.BASE_URL}fonts/{name}") == pdf.font_dir() / name


def test_an_image_pointing_at_a_local_file_is_not_embedded():
    out = pdf.render_pdf('<p>x</p><img src="file:///etc/passwd">'
                         '<img src="https://example.com/a.png">')
    assert out.startswith(b"%PDF") and b"/Subtype /Image" not in out
    assert b"root:x:" not in out


def test_one_font_configuration_per_process():
    assert pdf.font_config() is pdf.font_config()


def test_the_check_passes_with_harfbuzz_subsetting():
    assert pdf.harfbuzz_subsetting_available()
    assert checks.harfbuzz_subset_check(None) == []


def test_the_check_fails_without_harfbuzz_subsetting(monkeypatch):
    from weasyprint.text import ffi

    monkeypatch.setattr(ffi, "harfbuzz_subset", None)
    (error,) = checks.harfbuzz_subset_check(None)
    assert error.id == "letters.E001" and error.is_serious()


def test_the_font_check_warns_when_the_subset_is_missing(settings, tmp_path):
    settings.LETTER_FONT_DIR = tmp_path
    (warning,) = checks.subset_fonts_check(None)
    assert warning.id == "letters.W001"
    assert pdf.font_face_css() == ""
