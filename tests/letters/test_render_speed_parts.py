"""What makes a letter render fast without changing it: the trimmed user-agent
stylesheet, stream compression at zlib level 6, the frozen long-lived objects,
the QR code as a small image drawn by the fetcher, subset fonts whose
common glyphs come first, and font faces prepared once for HarfBuzz's
subsetter."""

from __future__ import annotations

import gc
import shutil
import subprocess
import zlib
from datetime import date

import pytest
from PIL import Image

from letters import documents, fonts, pdf, services

from .conftest import assert_renders_the_same_by_either_parser
from .test_letter_pdf import _pdf, pdf_text

needs_poppler = pytest.mark.skipif(shutil.which("pdfimages") is None,
                                   reason="needs poppler-utils")


# ------------------------------------------------------------ UA stylesheet


def test_the_ua_stylesheet_loses_the_pseudo_elements_documents_never_have():
    from weasyprint.html import UA

    text = pdf.desk_ua_css(UA)
    assert text is not None
    for gone in ("::footnote-call {", "::footnote-marker {", "::note-call {",
                 "::note-marker {", "::note-callback {"):
        assert gone in UA and gone not in text
    assert ":is(li, summary)::marker {" in text
    assert not any(line.startswith("::marker") for line in text.splitlines())
    # everything else is WeasyPrint's, line for line
    kept = [line for line in UA.splitlines() if not line.startswith("::")]
    assert [line for line in text.splitlines() if line and not line.startswith(
        (":is(li, summary)::marker",))] == [line for line in kept if line]


def test_another_weasyprint_ua_stylesheet_is_used_as_it_is():
    from weasyprint.html import UA

    assert pdf.desk_ua_css(UA.replace("::note-call {", "::note-call{")) is None


@needs_poppler
def test_list_items_keep_their_markers():
    out = pdf.render_pdf("<ul><li>甲项</li><li>乙项</li></ul><ol><li>丙项</li></ol>",
                         house_style=True)
    text = subprocess.run(["pdftotext", "-", "-"], input=out,  # noqa: S607
                          capture_output=True, check=True).stdout.decode()
    assert text.count("•") == 2 and "1." in text and "甲项" in text


# ------------------------------------------------------------- compression


def test_streams_are_deflated_at_level_six():
    import pydyf

    doc = pydyf.PDF()
    content = [b"BT /F1 12 Tf (hello) Tj ET"] * 200
    deflated = pydyf.Stream(list(content), compress=True)
    image = pydyf.Stream([b"\xff\xd8jpeg"], {"Filter": "/DCTDecode"}, compress=False)
    doc.add_object(deflated)
    doc.add_object(image)
    pdf.compress_streams(None, doc)
    assert deflated.extra["Filter"] == "/FlateDecode" and not deflated.compress
    (data,) = deflated.stream
    assert data == zlib.compress(b"\n".join(content), pdf.ZLIB_LEVEL)
    assert zlib.decompress(data) == b"\n".join(content)
    assert image.stream == [b"\xff\xd8jpeg"]  # left alone


def test_the_long_lived_objects_are_frozen_after_a_document():
    pdf.render_pdf("<p>x</p>")
    assert gc.get_freeze_count() > 0


# ------------------------------------------------------- font subsetting


def test_font_subsetting_parses_no_new_c_type_per_glyph_count():
    """WeasyPrint writes each array's length into the C type it asks cffi
    for; cffi parsed every new length with pycparser (3 ms each)."""
    from weasyprint.text.ffi import ffi

    pdf.render_pdf("<p>甲</p>")  # the process's font configuration and its view
    known = set(ffi._parsed_types)
    for text in ("乙丙", "丁戊己庚", "辛壬癸子丑寅卯辰巳午未申酉戌亥"):
        pdf.render_pdf(f"<p>{text}</p><p><b>{text}</b></p>")
    assert not {t for t in set(ffi._parsed_types) - known if "[" in t}


def test_unsized_arrays_hold_the_same_values_and_refuse_a_wrong_length():
    from weasyprint.text.ffi import ffi

    view = pdf.UnsizedArrays(ffi)
    array = view.new("hb_codepoint_t[3]", [5, 7, 9])
    assert ffi.typeof(array) is ffi.typeof("hb_codepoint_t[]") and list(array) == [5, 7, 9]
    with pytest.raises(IndexError):  # a length that does not match stays cffi's business
        view.new("hb_codepoint_t[2]", [5, 7, 9])
    assert view.NULL == ffi.NULL


def test_a_letter_is_the_same_with_and_without_the_unsized_view(monkeypatch):
    from weasyprint.pdf import fonts as wp_fonts

    html = "<p>营商服函〔2026〕0001号 杭州昇堃喆镕珺科技有限公司</p><p><b>特此告知。</b></p>"
    with_view = pdf.render_pdf(html)
    assert isinstance(wp_fonts.ffi, pdf.UnsizedArrays)
    monkeypatch.setattr(wp_fonts, "ffi", wp_fonts.ffi._ffi)
    assert pdf.render_pdf(html) == with_view


def test_faces_subset_again_are_prepared_once_and_give_the_same_pdf():
    """The second document that subsets a face prepares it
    (``hb_subset_preprocess``); later subsets start from the prepared face
    and write the same bytes."""
    from weasyprint.pdf import fonts as wp_fonts

    pdf.render_pdf("<p>甲</p>")  # the process's font configuration and its view
    view = wp_fonts.harfbuzz_subset
    assert isinstance(view, pdf.PreprocessedFaces)
    if view._preprocess is None:
        pytest.skip("this HarfBuzz has no hb_subset_preprocess")
    html = "<p>营商服函〔2026〕0042号 特此告知。</p><p><b>区营商环境建设办公室</b></p>"
    first = pdf.render_pdf(html)
    second = pdf.render_pdf(html)  # every face of the document seen twice now
    assert second == first
    prepared = {address for address, face in view._prepared.items() if face is not None}
    assert prepared and prepared <= set(view._seen)
    # the same document, subset from the faces as Pango gives them
    view.hb_subset_or_fail = view._lib.hb_subset_or_fail
    try:
        assert pdf.render_pdf(html) == first
    finally:
        del view.hb_subset_or_fail
    # faces are one per font file: more letters, more sizes, no more faces
    seen = len(view._seen)
    for size in (9, 11, 14, 20):
        pdf.render_pdf(f'<p style="font-size: {size}pt">营商服函 <b>特此告知</b></p>')
    assert len(view._seen) == seen


def test_a_face_seen_once_or_too_big_is_not_prepared():
    """A process that writes one letter does not pay for preparing, nor does
    a worker for the rare-character font."""
    from weasyprint.text.ffi import ffi

    calls = []

    class Library:
        def hb_face_reference(self, face):
            return face

        def hb_face_destroy(self, face):
            pass

        def hb_face_get_glyph_count(self, face):
            return 4000 if int(ffi.cast("uintptr_t", face)) == 0x1000 else 26000

        def hb_subset_preprocess(self, face):
            calls.append(face)
            return ffi.NULL

    view = pdf.PreprocessedFaces(lib=None)
    view._harfbuzz = Library()
    view._preprocess = view._harfbuzz.hb_subset_preprocess
    face = ffi.cast("hb_face_t *", 0x1000)
    assert view.remember(face) is face and not calls
    assert view.remember(face) is face and len(calls) == 1
    view.remember(face)  # HarfBuzz declined (NULL): not asked again
    assert len(calls) == 1 and view._prepared == {0x1000: None}
    big = ffi.cast("hb_face_t *", 0x3000)  # too many glyphs to keep prepared
    view.remember(big)
    view.remember(big)
    assert len(calls) == 1 and view._prepared[0x3000] is None


def test_without_hb_subset_preprocess_faces_pass_through():
    from weasyprint.text.ffi import ffi

    view = pdf.PreprocessedFaces(lib=None)
    view._preprocess = None
    face = ffi.cast("hb_face_t *", 0x2000)
    assert view.remember(face) is face and view.remember(face) is face
    assert not view._seen and not view._prepared


# ------------------------------------------------------------ XHTML parse


@pytest.mark.django_db
def test_the_letter_is_xhtml_and_renders_the_same_as_through_the_html5_parser(
        firm_with_obstacles, monkeypatch):
    from django.utils import translation

    from approvals.models import Task

    tasks = list(Task.objects.filter(obstacle__enterprise=firm_with_obstacles)
                 .select_related("obstacle__category", "department"))
    with translation.override("zh-hans"):
        html = documents.letter_html(
            enterprise=firm_with_obstacles, rows=tasks, reference="营商服函〔2026〕0001号",
            token=documents.verification_token("2026-1"), issued_on=date(2026, 11, 25))
    assert_renders_the_same_by_either_parser(html, monkeypatch)


def test_html_that_is_not_xml_goes_through_weasyprints_parser():
    for html in ("<html><body><p>甲&nbsp;乙<br></p></body></html>",
                 "<html><body><p>\x0b控制字符</p></body></html>",
                 "<p>no html root</p><p>second</p>",
                 '<!DOCTYPE html [<!ENTITY a "甲甲甲甲">]><html><body><p>&a;</p></body></html>',
                 '<html><head><base href="https://desk-pdf.invalid/static/"/></head>'
                 '<body><p>甲</p></body></html>'):
        assert pdf.parse_xhtml(html) is None
        assert pdf.render_pdf(html).startswith(b"%PDF")
    assert pdf.parse_xhtml("<html><body><p>甲</p></body></html>") is not None


# --------------------------------------------------------------------- QR


def test_the_fetcher_draws_the_qr_code_of_a_signed_token_only():
    token = documents.verification_token("2026-17")
    response = pdf.fetcher()(documents.qr_src(token))
    assert response.read().startswith(b"\x89PNG")
    assert pdf.qr_image(documents.qr_src(token)) == documents.qr_png(
        documents.verification_url(token))
    for forged in ("2026-17:forged", "2026-18:" + token.split(":", 1)[1], "x"):
        with pytest.raises(pdf.RefusedURL):
            pdf.fetcher()(documents.qr_src(forged))
    with pytest.raises(pdf.RefusedURL):
        pdf.qr_image(f"{pdf.BASE_URL}static/{pdf.QR_PATH}{token}.png")


def pdf_images(data: bytes, tmp_path) -> list[Image.Image]:
    path = tmp_path / "images.pdf"
    path.write_bytes(data)
    subprocess.run(["pdfimages", "-png", str(path), str(tmp_path / "img")],  # noqa: S603,S607
                   check=True)
    return [Image.open(p).convert("L") for p in sorted(tmp_path.glob("img-*.png"))]


def qr_modules(image: Image.Image) -> list[list[bool]]:
    """Dark modules of a one-pixel-per-module image."""
    width, height = image.size
    return [[image.getpixel((x, y)) < 128 for x in range(width)] for y in range(height)]


@needs_poppler
@pytest.mark.django_db
def test_the_letter_carries_its_verification_qr_code_and_no_other_image(
        firm_with_obstacles, tmp_path):
    letter = services.letter_create(enterprise=firm_with_obstacles)
    data = _pdf(letter)
    (image,) = pdf_images(data, tmp_path)
    token = documents.verification_token(f"{letter.issued_on.year}-{letter.number}")
    assert documents.verification_url(token) in pdf_text(data)
    expected = documents.qr_code(documents.verification_url(token))
    border = 2
    size = len(expected.matrix) + 2 * border
    assert image.size == (size, size)
    modules = qr_modules(image)
    assert [row[border:-border] for row in modules[border:-border]] == [
        [bool(m) for m in row] for row in expected.matrix]
    assert not any(modules[0]) and not any(modules[-1])  # quiet zone


# ------------------------------------------------------------------ fonts


def test_glyph_priority_puts_ascii_then_symbols_then_frequent_hanzi_first():
    order = fonts.glyph_priority({"的", "堃", "，", "A", "。", "1"}, {"的": 10, "堃": 1})
    assert order == ["1", "A", "。", "，", "的", "堃"]


def test_the_built_fonts_put_common_glyphs_first_and_keep_their_outlines():
    from fontTools.pens.recordingPen import RecordingPen
    from fontTools.ttLib import TTFont

    path = pdf.font_dir() / pdf.FONT_FILES[("regular", 1)]
    if not path.is_file():
        pytest.skip("subset fonts not built (make fonts)")
    assert fonts.is_current(path)
    built = TTFont(str(path), lazy=True)
    source = TTFont(str(fonts.SOURCES["regular"]), fontNumber=fonts.SC_FACE_INDEX, lazy=True)
    order = {name: i for i, name in enumerate(built.getGlyphOrder())}
    cmap, source_cmap = built.getBestCmap(), source.getBestCmap()
    gid = {ch: order[cmap[ord(ch)]] for ch in "A，：的办函齐"}
    assert gid["A"] < gid["，"] < gid["的"] < 1000
    assert max(gid.values()) < 4000  # in the source order '：' was glyph 8,140
    glyphs, source_glyphs = built.getGlyphSet(), source.getGlyphSet()
    for ch in "A，的办齐":
        drawn, expected = RecordingPen(), RecordingPen()
        glyphs[cmap[ord(ch)]].draw(drawn)
        source_glyphs[source_cmap[ord(ch)]].draw(expected)
        assert drawn.value == expected.value, ch
        assert built["hmtx"][cmap[ord(ch)]] == source["hmtx"][source_cmap[ord(ch)]]


def test_the_built_fonts_carry_no_other_language_or_vertical_alternates():
    """``locl`` (Japanese, Korean, Traditional forms) and the vertical and
    width variants doubled the glyph count; the features that shape
    horizontal Simplified Chinese stay."""
    from fontTools.ttLib import TTFont

    path = pdf.font_dir() / pdf.FONT_FILES[("regular", 1)]
    if not path.is_file():
        pytest.skip("subset fonts not built (make fonts)")
    built = TTFont(str(path), lazy=True)
    mapped = set(built.getBestCmap().values())
    assert len(built.getGlyphOrder()) < 1.05 * len(mapped)  # was 8,523 for 4,600
    features = {record.FeatureTag for tag in ("GSUB", "GPOS") if tag in built
                for record in built[tag].table.FeatureList.FeatureRecord}
    assert not features & {"locl", "vert", "vrt2", "fwid", "hwid", "pwid", "trad", "jp78"}
    assert features <= set(fonts.LAYOUT_FEATURES)


def test_fonts_without_the_build_tag_are_not_current(tmp_path):
    stale = tmp_path / "old.otf"
    stale.write_bytes(b"not a font")
    assert not fonts.is_current(stale)
    assert not fonts.is_current(tmp_path / "missing.otf")


def test_the_third_tier_holds_the_other_cjk_ideographs():
    tier1, tier2, tier3 = (fonts.tier_characters(t) for t in (1, 2, 3))
    assert "的" in tier1 and "堃" not in tier1 | tier2 and {"堃", "喆", "镕", "珺"} <= tier3
    assert not tier3 & (tier1 | tier2)
    assert all(0x4E00 <= ord(ch) <= 0x9FFF for ch in tier3)


def test_the_young_generation_threshold_is_raised_only_while_rendering(monkeypatch):
    seen = []
    real = pdf.compress_streams

    def spy(document, out):
        seen.append(gc.get_threshold()[0])
        real(document, out)

    monkeypatch.setattr(pdf, "compress_streams", spy)
    before = gc.get_threshold()
    pdf.render_pdf("<p>x</p>")
    assert seen == [pdf.RENDER_GC_THRESHOLD]
    assert gc.get_threshold() == before
