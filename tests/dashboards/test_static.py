"""The vendored Apache ECharts is the version its README names, with its
licence, and the page loads it from the desk's own static files."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from django.conf import settings

VENDOR = Path(settings.BASE_DIR) / "dashboards" / "static" / "dashboards" / "vendor"
TEMPLATES = Path(settings.BASE_DIR) / "dashboards" / "templates"


def test_echarts_is_the_pinned_version_with_its_licence():
    readme = (VENDOR / "README.md").read_text()
    version = re.search(r"Apache ECharts (\d+\.\d+\.\d+)", readme).group(1)
    checksum = re.search(r"sha256 ([0-9a-f]{64})", readme).group(1)
    js = (VENDOR / "echarts.min.js").read_bytes()
    assert hashlib.sha256(js).hexdigest() == checksum
    assert f'version:"{version}"'.encode() in js
    assert "Apache License" in (VENDOR / "LICENSE-echarts.txt").read_text()


def test_no_script_or_style_comes_from_another_host():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), template
