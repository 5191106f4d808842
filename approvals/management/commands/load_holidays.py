"""Load the official holiday arrangement from the installed chinesecalendar."""

from django.core.management.base import BaseCommand

from approvals.holidays import load_holidays
from approvals.models import Holiday


class Command(BaseCommand):
    help = "Add the official holidays and make-up working days from chinesecalendar."

    def add_arguments(self, parser):
        parser.add_argument(
            "--overwrite", action="store_true",
            help="Also overwrite days already in the table (admin edits are lost).",
        )

    def handle(self, *args, overwrite=False, **options):
        written = load_holidays(Holiday, overwrite=overwrite)
        self.stdout.write(f"{written} calendar days written.")
