"""三员管理: the system, security and audit administrator groups. Their model
permissions are granted after each migrate (``audit.roles``), once every app's
permissions exist."""

from django.db import migrations

ROLES = ["system_administrator", "security_administrator", "audit_administrator"]


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
