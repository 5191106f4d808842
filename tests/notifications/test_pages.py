"""The inbox and the preferences: each user sees and marks only their own
notifications (firm users included), the badge counts the unread, bad input
is a form error, and the inbox's query count does not grow with its rows."""

from __future__ import annotations

from datetime import date

from django.urls import reverse
from django.utils import timezone

import pytest

from notifications.choices import Kind
from notifications.models import Delivery, Notification, NotificationPreference

pytestmark = pytest.mark.django_db


def notify(user, kind=Kind.DEADLINE_REMINDER, n=1, **data):
    made = []
    for i in range(n):
        payload = {"task": 1, "obstacle": 1000 + i, "title": f"标题{i}", "deadline": "2026-11-26",
                   **data}
        delivery = Delivery.objects.create(
            kind=kind, object_id=i + 1, level=1, occasion_on=date(2026, 11, 26), recipient=user,
            data=payload, created_at=timezone.now())
        made.append(Notification.objects.create(recipient=user, delivery=delivery, kind=kind,
                                                data=payload, created_at=timezone.now()))
    return made


def test_the_inbox_shows_my_notifications_and_not_others(client, officer, head):
    notify(officer, title="我的堵点")
    notify(head, title="别人的堵点")
    client.force_login(officer)
    response = client.get(reverse("notifications:inbox"), HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code == 200
    assert "我的堵点" in body and "别人的堵点" not in body
    assert 'class="badge">1<' in body  # the header's unread count


def test_a_firm_user_has_an_inbox_leading_to_the_portal(client, firm, enterprise):
    notify(firm, kind=Kind.OBSTACLE_UPDATE, action="resolve", department="局")
    client.force_login(firm)
    body = client.get(reverse("notifications:inbox")).content.decode()
    assert reverse("portal:obstacle-detail", args=[1000]) in body
    assert "/tasks/" not in body


def test_mark_one_read_and_someone_elses_is_404(client, officer, head):
    (mine,) = notify(officer)
    (theirs,) = notify(head)
    client.force_login(officer)
    assert client.post(reverse("notifications:notification-read", args=[mine.pk])).status_code == 302
    mine.refresh_from_db()
    assert mine.read_at is not None
    response = client.post(reverse("notifications:notification-read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    # already read: fine, nothing changes
    assert client.post(reverse("notifications:notification-read", args=[mine.pk])).status_code == 302


def test_mark_all_read_touches_only_mine_and_clears_the_badge(client, officer, head):
    notify(officer, n=3)
    notify(head, n=2)
    client.force_login(officer)
    client.get(reverse("notifications:inbox"))  # the badge is cached now
    client.post(reverse("notifications:read-all"))
    assert not Notification.objects.filter(recipient=officer, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=head, read_at__isnull=True).count() == 2
    assert 'class="badge"' not in client.get(reverse("notifications:inbox")).content.decode()


def test_unread_filter(client, officer):
    first, second = notify(officer, n=2)
    Notification.objects.filter(pk=first.pk).update(read_at=timezone.now())
    client.force_login(officer)
    response = client.get(reverse("notifications:inbox") + "?unread=1")
    assert [r["n"].pk for r in response.context["rows"]] == [second.pk]


def test_the_next_parameter_cannot_leave_the_site(client, officer):
    (mine,) = notify(officer)
    client.force_login(officer)
    response = client.post(reverse("notifications:notification-read", args=[mine.pk]),
                           {"next": "https://evil.example/"})
    assert response["Location"] == reverse("notifications:inbox")


def test_preferences_save_and_bad_input_is_a_form_error(client, firm):
    client.force_login(firm)
    url = reverse("notifications:preferences")
    assert client.get(url).status_code == 200
    response = client.post(url, {"in_app": "on", "sms": "on", "language": "en"})
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=firm)
    assert (pref.in_app, pref.email, pref.sms, pref.language) == (True, False, True, "en")
    response = client.post(url, {"language": "klingon"})
    assert response.status_code == 400 and response.context["form"].errors["language"]
    pref.refresh_from_db()
    assert pref.language == "en"


def test_anonymous_goes_to_the_login(client):
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("n", [2, 20])
def test_inbox_query_count_does_not_grow(client, officer, n, django_assert_max_num_queries):
    notify(officer, n=n)
    client.force_login(officer)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("notifications:inbox"))
    assert len(response.context["rows"]) == n


def test_the_badge_costs_no_query_once_cached(client, officer, django_assert_max_num_queries):
    notify(officer, n=2)
    client.force_login(officer)
    client.get(reverse("notifications:inbox"))
    from notifications.selectors import unread_count

    with django_assert_max_num_queries(0):
        assert unread_count(officer) == 2
