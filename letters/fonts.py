"""Build the subsets of Noto Sans CJK SC that letters embed (GB2312 in two
tiers, and the rest of the CJK Unified Ideographs).

Run once per machine (``make fonts``, or ``manage.py letter_fonts``); about
45 s and six files of 0.7-3.6 MB in ``LETTER_FONT_DIR`` (``var/fonts`` by default).
They are not committed: they derive from the installed ``fonts-noto-cjk``
package, whose licence (OFL) allows this, and would add 10 MB to every clone.
"""

from __future__ import annotations

from pathlib import Path

# Debian's fonts-noto-cjk: one collection per weight; face 2 is Simplified Chinese.
SOURCES = {
    "regular": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    "bold": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
}
SC_FACE_INDEX = 2
# Written into each font's name table (a font-specific name ID): files made
# before the glyphs were put in frequency order lack it and are rebuilt.
BUILD_NAME_ID = 25600
BUILD_TAG = "desk letters.fonts 3: glyphs in frequency order, horizontal features"
# The OpenType layout features kept: what HarfBuzz applies to horizontal text
# by default, less ``locl``. In the Simplified Chinese face ``locl`` maps
# hanzi to their Japanese, Korean and Traditional forms for text in those
# languages; our documents are zh-hans, so it changes nothing in them, but
# its alternates (and the vertical and width variants of ``*``) doubled the
# glyph count: 8,523 glyphs for the 4,600 characters of tier 1, 4,621
# without them. HarfBuzz's subsetting works through every glyph id of a
# font twice per letter, so the smaller font is cheaper to embed; letters
# come out byte for byte the same.
LAYOUT_FEATURES = ["ccmp", "rlig", "rvrn", "liga", "calt", "clig", "rclt", "curs", "kern",
                   "mark", "mkmk"]
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


def tier_characters(tier: int) -> set[str]:
    """Tier 1: GB2312's symbols and its 3,755 level-1 (common) hanzi, printable
    ASCII, Latin-1 and the punctuation official documents use. Tier 2: the
    3,008 level-2 hanzi. Tier 3: the other CJK Unified Ideographs
    (U+4E00-U+9FFF), rare characters of firm and person names.

    Three fonts rather than one because WeasyPrint embeds every glyph id up to
    the highest one a document uses (empty ones included) with their metrics:
    a letter carries only part of the glyph table of the fonts it touches
    (and ``glyph_priority`` keeps that part short), which keeps a typical
    letter under 120 KB."""
    if tier == 3:
        return {chr(c) for c in range(0x4E00, 0xA000)} - tier_characters(1) \
            - tier_characters(2)
    if tier == 2:
        return _gb2312_rows(0xD8, 0xF7)
    chars = {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0xA0, 0x100)}
    return chars | _gb2312_rows(0xA1, 0xD7) | set(EXTRA)


def character_frequency() -> dict[str, int]:
    """How often each character occurs in modern Chinese, summed over the
    words of jieba's dictionary (a pinned dependency, see requirements.txt)
    weighted by their counts."""
    import jieba

    counts: dict[str, int] = {}
    with open(Path(jieba.__file__).with_name("dict.txt"), encoding="utf-8") as f:
        for line in f:
            word, count = line.split(" ", 2)[:2]
            for ch in word:
                counts[ch] = counts.get(ch, 0) + int(count)
    return counts


def glyph_priority(chars: set[str], frequency: dict[str, int]) -> list[str]:
    """The order the glyphs of ``chars`` get in the font: ASCII, then the other
    symbols and punctuation (fullwidth ones included, every letter has them),
    then hanzi from the most to the least frequent.

    Why: WeasyPrint embeds a font with every glyph id up to the highest one a
    document uses (``HB_SUBSET_FLAGS_RETAIN_GIDS``, empty ones included, with
    their metrics). In the source order the fullwidth comma and colon sit at
    the very end of the font (glyph 8,140 of 8,523 when every layout feature
    was kept), so every letter embedded and subset the whole glyph table; in
    this order a typical letter stops near glyph 3,000, which makes
    HarfBuzz's subsetting and the file smaller."""
    def key(ch):
        if ord(ch) < 0x80:
            return (0, 0, ord(ch))
        if not 0x4E00 <= ord(ch) <= 0x9FFF:
            return (1, 0, ord(ch))
        return (2, -frequency.get(ch, 0), ord(ch))

    return sorted(chars, key=key)


def reorder_glyphs(font, first: list[str]) -> None:
    """Give the glyphs of the characters ``first`` the lowest glyph ids, in
    that order, after ``.notdef``; the other glyphs (layout alternates) follow
    in their old order. ``font``: a fully loaded CID-keyed CFF OpenType font
    (as the fontTools subsetter leaves it); the tables that refer to glyphs
    by name (cmap, hmtx, vmtx, VORG, GSUB, GPOS, GDEF) follow the new order
    when saved, the CFF's charset, charstrings and FDSelect are rewritten."""
    old = font.getGlyphOrder()
    cmap = font.getBestCmap()
    new, seen = [old[0]], {old[0]}
    for ch in first:
        name = cmap.get(ord(ch))
        if name is not None and name not in seen:
            new.append(name)
            seen.add(name)
    new.extend(name for name in old if name not in seen)
    for tag in font.keys():  # decompile every table under the old order
        if tag != "GlyphOrder":
            font[tag]
    top = font["CFF "].cff.topDictIndex[0]
    if hasattr(top, "FDSelect"):
        old_index = {name: i for i, name in enumerate(old)}
        fds = top.FDSelect.gidArray
        top.FDSelect.gidArray = [fds[old_index[name]] for name in new]
    top.charset = list(new)
    font.setGlyphOrder(new)


def is_current(path: Path) -> bool:
    """True when ``path`` is a subset font this version of ``build`` made."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        font = TTFont(str(path), lazy=True)
        return font["name"].getDebugName(BUILD_NAME_ID) == BUILD_TAG
    except (OSError, TTLibError, KeyError):
        return False


def build(target_dir: Path, *, force: bool = False) -> list[Path]:
    """Write the regular and bold subsets; skip files already there and made
    by this version (``is_current``)."""
    import logging

    from fontTools import subset

    # fontTools logs every glyph id at INFO: thousands of lines in make's output
    logging.getLogger("fontTools").setLevel(logging.WARNING)

    from .pdf import FONT_FILES

    target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    frequency = None
    for (weight, tier), name in FONT_FILES.items():
        source = SOURCES[weight]
        unicodes = sorted(ord(c) for c in tier_characters(tier))
        out = target_dir / name
        if out.exists() and not force and is_current(out):
            continue
        options = subset.Options()
        options.font_number = SC_FACE_INDEX
        options.layout_features = LAYOUT_FEATURES
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.hinting = False
        font = subset.load_font(str(source), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=unicodes)
        subsetter.subset(font)
        if frequency is None:
            frequency = character_frequency()
        reorder_glyphs(font, glyph_priority(tier_characters(tier), frequency))
        font["name"].setName(BUILD_TAG, BUILD_NAME_ID, 3, 1, 0x409)
        tmp = out.with_suffix(".tmp")
        subset.save_font(font, str(tmp), options)
        tmp.replace(out)  # atomic: a reader never sees half a font
        written.append(out)
    return written
