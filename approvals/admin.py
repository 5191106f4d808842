"""Django admin of the closed loop. Reference data (departments, categories,
the holiday calendar, profiles) is edited here; tasks are read-only: their
state changes only through the services, so the admin shows them and their
immutable events without letting anyone edit a state by hand."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from enterprises.models import mask_mobile

from .models import (
    ApprovalRequest,
    Attachment,
    Callback,
    Department,
    Holiday,
    Obstacle,
    ObstacleCategory,
    Profile,
    Task,
    TaskEvent,
)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "office_phone", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]


@admin.register(ObstacleCategory)
class ObstacleCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "default_department", "limit_normal_days",
                    "limit_urgent_days", "is_active"]
    list_filter = ["parent", "is_active"]
    list_select_related = ["parent", "default_department"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_working_day", "name"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class DeskUserAdmin(UserAdmin):
    inlines = [ProfileInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that change only through the services: the admin reads them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TaskEventInline(admin.TabularInline):
    model = TaskEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "from_state", "to_state", "actor", "comment"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ["pk", "obstacle", "role", "department", "owner", "state", "deadline_on",
                    "escalation_level"]
    list_filter = ["state", "role", "escalation_level", "department"]
    list_select_related = ["obstacle", "department", "owner"]
    inlines = [TaskEventInline]


@admin.register(Obstacle)
class ObstacleAdmin(ReadOnlyAdmin):
    list_display = ["pk", "title", "enterprise", "category", "channel", "received_at"]
    list_filter = ["channel", "urgency", "category"]
    list_select_related = ["enterprise", "category"]
    search_fields = ["title", "enterprise__name", "external_ref"]


@admin.register(TaskEvent)
class TaskEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "task", "action", "from_state", "to_state", "actor"]
    list_filter = ["action"]
    list_select_related = ["task", "actor"]


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "task", "status", "requested_by", "decided_by",
                    "requested_at", "decided_at"]
    list_filter = ["kind", "status"]


@admin.register(Callback)
class CallbackAdmin(ReadOnlyAdmin):
    list_display = ["task", "made_by", "is_reached", "rating", "is_by_firm", "made_at"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "obstacle", "content_type", "size", "uploaded_at"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    # the list masks the mobile (138****5678): a page of staff is not a
    # reason to read every number; the change form, opened for one person,
    # shows it in full to edit it
    list_display = ["user", "display_name", "masked_mobile", "department", "team"]
    list_select_related = ["user", "department", "team"]
    # the mobile is encrypted (audit.fields): it cannot be searched with LIKE
    search_fields = ["user__username", "display_name"]

    @admin.display(description=_("Mobile"))
    def masked_mobile(self, obj):
        return mask_mobile(obj.mobile) if obj.mobile else "—"
