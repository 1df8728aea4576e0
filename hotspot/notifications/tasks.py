"""The notification round in the task worker: reminders, the Monday digest, then the e-mails due.

``run_notifications_task`` runs one round and, on a backend that can defer (the database worker), queues
the next one ``NOTIFICATIONS_EVERY_MINUTES`` later, so the worker keeps the schedule by itself once
``manage.py send_notifications`` (or the first round) has queued it. A cron job calling
``manage.py send_notifications`` does the same where no worker runs all the time.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from hotspot.notifications import actions, mail

logger = logging.getLogger(__name__)


def one_round(now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    out = {
        "reminders": actions.send_reminders(timezone.localdate(now)),
        "digests": actions.send_digests(now),
    }
    out.update(mail.send_pending(now))
    return out


@task()
def run_notifications_task(reschedule: bool = True) -> dict:
    out = one_round()
    logger.info("notifications: %s", out)
    backend = run_notifications_task.get_backend()
    if reschedule and getattr(backend, "supports_defer", False):
        every = int(getattr(settings, "NOTIFICATIONS_EVERY_MINUTES", 15))
        run_notifications_task.using(
            run_after=timezone.now() + dt.timedelta(minutes=every)
        ).enqueue(True)
    return out
