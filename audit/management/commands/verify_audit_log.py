"""``manage.py verify_audit_log``: recompute the audit log's hash chain."""

from django.core.management.base import BaseCommand, CommandError

from audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain and report the first broken link."

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            what = ("does not link to the record before it" if report.reason == "link"
                    else "was changed after it was written")
            raise CommandError(
                f"Audit log broken at record {report.broken_id}: it {what} "
                f"({report.checked} records before it verified).")
        self.stdout.write(self.style.SUCCESS(
            f"Audit log intact: {report.checked} records verified."))
