"""``manage.py fetch_statbank [--municipality CODE] [--tables FOLK1A,STRAF11]``: the Statbank fetch of the
Data page (``statbank_sync``) on the command line or from a schedule (a systemd timer: docs/data-import.md).

One import batch per municipality, committed or failed with its message (nothing written); batches made
here appear on the Statistics Denmark page and roll back on the Data page. ``--queue`` hands the work to
the task worker instead of doing it here.
"""

from django.core.management.base import BaseCommand, CommandError

from hotspot.imports import statbank as statbank_sync
from hotspot.imports import tasks


class Command(BaseCommand):
    help = (
        "Fetch the configured Statistics Denmark tables (FOLK1A, STRAF11, STRAF22) for one or every "
        "municipality into an import batch: the municipality's figures on its municipality area, "
        "Denmark's as national values. All or nothing per municipality."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--municipality",
            metavar="CODE",
            help="the municipality's code, e.g. 101 (default: every municipality)",
        )
        parser.add_argument(
            "--tables",
            default="",
            help=f"comma-separated tables (default: all of {', '.join(statbank_sync.TABLE_BY_ID)}); "
            "FOLK1A is added to any table a rate per 1,000 residents divides",
        )
        parser.add_argument("--user", default="", help="user name recorded as the one who fetched")
        parser.add_argument(
            "--queue", action="store_true", help="hand the fetch to the task worker and return"
        )

    def handle(self, *args, **opts):
        from hotspot.accounts.models import Municipality, User

        municipalities = Municipality.objects.order_by("code")
        if opts["municipality"]:
            municipalities = municipalities.filter(code=opts["municipality"])
            if not municipalities.exists():
                raise CommandError(f"No municipality with code {opts['municipality']!r}.")
        user = None
        if opts["user"]:
            user = User.objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(f"No user {opts['user']!r}.")
        try:
            tables = statbank_sync.chosen_tables(opts["tables"].split(","))
        except statbank_sync.FetchRefused as exc:
            raise CommandError(exc.message) from None
        failed = []
        for municipality in municipalities:
            try:
                batch = statbank_sync.queue_fetch(municipality, user=user, tables=tables)
            except statbank_sync.FetchRefused as exc:
                failed.append(municipality.code)
                self.stderr.write(f"{municipality.code} {municipality.name}: {exc.message}")
                continue
            if opts["queue"]:
                tasks.fetch_statbank_task.enqueue(batch.pk)
                self.stdout.write(
                    f"{municipality.code} {municipality.name}: batch #{batch.pk} handed to the "
                    "task worker."
                )
                continue
            try:
                batch = statbank_sync.run_fetch(batch)
            except Exception:  # the batch is marked failed with its message (nothing written)
                batch.refresh_from_db()
            if batch.status != batch.done_status:
                failed.append(municipality.code)
                self.stderr.write(
                    f"{municipality.code} {municipality.name}: batch #{batch.pk} failed: {batch.error}"
                )
                continue
            self.stdout.write(
                self.style.SUCCESS(
                    f"{municipality.code} {municipality.name}: batch #{batch.pk}: "
                    f"{batch.rows_created} new, {batch.rows_updated} changed, "
                    f"{batch.rows_unchanged} unchanged values."
                )
            )
        if failed:
            raise CommandError(
                f"The fetch failed for {', '.join(failed)}; nothing was written there."
            )
