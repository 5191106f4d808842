"""Service teams (and, with the visits work, the visit log)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceTeam(models.Model):
    """A team of service staff (店小二) that visits firms."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    weekly_quota = models.PositiveSmallIntegerField(
        _("weekly visit quota per person"), default=4
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("service team")
        verbose_name_plural = _("service teams")

    def __str__(self) -> str:
        return self.name
