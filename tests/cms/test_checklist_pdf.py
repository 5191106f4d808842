"""打印一纸清: a one-page A4 PDF whose Chinese text can be extracted."""

import shutil
import subprocess

import pytest

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils"),
]

MATERIALS = [
    ("material", {"name": "建设工程消防验收备案表", "form": "original", "copies": 1,
                  "is_required": True, "condition": "", "notes": "", "sample": None}),
    ("material", {"name": "工程竣工验收报告", "form": "copy", "copies": 2,
                  "is_required": False, "condition": "设有自动消防设施的工程",
                  "notes": "加盖公章", "sample": None}),
]


def _text(pdf: bytes) -> str:
    # piped, not written to a file
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf,  # noqa: S607
                          capture_output=True, check=True).stdout.decode()


def test_the_checklist_prints_as_one_page_with_chinese_text(client, make_checklist):
    checklist = make_checklist("建设工程消防验收备案一纸清", materials=MATERIALS,
                               fee="不收费", promised_limit_days=3)
    response = client.get(checklist.get_pdf_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _text(response.content)
    assert "建设工程消防验收备案一纸清" in text
    assert "建设工程消防验收备案表" in text
    assert "设有自动消防设施的工程" in text
    assert "区住房和城乡建设局" in text
    assert text.count("\f") == 1  # one page


def test_drafts_do_not_print(client, make_checklist):
    draft = make_checklist("未发布的一纸清", live=False)
    assert client.get(f"/cms/checklists/{draft.pk}/print.pdf").status_code == 404


def test_the_page_links_to_the_pdf(client, make_checklist):
    checklist = make_checklist("企业开办一纸清", materials=MATERIALS)
    body = client.get(checklist.url).content.decode()
    assert checklist.get_pdf_url() in body
    assert "建设工程消防验收备案表" in body


def test_the_qr_code_and_footer_carry_the_page_address(client, make_checklist):
    checklist = make_checklist("企业开办一纸清", materials=MATERIALS)
    response = client.get(checklist.get_pdf_url())
    # the QR code encodes the same address the footer prints
    assert f"http://testserver{checklist.url}" in _text(response.content)
