"""``manage.py erase_user USERNAME``: anonymise a firm user who has left (PIPL)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from audit.erasure import firm_user_erase


class Command(BaseCommand):
    help = "Erase a firm user's personal data; the enterprise's records stay."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        try:
            firm_user_erase(user=user)
        except PermissionDenied as e:
            raise CommandError(str(e)) from e
        self.stdout.write(self.style.SUCCESS(f"Erased: now {user.username}."))
