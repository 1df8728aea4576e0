"""``manage.py backup OUT_DIR [--database ALIAS]``: the database and MEDIA_ROOT into a new directory
``OUT_DIR/<UTC time>`` with a manifest (hotspot/backup.py; docs/backup.md). A failed run leaves only a
``<UTC time>.partial`` directory, which ``restore`` refuses."""

from django.core.management.base import BaseCommand, CommandError

from hotspot import backup


class Command(BaseCommand):
    help = "Back up the database and the uploaded files (MEDIA_ROOT) with a manifest."

    def add_arguments(self, parser):
        parser.add_argument("out_dir", help="The directory that receives the new backup directory.")
        parser.add_argument(
            "--database",
            default="default",
            help="The database alias to back up (default: default).",
        )

    def handle(self, *args, out_dir, database, verbosity=1, **options):
        try:
            directory, manifest = backup.make_backup(out_dir, using=database)
        except backup.BackupError as exc:
            raise CommandError(f"No backup was made: {exc}") from None
        size = sum(f["size"] for f in manifest["files"].values())
        audit = manifest["audit"]
        if verbosity:
            self.stdout.write(
                f"Backup written to {directory}: {manifest['engine']} database "
                f"{manifest['database']}, {len(manifest['tables'])} tables with {manifest['rows']} "
                f"rows, {manifest['media']['files']} uploaded file(s), {size} bytes, in "
                f"{manifest['seconds']} s. Audit head: {audit['seq'] or 0}:{audit['hash']}"
            )
        if not audit["intact"]:
            self.stderr.write(
                "Warning: the audit log's chain was already broken when this backup was made: "
                + audit["problem"]
            )
        if manifest["models_without_table"]:
            self.stderr.write(
                "Warning: the database lacks the tables of "
                + ", ".join(manifest["models_without_table"])
                + " (run manage.py migrate)"
            )
