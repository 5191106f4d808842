"""Build the GB2312 subset fonts the letters embed (see ``letters.fonts``)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from letters import fonts


class Command(BaseCommand):
    help = "Build the GB2312 subset of Noto Sans CJK SC into LETTER_FONT_DIR."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="rebuild existing files")

    def handle(self, *args, force=False, **options):
        written = fonts.build(Path(settings.LETTER_FONT_DIR), force=force)
        for path in written:
            self.stdout.write(f"wrote {path} ({path.stat().st_size // 1024} KB)")
        if not written:
            self.stdout.write("subset fonts already present")
