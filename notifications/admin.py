"""Admins see every job run (job, start, end, items, errors) and the delivery
log; both are written only by the jobs, so the admin reads them."""

from django.contrib import admin

from approvals.admin import ReadOnlyAdmin

from .models import Delivery, JobRun, Notification, NotificationPreference


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["job", "started_at", "finished_at", "items", "errors", "error_text"]
    list_filter = ["job"]
    date_hierarchy = "started_at"
    readonly_fields = ["job", "started_at", "finished_at", "items", "errors", "error_text",
                       "result"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["kind", "object_id", "level", "occasion_on", "recipient", "email_state",
                    "email_attempts", "sms_state", "created_at"]
    list_filter = ["kind", "email_state", "sms_state"]
    list_select_related = ["recipient"]
    search_fields = ["recipient__username", "email_error", "sms_error"]
    raw_id_fields = ["recipient", "job_run"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["kind", "recipient", "created_at", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient", "delivery"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "in_app", "email", "sms", "language"]
    raw_id_fields = ["user"]
