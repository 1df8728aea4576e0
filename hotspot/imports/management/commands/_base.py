"""``manage.py import_<kind> FILE --municipality M [--dry-run]``: the web import's engine on the command line."""

from django.core.management.base import BaseCommand, CommandError

from hotspot.accounts.models import Municipality
from hotspot.imports import actions, engine


class ImportCommand(BaseCommand):
    kind = ""

    @property
    def help(self):
        from hotspot.imports.kinds import ADAPTERS

        adapter = ADAPTERS[self.kind]
        return (
            f"Import {self.kind} from a CSV/XLSX{'/GeoJSON' if self.kind == 'areas' else ''} file. "
            f"Required columns: {', '.join(adapter.required)}; optional: {', '.join(adapter.optional) or '-'}. "
            "Every row is checked first; with errors nothing is imported."
        )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--municipality", required=True, help="municipality code, e.g. 101")
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")
        parser.add_argument(
            "--source", default="", help='e.g. "Kilde: Danmarks Statistik, STRAF11"'
        )
        parser.add_argument("--licence", default="")
        parser.add_argument(
            "--crs", default="", help="coordinate system when the file does not say"
        )
        parser.add_argument("--sheet", default="", help="sheet of a workbook with several sheets")
        parser.add_argument("--user", default="", help="user name recorded as uploader")

    def handle(self, *args, **opts):
        from hotspot.accounts.models import User

        municipality = Municipality.objects.filter(code=opts["municipality"]).first()
        if municipality is None:
            raise CommandError(f"No municipality with code {opts['municipality']!r}.")
        user = User.objects.filter(username=opts["user"]).first() if opts["user"] else None
        try:
            batch = actions.create_batch(
                municipality=municipality,
                kind=self.kind,
                file_name=opts["file"],
                path=opts["file"],
                user=user,
                source=opts["source"],
                licence=opts["licence"],
                options={k: opts[k] for k in ("crs", "sheet") if opts[k]},
            )
        except FileNotFoundError:
            raise CommandError(f"{opts['file']}: no such file.") from None
        except engine.Refused as exc:
            raise CommandError(exc.message) from None
        actions.validate(batch)
        self._report(batch)
        if batch.errors:
            raise CommandError(
                f"batch #{batch.pk}: {batch.errors} errors; nothing was imported. "
                f"Problems: /data/{batch.pk}/problems.csv"
            )
        if opts["dry_run"]:
            self.stdout.write(f"batch #{batch.pk}: checked, dry run: nothing was imported.")
            return
        actions.commit(batch, user)
        batch.refresh_from_db()
        if batch.status != "committed":
            self._report(batch)
            raise CommandError(f"batch #{batch.pk}: {batch.error}")
        self.stdout.write(
            self.style.SUCCESS(
                f"batch #{batch.pk}: {batch.rows_created} new, {batch.rows_updated} changed, "
                f"{batch.rows_unchanged} unchanged rows."
            )
        )

    def _report(self, batch):
        self.stdout.write(
            f"{batch.file_name}: {batch.rows} rows, {batch.errors} errors, {batch.warnings} warnings"
        )
        for p in batch.problems.all()[:20]:
            where = f"row {p.row}" if p.row else "file"
            column = f", column {p.column}" if p.column else ""
            self.stdout.write(
                f"  {p.severity}: {batch.file_name}, {where}{column}: {p.reason} {p.value}"
            )
        if batch.errors + batch.warnings > 20:
            self.stdout.write(f"  … {batch.errors + batch.warnings - 20} more")
