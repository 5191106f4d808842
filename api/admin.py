"""Admin of integrations: create one (its service account comes with it),
issue keys (shown once), revoke them, see and replay webhook deliveries."""

from django.contrib import admin, messages
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from . import services, webhooks
from .models import Integration, IntegrationKey, IntegrationObstacle, WebhookDelivery

# the library's own key model is not used: keys belong to integrations here
admin.site.unregister(APIKey)


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ["name", "channel", "is_active", "webhook_url", "created_at"]
    list_filter = ["channel", "is_active"]
    search_fields = ["name"]
    readonly_fields = ["user", "created_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_readonly_fields(self, request, obj=None):
        # the channel scopes every obstacle already taken in: fixed once created
        return [*self.readonly_fields, "channel"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.integration_create(name=obj.name, channel=obj.channel)
        Integration.objects.filter(pk=created.pk).update(
            webhook_url=obj.webhook_url, is_active=obj.is_active)
        obj.pk = created.pk
        obj.refresh_from_db()


@admin.register(IntegrationKey)
class IntegrationKeyAdmin(APIKeyModelAdmin):
    """The library's key admin: the key is shown once, in a message, on creation."""

    list_display = ["prefix", "name", "integration", "created", "expiry_date",
                    "_has_expired", "revoked"]
    list_filter = ["integration", "revoked"]
    list_select_related = ["integration"]


@admin.register(IntegrationObstacle)
class IntegrationObstacleAdmin(admin.ModelAdmin):
    list_display = ["obstacle", "integration", "key", "created_at"]
    list_filter = ["integration"]
    list_select_related = ["obstacle", "integration", "key"]
    readonly_fields = ["obstacle", "integration", "key", "address_string", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.action(description=gettext_lazy("Send again"))
def replay_deliveries(modeladmin, request, queryset):
    count = webhooks.deliveries_replay(queryset.values_list("pk", flat=True))
    modeladmin.message_user(
        request, _("%(count)d deliveries queued again.") % {"count": count}, messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: status, attempts, the last answer. Read-only; the
    "Send again" action replays the chosen deliveries."""

    list_display = ["pk", "integration", "event", "status", "attempts", "response_code",
                    "last_attempt_at", "delivered_at"]
    list_filter = ["status", "integration"]
    list_select_related = ["integration", "event"]
    actions = [replay_deliveries]
    readonly_fields = ["integration", "event", "url", "payload", "status", "attempts",
                       "response_code", "last_error", "created_at", "last_attempt_at",
                       "delivered_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
