"""Role x URL rows for the notifications app: every logged-in user reads their own list and settings;
another user's notification is a 404 for everyone (tested in test_notifications.py)."""

from hotspot.accounts.tests.table import ALL, NONE_OF_THEM

TABLE: dict = {
    "notifications:list": ("none", ALL, 302),
    "notifications:settings": ("none", ALL, 302),
}


def _someone_elses(own, foreign):
    from django.urls import reverse

    from hotspot.accounts.models import User
    from hotspot.notifications.models import Kind, Notification

    other, _ = User.objects.get_or_create(username="notification-owner")
    n = Notification.objects.create(
        municipality=own, user=other, kind=Kind.REMINDER, key="access", subject="s", body="b"
    )
    return reverse("notifications:detail", args=[n.pk])


# another user's notification: found by nobody, whatever their role
TABLE["notifications:detail#other"] = (_someone_elses, NONE_OF_THEM, 302)
