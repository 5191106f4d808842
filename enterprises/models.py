"""The enterprise registry: firms, their contacts, licences, liaisons and members."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from audit.fields import EncryptedCharField, EncryptedEmailField
from audit.identity import mask_id_number, validate_id_number

from .choices import EnterpriseStatus, Scale
from .validators import validate_credit_code


def mask_mobile(mobile: str) -> str:
    """138****1234: what users who do not need a contact's number see (PIPL)."""
    if len(mobile) < 7:
        return "*" * len(mobile)
    return f"{mobile[:3]}****{mobile[-4:]}"


def mask_email(email: str) -> str:
    """w***@example.com: the domain and the first letter only."""
    local, _at, domain = (email or "").partition("@")
    if not domain:
        return "*" * len(local)
    return f"{local[:1]}***@{domain}"


class Industry(models.Model):
    """A section (门类) of GB/T 4754-2017, loaded from ``data/gbt4754_sections.csv``."""

    code = models.CharField(_("code"), max_length=1, primary_key=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=64)
    name_en = models.CharField(_("name (English)"), max_length=128)

    class Meta:
        ordering = ["code"]
        verbose_name = _("industry")
        verbose_name_plural = _("industries")

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class Street(models.Model):
    """A street or township (街道/乡镇) of the district, by division code."""

    code = models.CharField(_("administrative division code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=64)

    class Meta:
        ordering = ["code"]
        verbose_name = _("street / township")
        verbose_name_plural = _("streets / townships")

    def __str__(self) -> str:
        return self.name


class Enterprise(models.Model):
    """A firm, identified by its unified social credit code."""

    name = models.CharField(_("name"), max_length=200, db_index=True)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
    )
    legal_representative = models.CharField(
        _("legal representative"), max_length=64, blank=True
    )
    # PIPL: the legal representative's resident ID number (法定代表人身份证号),
    # encrypted at rest, masked on the pages, shown in full only through the
    # audited "show in full" page (audit.views.enterprise_reveal)
    legal_representative_id_number = EncryptedCharField(
        _("legal representative's ID number"), max_length=18, blank=True,
        validators=[validate_id_number],
        # db_default: bulk loaders (bench.fill's COPY) may leave it out;
        # default: what a new instance holds in Python
        default="", db_default="",
        help_text=_("The 18-character resident ID number (居民身份证号码)."),
    )
    # its blind index (audit.fields), set on save: the registry finds the
    # firms a person represents by the whole number
    legal_representative_id_index = models.CharField(
        _("ID number blind index"), max_length=64, blank=True, editable=False,
        db_index=True, default="", db_default="",
    )
    registered_address = models.CharField(_("registered address"), max_length=255, blank=True)
    street = models.ForeignKey(
        Street,
        verbose_name=_("street / township"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enterprises",
    )
    industry = models.ForeignKey(
        Industry,
        verbose_name=_("industry"),
        on_delete=models.PROTECT,
        related_name="enterprises",
    )
    industry_division = models.CharField(
        _("industry division code"), max_length=2, blank=True,
        help_text=_("Optional two-digit GB/T 4754 division (大类)."),
    )
    scale = models.CharField(_("scale"), max_length=8, choices=Scale.choices, default=Scale.SMALL)
    registered_capital = models.DecimalField(
        _("registered capital (10,000 yuan)"), max_digits=14, decimal_places=2,
        null=True, blank=True,
    )
    established_on = models.DateField(_("established on"), null=True, blank=True)
    is_above_scale = models.BooleanField(_("above designated size (规上)"), default=False)
    is_key_project = models.BooleanField(_("key project enterprise"), default=False)
    is_specialised = models.BooleanField(
        _("specialised and innovative (专精特新)"), default=False
    )
    tags = models.CharField(
        _("tags"), max_length=255, blank=True, help_text=_("Separated by commas.")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=EnterpriseStatus.choices,
        default=EnterpriseStatus.ACTIVE,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        indexes = [
            # the enterprise list's default sort and its street/industry filters
            models.Index(fields=["street", "name"], name="ent_street_name"),
            models.Index(fields=["industry", "name"], name="ent_industry_name"),
        ]
        # Object permissions a firm member holds on its enterprise (django-guardian),
        # granted and withdrawn with the membership by ``enterprises.services``.
        permissions = [
            ("view_portal", _("Can follow the enterprise in the firm portal")),
            ("submit_obstacle", _("Can submit obstacles for the enterprise")),
            ("rate", _("Can rate and dispute the enterprise's resolved obstacles")),
            ("manage_members", _("Can invite and remove the enterprise's members")),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("enterprises:enterprise-detail", args=[self.pk])

    @property
    def masked_legal_representative_id(self) -> str:
        return mask_id_number(self.legal_representative_id_number)

    @property
    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.split(",") if t.strip()]


class Contact(models.Model):
    """A person at the firm the desk talks to.

    ``mobile`` and ``email`` are encrypted at rest (PIPL, ``audit.fields``);
    ``mobile_index`` is the mobile's blind index, set on save, for exact lookups.
    """

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE,
        related_name="contacts",
    )
    name = models.CharField(_("name"), max_length=64)
    position = models.CharField(_("position"), max_length=64, blank=True)
    mobile = EncryptedCharField(_("mobile"), max_length=20, blank=True)
    # db_default: bulk loaders (bench.fill's COPY) may leave it out
    mobile_index = models.CharField(_("mobile blind index"), max_length=64, blank=True,
                                    editable=False, db_index=True, db_default="")
    email = EncryptedEmailField(_("e-mail"), max_length=254, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        ordering = ["-is_primary", "name", "pk"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)

    @property
    def masked_email(self) -> str:
        return mask_email(self.email)


class Licence(models.Model):
    """A licence or certificate the firm holds; its expiry drives reminders."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE,
        related_name="licences",
    )
    name = models.CharField(_("name"), max_length=128)
    number = models.CharField(_("number"), max_length=64, blank=True)
    issuer = models.CharField(_("issued by"), max_length=128, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    class Meta:
        ordering = ["expires_on", "pk"]
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        indexes = [
            # the expiry reminder job: licences expiring in the next N days
            models.Index(fields=["expires_on"], name="licence_expires"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(issued_on__isnull=True)
                | Q(expires_on__gte=models.F("issued_on")),
                name="licence_expires_after_issue",
                violation_error_message=_("A licence cannot expire before it is issued."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Liaison(models.Model):
    """包保: a staff member assigned to look after an enterprise for a period."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff member"), on_delete=models.CASCADE,
        related_name="liaisons",
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE,
        related_name="liaisons",
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "pk"]
        verbose_name = _("liaison assignment")
        verbose_name_plural = _("liaison assignments")
        indexes = [
            # "my firms": a staff member's current assignments
            models.Index(fields=["staff", "ends_on"], name="liaison_staff_current"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="liaison_ends_after_start",
                violation_error_message=_("An assignment cannot end before it starts."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.staff} → {self.enterprise}"


class FirmMembership(models.Model):
    """A firm user belongs to an enterprise; ``is_admin`` may manage colleagues."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
        related_name="firm_memberships",
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE,
        related_name="memberships",
    )
    is_admin = models.BooleanField(_("firm administrator"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["enterprise", "user"]
        verbose_name = _("firm membership")
        verbose_name_plural = _("firm memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "enterprise"],
                name="membership_unique",
                violation_error_message=_("This user is already a member of the enterprise."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.enterprise}"


class Invitation(models.Model):
    """A one-time link to join an enterprise in the firm portal. Only a hash of
    the token is stored: the link is shown (or mailed) once, when it is made."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE,
        related_name="invitations",
    )
    name = models.CharField(_("name"), max_length=64)
    email = models.EmailField(_("e-mail"), blank=True)
    is_admin = models.BooleanField(_("firm administrator"), default=False)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("invited by"), on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("accepted by"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [
            # the enterprise's open invitations on its accounts page and in the portal
            models.Index(fields=["enterprise", "accepted_at"], name="invitation_ent_open"),
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.enterprise}"

    def is_usable(self, now) -> bool:
        return self.accepted_at is None and self.revoked_at is None and now < self.expires_at


class AccountRequest(models.Model):
    """A firm asks for a portal account by its credit code and name; the
    liaison or the coordinator approves it, which sends an invitation."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE,
        related_name="account_requests",
    )
    contact_name = models.CharField(_("your name"), max_length=64)
    email = EncryptedEmailField(_("e-mail"), max_length=254)
    mobile = EncryptedCharField(_("mobile"), max_length=20, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    invitation = models.ForeignKey(
        Invitation, verbose_name=_("invitation"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("account request")
        verbose_name_plural = _("account requests")
        indexes = [
            # the enterprise's pending requests on its accounts page
            models.Index(fields=["enterprise", "status"], name="accountreq_ent_status"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_name} @ {self.enterprise}"
