"""Seed the holiday calendar from chinesecalendar (2004 to its last year)."""

from django.db import migrations


def seed(apps, schema_editor):
    from approvals.holidays import load_holidays

    load_holidays(apps.get_model("approvals", "Holiday"))


class Migration(migrations.Migration):
    dependencies = [("approvals", "0002_roles")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
