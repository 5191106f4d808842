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
  shape and subset and keeps letters small; characters outside GB2312 (rare
  ones in firm names, 堃 or 喆) fall back to the full system Noto Sans CJK SC.
* **Memory.** A ``FontConfiguration`` per document grows a worker past 600 MB
  in a few hundred letters; one per process (``font_config()``) stays flat.
* **Safety.** Firm-supplied text is escaped by the templates, and whatever
  slips into the HTML cannot make WeasyPrint read a local file or the network:
  ``DeskURLFetcher`` answers only our static files and the two subset fonts,
  and refuses ``file:``, ``http(s):`` elsewhere, ``data:`` and everything else.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
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
FONT_FAMILIES = {1: "DeskSC", 2: "DeskSC2"}
SYSTEM_FAMILY = "Noto Sans CJK SC"
# (weight, tier): tier 1 is GB2312's symbols and level-1 hanzi, tier 2 its
# level-2 hanzi (see ``letters.fonts``)
FONT_FILES = {
    ("regular", 1): "NotoSansSC-GB2312-1-Regular.otf",
    ("bold", 1): "NotoSansSC-GB2312-1-Bold.otf",
    ("regular", 2): "NotoSansSC-GB2312-2-Regular.otf",
    ("bold", 2): "NotoSansSC-GB2312-2-Bold.otf",
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


FONT_STACK = f'"{FONT_FAMILIES[1]}", "{FONT_FAMILIES[2]}", "{SYSTEM_FAMILY}", sans-serif'


def font_config():
    """The process's one ``FontConfiguration``, made on first use (after a
    Celery prefork, so each child has its own)."""
    global _font_config
    if _font_config is None:
        with _lock:
            if _font_config is None:
                from weasyprint.text.fonts import FontConfiguration

                _font_config = FontConfiguration()
    return _font_config


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


def make_fetcher():
    """A WeasyPrint URL fetcher that reads only ``resolve()``'s files."""
    from weasyprint.urls import URLFetcherResponse

    class DeskURLFetcher(_fetcher_base()):
        def fetch(self, url, headers=None):
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
    rather than once per letter: parsing it, and loading its four
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


def render_pdf(html: str, *, house_style: bool = False) -> bytes:
    """HTML to PDF bytes with the process's fonts and the safe fetcher.
    ``house_style``: apply the shared, pre-parsed stylesheet (the document
    then carries only what is its own, if anything, in its ``<style>``)."""
    from weasyprint import HTML

    config = font_config()
    with _render_lock:
        stylesheets = [house_stylesheet()] if house_style else None
        return HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher()).write_pdf(
            stylesheets=stylesheets, font_config=config)


def harfbuzz_subsetting_available() -> bool:
    """True when WeasyPrint will subset fonts with HarfBuzz (the fast path)."""
    try:
        from weasyprint.text import ffi
    except OSError:  # Pango itself is missing
        return False
    return bool(ffi.harfbuzz_subset) and bool(ffi.harfbuzz.hb_version_atleast(4, 1, 0))
