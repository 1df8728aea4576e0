"""Fill every programme's follow-up queue with the police reports its rule takes
(``hotspot.casework.tasks.enqueue_queues``).

The queues already fill themselves after every import of reports (the task worker does it); this
command is the safety net for a schedule (cron or a systemd timer beside the task worker), e.g. for
reports loaded some other way. Running it twice adds nothing the second time. By default it hands the
work to the task worker; ``--now`` does it here and prints the number of items added.
"""

from django.core.management.base import BaseCommand, CommandError

from hotspot.casework import actions, tasks


class Command(BaseCommand):
    help = (
        "Fetch the police reports each programme's follow-up rule takes into its follow-up queue "
        "(one item per report; running it again adds nothing)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--municipality", type=int, metavar="ID", help="Only this municipality's programmes."
        )
        parser.add_argument(
            "--now",
            action="store_true",
            help="Fill the queues in this process instead of handing the work to the task worker.",
        )

    def handle(self, *args, municipality=None, now=False, **options):
        from hotspot.accounts.models import Municipality
        from hotspot.programmes.models import Programme

        if municipality is not None and not Municipality.objects.filter(pk=municipality).exists():
            raise CommandError(
                f"--municipality must be the id of a municipality; got {municipality}"
            )
        if not now:
            ids = tasks.enqueue_queues(municipality)
            self.stdout.write(f"Handed {len(ids)} follow-up queue(s) to the task worker.")
            return
        added = 0
        ids = actions.programmes_with_rule(municipality)
        for programme in Programme.objects.filter(pk__in=ids).select_related("municipality"):
            added += actions.generate_queue(
                programme, username="manage.py generate_followup_queues"
            )
        self.stdout.write(f"Added {added} item(s) to {len(ids)} follow-up queue(s).")
