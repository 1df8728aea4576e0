"""Sending the pending notifications by e-mail, in the task worker (``tasks.py``), never in a request.

Django's mail backends (``EMAIL_*`` settings from the environment, ``docs/configuration.md``); a refused
or timed-out send is kept with its reason and tried again after a growing pause (1, 4, 16, 64 minutes),
then marked failed after :data:`MAX_ATTEMPTS`. The in-app list shows every notification either way.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Q
from django.utils import timezone

from hotspot.notifications.models import EmailStatus, Notification

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def message_for(n: Notification) -> EmailMessage:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    body = n.body + (f"\n\n{base}{n.link}" if n.link and base else "")
    msg = EmailMessage(
        subject=n.subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[n.user.email],
    )
    if n.calendar:
        msg.attach("invitation.ics", n.calendar, "text/calendar; method=REQUEST; charset=utf-8")
    return msg


def send_pending(now: dt.datetime | None = None, *, limit: int = 500) -> dict:
    """Send what is due; returns {"sent": n, "retry": n, "failed": n}."""
    now = now or timezone.now()
    due = (
        Notification.objects.filter(email_status=EmailStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .select_related("user")
        .order_by("next_attempt_at", "pk")[:limit]
    )
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for n in due:
        try:
            message_for(n).send(fail_silently=False)
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            n.attempts += 1
            n.last_error = f"{type(exc).__name__}: {exc}"[:300]
            if n.attempts >= MAX_ATTEMPTS:
                n.email_status = EmailStatus.FAILED
                counts["failed"] += 1
            else:
                n.next_attempt_at = now + dt.timedelta(minutes=4 ** (n.attempts - 1))
                counts["retry"] += 1
            logger.warning("notification %s not sent (attempt %s): %s", n.pk, n.attempts, exc)
            n.save(update_fields=["attempts", "last_error", "email_status", "next_attempt_at"])
            continue
        n.attempts += 1
        n.email_status = EmailStatus.SENT
        n.sent_at = timezone.now()
        n.last_error = ""
        n.save(update_fields=["attempts", "email_status", "sent_at", "last_error"])
        counts["sent"] += 1
    return counts
