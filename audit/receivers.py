"""Signal receivers that write the audit log and guard the administrator roles.

Logins, failures, logouts and lockouts come from ``django.contrib.auth`` and
django-axes; password changes, account creation and (de)activation from the
user's ``save``; grants from ``m2m_changed``; every Django admin change from
its ``LogEntry``; 2FA device changes from django-otp's models.
"""

from __future__ import annotations

from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from axes.signals import user_locked_out
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from approvals.models import Profile
from enterprises.models import Contact, Enterprise

from . import services
from .choices import AuditAction, AuditResult
from .fields import blind_index
from .models import UserSecurity
from .roles import check_admin_roles
from .session import start_session

User = get_user_model()


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender, request, user, **kwargs):
    detail = {"superuser": True} if user.is_superuser else {}
    services.record(request, AuditAction.LOGIN, user, actor=user, **detail)
    if request is not None and hasattr(request, "session"):
        start_session(request, user)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    typed = str(credentials.get("username", ""))[:150]
    services.record(request, AuditAction.LOGIN_FAILED, typed, AuditResult.FAILURE)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        reason = getattr(request, "_audit_logout_reason", "") if request else ""
        detail = {"reason": reason} if reason else {}
        services.record(request, AuditAction.LOGOUT, user, actor=user, **detail)


@receiver(user_locked_out, dispatch_uid="audit_lockout")
def _locked_out(sender, request, username, ip_address, **kwargs):
    services.record(request, AuditAction.LOCKOUT, str(username or "")[:150],
                    AuditResult.DENIED, address=ip_address)


@receiver(pre_save, sender=User, dispatch_uid="audit_user_pre_save")
def _remember_active(sender, instance, update_fields=None, **kwargs):
    if instance.pk and (update_fields is None or "is_active" in update_fields):
        instance._audit_was_active = (
            User.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first())


@receiver(post_save, sender=User, dispatch_uid="audit_user_post_save")
def _user_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        services.record(None, AuditAction.USER_CREATE, instance)
    else:
        was = getattr(instance, "_audit_was_active", None)
        if was is not None and was != instance.is_active:
            services.record(None, AuditAction.USER_ACTIVATE if instance.is_active
                            else AuditAction.USER_DEACTIVATE, instance)
    # AbstractBaseUser.save() keeps the new raw password in _password until
    # after the signals: its presence means the password was just set
    if getattr(instance, "_password", None) is not None:
        UserSecurity.objects.update_or_create(user=instance, defaults={
            "must_change_password": False, "password_changed_at": timezone.now()})
        if not created:
            services.record(None, AuditAction.PASSWORD_CHANGE, instance)


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="audit_groups")
def _groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "pre_add":
        # 三员: refuse a second administrator role before anything is written
        if reverse:  # group.user_set.add(users)
            for user in User.objects.filter(pk__in=pk_set):
                check_admin_roles({instance.name, *user.groups.values_list("name", flat=True)})
        else:
            names = set(Group.objects.filter(pk__in=pk_set).values_list("name", flat=True))
            check_admin_roles(names | set(instance.groups.values_list("name", flat=True)))
        return
    if action not in ("post_add", "post_remove"):
        return
    verb = AuditAction.GROUP_GRANT if action == "post_add" else AuditAction.GROUP_REVOKE
    if reverse:
        for user in User.objects.filter(pk__in=pk_set):
            services.record(None, verb, user, group=instance.name)
    else:
        names = sorted(Group.objects.filter(pk__in=pk_set).values_list("name", flat=True))
        services.record(None, verb, instance, groups=names)
    if hasattr(instance, "_desk_roles"):
        del instance._desk_roles


@receiver(m2m_changed, sender=User.user_permissions.through, dispatch_uid="audit_user_perms")
@receiver(m2m_changed, sender=Group.permissions.through, dispatch_uid="audit_group_perms")
def _permissions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove") or reverse:
        return
    from django.contrib.auth.models import Permission

    codes = sorted(f"{app}.{code}" for app, code in Permission.objects.filter(
        pk__in=pk_set).values_list("content_type__app_label", "codename"))
    verb = (AuditAction.PERMISSION_GRANT if action == "post_add"
            else AuditAction.PERMISSION_REVOKE)
    services.record(None, verb, instance, permissions=codes)


@receiver(post_save, sender=LogEntry, dispatch_uid="audit_admin_log")
def _admin_change(sender, instance, created, **kwargs):
    if created:
        services.record(None, AuditAction.ADMIN_CHANGE, instance.object_repr,
                        kind={1: "add", 2: "change", 3: "delete"}.get(instance.action_flag),
                        model=instance.content_type.model if instance.content_type_id else "",
                        object_id=instance.object_id or "",
                        message=instance.get_change_message()[:500])


@receiver(post_save, sender=TOTPDevice, dispatch_uid="audit_totp_saved")
def _totp_saved(sender, instance, created, **kwargs):
    # a device counts once confirmed (the set-up page saves it unconfirmed first)
    if instance.confirmed and (created or "confirmed" in (kwargs.get("update_fields")
                                                          or ())):
        services.record(None, AuditAction.TWO_FACTOR_ENABLE, instance.user, device="totp")


@receiver(post_delete, sender=TOTPDevice, dispatch_uid="audit_totp_deleted")
@receiver(post_delete, sender=StaticDevice, dispatch_uid="audit_static_deleted")
def _device_deleted(sender, instance, **kwargs):
    if instance.confirmed:
        services.record(None, AuditAction.TWO_FACTOR_DISABLE, instance.user,
                        device=sender.__name__)


# ------------------------------------------------------------------ blind indexes


def _index_contact(sender, instance, **kwargs):
    instance.mobile_index = blind_index(instance.mobile) or ""


def _index_profile(sender, instance, **kwargs):
    instance.mobile_index = blind_index(instance.mobile)


def _index_enterprise(sender, instance, **kwargs):
    # a save with update_fields must name legal_representative_id_index too
    instance.legal_representative_id_index = blind_index(
        instance.legal_representative_id_number) or ""


pre_save.connect(_index_contact, sender=Contact, dispatch_uid="audit_index_contact")
pre_save.connect(_index_enterprise, sender=Enterprise, dispatch_uid="audit_index_enterprise")
pre_save.connect(_index_profile, sender=Profile, dispatch_uid="audit_index_profile")
