"""Create one Group per desk role (approvals.choices.Role)."""

from django.db import migrations

ROLES = [
    "service_staff",
    "department_officer",
    "department_head",
    "coordinator",
    "leader",
    "firm_user",
    "editor",
    "moderator",
]


def create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
