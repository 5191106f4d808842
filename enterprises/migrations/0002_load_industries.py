"""Load the GB/T 4754-2017 sections from enterprises/data/gbt4754_sections.csv."""

import csv
from pathlib import Path

from django.db import migrations

CSV = Path(__file__).resolve().parent.parent / "data" / "gbt4754_sections.csv"


def load(apps, schema_editor):
    Industry = apps.get_model("enterprises", "Industry")
    with CSV.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            Industry.objects.update_or_create(
                code=row["code"],
                defaults={"name_zh": row["name_zh"], "name_en": row["name_en"]},
            )


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
