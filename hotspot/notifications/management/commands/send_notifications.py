"""Queue one notification round for the task worker (reminders, the Monday digest, the e-mails due).

Run it once after start-up: on the database worker the round queues the next one by itself
(``NOTIFICATIONS_EVERY_MINUTES``). ``--now`` runs the round here instead (cron without a worker);
``--digest`` sends the digest today even if it is not Monday.
"""

from django.core.management.base import BaseCommand

from hotspot.notifications import actions
from hotspot.notifications.tasks import one_round, run_notifications_task


class Command(BaseCommand):
    help = "Queue (or with --now run) one round of notifications: reminders, digest, e-mails."

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="run the round in this process")
        parser.add_argument("--digest", action="store_true", help="send the digest today")

    def handle(self, *args, now=False, digest=False, **options):
        if digest:
            self.stdout.write(f"digests: {actions.send_digests(force=True)}")
        if now:
            self.stdout.write(str(one_round()))
        else:
            run_notifications_task.enqueue(True)
            self.stdout.write("queued")
