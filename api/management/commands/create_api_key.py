"""``manage.py create_api_key NAME --channel hotline``: a new key for the
integration NAME (created on first use, on that channel). The key is printed
once; only its hash is stored."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator
from django.db import transaction

from api import services
from api.choices import INTEGRATION_CHANNELS
from api.models import Integration


class Command(BaseCommand):
    help = "Create an API key for an integration (created if new) and print it once."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Integration name, e.g. 12345-hotline")
        parser.add_argument("--channel", default="hotline",
                            choices=[c.value for c in INTEGRATION_CHANNELS])
        parser.add_argument("--webhook-url", default="", help="Where state changes are POSTed")

    @transaction.atomic
    def handle(self, *args, name: str, channel: str, webhook_url: str, **options):
        integration = Integration.objects.filter(name=name).first()
        try:
            if integration is None:
                integration = services.integration_create(name=name, channel=channel)
            elif integration.channel != channel:
                raise CommandError(
                    f"{name} takes obstacles in on {integration.channel}, not {channel}.")
            if webhook_url:
                URLValidator()(webhook_url)
                services.integration_webhook_set(integration=integration, url=webhook_url)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        _key, plain = services.key_create(integration=integration)
        self.stdout.write(plain)
        self.stderr.write(
            f"Key for {integration.name} ({integration.channel}); store it now, it is not "
            f"shown again. Webhook secret: {integration.webhook_secret}")
