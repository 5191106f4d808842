"""The official calendar's exceptions to Monday-Friday."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Holiday(models.Model):
    """A day that breaks the Monday-Friday rule: a public holiday on a weekday
    (``is_working_day=False``) or a make-up working weekend day (调休,
    ``is_working_day=True``). Seeded from ``chinesecalendar``, editable in the admin.
    """

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"), default=False)
    name = models.CharField(_("name"), max_length=64, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar exception")
        verbose_name_plural = _("holiday calendar")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
