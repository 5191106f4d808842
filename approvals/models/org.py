"""Organisation: responsible departments and the staff profile."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.fields import EncryptedCharField

from ..choices import DepartmentKind


class Department(models.Model):
    """责任单位: a department, public utility or street office that owns tasks."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=DepartmentKind.choices,
        default=DepartmentKind.GOVERNMENT,
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="children",
    )
    office_phone = models.CharField(_("office phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    """What the desk knows of a user beyond ``auth.User``.

    ``mobile`` logs in like a username (see ``approvals.auth``), found through
    its blind index ``mobile_index`` since the number is encrypted; ``department``
    places officers and heads; ``team`` places service staff.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
        related_name="profile",
    )
    display_name = models.CharField(_("name"), max_length=64, blank=True)
    mobile = EncryptedCharField(_("mobile"), max_length=20, null=True, blank=True)
    mobile_index = models.CharField(_("mobile blind index"), max_length=64, null=True,
                                    blank=True, unique=True, editable=False)
    office_phone = models.CharField(_("office phone"), max_length=32, blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="members",
    )
    team = models.ForeignKey(
        "visits.ServiceTeam", verbose_name=_("service team"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="members",
    )

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()
