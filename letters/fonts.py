"""Build the GB2312 subset of Noto Sans CJK SC that letters embed.

Run once per machine (``make fonts``, or ``manage.py letter_fonts``); about
30 s and four files of 1-2 MB in ``LETTER_FONT_DIR`` (``var/fonts`` by default).
They are not committed: they derive from the installed ``fonts-noto-cjk``
package, whose licence (OFL) allows this, and would add 6 MB to every clone.
"""

from __future__ import annotations

from pathlib import Path

# Debian's fonts-noto-cjk: one collection per weight; face 2 is Simplified Chinese.
SOURCES = {
    "regular": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    "bold": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
}
SC_FACE_INDEX = 2
EXTRA = "–—‘’“”…·•〔〕〈〉《》「」『』【】〇※№℃×÷±≤≥√○●□■△▲☆★→←↑↓"


def _gb2312_rows(first: int, last: int) -> set[str]:
    chars = set()
    for high in range(first, last + 1):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def gb2312_characters(tier: int) -> set[str]:
    """Tier 1: GB2312's symbols and its 3,755 level-1 (common) hanzi, printable
    ASCII, Latin-1 and the punctuation official documents use. Tier 2: the
    3,008 level-2 hanzi.

    Two fonts rather than one because WeasyPrint embeds every glyph id up to
    the highest one a document uses (empty ones included) with their metrics:
    a letter then carries about half the glyph table of a single 7,600-glyph
    font, which keeps a typical letter under 120 KB."""
    if tier == 2:
        return _gb2312_rows(0xD8, 0xF7)
    chars = {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0xA0, 0x100)}
    return chars | _gb2312_rows(0xA1, 0xD7) | set(EXTRA)


def build(target_dir: Path, *, force: bool = False) -> list[Path]:
    """Write the regular and bold subsets; skip files already there."""
    import logging

    from fontTools import subset

    # fontTools logs every glyph id at INFO: thousands of lines in make's output
    logging.getLogger("fontTools").setLevel(logging.WARNING)

    from .pdf import FONT_FILES

    target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for (weight, tier), name in FONT_FILES.items():
        source = SOURCES[weight]
        unicodes = sorted(ord(c) for c in gb2312_characters(tier))
        out = target_dir / name
        if out.exists() and not force:
            continue
        options = subset.Options()
        options.font_number = SC_FACE_INDEX
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.hinting = False
        font = subset.load_font(str(source), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=unicodes)
        subsetter.subset(font)
        tmp = out.with_suffix(".tmp")
        subset.save_font(font, str(tmp), options)
        tmp.replace(out)  # atomic: a reader never sees half a font
        written.append(out)
    return written
