"""The user admin with the security rules: no account holds two administrator
roles (三员), an account an administrator creates must change its password at
first login, and locked accounts can be unlocked (audited)."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from axes.utils import reset as axes_reset

from approvals.admin import DeskUserAdmin

from . import services
from .choices import AuditAction
from .models import UserSecurity
from .roles import check_admin_roles

User = get_user_model()


class AdminRolesFormMixin:
    def clean(self):
        data = super().clean()
        groups = data.get("groups")
        if groups is not None:
            try:
                check_admin_roles(g.name for g in groups)
            except ValidationError as e:
                self.add_error("groups", e)
        return data


class SecureUserChangeForm(AdminRolesFormMixin, DeskUserAdmin.form):
    pass


admin.site.unregister(User)


@admin.register(User)
class SecureUserAdmin(DeskUserAdmin):
    form = SecureUserChangeForm
    actions = ["unlock_accounts"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            # the administrator chose this password: the user replaces it first
            UserSecurity.objects.update_or_create(user=obj, defaults={
                "must_change_password": True})

    @admin.action(description=_("Unlock the selected accounts"))
    def unlock_accounts(self, request, queryset):
        for user in queryset:
            count = axes_reset(username=user.get_username())
            services.record(request, AuditAction.UNLOCK, user, attempts=count)
        messages.success(request, _("The selected accounts are unlocked."))
