"""Delete the cases past their retention period (``hotspot.casework.actions.purge_due``).

Meant to run once a day from the host's scheduler (cron or a systemd timer); running it twice deletes
nothing the second time. Each municipality purged gets one audit row with the number of cases only.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from hotspot.casework.actions import purge_due


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today must be a date written YYYY-MM-DD; got {value!r}") from None


class Command(BaseCommand):
    help = (
        "Delete casework cases (with their list stays, follow-ups, agreements and links) that left "
        "their last priority list longer ago than the municipality's retention period."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            metavar="YYYY-MM-DD",
            help="Purge as on this date instead of today (Danish time).",
        )

    def handle(self, *args, today=None, **options):
        purged = purge_due(_date(today) if today else None)
        total = sum(purged.values())
        self.stdout.write(
            f"Purged {total} case{'s' if total != 1 else ''} past retention"
            f" in {len(purged)} municipalit{'ies' if len(purged) != 1 else 'y'}."
        )
