"""Check the audit log's hash chain: exits 0 and prints the head to write down, or names the first
broken row and exits 1. See docs/audit.md for what this detects and what it cannot."""

import re

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from hotspot.audit import chain
from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose


def _head(value: str) -> tuple[int, str]:
    match = re.fullmatch(r"(\d+):([0-9a-f]{64})", value.strip())
    if not match:
        raise CommandError(
            f"--expect-head must be SEQUENCE:HASH as printed by an earlier run, e.g. "
            f"1234:{'0' * 64}; got {value!r}"
        )
    return int(match.group(1)), match.group(2)


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exit 1 naming the first broken row."

    def add_arguments(self, parser):
        parser.add_argument(
            "--expect-head",
            metavar="SEQUENCE:HASH",
            help="A head printed by an earlier run: it must still be in the chain unchanged "
            "(detects rows deleted at the end and a rewritten chain).",
        )
        parser.add_argument(
            "--no-record",
            action="store_true",
            help="Do not append the successful check to the audit log.",
        )

    def handle(self, *args, expect_head=None, no_record=False, **options):
        expected = _head(expect_head) if expect_head else None
        verdict = chain.verify(expect_head=expected)
        if not verdict.ok:
            raise CommandError(
                f"The audit log's chain is broken after {verdict.rows} intact rows: {verdict.problem}"
            )
        missing = chain.missing_triggers(connection)
        if missing:
            raise CommandError(
                f"The chain is intact ({verdict.rows} rows), but the audit log is not protected: "
                "the database lacks the trigger(s) "
                + ", ".join(missing)
                + " (a migration that rebuilt the table, or the table's owner, removed them; see "
                'docs/audit.md, "Checking the chain").'
            )
        self.stdout.write(
            f"The audit log's chain is intact: {verdict.rows} rows. "
            f"Head: {verdict.head_seq or 0}:{verdict.head_hash}"
        )
        self.stdout.write(
            "Keep the head outside this database; pass it as --expect-head next time."
        )
        if not no_record:
            record(
                Action.VERIFY,
                object_type="audit.auditevent",
                object_id=verdict.head_seq or 0,
                purpose=Purpose.OVERSIGHT,
                count=verdict.rows,
                username="manage.py verify_audit_log",
            )
