from django.contrib import admin

from . import services
from .models import Contact, Enterprise, FirmMembership, Industry, Liaison, Licence, Street


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class LicenceInline(admin.TabularInline):
    model = Licence
    extra = 0


class LiaisonInline(admin.TabularInline):
    model = Liaison
    extra = 0
    autocomplete_fields = ["staff"]


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "industry", "street", "scale", "status"]
    list_filter = ["industry", "street", "scale", "status", "is_above_scale",
                   "is_key_project", "is_specialised"]
    search_fields = ["name", "credit_code"]
    list_select_related = ["industry", "street"]
    inlines = [ContactInline, LicenceInline, LiaisonInline]


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en"]


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["name", "code"]


@admin.register(Licence)
class LicenceAdmin(admin.ModelAdmin):
    list_display = ["name", "enterprise", "expires_on"]
    list_select_related = ["enterprise"]
    search_fields = ["name", "enterprise__name"]
    autocomplete_fields = ["enterprise"]


@admin.register(Liaison)
class LiaisonAdmin(admin.ModelAdmin):
    list_display = ["staff", "enterprise", "starts_on", "ends_on"]
    list_select_related = ["staff", "enterprise"]
    autocomplete_fields = ["staff", "enterprise"]


@admin.register(FirmMembership)
class FirmMembershipAdmin(admin.ModelAdmin):
    """Memberships carry django-guardian grants: saving and deleting here go
    through ``enterprises.services`` so the grants follow."""

    list_display = ["user", "enterprise", "is_admin", "created_at"]
    list_select_related = ["user", "enterprise"]
    autocomplete_fields = ["user", "enterprise"]

    def get_readonly_fields(self, request, obj=None):
        # moving a membership would strand its grants: end it and add a new one
        return ["user", "enterprise"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.membership_grants_sync(membership=obj)

    def delete_model(self, request, obj):
        services.membership_end(membership=obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user", "enterprise"):
            services.membership_end(membership=membership)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "enterprise", "position"]
    list_select_related = ["enterprise"]
    search_fields = ["name", "enterprise__name"]
    autocomplete_fields = ["enterprise"]
