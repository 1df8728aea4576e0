"""``manage.py restore BACKUP_DIR [--force] [--database ALIAS]``: a backup made by ``manage.py backup``
back into the database and MEDIA_ROOT, then checked against its manifest (hotspot/backup.py;
docs/backup.md).

Refused, with nothing changed and exit code 1, when the manifest is missing, a file's hash or size
differs from it, the backup is of another engine, or the target database (or MEDIA_ROOT) is not empty
and ``--force`` is not given. After the restore one line says whether every table's row count and the
audit chain up to the recorded head are as in the backup; exit code 1 when anything differs.
"""

from django.core.management.base import BaseCommand, CommandError

from hotspot import backup


class Command(BaseCommand):
    help = "Restore a backup into the database and MEDIA_ROOT and check it against its manifest."

    def add_arguments(self, parser):
        parser.add_argument("backup_dir", help="A backup directory (holds manifest.json).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the contents of a database (and MEDIA_ROOT) that is not empty.",
        )
        parser.add_argument(
            "--database", default="default", help="The database alias to restore into."
        )

    def handle(self, *args, backup_dir, force, database, verbosity=1, **options):
        try:
            outcome = backup.restore_backup(backup_dir, using=database, force=force)
        except backup.BackupError as exc:
            raise CommandError(f"Nothing was restored: {exc}") from None
        if not outcome.ok:
            raise CommandError(outcome.verdict)
        if verbosity:
            self.stdout.write(outcome.verdict)
