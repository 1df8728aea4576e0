"""State changes of import batches: upload, check, commit, roll back. Each writes its audit row."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose
from hotspot.imports import engine
from hotspot.imports.models import ImportBatch, ImportProblem, RowChange, Status

# Models a batch writes, per kind, children before parents (the order roll-back deletes in).
MODELS = {
    "areas": ("areas.area",),
    "reports": ("incidents.crimereport",),
    "charges": ("incidents.charge",),
    "population": ("areas.population",),
    "survey": ("surveys.surveyresponse",),
    "registers": ("indicators.indicatorvalue",),
}
COPY_CHUNK = 1024 * 1024


class ImportRefused(Exception):
    """A request the batch's state does not allow (commit twice, roll back out of order...)."""


def import_dir() -> Path:
    return Path(getattr(settings, "IMPORT_DIR", Path(settings.MEDIA_ROOT) / "imports"))


def store_upload(chunks, file_name: str) -> tuple[str, int, str]:
    """Copy the upload to the import directory in chunks -> (path, size, SHA-256).

    Raises engine.Refused above the size limit (the partial copy is removed).
    """
    directory = import_dir()
    directory.mkdir(parents=True, exist_ok=True)
    ext = os.path.splitext(file_name)[1].lower()[:10]
    path = directory / f"{uuid.uuid4().hex}{ext}"
    digest = hashlib.sha256()
    size = 0
    limit = engine.max_bytes()
    with open(path, "wb") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                out.close()
                path.unlink(missing_ok=True)
                raise engine.Refused(
                    _(
                        "%(name)s is larger than the limit of %(limit)s MB (setting IMPORT_MAX_BYTES)."
                    )
                    % {"name": file_name, "limit": f"{limit / 1e6:,.0f}"}
                )
            digest.update(chunk)
            out.write(chunk)
    return str(path), size, digest.hexdigest()


def _file_chunks(path):
    with open(path, "rb") as fh:
        while chunk := fh.read(COPY_CHUNK):
            yield chunk


@transaction.atomic
def create_batch(
    *,
    municipality,
    kind: str,
    file_name: str,
    chunks=None,
    path: str | None = None,
    user=None,
    source: str = "",
    licence: str = "",
    options: dict | None = None,
    request=None,
) -> ImportBatch:
    """Store the file (from upload ``chunks`` or a local ``path``) and create its batch, audited."""
    file_name = os.path.basename(file_name)[:255]
    if chunks is None:
        if os.path.getsize(path) > engine.max_bytes():
            limit = engine.max_bytes()
            raise engine.Refused(
                _("%(name)s is larger than the limit of %(limit)s MB (setting IMPORT_MAX_BYTES).")
                % {"name": file_name, "limit": f"{limit / 1e6:,.0f}"}
            )
        chunks = _file_chunks(path)
    stored, size, sha = store_upload(chunks, file_name)
    batch = ImportBatch.objects.create(
        municipality=municipality,
        kind=kind,
        file_name=file_name,
        stored_path=stored,
        size=size,
        sha256=sha,
        source=source[:300],
        licence=licence[:300],
        options=options or {},
        created_by=user,
    )
    record(
        Action.CREATE,
        actor=user,
        municipality=municipality,
        obj=batch,
        purpose=Purpose.ANALYSIS,
        request=request,
    )
    return batch


def _save_outcome(batch: ImportBatch, outcome: engine.Outcome) -> None:
    ImportProblem.objects.filter(batch=batch).delete()
    ImportProblem.objects.bulk_create(
        [
            ImportProblem(
                batch=batch,
                row=p.row,
                column=p.column[:100],
                severity=p.severity,
                reason=p.reason,
                value=p.value,
            )
            for p in sorted(outcome.problems.items, key=lambda p: p.row or 0)
        ],
        batch_size=2000,
    )
    batch.rows = outcome.rows
    batch.errors = outcome.problems.errors
    batch.warnings = outcome.problems.warnings
    batch.preview = outcome.preview
    batch.message = outcome.message
    batch.progress = 100


def _progress(batch):
    last = [-1]

    def report(fraction):
        percent = int(fraction * 100)
        if percent != last[0]:
            last[0] = percent
            ImportBatch.objects.filter(pk=batch.pk).update(progress=percent)

    return report


class _OutsideProgress:
    """Progress of a commit on PostgreSQL, written on a second connection so that the page sees it
    while the import's transaction is still open (and the import's own connection is busy writing).

    Best effort: a batch row locked by another transaction is skipped, never waited for.
    """

    def __init__(self, batch):
        from django.db import connection

        self.pk = batch.pk
        self.last = -1
        self.other = connection.copy()
        self.table = connection.ops.quote_name(ImportBatch._meta.db_table)

    def __call__(self, fraction):
        percent = int(fraction * 100)
        if percent == self.last:
            return
        self.last = percent
        try:
            with self.other.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {self.table} SET progress = %s WHERE id IN "
                    f"(SELECT id FROM {self.table} WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED)",
                    [percent, self.pk],
                )
        except Exception:  # noqa: BLE001 - progress must never break an import
            pass

    def close(self):
        self.other.close()


def _commit_progress(batch):
    from django.db import connection

    if connection.vendor == "postgresql":
        return _OutsideProgress(batch)
    return _progress(batch)


def validate(batch: ImportBatch) -> ImportBatch:
    """Check every row (no data are written) and store problems and preview."""
    ImportBatch.objects.filter(pk=batch.pk).update(status=Status.VALIDATING, progress=0)
    try:
        outcome = engine.run(batch, commit=False, progress=_progress(batch))
    except Exception:
        batch.status = Status.FAILED
        batch.message = _("The file could not be checked because of an internal error.")
        batch.save()
        raise
    _save_outcome(batch, outcome)
    batch.status = Status.INVALID if outcome.problems.errors else Status.READY
    batch.save()
    return batch


def start_commit(batch: ImportBatch, user) -> None:
    """Claim a checked batch for committing (so it is committed once, however often one clicks)."""
    if batch.status != Status.READY or batch.errors:
        raise ImportRefused(_("Only a checked batch without errors can be imported."))
    claimed = ImportBatch.objects.filter(pk=batch.pk, status=Status.READY).update(
        status=Status.COMMITTING, committed_by=user, progress=0
    )
    if not claimed:
        raise ImportRefused(_("This batch is already being imported."))


def commit(batch: ImportBatch, user=None, request=None) -> ImportBatch:
    """Write every row in one transaction (all or none) and refresh the summaries; audited."""
    batch.refresh_from_db()
    if batch.status == Status.READY:
        start_commit(batch, user)
        batch.refresh_from_db()
    if batch.status != Status.COMMITTING:
        raise ImportRefused(_("Only a checked batch without errors can be imported."))
    progress = _commit_progress(batch)
    try:
        with transaction.atomic():
            outcome = engine.run(batch, commit=True, progress=progress)
            if outcome.committed:
                batch.created, batch.updated, batch.unchanged = (
                    outcome.created,
                    outcome.updated,
                    outcome.unchanged,
                )
                batch.status = Status.COMMITTED
                batch.committed_at = timezone.now()
                batch.committed_by = user
                _save_outcome(batch, outcome)
                batch.save()
                record(
                    Action.IMPORT,
                    actor=user,
                    municipality=batch.municipality,
                    obj=batch,
                    purpose=Purpose.ANALYSIS,
                    count=outcome.created + outcome.updated,
                    request=request,
                )
    except Exception:
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=Status.FAILED,
            message=_("The import failed because of an internal error; nothing was changed."),
        )
        raise
    finally:
        if hasattr(progress, "close"):
            progress.close()
    if not outcome.committed:
        # The file changed meaning since it was checked (e.g. areas were removed): nothing written.
        _save_outcome(batch, outcome)
        batch.status = Status.INVALID
        batch.save()
        return batch
    _after_change(batch)
    return batch


def _after_change(batch):
    if batch.kind in ("reports", "areas"):
        from hotspot.incidents.tasks import refresh_report_counts_task

        refresh_report_counts_task.enqueue(batch.municipality_id)


def _model(label):
    from django.apps import apps

    return apps.get_model(label)


def rollback(batch: ImportBatch, user=None, request=None) -> ImportBatch:
    """Undo a committed batch: delete the rows it created, restore the rows it changed; audited."""
    if batch.status != Status.COMMITTED:
        raise ImportRefused(_("Only an imported batch can be rolled back."))
    later = (
        RowChange.objects.filter(
            batch__municipality=batch.municipality,
            batch__status=Status.COMMITTED,
            previous__batch_id=batch.pk,
        )
        .exclude(batch=batch)
        .values_list("batch_id", flat=True)
        .first()
    )
    if later:
        raise ImportRefused(
            _("Batch #%(later)s changed rows of this batch since; roll that batch back first.")
            % {"later": later}
        )
    removed = 0
    try:
        with transaction.atomic():
            for label in MODELS[batch.kind]:
                model = _model(label)
                changes = list(RowChange.objects.filter(batch=batch, model=label))
                restored = {c.object_id for c in changes}
                qs = model.objects.filter(batch=batch).exclude(pk__in=restored)
                if label == "areas.area":
                    removed += _delete_areas(qs)
                else:
                    removed += qs.delete()[0]
                _restore(model, changes)
            batch.status = Status.ROLLED_BACK
            batch.removed = removed
            batch.rolled_back_at = timezone.now()
            batch.rolled_back_by = user
            batch.save()
            record(
                Action.DELETE,
                actor=user,
                municipality=batch.municipality,
                obj=batch,
                purpose=Purpose.ANALYSIS,
                count=removed,
                request=request,
            )
    except (IntegrityError, models.ProtectedError, models.RestrictedError):
        raise ImportRefused(
            _(
                "The areas of this batch are still used by crime reports, charges, population or "
                "other data; roll back those batches first."
            )
        ) from None
    _after_change(batch)
    return batch


def _restore(model, changes) -> None:
    """Put back the values the batch changed (every change of a model saved the same fields)."""
    if not changes:
        return
    from hotspot.imports.kinds import _from_json

    names = list(changes[0].previous)
    fields = {name: engine.model_field(model, name) for name in names if name != "batch_id"}
    objs = []
    for change in changes:
        obj = model(pk=change.object_id)
        for name, v in change.previous.items():
            setattr(obj, name, _from_json(fields[name], v) if name in fields else v)
        objs.append(obj)
    model.objects.bulk_update(objs, names, batch_size=500)


def _delete_areas(qs) -> int:
    # Children first: an area's parent may be in the same batch.
    from hotspot.areas.models import Population
    from hotspot.indicators.models import IndicatorValue

    ids = set(qs.values_list("pk", flat=True))
    if (
        Population.objects.filter(area_id__in=ids).exists()
        or IndicatorValue.objects.filter(area_id__in=ids).exists()
    ):
        raise models.RestrictedError("areas in use", set())
    removed = 0
    while ids:
        leaves = ids - set(
            qs.model.objects.filter(parent_id__in=ids).values_list("parent_id", flat=True)
        )
        if not leaves:
            leaves = ids
        removed += qs.model.objects.filter(pk__in=leaves).delete()[0]
        ids -= leaves
    return removed
