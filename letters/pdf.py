"""WeasyPrint for the desk's documents: one font configuration per process,
a URL fetcher that serves only our own files, and the Chinese fonts.

Why this module exists:

* **Speed.** WeasyPrint subsets every embedded font. With Debian's
  ``libharfbuzz-subset0`` that takes milliseconds; without it WeasyPrint falls
  back to fontTools in pure Python, about 8 s per letter with the 65,000-glyph
  Noto Sans CJK. ``letters.checks`` refuses to start without HarfBuzz
  subsetting. On top of that the letter's ``@font-face`` points at a GB2312
  subset of Noto Sans CJK SC (regular and bold, built once by
  ``manage.py letter_fonts`` into ``LETTER_FONT_DIR``), which is faster to
  shape and subset and keeps letters small. Characters outside GB2312 (rare
  ones in firm names, 堃 or 喆) come from a third subset, the rest of the CJK
  Unified Ideographs: with the full system Noto Sans CJK SC (65,535 glyphs,
  WeasyPrint embeds every glyph id up to the highest used) such a letter took
  35 ms and 80 KB more. Anything beyond (extension blocks) still falls back
  to the system font. A face that a worker subsets again is prepared once
  for HarfBuzz's subsetter (``PreprocessedFaces``).
* **Memory.** A ``FontConfiguration`` per document grows a worker past 600 MB
  in a few hundred letters; one per process (``font_config()``) stays flat.
* **Safety.** Firm-supplied text is escaped by the templates, and whatever
  slips into the HTML cannot make WeasyPrint read a local file or the network:
  ``DeskURLFetcher`` answers only our static files, the subset fonts and
  the QR codes of correctly signed verification tokens (``qr_image``),
  and refuses ``file:``, ``http(s):`` elsewhere, ``data:`` and everything else.
"""

from __future__ import annotations

import atexit
import gc
import logging
import mimetypes
import re
import threading
import zlib
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders

logger = logging.getLogger(__name__)
# WeasyPrint logs seven INFO lines per document: 140,000 lines for a batch
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

# Relative URLs in our templates resolve against this base; the host can never
# be reached on the network (RFC 2606 reserves .invalid), the fetcher maps it.
BASE_URL = "https://desk-pdf.invalid/"
FONT_FAMILIES = {1: "DeskSC", 2: "DeskSC2", 3: "DeskSC3"}
SYSTEM_FAMILY = "Noto Sans CJK SC"
# (weight, tier): tier 1 is GB2312's symbols and level-1 hanzi, tier 2 its
# level-2 hanzi, tier 3 the other CJK Unified Ideographs (U+4E00-U+9FFF, the
# rare characters of firm names: 昇堃喆镕珺); see ``letters.fonts``
FONT_FILES = {
    ("regular", 1): "NotoSansSC-GB2312-1-Regular.otf",
    ("bold", 1): "NotoSansSC-GB2312-1-Bold.otf",
    ("regular", 2): "NotoSansSC-GB2312-2-Regular.otf",
    ("bold", 2): "NotoSansSC-GB2312-2-Bold.otf",
    ("regular", 3): "NotoSansSC-CJK-3-Regular.otf",
    ("bold", 3): "NotoSansSC-CJK-3-Bold.otf",
}

_lock = threading.Lock()
_font_config = None
# One render at a time per process: the shared FontConfiguration (Pango,
# fontconfig, HarfBuzz underneath) is not thread-safe, and two threads
# rendering at once crashed the process (seen with gunicorn-style threads in
# the concurrent-numbering test). Processes, not threads, give letters speed.
_render_lock = threading.Lock()


def font_dir() -> Path:
    return Path(settings.LETTER_FONT_DIR)


def subset_fonts_present() -> bool:
    return all((font_dir() / name).is_file() for name in FONT_FILES.values())


def font_face_css() -> str:
    """``@font-face`` rules for the GB2312 subset, or nothing when it has not
    been built (the documents then use the full system font, slower but right).
    The family list in the stylesheets always ends with the system Noto, so a
    character missing from the subset is still drawn."""
    if not subset_fonts_present():
        return ""
    return "".join(
        f'@font-face {{ font-family: "{FONT_FAMILIES[tier]}"; '
        f'font-weight: {"bold" if weight == "bold" else "normal"}; '
        f'src: url("{BASE_URL}fonts/{name}"); }}\n'
        for (weight, tier), name in FONT_FILES.items()
    )


FONT_STACK = (f'"{FONT_FAMILIES[1]}", "{FONT_FAMILIES[2]}", "{FONT_FAMILIES[3]}", '
              f'"{SYSTEM_FAMILY}", sans-serif')


def font_config():
    """The process's one ``FontConfiguration``, made on first use (after a
    Celery prefork, so each child has its own)."""
    global _font_config
    if _font_config is None:
        with _lock:
            if _font_config is None:
                from weasyprint.text.fonts import FontConfiguration

                unsized_font_arrays()
                preprocessed_font_faces()
                _font_config = FontConfiguration()
                atexit.register(_drop_font_config)
    return _font_config


_SIZED_ARRAY = re.compile(r"(?P<type>[a-z_]+)\[(?P<size>[0-9]+)\]")


class UnsizedArrays:
    """WeasyPrint's cffi ``FFI`` as its font subsetter sees it, with one
    difference: ``new("hb_codepoint_t[312]", values)`` becomes
    ``new("hb_codepoint_t[]", values)``, the same array.

    Why: cffi caches parsed C types by their text, and the subsetter writes
    each array's length into the text, so nearly every font of every letter
    had cffi parse a new C declaration with pycparser, 3 ms each (27 in a
    run of 40 varied letters, and every one of them repeated in each new
    worker process). With an open length the type is parsed once."""

    def __init__(self, ffi):
        self._ffi = ffi

    def __getattr__(self, name):
        return getattr(self._ffi, name)

    def new(self, cdecl, init=None):
        match = _SIZED_ARRAY.fullmatch(cdecl)
        if match and init is not None and len(init) == int(match["size"]):
            cdecl = f"{match['type']}[]"
        return self._ffi.new(cdecl, init)


def unsized_font_arrays() -> None:
    """Give ``weasyprint.pdf.fonts`` the ``UnsizedArrays`` view of its FFI."""
    from weasyprint.pdf import fonts

    if not isinstance(fonts.ffi, UnsizedArrays):
        fonts.ffi = UnsizedArrays(fonts.ffi)


class PreprocessedFaces:
    """WeasyPrint's HarfBuzz subsetting library as its fonts see it, with one
    difference: a font face that a second document subsets again is first
    prepared once with ``hb_subset_preprocess``, and later subsets of it start
    from that prepared face. The output is the same, byte for byte.

    Why: HarfBuzz otherwise parses the font's tables afresh for every subset
    (the CFF charstrings of a 4,000-glyph font, on every letter). Prepared
    once per worker process (30-60 ms and 4-15 MB for a GB2312 subset), a
    letter's first subsetting pass runs about a third faster: 2 ms of a
    letter's 80 ms, measured side by side. A face seen only once (a process
    that writes one letter) is never prepared, nor one of more than
    ``MAX_GLYPHS`` glyphs: the 14,000-glyph rare-character font took 170 ms
    and 58 MB to prepare, for the few letters that use it. A HarfBuzz
    without the function leaves subsetting as WeasyPrint does it.

    Faces are known by their address, and a reference is held to each, so an
    address cannot be reused by another face while it is remembered. Only
    the faces WeasyPrint takes from Pango's fonts are remembered (one per
    font file, shared by every size), at most ``LIMIT``."""

    LIMIT = 32
    MAX_GLYPHS = 10_000

    def __init__(self, lib):
        from weasyprint.text.ffi import harfbuzz

        self._lib = lib
        self._harfbuzz = harfbuzz
        self._preprocess = _preprocess_function(lib)
        self._seen: dict[int, object] = {}  # address -> our reference to the face
        self._prepared: dict[int, object | None] = {}  # address -> prepared face

    def __getattr__(self, name):
        return getattr(self._lib, name)

    @staticmethod
    def _address(face) -> int:
        from weasyprint.text.ffi import ffi

        return int(ffi.cast("uintptr_t", face))

    def remember(self, face):
        """Note a face WeasyPrint took from a Pango font (``Font.__init__``);
        the second time, prepare it. Returns ``face``."""
        if self._preprocess is None:
            return face
        address = self._address(face)
        if address in self._prepared:
            return face
        from weasyprint.text.ffi import ffi

        hb = self._harfbuzz
        if address not in self._seen:
            if len(self._seen) < self.LIMIT:
                self._seen[address] = ffi.gc(hb.hb_face_reference(face), hb.hb_face_destroy)
            return face
        prepared = ffi.NULL
        if hb.hb_face_get_glyph_count(face) <= self.MAX_GLYPHS:
            prepared = self._preprocess(face)
        # too big, or HarfBuzz declined (NULL): None, subset as before and don't retry
        self._prepared[address] = ffi.gc(prepared, hb.hb_face_destroy) if prepared else None
        return face

    def hb_subset_or_fail(self, face, subset_input):
        prepared = self._prepared.get(self._address(face))
        return self._lib.hb_subset_or_fail(face if prepared is None else prepared, subset_input)


def _preprocess_function(lib):
    """``hb_subset_preprocess`` of WeasyPrint's subsetting library ``lib``, or
    ``None`` when this HarfBuzz has none. WeasyPrint's FFI does not declare
    it: the declaration is added to that FFI, so the faces need no
    conversion between two FFIs."""
    from weasyprint.text.ffi import ffi

    ffi.cdef("hb_face_t *hb_subset_preprocess (hb_face_t *source);", override=True)
    try:
        return lib.hb_subset_preprocess
    except AttributeError:
        return None


def preprocessed_font_faces() -> None:
    """Give ``weasyprint.pdf.fonts`` the ``PreprocessedFaces`` view of its
    subsetting library, told of every face its fonts take from Pango."""
    from weasyprint.pdf import fonts

    if fonts.harfbuzz_subset is None or isinstance(fonts.harfbuzz_subset, PreprocessedFaces):
        return
    view = PreprocessedFaces(fonts.harfbuzz_subset)
    take_face = fonts.get_pango_font_hb_face

    def get_pango_font_hb_face(pango_font):
        return view.remember(take_face(pango_font))

    fonts.harfbuzz_subset = view
    fonts.get_pango_font_hb_face = get_pango_font_hb_face


def _drop_font_config() -> None:
    """At exit, while modules are still whole: the configuration's ``__del__``
    removes the temporary folder of its @font-face files (run during the
    interpreter's teardown it failed, and the folder was left behind)."""
    global _font_config
    _font_config = None


def _fetcher_base():
    from weasyprint import URLFetcher

    return URLFetcher


class RefusedURL(ValueError):
    """WeasyPrint asked for something outside our own files."""


def resolve(url: str) -> Path:
    """The local file behind one of our URLs, or ``RefusedURL``. Pure, so the
    rules are tested without WeasyPrint."""
    parts = urlsplit(url)
    base = urlsplit(BASE_URL)
    if parts.scheme != base.scheme or parts.netloc != base.netloc or parts.query:
        raise RefusedURL(f"refused: {url[:80]}")
    path = PurePosixPath(unquote(parts.path))
    if ".." in path.parts:
        raise RefusedURL(f"refused: {url[:80]}")
    if len(path.parts) == 3 and path.parts[1] == "fonts" and path.name in FONT_FILES.values():
        return font_dir() / path.name
    static_prefix = PurePosixPath(urlsplit(settings.STATIC_URL).path)
    try:
        relative = path.relative_to(static_prefix)
    except ValueError:
        raise RefusedURL(f"refused: {url[:80]}") from None
    found = finders.find(str(relative))
    if not found:
        raise RefusedURL(f"no such static file: {relative}")
    return Path(found)


# A letter's verification QR code: ``{BASE_URL}qr/<signed token>.png``
QR_PATH = "qr/"


def qr_image(url: str) -> bytes:
    """The PNG behind a letter's QR URL (``letters.documents.qr_src``), or
    ``RefusedURL``: only for a correctly signed verification token, so text
    slipped into a document can have no other picture drawn."""
    from django.core import signing

    from . import documents

    parts = urlsplit(url)
    base = urlsplit(BASE_URL)
    path = unquote(parts.path)
    prefix = f"{base.path}{QR_PATH}"
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or parts.query \
            or not path.startswith(prefix) or not path.endswith(".png"):
        raise RefusedURL(f"refused: {url[:80]}")
    token = path[len(prefix):-len(".png")]
    try:
        documents.verification_key(token)
    except (signing.BadSignature, ValueError):
        raise RefusedURL(f"refused: {url[:80]}") from None
    return documents.qr_png(documents.verification_url(token))


def make_fetcher():
    """A WeasyPrint URL fetcher that reads only ``resolve()``'s files, and
    draws the QR codes of ``qr_image()``."""
    from weasyprint.urls import URLFetcherResponse

    qr_prefix = f"{BASE_URL}{QR_PATH}"

    class DeskURLFetcher(_fetcher_base()):
        def fetch(self, url, headers=None):
            if url.startswith(qr_prefix):
                return URLFetcherResponse(url, qr_image(url), {"Content-Type": "image/png"})
            path = resolve(url)
            mime, _enc = mimetypes.guess_type(path.name)
            return URLFetcherResponse(url, path.read_bytes(),
                                      {"Content-Type": mime or "application/octet-stream"})

    return DeskURLFetcher(allowed_protocols=("https",))


_fetcher = None


def fetcher():
    global _fetcher
    if _fetcher is None:
        _fetcher = make_fetcher()
    return _fetcher


def page_counter_css() -> str:
    """The CSS ``content`` value of the page footer, 第 1 页 共 2 页."""
    from django.utils.translation import gettext as _

    return _("Page %(page)s of %(pages)s") % {
        "page": '" counter(page) "', "pages": '" counter(pages) "'}


def house_style_context() -> dict:
    """What ``letters/includes/_pdf_style.html`` needs."""
    return {"font_face_css": font_face_css(), "font_stack": FONT_STACK,
            "page_counter": page_counter_css()}


_house_styles: dict[tuple, object] = {}


def house_stylesheet():
    """The documents' shared stylesheet (``_pdf_style.html``) as a WeasyPrint
    ``CSS``, parsed once per process and language (the footer is translated)
    rather than once per letter: parsing it, and loading its six
    ``@font-face`` fonts into the font configuration, was about a tenth of a
    letter's render. Call with the render lock held."""
    from django.template.loader import render_to_string
    from django.utils import translation

    from weasyprint import CSS

    key = (translation.get_language(), subset_fonts_present())
    css = _house_styles.get(key)
    if css is None:
        text = render_to_string("letters/includes/_pdf_style.html", house_style_context())
        css = _house_styles[key] = CSS(string=text, base_url=BASE_URL, url_fetcher=fetcher(),
                                       font_config=font_config())
    return css


# The user-agent stylesheet's rules for pseudo-elements our documents never
# have. WeasyPrint's ``html5_ua.css`` gives *every* element ``::marker``,
# ``::footnote-call``, ``::footnote-marker``, ``::note-call``,
# ``::note-marker`` and ``::note-callback`` styles, so the cascade computed seven
# styles per element (about 750 for a letter's 110 elements) and the box
# builder looked at all of them: about a tenth of a letter's render. Markers
# stay for list items (the insight report has lists); the documents use no
# CSS footnotes or notes (``float: footnote``), whose rules are dropped.
UA_EDITS = (
    ("::marker {", ":is(li, summary)::marker {"),
    ("::footnote-call {", None),
    ("::footnote-marker {", None),
    ("::note-call {", None),
    ("::note-marker {", None),
    ("::note-callback {", None),
)


def desk_ua_css(stock: str) -> str | None:
    """WeasyPrint's HTML user-agent stylesheet with ``UA_EDITS`` applied, or
    ``None`` when a rule is not found exactly once (another WeasyPrint: then
    the stock sheet is used, slower but right)."""
    lines = stock.splitlines()
    for start, replacement in UA_EDITS:
        found = [i for i, line in enumerate(lines) if line.startswith(start)]
        if len(found) != 1:
            logger.warning("letters.pdf: WeasyPrint's UA stylesheet has changed (%s); "
                           "using it as it is", start)
            return None
        (i,) = found
        if replacement is None:
            lines[i] = ""
        else:
            lines[i] = replacement + lines[i][len(start):]
    return "\n".join(lines)


_ua_stylesheet = None


def ua_stylesheet():
    """The trimmed UA stylesheet as a WeasyPrint ``CSS`` (parsed once per
    process), or WeasyPrint's own one when ``desk_ua_css`` declines."""
    global _ua_stylesheet
    if _ua_stylesheet is None:
        from weasyprint import CSS
        from weasyprint import html as wp_html
        from weasyprint.css.counters import CounterStyle

        text = desk_ua_css(wp_html.UA)
        # its @counter-style rules are already in WeasyPrint's UA_COUNTER_STYLE,
        # which documents still get (``HTML._ua_counter_style``): parse them
        # into a throw-away dictionary (into that one they would be refused)
        _ua_stylesheet = (wp_html.UA_STYLESHEET if text is None
                          else CSS(string=text, counter_style=CounterStyle()))
    return _ua_stylesheet


def parse_xhtml(html: str):
    """The ElementTree of ``html`` when it is well-formed XML, else ``None``.

    The letter and bulletin templates are written as XHTML (``<meta/>``,
    ``<img/>``, ``<br/>``) so that expat, in C, parses them in a tenth of a
    millisecond where WeasyPrint's HTML5 parser, in Python, took 3-5 ms of a
    letter's render. Firm-supplied text arrives escaped by the templates; a
    character XML refuses (a control character) or a named HTML entity sends
    the document down WeasyPrint's own parser. defusedxml refuses entity
    declarations (none of ours has any; firm text arrives escaped and cannot
    add one) and external references. A document with a ``<base>`` also
    takes WeasyPrint's parser, which resolves it."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        root = fromstring(html)
    except (ParseError, DefusedXmlException):
        return None
    if root.tag != "html" or root.find(".//base") is not None:
        return None
    return root


def _html_class():
    import cssselect2
    from weasyprint import HTML
    from weasyprint.html import UA_FORM_STYLESHEET

    class DeskHTML(HTML):
        """``HTML`` with the trimmed user-agent stylesheet, and the XHTML of
        our templates parsed by ``parse_xhtml``."""

        def __init__(self, *, string, base_url, url_fetcher, media_type="print"):
            root = parse_xhtml(string)
            if root is None:
                super().__init__(string=string, base_url=base_url, url_fetcher=url_fetcher,
                                 media_type=media_type)
                return
            # what ``HTML.__init__`` sets after parsing (``parse_xhtml`` refuses <base>)
            self.base_url = base_url
            self.url_fetcher = url_fetcher
            self.media_type = media_type
            self.wrapper_element = cssselect2.ElementWrapper.from_html_root(
                root, content_language=None)
            self.etree_element = self.wrapper_element.etree_element

        def _ua_stylesheets(self, forms=False):
            return [ua_stylesheet(), UA_FORM_STYLESHEET] if forms else [ua_stylesheet()]

    return DeskHTML


_desk_html = None

# zlib level of the PDF's streams (fonts, page contents, ToUnicode maps).
# pydyf compresses at level 9: half of a letter's compression time for 0.4 %
# of its size against level 6 (measured: 9.8 ms vs 4.0 ms, 99.1 vs 99.5 KB).
ZLIB_LEVEL = 6


def compress_streams(_document, pdf) -> None:
    """A WeasyPrint ``finisher``: deflate the streams pydyf would deflate, at
    ``ZLIB_LEVEL`` instead of its level 9. Streams that carry a filter of
    their own (images) are left to pydyf."""
    from pydyf import Stream, _to_bytes

    for obj in pdf.objects:
        if isinstance(obj, Stream) and obj.compress and "Filter" not in obj.extra:
            data = b"\n".join(_to_bytes(item) for item in obj.stream)
            obj.stream = [zlib.compress(data, ZLIB_LEVEL)]
            obj.extra["Filter"] = "/FlateDecode"
            obj.compress = False


_gc_frozen = False


def _freeze_long_lived_objects() -> None:
    """After a process's first document, move everything alive (Django,
    WeasyPrint, fonts, the parsed stylesheets: some 290,000 objects) out of the
    cyclic garbage collector's reach. Without this, every tenth letter or so
    paid a full collection over all of them, 160 ms: 20 ms a letter on
    average, a seventh of the render. Garbage made later is collected as
    before; what is frozen is what a worker keeps anyway."""
    global _gc_frozen
    if not _gc_frozen:
        _gc_frozen = True
        gc.collect()
        gc.freeze()


# The collector's first-generation threshold while a document renders (700
# by default): a letter allocates some 300,000 objects that live until the
# document is written, so the default ran ~14 young and ~1 middle collection
# per letter over objects that were all still alive. In an interleaved
# comparison this cut a letter's CPU by about 4 % (107.6 -> 103.0 ms median).
RENDER_GC_THRESHOLD = 20_000


def render_pdf(html: str, *, house_style: bool = False) -> bytes:
    """HTML to PDF bytes with the process's fonts and the safe fetcher.
    ``house_style``: apply the shared, pre-parsed stylesheet (the document
    then carries only what is its own, if anything, in its ``<style>``)."""
    global _desk_html
    config = font_config()
    with _render_lock:
        if _desk_html is None:
            _desk_html = _html_class()
        stylesheets = [house_stylesheet()] if house_style else None
        thresholds = gc.get_threshold()
        gc.set_threshold(RENDER_GC_THRESHOLD, *thresholds[1:])
        try:
            out = _desk_html(string=html, base_url=BASE_URL, url_fetcher=fetcher()).write_pdf(
                stylesheets=stylesheets, font_config=config, finisher=compress_streams)
        finally:
            gc.set_threshold(*thresholds)
        _freeze_long_lived_objects()
    return out


def harfbuzz_subsetting_available() -> bool:
    """True when WeasyPrint will subset fonts with HarfBuzz (the fast path)."""
    try:
        from weasyprint.text import ffi
    except OSError:  # Pango itself is missing
        return False
    return bool(ffi.harfbuzz_subset) and bool(ffi.harfbuzz.hb_version_atleast(4, 1, 0))
