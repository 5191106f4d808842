"""Backfill and repair the colour history (``approvals.colours.sweep``)."""

from django.core.management.base import BaseCommand

from approvals import colours


class Command(BaseCommand):
    help = ("Record the colour history of tasks that have none (the backfill after "
            "upgrading) and of tasks whose deadline passed; safe to run again.")

    def handle(self, *args, **options):
        opened = colours.sweep()
        self.stdout.write(f"colour spans opened: {opened}")
