"""``manage.py status_letter`` for operators and scripts."""

import shutil
import subprocess

from django.core.management import CommandError, call_command

import pytest

from letters.models import Letter

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_the_command_writes_the_archived_letter(firm_with_obstacles, tmp_path, capsys):
    out = tmp_path / "letter.pdf"
    call_command("status_letter", "--credit-code", firm_with_obstacles.credit_code,
                 "--output", str(out), "--scope", "open")
    letter = Letter.objects.get()
    assert letter.reference in capsys.readouterr().out
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True,  # noqa: S603,S607
                          check=True).stdout.decode()
    assert firm_with_obstacles.name in text


def test_an_unknown_code_or_nothing_to_report_is_an_error(firm_with_obstacles, tmp_path):
    with pytest.raises(CommandError):
        call_command("status_letter", "--credit-code", "000000000000000000",
                     "--output", str(tmp_path / "x.pdf"))
    call_command("status_letter", "--credit-code", firm_with_obstacles.credit_code,
                 "--output", str(tmp_path / "a.pdf"))
    with pytest.raises(CommandError):
        call_command("status_letter", "--credit-code", firm_with_obstacles.credit_code,
                     "--output", str(tmp_path / "b.pdf"), "--scope", "changed")
