from django.contrib import admin

from approvals.admin import ReadOnlyAdmin

from .models import QuotaCredit, QuotaOverride, ServiceTeam, Visit, VisitAttachment, VisitChange


@admin.register(ServiceTeam)
class ServiceTeamAdmin(admin.ModelAdmin):
    list_display = ["name", "leader", "weekly_quota"]
    list_select_related = ["leader"]
    autocomplete_fields = ["leader"]


@admin.register(QuotaOverride)
class QuotaOverrideAdmin(admin.ModelAdmin):
    list_display = ["staff", "starts_on", "ends_on", "quota", "reason"]
    list_select_related = ["staff"]
    autocomplete_fields = ["staff"]


# Visits change through the desk (visits.services), which keeps quota credits
# and the correction log right; the admin only reads them.
@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["visited_at", "enterprise", "lead_visitor", "mode", "status"]
    list_filter = ["status", "mode", "week_start"]
    list_select_related = ["enterprise", "lead_visitor"]
    search_fields = ["enterprise__name"]


@admin.register(VisitChange)
class VisitChangeAdmin(ReadOnlyAdmin):
    list_display = ["visit", "actor", "changed_at", "reason"]


@admin.register(VisitAttachment)
class VisitAttachmentAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "visit", "size", "uploaded_at"]


@admin.register(QuotaCredit)
class QuotaCreditAdmin(ReadOnlyAdmin):
    list_display = ["week_start", "user", "enterprise", "visit"]
