"""The weekly visit report as an e-mail, for the Monday job."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from approvals.choices import Role

from .models import ServiceTeam, week_start_of
from .selectors import weekly_report


def email_weekly_reports(*, today: date | None = None) -> int:
    """Mail last week's report: each team's to its members, the whole office's
    to coordinators and leaders. Returns the number of messages sent."""
    week = week_start_of(today or timezone.localdate()) - timedelta(weeks=1)
    User = get_user_model()
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        audiences = [(None, User.objects.filter(
            groups__name__in=[Role.COORDINATOR, Role.LEADER], is_active=True))]
        audiences += [(team, User.objects.filter(profile__team=team, is_active=True))
                      for team in ServiceTeam.objects.all()]
        for team, people in audiences:
            to = sorted({u.email for u in people if u.email})
            if not to:
                continue
            rows = weekly_report(week, team=team)
            context = {"week": week, "team": team, "rows": rows}
            subject = _("Weekly visit report, week of %(date)s") % {"date": week.isoformat()}
            message = EmailMultiAlternatives(
                subject, render_to_string("visits/email/weekly_report.txt", context),
                settings.DEFAULT_FROM_EMAIL, to)
            message.attach_alternative(
                render_to_string("visits/email/weekly_report.html", context), "text/html")
            message.send()
            sent += 1
    return sent
