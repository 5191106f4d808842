"""Trigram indexes for the registry's "contains" search (PostgreSQL only).

The enterprise list searches names and credit codes with ``icontains``, which
Django writes as ``UPPER(col::text) LIKE UPPER('%…%')``: a B-tree cannot serve a
leading wildcard, so at 50,000 firms every search read the whole table. GIN
indexes with ``gin_trgm_ops`` on exactly those expressions let PostgreSQL find
the few matching rows. SQLite (the embedded default) keeps scanning; its
registries are small.
"""

from django.db import migrations

# (table, indexed expression, index name): the expressions exactly as Django
# writes icontains (UPPER(col::text)) and contains (col::text) on PostgreSQL.
INDEXES = [
    ("enterprises_enterprise", 'UPPER("name"::text)', "ent_name_trgm"),
    ("enterprises_enterprise", 'UPPER("credit_code"::text)', "ent_credit_code_trgm"),
    ("enterprises_contact", 'UPPER("name"::text)', "contact_name_trgm"),
    ("enterprises_contact", '"mobile"::text', "contact_mobile_trgm"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, expression, name in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (({expression}) gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, _expression, name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0004_grant_existing_members")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
