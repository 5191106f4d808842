"""The Simplified Chinese catalogue: complete, consistent, and actually served.

The .po file is read with a small parser (no polib).  The tests that need the
translations compile that .po into a temporary .mo of their own, so they check
what is committed, whether or not ``compilemessages`` has been run.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.test import override_settings
from django.utils import translation
from django.utils.translation import gettext, ngettext, pgettext

import pytest

from approvals.choices import Role
from tests.factories import UserFactory

PO_PATH = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# A new app may keep its own catalogue (<app>/locale/...); each is held to the
# same rules as the project's.
APP_PO_PATHS = sorted(Path(settings.BASE_DIR).glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))
ALL_PO_PATHS = [PO_PATH, *APP_PO_PATHS]

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')
# %(name)s, %(count)d ... and bare %s / %d; "%%" is a literal percent sign
_PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifeEgGxXoc%]")


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        ctxt = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"line {self.line}: {ctxt}{self.msgid!r}"

    @property
    def translations(self) -> list[str]:
        if self.msgid_plural is not None:
            return [self.msgstr_plural.get(0, "")]
        return [self.msgstr]


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file, header first; obsolete (#~) entries are left out."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int | None] | None = None
    seen_msgid = False

    def finish():
        if entry is not None and seen_msgid:
            entries.append(entry)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            entry, target, seen_msgid = None, None, False
            continue
        if line.startswith("#~"):
            continue
        if entry is None or (seen_msgid and line.startswith("#")) or (
                seen_msgid and line.startswith(("msgctxt", "msgid "))
                and target is not None and target[0].startswith("msgstr")):
            finish()
            entry, target, seen_msgid = Entry(line=number), None, False
        if line.startswith("#,"):
            entry.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
            continue
        if line.startswith("#"):
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, value = match.groups()
            value = _unquote(value)
            if keyword.startswith("msgstr["):
                target = ("msgstr_plural", int(index))
                entry.msgstr_plural[int(index)] = value
            else:
                target = (keyword, None)
                setattr(entry, keyword, value)
                seen_msgid = seen_msgid or keyword == "msgid"
            continue
        assert line.startswith('"') and target is not None, f"{path}:{number}: {raw!r}"
        name, index = target
        if name == "msgstr_plural":
            entry.msgstr_plural[index] += _unquote(line)
        else:
            setattr(entry, name, getattr(entry, name) + _unquote(line))
    finish()
    return entries


def compile_mo(entries: list[Entry], path: Path) -> None:
    """Write a GNU .mo file as msgfmt would: fuzzy and untranslated entries left out."""
    catalog: dict[bytes, bytes] = {}
    for e in entries:
        if "fuzzy" in e.flags and e.msgid:
            continue
        key = e.msgid
        if e.msgctxt is not None:
            key = f"{e.msgctxt}\x04{key}"
        if e.msgid_plural is not None:
            values = [e.msgstr_plural[i] for i in sorted(e.msgstr_plural)]
            if not any(values):
                continue
            catalog[f"{key}\x00{e.msgid_plural}".encode()] = "\x00".join(values).encode()
        elif e.msgstr:
            catalog[key.encode()] = e.msgstr.encode()
    keys = sorted(catalog)
    ids = strs = b""
    offsets = []
    for k in keys:
        offsets.append((len(ids), len(k), len(strs), len(catalog[k])))
        ids += k + b"\x00"
        strs += catalog[k] + b"\x00"
    key_start = 7 * 4 + 16 * len(keys)
    value_start = key_start + len(ids)
    key_table, value_table = [], []
    for id_off, id_len, str_off, str_len in offsets:
        key_table += [id_len, id_off + key_start]
        value_table += [str_len, str_off + value_start]
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4,
                         7 * 4 + len(keys) * 8, 0, 0)
    table = struct.pack(f"{len(key_table + value_table)}i", *key_table, *value_table)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + table + ids + strs)


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return parse_po(PO_PATH)


@pytest.fixture(scope="module", params=ALL_PO_PATHS,
                ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def any_entries(request) -> list[Entry]:
    return parse_po(request.param)


@pytest.fixture
def catalogue(entries, tmp_path):
    """The committed .po compiled into a temporary locale directory, served first."""
    compile_mo(entries, tmp_path / "zh_Hans" / "LC_MESSAGES" / "django.mo")
    with override_settings(LOCALE_PATHS=[tmp_path, *settings.LOCALE_PATHS]):
        yield


# (a) the catalogue is complete

def test_header_is_chinese_with_one_plural_form_and_not_fuzzy(any_entries):
    entries = any_entries
    header = entries[0]
    assert header.msgid == ""
    assert "fuzzy" not in header.flags
    assert "Plural-Forms: nplurals=1; plural=0;" in header.msgstr
    assert "Content-Type: text/plain; charset=UTF-8" in header.msgstr


def test_project_catalogue_is_substantial(entries):
    assert len(entries) > 100


def test_every_entry_is_translated_and_none_is_fuzzy(any_entries):
    entries = any_entries
    assert len(entries) > 1
    problems = []
    for e in entries[1:]:
        if "fuzzy" in e.flags:
            problems.append(f"fuzzy    {e.label}")
        if not all(t.strip() for t in e.translations):
            problems.append(f"empty    {e.label}")
    assert not problems, "untranslated entries in django.po:\n" + "\n".join(problems)


def test_placeholders_are_kept(any_entries):
    entries = any_entries

    def placeholders(text):
        return {p for p in _PLACEHOLDER.findall(text) if p != "%%"}

    problems = []
    for e in entries[1:]:
        if "python-format" not in e.flags:
            continue
        # one Chinese form stands for singular and plural alike
        expected = placeholders(e.msgid) | placeholders(e.msgid_plural or "")
        for t in e.translations:
            if t and placeholders(t) != expected:
                problems.append(f"{e.label}: {sorted(expected)} -> {sorted(placeholders(t))}")
    assert not problems, "placeholders changed:\n" + "\n".join(problems)


def test_no_duplicate_entries(any_entries):
    entries = any_entries
    seen, dupes = set(), []
    for e in entries:
        key = (e.msgctxt, e.msgid)
        if key in seen:
            dupes.append(e.label)
        seen.add(key)
    assert not dupes


def test_glossary_terms(entries):
    by_id = {(e.msgctxt, e.msgid): e.translations[0] for e in entries}
    assert by_id[(None, "Ledger")] == "台账"
    assert by_id[(None, "League table")] == "排行榜"
    assert by_id[(None, "Co-handling")] == "协办"
    assert by_id[(None, "Lead")] == "主办"
    assert by_id[(None, "Owner")] == "责任人"
    assert by_id[(None, "Returns")] == "退回次数"
    assert by_id[(None, "Ruling")] == "职责边界厘清"
    assert by_id[(None, "Coordinator")] == "营商办统筹"
    assert by_id[(None, "Service staff")] == "服务专员（店小二）"
    assert by_id[(None, "Visit (走访)")] == "走访"
    assert by_id[(None, "Escalated (督办)")] == "督办"
    assert by_id[(None, "Very satisfied (非常满意)")] == "非常满意"
    assert by_id[("ledger colour", "Yellow: new or on time")] == "黄色：新交办或按时办理中"
    assert by_id[("ledger colour", "Red: under supervision")] == "红色：督办中"
    assert by_id[("ledger colour", "Green: resolved")] == "绿色：已办结"
    assert by_id[(None, "10,000 yuan")] == "万元"


def test_parser_reads_multiline_plural_and_context_entries(tmp_path):
    po = tmp_path / "x.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
        '#, fuzzy, python-format\nmsgid ""\n"a \\"b\\" "\n"c"\nmsgstr "甲"\n\n'
        'msgctxt "k"\nmsgid "x"\nmsgstr ""\n\n'
        'msgid "%(n)s row"\nmsgid_plural "%(n)s rows"\nmsgstr[0] ""\n"%(n)s 行"\n\n'
        '#~ msgid "gone"\n#~ msgstr "旧"\n',
        encoding="utf-8")
    header, multi, ctxt, plural = parse_po(po)
    assert header.msgid == "" and "nplurals=1" in header.msgstr
    assert multi.msgid == 'a "b" c' and multi.flags == {"fuzzy", "python-format"}
    assert ctxt.msgctxt == "k" and ctxt.translations == [""]
    assert plural.msgid_plural == "%(n)s rows" and plural.translations == ["%(n)s 行"]


# (b) the catalogue is served

@pytest.mark.usefixtures("catalogue")
def test_known_strings_translate():
    with translation.override("zh-hans"):
        assert gettext("Ledger") == "台账"
        assert gettext("Three-colour ledger") == "三色台账"
        assert gettext("Save") == "保存"
        assert pgettext("ledger colour", "Red: under supervision") == "红色：督办中"
        assert ngettext("%(n)s enterprise", "%(n)s enterprises", 3) % {"n": 3} == "共 3 家企业"
        assert str(Role.COORDINATOR.label) == "营商办统筹"
    with translation.override("en"):
        assert gettext("Ledger") == "Ledger"


# (c) a page is served in the language the browser asks for

@pytest.mark.django_db
@pytest.mark.usefixtures("catalogue")
def test_ledger_page_follows_accept_language(client):
    client.force_login(UserFactory(username="c", role=Role.COORDINATOR))

    zh = client.get("/ledger/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert zh.status_code == 200
    page = zh.content.decode()
    assert "台账" in page
    assert "三色台账" in page and "红色：督办中" in page
    assert "Three-colour ledger" not in page

    en = client.get("/ledger/", HTTP_ACCEPT_LANGUAGE="en")
    assert en.status_code == 200
    page = en.content.decode()
    assert "ledger" in page
    assert "Three-colour ledger" in page
    assert "三色台账" not in page
