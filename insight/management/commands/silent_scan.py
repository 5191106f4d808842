"""Run the silent-task ladder once (the beat runs it daily)."""

from django.core.management.base import BaseCommand

from insight import services


class Command(BaseCommand):
    help = "Flag silent tasks and write the ladder's reminders; safe to run again."

    def handle(self, *args, **options):
        for rung, n in services.silent_scan().items():
            self.stdout.write(f"{rung} working days: {n} new reminders")
