from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LettersConfig(AppConfig):
    name = "letters"
    verbose_name = _("Status letters and bulletins")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the HarfBuzz and font checks)
