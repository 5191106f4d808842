from django.contrib import admin

from .models import ServiceTeam


@admin.register(ServiceTeam)
class ServiceTeamAdmin(admin.ModelAdmin):
    list_display = ["name", "weekly_quota"]
