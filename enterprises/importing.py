"""Import enterprises from a CSV or XLSX file: preview first, then all or nothing.

Two steps, both reading the same stored file (so any web process can do the
second):

* ``preview(path)`` reads every row, cleans it and collects a reason for every
  bad cell. Nothing is written.
* ``commit(result)`` writes the rows of a clean preview in one transaction with
  ``bulk_create``; one bad row means nothing is written.

Own code on ``csv`` and ``openpyxl`` rather than django-import-export: a city's
registry is ~50,000 rows, which ``bulk_create`` writes in seconds where a
row-by-row resource is minutes, and the preview must list every bad row with the
part that is wrong (the credit-code validator names it) before anything is saved.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import Scale
from .models import Enterprise, Industry, Street
from .validators import validate_credit_code

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
EXTENSIONS = ("csv", "xlsx")
BATCH_SIZE = 1000
# an upload that was previewed but never confirmed is removed after this long
STALE_AFTER_SECONDS = 24 * 3600
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")

# field -> the headers it is known by (compared lower-cased, spaces removed)
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("name", "企业名称", "名称", "企业名"),
    "credit_code": ("credit_code", "统一社会信用代码", "信用代码", "社会信用代码"),
    "industry": ("industry", "行业", "行业门类", "所属行业"),
    "street": ("street", "街道", "街道/乡镇", "街道（乡镇）", "街道(乡镇)", "所属街道"),
    "scale": ("scale", "规模", "企业规模"),
    "legal_representative": ("legal_representative", "法定代表人", "法人代表", "法人"),
    "registered_address": ("registered_address", "注册地址", "住所"),
    "established_on": ("established_on", "成立日期", "成立时间"),
    "registered_capital": (
        "registered_capital", "注册资本", "注册资本（万元）", "注册资本(万元)", "注册资本万元",
    ),
}
REQUIRED = ("name", "credit_code", "industry")
_HEADER_TO_FIELD = {
    re.sub(r"\s+", "", alias).lower(): f for f, aliases in HEADERS.items() for alias in aliases
}

SCALES = {
    "large": Scale.LARGE, "大型": Scale.LARGE, "大": Scale.LARGE,
    "medium": Scale.MEDIUM, "中型": Scale.MEDIUM, "中": Scale.MEDIUM,
    "small": Scale.SMALL, "小型": Scale.SMALL, "小": Scale.SMALL,
    "micro": Scale.MICRO, "微型": Scale.MICRO, "微": Scale.MICRO,
}
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
_MAX_LENGTH = {
    f.name: f.max_length
    for f in Enterprise._meta.get_fields()
    if getattr(f, "max_length", None) and f.name in HEADERS
}


class ImportFileError(ValidationError):
    """The file as a whole cannot be read: wrong format, no header, a required
    column missing. Shown as a form error, never a 500."""


@dataclass(frozen=True)
class RowError:
    """One bad cell: the row as a spreadsheet numbers it (the header is row 1),
    the column as the file names it, and what is wrong."""

    row: int
    column: str
    reason: str


@dataclass
class ImportPreview:
    """What an import would do. ``rows`` holds the cleaned values of the good
    rows (for ``commit``); ``errors`` a reason for every bad cell."""

    total: int = 0
    errors: list[RowError] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok_count(self) -> int:
        return len(self.rows)

    @property
    def bad_count(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def is_clean(self) -> bool:
        return self.total > 0 and not self.errors


# ---------------------------------------------------------------- stored uploads


def upload_dir() -> Path:
    return Path(settings.PRIVATE_MEDIA_ROOT) / "imports"


def extension_of(filename: str) -> str:
    """``csv`` or ``xlsx`` from a file name; raises ``ImportFileError`` otherwise."""
    ext = Path(filename or "").suffix.lower().lstrip(".")
    if ext not in EXTENSIONS:
        raise ImportFileError(
            _("Upload a CSV or XLSX file (this one is %(name)s)."),
            code="format", params={"name": filename},
        )
    return ext


def store_upload(uploaded) -> Path:
    """Write an uploaded file to the shared private store under a random token
    (several web processes may serve the confirmation). Checks the size and the
    extension; the content is checked by ``preview``."""
    if uploaded.size > MAX_UPLOAD_BYTES:
        raise ImportFileError(
            _("The file is larger than %(limit)s MB."), code="size",
            params={"limit": MAX_UPLOAD_BYTES // (1024 * 1024)},
        )
    ext = extension_of(uploaded.name)
    directory = upload_dir()
    directory.mkdir(parents=True, exist_ok=True)
    purge_stale_uploads()
    path = directory / f"{secrets.token_urlsafe(24)}.{ext}"
    with path.open("xb") as out:
        for chunk in uploaded.chunks():
            out.write(chunk)
    return path


def stored_upload(token: str) -> Path | None:
    """The stored file of ``token``, or None (a token is never a path)."""
    if not _TOKEN_RE.match(token or ""):
        return None
    for ext in EXTENSIONS:
        path = upload_dir() / f"{token}.{ext}"
        if path.is_file():
            return path
    return None


def purge_stale_uploads(max_age: float = STALE_AFTER_SECONDS) -> None:
    """Remove previews nobody confirmed. Safe to run from several processes."""
    cutoff = time.time() - max_age
    for path in upload_dir().glob("*.*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except FileNotFoundError:
            continue


# ---------------------------------------------------------------- reading


def _read_xlsx(path: Path) -> Iterator[tuple]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    # what a damaged or foreign zip makes openpyxl raise, on opening or mid-sheet
    broken = (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError,
              SyntaxError, IndexError)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except broken as e:
        raise ImportFileError(_("This is not a readable XLSX file."), code="format") from e
    try:
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    except broken as e:
        raise ImportFileError(_("This is not a readable XLSX file."), code="format") from e
    finally:
        workbook.close()


def _decode(raw: bytes) -> str:
    if b"\x00" in raw[:4096]:
        raise ImportFileError(_("This is not a text CSV file."), code="format")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        _("The CSV file is neither UTF-8 nor GB18030 text."), code="encoding")


def _read_csv(path: Path) -> Iterator[list[str]]:
    text = _decode(path.read_bytes())
    # Excel writes commas (or tabs for "Unicode text"); pick what the header uses.
    # csv.Sniffer guesses wrong on Chinese text with commas inside quotes.
    header_line = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=header_line.count)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as e:
        raise ImportFileError(
            _("The CSV file is malformed: %(error)s"), code="format",
            params={"error": str(e)}) from e


def read_rows(path: Path) -> Iterator[tuple]:
    """The rows of a stored CSV or XLSX file, header first."""
    ext = extension_of(path.name)
    with path.open("rb") as f:
        magic = f.read(4)
    if ext == "xlsx":
        if magic != b"PK\x03\x04":
            raise ImportFileError(_("This is not a readable XLSX file."), code="format")
        return _read_xlsx(path)
    if magic.startswith(b"PK\x03\x04"):
        raise ImportFileError(
            _("This looks like a spreadsheet, not a CSV file: save it as .xlsx."),
            code="format")
    return _read_csv(path)


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _columns(header: tuple, preview: ImportPreview) -> dict[str, tuple[int, str]]:
    """field -> (index, header as written); raises on a missing or doubled column."""
    columns: dict[str, tuple[int, str]] = {}
    for i, raw in enumerate(header):
        if _is_blank(raw):
            continue
        label = str(raw).strip().lstrip("\ufeff")
        name = _HEADER_TO_FIELD.get(re.sub(r"\s+", "", label).lower())
        if name is None:
            preview.ignored_columns.append(label)
        elif name in columns:
            raise ImportFileError(
                _("The columns %(first)s and %(second)s both give %(field)s."),
                code="duplicate_column",
                params={"first": columns[name][1], "second": label, "field": name},
            )
        else:
            columns[name] = (i, label)
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        raise ImportFileError(
            _("The header row lacks the required columns: %(columns)s."),
            code="missing_column",
            params={"columns": ", ".join(f"{f} / {HEADERS[f][1]}" for f in missing)},
        )
    return columns


# ---------------------------------------------------------------- cleaning


class _Bad(Exception):
    def __init__(self, reason: str):
        self.reason = reason


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _date(value) -> date | None:
    if _is_blank(value):
        return None
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    else:
        text = _text(value)
        found = None
        for fmt in _DATE_FORMATS:
            try:
                found = datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
        if found is None:
            raise _Bad(_("%(value)s is not a date (write it as 2020-01-31).") % {"value": text})
    if found > timezone.localdate():
        raise _Bad(_("%(value)s is in the future.") % {"value": found.isoformat()})
    return found


def _capital(value) -> Decimal | None:
    if _is_blank(value):
        return None
    if isinstance(value, bool):
        raise _Bad(_("%(value)s is not a number.") % {"value": value})
    text = _text(value).replace(",", "").replace("，", "")
    for unit in ("万元", "万"):
        text = text.removesuffix(unit)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise _Bad(_("%(value)s is not a number.") % {"value": _text(value)}) from None
    if not amount.is_finite() or amount < 0:
        raise _Bad(_("%(value)s is not an amount of capital.") % {"value": _text(value)})
    amount = amount.quantize(Decimal("0.01"))
    if amount >= Decimal(10) ** 12:
        raise _Bad(_("%(value)s is too large (in 10,000 yuan).") % {"value": _text(value)})
    return amount


class _Lookups:
    """Reference tables read once per import, keyed by every way a file names them."""

    def __init__(self):
        self.industries: dict[str, str] = {}
        for code, zh, en in Industry.objects.values_list("code", "name_zh", "name_en"):
            for key in (code, zh, en, f"{code}{zh}", f"{code} {zh}"):
                self.industries[key.lower()] = code
        self.streets: dict[str, int] = {}
        for pk, code, name in Street.objects.values_list("pk", "code", "name"):
            self.streets[name] = pk
            self.streets[code] = pk

    def industry(self, value) -> str:
        text = _text(value)
        if not text:
            raise _Bad(_("The industry is missing."))
        code = self.industries.get(text.lower())
        if code is None:
            raise _Bad(
                _("%(value)s is not a GB/T 4754 section (a letter A-T or its name).")
                % {"value": text})
        return code

    def street(self, value) -> int | None:
        text = _text(value)
        if not text:
            return None
        pk = self.streets.get(text)
        if pk is None:
            raise _Bad(_("%(value)s is not a street of the district.") % {"value": text})
        return pk


def _scale(value) -> str:
    text = _text(value)
    if not text:
        return Scale.SMALL
    found = SCALES.get(text.lower())
    if found is None:
        raise _Bad(_("%(value)s is not a scale (large, medium, small or micro).")
                   % {"value": text})
    return found


def _clean_row(cells: tuple, columns, lookups: _Lookups) -> tuple[dict, list[tuple[str, str]]]:
    """Cleaned values and (field, reason) for every bad cell of one row."""
    values: dict = {}
    bad: list[tuple[str, str]] = []

    def cell(name):
        index = columns[name][0] if name in columns else None
        return cells[index] if index is not None and index < len(cells) else None

    cleaners = {
        "industry": lookups.industry,
        "street": lookups.street,
        "scale": _scale,
        "established_on": _date,
        "registered_capital": _capital,
    }
    for name in HEADERS:
        try:
            if name == "credit_code":
                raw = _text(cell(name))
                if not raw:
                    raise _Bad(_("The credit code is missing."))
                try:
                    values[name] = validate_credit_code(raw)
                except ValidationError as e:
                    raise _Bad(e.messages[0]) from None
            elif name in cleaners:
                values[name] = cleaners[name](cell(name))
            else:
                values[name] = _text(cell(name))
                if name == "name" and not values[name]:
                    raise _Bad(_("The name is missing."))
            limit = _MAX_LENGTH.get(name)
            if limit and isinstance(values[name], str) and len(values[name]) > limit:
                raise _Bad(_("Longer than %(limit)d characters.") % {"limit": limit})
        except _Bad as e:
            bad.append((name, e.reason))
    return values, bad


# ---------------------------------------------------------------- the two steps


def preview(path: Path) -> ImportPreview:
    """Read and check every row of a stored file; write nothing.

    Raises ``ImportFileError`` when the file as a whole is unusable.
    """
    result = ImportPreview()
    rows = read_rows(path)
    try:
        header = next(rows)
    except StopIteration:
        raise ImportFileError(_("The file is empty."), code="empty") from None
    columns = _columns(header, result)
    label = {name: text for name, (_i, text) in columns.items()}
    lookups = _Lookups()
    first_row: dict[str, int] = {}  # credit code -> the row it first appears on
    cleaned: dict[int, dict] = {}  # row -> values, for rows with no bad cell
    for number, cells in enumerate(rows, start=2):
        if all(_is_blank(c) for c in cells):
            continue
        result.total += 1
        values, bad = _clean_row(cells, columns, lookups)
        code = values.get("credit_code")
        if code in first_row:
            bad.append(("credit_code", _("The same credit code as row %(row)d.")
                        % {"row": first_row[code]}))
        elif code:
            first_row[code] = number
        for name, reason in bad:
            result.errors.append(RowError(number, label.get(name, name), reason))
        if not bad:
            cleaned[number] = values
    if result.total == 0:
        raise ImportFileError(_("The file has a header but no rows."), code="empty")

    # Codes already registered: one query per thousand codes, not one per row.
    codes = list(first_row)
    for i in range(0, len(codes), BATCH_SIZE):
        for code in Enterprise.objects.filter(
            credit_code__in=codes[i:i + BATCH_SIZE]
        ).values_list("credit_code", flat=True):
            number = first_row[code]
            result.errors.append(RowError(
                number, label["credit_code"],
                _("An enterprise with this credit code is already in the registry.")))
            cleaned.pop(number, None)
    result.rows = list(cleaned.values())
    result.errors.sort(key=lambda e: e.row)
    return result


class ImportNotClean(Exception):
    """``commit`` was given a preview with bad rows."""


def commit(result: ImportPreview) -> int:
    """Write every row of a clean preview in one transaction, or nothing.

    A credit code registered between preview and commit makes the unique
    constraint fail the whole transaction (``IntegrityError``): still nothing
    written.
    """
    if not result.is_clean:
        raise ImportNotClean
    objs = [
        Enterprise(
            name=v["name"], credit_code=v["credit_code"], industry_id=v["industry"],
            street_id=v["street"], scale=v["scale"],
            legal_representative=v["legal_representative"],
            registered_address=v["registered_address"], established_on=v["established_on"],
            registered_capital=v["registered_capital"],
        )
        for v in result.rows
    ]
    with transaction.atomic():
        Enterprise.objects.bulk_create(objs, batch_size=BATCH_SIZE)
    return len(objs)
