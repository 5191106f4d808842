"""A process that rendered a PDF exits cleanly: its one font configuration
is dropped at exit, so WeasyPrint removes the temporary folder of its
@font-face files instead of failing in the interpreter's teardown."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

SCRIPT = """
import django
django.setup()
from letters import documents, pdf
documents.render("<html><body><p>营商环境 status</p></body></html>")
print(pdf.font_config()._folder)
"""


def test_a_process_that_rendered_a_pdf_exits_cleanly():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "servicedesk.settings", "TESTING": "1"}
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,  # noqa: S603
                          env=env, cwd=settings.BASE_DIR, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Exception ignored" not in done.stderr, done.stderr
    folder = done.stdout.strip().splitlines()[-1]
    assert folder and not Path(folder).exists()
