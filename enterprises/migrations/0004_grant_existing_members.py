"""Give the members that existed before the portal their object permissions,
as ``enterprises.services.membership_add`` does for new ones."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MEMBER = ("view_portal", "submit_obstacle", "rate")
ADMIN = (*MEMBER, "manage_members")


def grant(apps, schema_editor):
    # the permissions themselves are normally made after migrate; make them now
    # (the migration state's app config is a stub without ``models_module``)
    config = apps.get_app_config("enterprises")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    FirmMembership = apps.get_model("enterprises", "FirmMembership")
    UserObjectPermission = apps.get_model("guardian", "UserObjectPermission")
    ct = ContentType.objects.get(app_label="enterprises", model="enterprise")
    perms = {p.codename: p for p in Permission.objects.filter(content_type=ct,
                                                             codename__in=ADMIN)}
    rows = [
        UserObjectPermission(permission=perms[codename], content_type=ct,
                             object_pk=str(m.enterprise_id), user_id=m.user_id)
        for m in FirmMembership.objects.all()
        for codename in (ADMIN if m.is_admin else MEMBER)
    ]
    UserObjectPermission.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("enterprises", "0003_portal_accounts"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
