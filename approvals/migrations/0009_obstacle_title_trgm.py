"""A trigram index on the obstacle title as the ledger searches it (PostgreSQL only).

The ledger's search is ``title icontains q OR enterprise name icontains q``,
newest first. Without an index on ``UPPER(title)`` PostgreSQL had no statistics
for that expression and guessed that a two-character search such as 用电
matches 0.04 % of obstacles, so it joined and sorted every match instead of
walking the newest tasks until it had a page: 1.2 s (three processes busy) on
500,000 obstacles where 44,000 match. With the index, ANALYZE keeps statistics
on the expression, the estimate follows the data (the page takes about 3 ms),
and searches of three characters or more can use the index itself. ANALYZE
runs here so the statistics exist from the start.
"""

from django.db import migrations

INDEX = "obstacle_title_trgm"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON approvals_obstacle "
        'USING gin ((UPPER("title"::text)) gin_trgm_ops)')
    schema_editor.execute("ANALYZE approvals_obstacle")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0008_colourspan_red_index"),
        ("enterprises", "0005_trigram_search"),
    ]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
