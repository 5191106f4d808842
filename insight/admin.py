from django.contrib import admin

from .models import ChaseNotice, CloseOutSample, CommonIssue, SampleItem, SilentNudge


@admin.register(SilentNudge)
class SilentNudgeAdmin(admin.ModelAdmin):
    list_display = ["task", "rung", "recipient", "is_to_head", "created_at", "delivered_at"]
    list_filter = ["rung", "is_to_head"]
    raw_id_fields = ["task", "last_event", "recipient"]


class SampleItemInline(admin.TabularInline):
    model = SampleItem
    raw_id_fields = ["task", "called_by"]
    extra = 0


@admin.register(CloseOutSample)
class CloseOutSampleAdmin(admin.ModelAdmin):
    list_display = ["week_start_on", "population", "rate", "seed"]
    inlines = [SampleItemInline]


@admin.register(CommonIssue)
class CommonIssueAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "owner", "deadline_on", "is_closed"]
    raw_id_fields = ["obstacles"]


@admin.register(ChaseNotice)
class ChaseNoticeAdmin(admin.ModelAdmin):
    """Archived notices are immutable: the admin only reads them."""

    list_display = ["reference", "task", "department", "deadline_on", "issued_on"]
    list_filter = ["issued_on"]
    search_fields = ["reference"]
    raw_id_fields = ["task"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
