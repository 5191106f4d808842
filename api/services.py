"""Writes of the API. Intake goes through ``approvals.services.obstacle_submit``
(the one way an obstacle enters the closed loop); this module adds only what
the API owns: which integration took the obstacle in."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from approvals.choices import EventAction
from approvals.models import Obstacle, ObstacleCategory, Profile, TaskEvent
from approvals.services import obstacle_submit

from .choices import INTEGRATION_CHANNELS
from .models import Integration, IntegrationKey, IntegrationObstacle


class ReferenceTaken(ValidationError):
    """The external reference belongs to an obstacle this integration did not
    take in (another integration on the same channel, or staff typed the work
    order in by hand): answered 409, without showing that obstacle."""


@transaction.atomic
def integration_obstacle_submit(
    *,
    key: IntegrationKey,
    enterprise,
    category: ObstacleCategory,
    title: str,
    description: str,
    external_ref: str,
    urgency: str = "normal",
    contact_name: str = "",
    contact_phone: str = "",
    address_string: str = "",
) -> tuple[Obstacle, bool]:
    """Take an obstacle in for the key's integration, on its channel, acting as
    its service account. Returns ``(obstacle, created)``.

    The same ``external_ref`` again returns the obstacle taken in the first
    time and ``created=False``, also when two requests race: the obstacle and
    its link are written in one transaction, the unique constraint on
    (channel, external_ref) decides the race inside ``obstacle_submit`` and the
    loser reads the winner's rows after its commit.
    """
    integration = key.integration
    actor = integration.user
    obstacle = obstacle_submit(
        actor=actor, enterprise=enterprise, category=category, title=title,
        description=description, channel=integration.channel, urgency=urgency,
        contact_name=contact_name, contact_phone=contact_phone, external_ref=external_ref,
    )
    link = IntegrationObstacle.objects.filter(obstacle=obstacle).first()
    if link is None:
        # new obstacles carry this account's submit event; an older one on the
        # same channel (typed in at the desk) is not handed to the integration
        if not TaskEvent.objects.filter(task__obstacle=obstacle, action=EventAction.SUBMIT,
                                        actor=actor).exists():
            raise ReferenceTaken(_("This reference is already used on this channel."))
        link, created = IntegrationObstacle.objects.get_or_create(
            obstacle=obstacle, defaults={"integration": integration, "key": key,
                                         "address_string": address_string})
    else:
        created = False
    if link.integration_id != integration.pk:
        raise ReferenceTaken(_("This reference is already used on this channel."))
    return obstacle, created


@transaction.atomic
def integration_create(*, name: str, channel: str) -> Integration:
    """A new integration with its service account (no password: it never signs
    in, it acts only through its keys)."""
    if channel not in INTEGRATION_CHANNELS:
        raise ValidationError(_("An integration takes obstacles in on the hotline, the "
                                "window or as letters, not on %(channel)s.")
                              % {"channel": channel})
    user_model = get_user_model()
    base = "api-" + (slugify(name) or "integration")
    username, n = base[:140], 1
    while user_model.objects.filter(username=username).exists():
        n += 1
        username = f"{base[:140]}-{n}"
    user = user_model(username=username)
    user.set_unusable_password()
    user.save()
    Profile.objects.create(user=user, display_name=name)
    return Integration.objects.create(name=name, channel=channel, user=user)


def key_create(*, integration: Integration, name: str = "") -> tuple[IntegrationKey, str]:
    """A new key; the plain key is returned once and only its hash is stored."""
    return IntegrationKey.objects.create_key(integration=integration,
                                             name=name or integration.name)


def integration_webhook_set(*, integration: Integration, url: str) -> Integration:
    integration.webhook_url = url
    integration.save(update_fields=["webhook_url"])
    return integration
