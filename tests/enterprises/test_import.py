"""Enterprise import: every bad-row reason, all or nothing, CSV and XLSX, and the
views' permission matrix."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError
from django.urls import reverse
from django.utils import translation

import pytest
from openpyxl import Workbook

from enterprises import importing
from enterprises.models import Enterprise
from enterprises.validators import generate_credit_code
from tests.factories import EnterpriseFactory, StreetFactory

EN = ["name", "credit_code", "industry", "street", "scale", "legal_representative",
      "registered_address", "established_on", "registered_capital"]
ZH = ["企业名称", "统一社会信用代码", "行业", "街道", "规模", "法定代表人", "注册地址",
      "成立日期", "注册资本（万元）"]

# every test here touches the database; the mark also lets pytest-django order
# them before the transactional tests, whose flush would empty migration data
pytestmark = pytest.mark.django_db

_rng = random.Random(4754)


def code() -> str:
    return generate_credit_code(_rng)


def row(**overrides) -> list:
    values = {
        "name": "杭州恒润精密机械有限公司", "credit_code": code(), "industry": "C",
        "street": "北山街道", "scale": "small", "legal_representative": "王伟",
        "registered_address": "杭州市西湖区文一西路1号", "established_on": "2015-06-01",
        "registered_capital": "500",
    }
    values.update(overrides)
    return [values[k] for k in EN]


def write_csv(path, rows, header=EN, *, encoding="utf-8", bom=False):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def write_xlsx(path, rows, header=EN):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    workbook.save(path)
    return path


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def street(db):
    return StreetFactory(code="330106001", name="北山街道")


@pytest.fixture
def csv_file(tmp_path):
    def make(rows, header=EN, name="import.csv", **kwargs):
        return write_csv(tmp_path / name, rows, header, **kwargs)
    return make


# ---------------------------------------------------------------- the importer


def test_a_clean_csv_is_previewed_without_writing_then_committed_in_full(csv_file, street):
    path = csv_file([row(name=f"企业{i}") for i in range(5)])

    result = importing.preview(path)

    assert (result.total, result.ok_count, result.errors) == (5, 5, [])
    assert Enterprise.objects.count() == 0
    assert importing.commit(result) == 5
    saved = Enterprise.objects.get(name="企业0")
    assert saved.industry_id == "C"
    assert saved.street == street
    assert saved.scale == "small"
    assert saved.established_on == date(2015, 6, 1)
    assert saved.registered_capital == Decimal("500.00")


@pytest.mark.parametrize(("overrides", "column", "reason"), [
    ({"name": ""}, "name", "The name is missing."),
    ({"name": "名" * 201}, "name", "Longer than 200 characters."),
    ({"credit_code": ""}, "credit_code", "The credit code is missing."),
    ({"credit_code": "91330106MA2"}, "credit_code", "18 characters; this one has 11"),
    ({"credit_code": "91330106MA2GOOD1XO"}, "credit_code", "cannot contain O"),
    ({"credit_code": "Q1330106MA2CDE0000"}, "credit_code", "Character 1 (Q)"),
    ({"credit_code": "91990106MA2CDE0000"}, "credit_code", "Characters 3-8 (990106)"),
    ({"credit_code": "913301061234567890"}, "credit_code", "characters 9-17"),
    ({"industry": "Z"}, "industry", "Z is not a GB/T 4754 section"),
    ({"industry": ""}, "industry", "The industry is missing."),
    ({"street": "不存在街道"}, "street", "不存在街道 is not a street of the district."),
    ({"scale": "huge"}, "scale", "huge is not a scale"),
    ({"established_on": "31/01/2020"}, "established_on", "31/01/2020 is not a date"),
    ({"established_on": "2999-01-01"}, "established_on", "2999-01-01 is in the future."),
    ({"registered_capital": "五百"}, "registered_capital", "五百 is not a number."),
    ({"registered_capital": "-5"}, "registered_capital", "-5 is not an amount of capital."),
    ({"registered_capital": "1e15"}, "registered_capital", "too large"),
])
def test_every_bad_cell_is_reported_with_its_row_column_and_reason(
        csv_file, street, overrides, column, reason):
    path = csv_file([row(), row(**overrides)])

    result = importing.preview(path)

    assert result.ok_count == 1
    assert [(e.row, e.column) for e in result.errors] == [(3, column)]
    assert reason in result.errors[0].reason


def test_a_mistyped_check_character_names_the_expected_one(csv_file, street):
    good = code()
    wrong = good[:17] + ("0" if good[17] != "0" else "1")

    result = importing.preview(csv_file([row(credit_code=wrong)]))

    assert result.errors[0].reason == (
        f"The last character should be {good[17]}: the code was mistyped.")


def test_a_credit_code_twice_in_the_file_points_at_its_first_row(csv_file, street):
    twice = code()
    path = csv_file([row(credit_code=twice), row(), row(credit_code=twice.lower())])

    result = importing.preview(path)

    assert result.ok_count == 2
    assert result.errors == [importing.RowError(4, "credit_code",
                                                "The same credit code as row 2.")]


def test_a_credit_code_already_registered_is_a_bad_row(csv_file, street):
    existing = EnterpriseFactory()
    path = csv_file([row(), row(credit_code=existing.credit_code)])

    result = importing.preview(path)

    assert [(e.row, e.column) for e in result.errors] == [(3, "credit_code")]
    assert "already in the registry" in result.errors[0].reason


def test_a_row_bad_in_several_cells_lists_each_and_counts_once(csv_file, street):
    path = csv_file([row(name="", industry="??", established_on="soon")])

    result = importing.preview(path)

    assert {e.column for e in result.errors} == {"name", "industry", "established_on"}
    assert (result.bad_count, result.ok_count, result.is_clean) == (1, 0, False)


def test_one_bad_row_means_nothing_is_written(csv_file, street):
    result = importing.preview(csv_file([row() for _ in range(9)] + [row(industry="Z")]))

    with pytest.raises(importing.ImportNotClean):
        importing.commit(result)
    assert Enterprise.objects.count() == 0


def test_a_code_registered_between_preview_and_commit_rolls_back_everything(
        csv_file, street):
    late = code()
    result = importing.preview(csv_file([row(), row(credit_code=late), row()]))
    EnterpriseFactory(credit_code=late)

    with pytest.raises(IntegrityError):
        importing.commit(result)
    assert Enterprise.objects.count() == 1


def test_chinese_headers_and_chinese_values(csv_file, street):
    path = csv_file([["杭州甲公司", code(), "制造业", "330106001", "中型", "李强", "文三路1号",
                      "2020年1月2日", "1,000.5万元"]], header=ZH)

    result = importing.preview(path)
    importing.commit(result)

    saved = Enterprise.objects.get()
    assert (saved.industry_id, saved.street, saved.scale) == ("C", street, "medium")
    assert saved.established_on == date(2020, 1, 2)
    assert saved.registered_capital == Decimal("1000.50")
    assert result.errors == []


def test_errors_name_the_column_as_the_file_does(csv_file, street):
    result = importing.preview(csv_file([["", code(), "C"]], header=ZH[:3]))

    assert result.errors[0].column == "企业名称"


def test_utf8_with_bom_and_gb18030_are_both_read(csv_file, street):
    bom = importing.preview(csv_file([row(name="带BOM的企业")], header=ZH, bom=True))
    gbk = importing.preview(csv_file([row(name="国标编码企业")], header=ZH,
                                     encoding="gb18030", name="gbk.csv"))

    assert (bom.ok_count, bom.errors) == (1, [])
    assert (gbk.ok_count, gbk.errors) == (1, [])
    assert gbk.rows[0]["name"] == "国标编码企业"


def test_xlsx_with_date_and_number_cells(tmp_path, street):
    path = write_xlsx(tmp_path / "firms.xlsx", [
        ["杭州乙公司", code(), "I", "北山街道", "微型", "", "", datetime(2019, 3, 4), 88.5],
        [None] * 9,  # a blank row is skipped, not an error
        ["", code(), "I", None, None, None, None, date(2019, 3, 4), None],
    ], header=ZH)

    result = importing.preview(path)

    assert result.ok_count == 1
    assert [(e.row, e.column) for e in result.errors] == [(4, "企业名称")]
    assert result.rows[0]["established_on"] == date(2019, 3, 4)
    assert result.rows[0]["registered_capital"] == Decimal("88.50")
    assert result.rows[0]["scale"] == "micro"


def test_unknown_columns_are_listed_and_ignored(csv_file, street):
    result = importing.preview(csv_file([row() + ["x"]], header=[*EN, "备注"]))

    assert result.ignored_columns == ["备注"]
    assert result.ok_count == 1


@pytest.mark.parametrize(("name", "content", "message"), [
    ("a.csv", b"", "empty"),
    ("a.csv", b"name,credit_code,industry\n", "no rows"),
    ("a.csv", b"name,industry\nx,C\n", "credit_code / 统一社会信用代码"),
    ("a.csv", "name,企业名称,credit_code,industry\n".encode(), "both give name"),
    ("a.csv", b"\x00\x01\x02binary", "not a text CSV"),
    ("a.csv", b"PK\x03\x04zip", "spreadsheet, not a CSV"),
    ("a.xlsx", b"name,credit_code\n", "not a readable XLSX"),
    ("a.xlsx", b"PK\x03\x04broken zip", "not a readable XLSX"),
    ("a.xls", b"\xd0\xcf\x11\xe0", "Upload a CSV or XLSX"),
])
def test_an_unreadable_file_is_a_file_error(tmp_path, db, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(importing.ImportFileError) as e:
        importing.preview(path)
    assert message in e.value.messages[0]


def test_a_zip_that_is_not_a_workbook_is_a_file_error(tmp_path, db):
    path = tmp_path / "a.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")

    with pytest.raises(importing.ImportFileError):
        importing.preview(path)


# ---------------------------------------------------------------- the views

IMPORT_URL = reverse("enterprises:enterprise-import")
TOKEN = "A" * 32


def confirm_url(token=TOKEN):
    return reverse("enterprises:enterprise-import-confirm", args=[token])


def upload(client, path):
    # in English, so the reasons can be compared with the msgids
    with path.open("rb") as f:
        return client.post(IMPORT_URL, {"file": f}, headers={"accept-language": "en"})


@pytest.mark.parametrize(("who", "status"), [
    (None, 302), ("staff", 403), ("firm", 403), ("officer", 403), ("leader", 403),
    ("coordinator", 200),
])
def test_only_coordinators_reach_the_import_page(client, request, who, status):
    if who:
        client.force_login(request.getfixturevalue(who))

    response = client.get(IMPORT_URL)

    assert response.status_code == status
    if who is None:
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("who", "status"), [
    (None, 302), ("staff", 403), ("firm", 403), ("coordinator", 404),
])
def test_only_coordinators_may_confirm_and_a_bad_token_is_404(client, request, who, status):
    if who:
        client.force_login(request.getfixturevalue(who))

    response = client.post(confirm_url())

    assert response.status_code == status


def test_confirm_with_an_unknown_token_shape_is_404(client, coordinator):
    client.force_login(coordinator)

    assert client.post("/enterprises/import/%2e%2e/confirm/").status_code == 404
    assert client.post(confirm_url("short")).status_code == 404


def test_a_non_coordinator_cannot_upload(client, staff, csv_file, street):
    client.force_login(staff)

    assert upload(client, csv_file([row()])).status_code == 403
    assert Enterprise.objects.count() == 0


def test_upload_previews_and_confirm_imports_then_removes_the_file(
        client, coordinator, csv_file, street, settings):
    client.force_login(coordinator)

    response = upload(client, csv_file([row(), row(), row()]))

    assert response.status_code == 200
    assert response.context["preview"].ok_count == 3
    token = response.context["token"]
    stored = importing.stored_upload(token)
    assert stored is not None and stored.parent == settings.PRIVATE_MEDIA_ROOT / "imports"
    assert Enterprise.objects.count() == 0
    assert confirm_url(token).encode() in response.content

    response = client.post(confirm_url(token))

    assert response.status_code == 302
    assert response["Location"] == reverse("enterprises:enterprise-list")
    assert Enterprise.objects.count() == 3
    assert not stored.exists()
    assert client.post(confirm_url(token)).status_code == 404


def test_confirm_needs_a_post(client, coordinator):
    client.force_login(coordinator)

    assert client.get(confirm_url()).status_code == 405


def test_upload_with_bad_rows_lists_them_and_offers_no_confirmation(
        client, coordinator, csv_file, street, settings):
    client.force_login(coordinator)

    response = upload(client, csv_file([row(), row(industry="Z"), row(street="无名街道")]))

    assert response.status_code == 200
    assert response.context["token"] is None
    assert [(e.row, e.column) for e in response.context["preview"].errors] == [
        (3, "industry"), (4, "street")]
    assert "无名街道 is not a street of the district." in response.content.decode()
    assert b"/confirm/" not in response.content
    assert list((settings.PRIVATE_MEDIA_ROOT / "imports").iterdir()) == []


def test_xlsx_upload_is_previewed(client, coordinator, tmp_path, street):
    client.force_login(coordinator)
    path = write_xlsx(tmp_path / "firms.xlsx", [row(), row()], header=ZH)

    response = upload(client, path)

    assert response.context["preview"].ok_count == 2


def test_confirm_shows_the_preview_again_when_the_registry_changed(
        client, coordinator, csv_file, street):
    client.force_login(coordinator)
    late = code()
    token = upload(client, csv_file([row(), row(credit_code=late)])).context["token"]
    EnterpriseFactory(credit_code=late)

    response = client.post(confirm_url(token))

    assert response.status_code == 409
    assert [(e.row, e.column) for e in response.context["preview"].errors] == [
        (3, "credit_code")]
    assert Enterprise.objects.count() == 1
    assert importing.stored_upload(token) is None


@pytest.mark.parametrize(("name", "content"), [
    ("firms.csv", b"\x00\x01\x02\x03 not text"),
    ("firms.xlsx", b"PK\x03\x04 not a workbook"),
    ("firms.pdf", b"%PDF-1.7"),
    ("firms.csv", b"name,industry\nx,C\n"),
    ("firms.csv", b""),
])
def test_an_unparseable_file_is_a_form_error_not_a_500(
        client, coordinator, tmp_path, settings, name, content):
    client.force_login(coordinator)
    path = tmp_path / name
    path.write_bytes(content)

    response = upload(client, path)

    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    imports = settings.PRIVATE_MEDIA_ROOT / "imports"
    assert not imports.exists() or list(imports.iterdir()) == []


def test_a_file_over_the_limit_is_a_form_error(client, coordinator, csv_file, street,
                                              monkeypatch):
    client.force_login(coordinator)
    monkeypatch.setattr(importing, "MAX_UPLOAD_BYTES", 100)

    response = upload(client, csv_file([row(), row()]))

    assert response.status_code == 400
    assert "larger than" in response.context["form"].errors["file"][0]
