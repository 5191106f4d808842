"""Give the editor and moderator groups the Wagtail admin, their page permissions
on the home page tree, and a moderation workflow on the home page: an editor
submits, a moderator approves (GroupApprovalTask), then the page goes live.

Permissions are fetched with get_or_create because on a fresh database Django
creates them only after all migrations have run."""

from django.db import migrations

PAGE_PERMISSIONS = {
    "editor": ["add_page", "change_page"],
    "moderator": ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
}
# (app_label, model, codename, name) per group, outside the page tree
MODEL_PERMISSIONS = {
    "editor": [
        ("wagtailadmin", "admin", "access_admin", "Can access Wagtail admin"),
        ("wagtaildocs", "document", "add_document", "Can add document"),
        ("wagtaildocs", "document", "choose_document", "Can choose document"),
        ("cms", "topic", "view_topic", "Can view topic"),
        ("cms", "pagefeedback", "view_pagefeedback", "Can view page feedback"),
        ("cms", "pageviewcount", "view_pageviewcount", "Can view page views"),
    ],
    "moderator": [
        ("wagtailadmin", "admin", "access_admin", "Can access Wagtail admin"),
        ("wagtaildocs", "document", "add_document", "Can add document"),
        ("wagtaildocs", "document", "change_document", "Can change document"),
        ("wagtaildocs", "document", "choose_document", "Can choose document"),
        ("cms", "topic", "add_topic", "Can add topic"),
        ("cms", "topic", "change_topic", "Can change topic"),
        ("cms", "topic", "view_topic", "Can view topic"),
        ("cms", "pagefeedback", "view_pagefeedback", "Can view page feedback"),
        ("cms", "pageviewcount", "view_pageviewcount", "Can view page views"),
    ],
}
WORKFLOW_NAME = "编辑提交、审核发布"
TASK_NAME = "审核员审批"


def _permission(apps, app_label, model, codename, name):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name})
    return permission


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    HomePage = apps.get_model("cms", "HomePage")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")

    home = HomePage.objects.first()
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in PAGE_PERMISSIONS}
    for name, codenames in PAGE_PERMISSIONS.items():
        for codename in codenames:
            permission = _permission(apps, "wagtailcore", "page", codename, codename)
            if home is not None:
                GroupPagePermission.objects.get_or_create(
                    group=groups[name], page_id=home.pk, permission=permission)
    for name, perms in MODEL_PERMISSIONS.items():
        groups[name].permissions.add(*(_permission(apps, *p) for p in perms))

    if home is None or WorkflowPage.objects.filter(page_id=home.pk).exists():
        return
    task_type, _ = ContentType.objects.get_or_create(
        app_label="wagtailcore", model="groupapprovaltask")
    task = GroupApprovalTask.objects.create(name=TASK_NAME, content_type=task_type,
                                            active=True)
    task.groups.set([groups["moderator"]])
    workflow = Workflow.objects.create(name=WORKFLOW_NAME, active=True)
    WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.create(workflow=workflow, page_id=home.pk)


def backwards(apps, schema_editor):
    Workflow = apps.get_model("wagtailcore", "Workflow")
    Task = apps.get_model("wagtailcore", "Task")
    Workflow.objects.filter(name=WORKFLOW_NAME).delete()
    Task.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0003_guides_checklists"),
        ("approvals", "0002_roles"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtailcore", "0098_apitoken"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
