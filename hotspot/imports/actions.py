"""State changes of import batches: upload, check, commit, roll back. Each writes its audit row."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import time
import uuid
import zlib
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose
from hotspot.imports import engine
from hotspot.imports.models import (
    WORKING,
    ImportBatch,
    ImportProblem,
    Kind,
    RowChange,
    Status,
    WriteLock,
    stale_minutes,
)
from hotspot.surveys.actions import refresh_tallies, waves_of_batch

# Models a batch writes, per kind, children before parents (the order roll-back deletes in).
MODELS = {
    "areas": ("areas.area",),
    "reports": ("incidents.crimereport",),
    "charges": ("incidents.charge",),
    "population": ("areas.population",),
    "survey": ("surveys.surveyresponse",),
    "registers": ("indicators.indicatorvalue",),
    # Shared by every municipality (no municipality column): a roll-back finds them by the batch id
    # alone, as it finds every kind's rows.
    "national": ("indicators.nationalvalue",),
    # a Statistics Denmark fetch: the municipality's figures and Denmark's (imports.statbank)
    "statbank": ("indicators.indicatorvalue", "indicators.nationalvalue"),
}
# Kinds whose rows every municipality shares: a later batch of another municipality may change them.
SHARED_KINDS = ("national", "statbank")
COPY_CHUNK = 1024 * 1024
RESTORE_CHUNK = 20_000  # previous values put back per UPDATE … FROM
HEARTBEAT_SECONDS = 30
LOCK_POLL_SECONDS = 2  # how often a batch waiting for another's lock tries again


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
                    % {"name": file_name, "limit": engine.mb(limit)}
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
                % {"name": file_name, "limit": engine.mb(limit)}
            )
        chunks = _file_chunks(path)
    stored, size, sha = store_upload(chunks, file_name)
    batch = ImportBatch.objects.create(
        municipality=municipality,
        kind=kind,
        file_name=file_name,
        stored_path=stored,
        size=size,
        inputs_hash=sha,
        source=source[:300],
        licence=licence[:300],
        parameters=options or {},
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
    batch.error = outcome.message
    batch.progress = 100


def _alive(pk) -> None:
    ImportBatch.objects.filter(pk=pk).update(heartbeat=timezone.now())


def _progress(batch):
    last = [-1, 0.0]

    def report(fraction):
        percent = int(fraction * 100)
        now = time.monotonic()
        if percent != last[0] or now - last[1] > HEARTBEAT_SECONDS:
            last[0], last[1] = percent, now
            ImportBatch.objects.filter(pk=batch.pk).update(
                progress=percent, heartbeat=timezone.now()
            )

    return report


class _OutsideProgress:
    """Progress of a commit on PostgreSQL, written on a second connection so that the page sees it
    while the import's transaction is still open (and the import's own connection is busy writing).

    Best effort: a batch row locked by another transaction is skipped, never waited for.
    """

    def __init__(self, batch):
        self.pk = batch.pk
        self.last = -1
        self.beat = 0.0
        self.other = connection.copy()
        self.table = connection.ops.quote_name(ImportBatch._meta.db_table)

    def __call__(self, fraction):
        percent = int(fraction * 100)
        now = time.monotonic()
        if percent == self.last and now - self.beat < HEARTBEAT_SECONDS:
            return
        self.last, self.beat = percent, now
        try:
            with self.other.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {self.table} SET progress = %s, heartbeat = %s WHERE id IN "  # nosec B608: identifiers from model metadata; values are parameters
                    f"(SELECT id FROM {self.table} WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED)",
                    [percent, timezone.now(), self.pk],
                )
        except Exception:  # noqa: BLE001 - progress must never break an import
            pass

    def close(self):
        self.other.close()


def _commit_progress(batch):
    if connection.vendor == "postgresql":
        return _OutsideProgress(batch)
    return _progress(batch)


# -- one writer per municipality and kind ------------------------------------------------------------


def _lock_key(kind: str) -> int:
    return zlib.crc32(f"hotspot.imports:{kind}".encode()) - 2**31  # a signed int4


def _lock_wait_seconds() -> float:
    return float(getattr(settings, "IMPORT_LOCK_WAIT_SECONDS", 6 * 3600))


def _serialise(batch, progress) -> None:
    """PostgreSQL: wait until no other commit or roll-back writes this municipality's rows of this
    kind, and keep them out until this transaction ends (``pg_try_advisory_xact_lock``, polled).

    Without it two commits of the same rows interleave: the second one's look-up of the previous
    values sees its snapshot, not the rows the first one writes, so it keeps no previous values for
    them, and rolling it back deleted rows of the first batch. Call inside the writing transaction,
    before the first read. While it waits, ``progress`` (on its own connection: this transaction's
    writes are invisible to others) keeps the heartbeat going, so ``fail_stale`` does not take a
    waiting batch for a dead one. (SQLite: ``_one_writer``.)
    """
    if connection.vendor != "postgresql":
        return
    assert connection.in_atomic_block, "the lock lasts as long as the transaction"
    deadline = time.monotonic() + _lock_wait_seconds()
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT pg_try_advisory_xact_lock(%s, %s)",
                [_lock_key(batch.kind), batch.municipality_id],
            )
            if cursor.fetchone()[0]:
                return
            if time.monotonic() > deadline:
                raise ImportRefused(_busy())
            progress(0.0)
            time.sleep(LOCK_POLL_SECONDS)


def _busy() -> str:
    return _("Another import of the same kind of data is still running; try again later.")


def _still(batch, status) -> None:
    """Refuse when ``batch`` is no longer in ``status``: ``fail_stale`` gave up on it while it waited
    for the lock, and the user may have started it again (which must not run twice)."""
    if not ImportBatch.objects.filter(pk=batch.pk, status=status).exists():
        raise ImportRefused(_("The import was stopped; nothing was changed."))


@contextlib.contextmanager
def _one_writer(batch):
    """SQLite: hold the ``WriteLock`` of this municipality and kind while the batch writes (outside
    any transaction: a commit there is many short transactions). PostgreSQL: nothing (``_serialise``).
    """
    if connection.vendor == "postgresql":
        yield
        return
    deadline = time.monotonic() + _lock_wait_seconds()
    mine = {"municipality_id": batch.municipality_id, "kind": batch.kind}
    beat = 0.0
    while True:
        cutoff = timezone.now() - dt.timedelta(minutes=stale_minutes())
        with transaction.atomic():  # IMMEDIATE: one at a time checks and takes the lock
            WriteLock.objects.filter(**mine).filter(
                ~Q(batch__status__in=WORKING) | Q(batch__heartbeat__lt=cutoff) | Q(batch=batch)
            ).delete()
            if not WriteLock.objects.filter(**mine).exists():
                WriteLock.objects.create(batch=batch, **mine)
                break
        if time.monotonic() > deadline:
            raise ImportRefused(_busy())
        if time.monotonic() - beat >= HEARTBEAT_SECONDS:
            _alive(batch.pk)  # waiting is a sign of life too
            beat = time.monotonic()
        time.sleep(LOCK_POLL_SECONDS)
    try:
        yield
    finally:
        WriteLock.objects.filter(batch=batch).delete()


# -- checking and committing -------------------------------------------------------------------------


def validate(batch: ImportBatch) -> ImportBatch:
    """Check every row (no data are written) and store problems and preview."""
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=Status.VALIDATING, progress=0, heartbeat=timezone.now()
    )
    try:
        outcome = engine.run(batch, commit=False, progress=_progress(batch))
    except Exception:
        batch.status = Status.FAILED
        batch.error = _("The file could not be checked because of an internal error.")
        batch.save()
        raise
    _save_outcome(batch, outcome)
    batch.status = Status.INVALID if outcome.problems.errors else Status.READY
    batch.heartbeat = timezone.now()
    batch.save()
    return batch


def start_commit(batch: ImportBatch, user) -> None:
    """Claim a checked batch for committing (so it is committed once, however often one clicks)."""
    if batch.status != Status.READY or batch.errors:
        raise ImportRefused(_("Only a checked batch without errors can be imported."))
    claimed = ImportBatch.objects.filter(pk=batch.pk, status=Status.READY).update(
        status=Status.COMMITTING, committed_by=user, progress=0, heartbeat=timezone.now()
    )
    if not claimed:
        raise ImportRefused(_("This batch is already being imported."))


def commit(batch: ImportBatch, user=None, request=None) -> ImportBatch:
    """Write every row, all or none, and refresh the summaries; audited.

    PostgreSQL: one transaction, serialised per municipality and kind (``_serialise``). SQLite: one
    short transactions (``engine.commits_in_chunks``) under the ``WriteLock``; what an earlier,
    interrupted try left is undone first, and a commit that fails is undone before it is marked so.
    """
    batch.refresh_from_db()
    if batch.status == Status.READY:
        start_commit(batch, user)
        batch.refresh_from_db()
    if batch.status != Status.COMMITTING:
        raise ImportRefused(_("Only a checked batch without errors can be imported."))
    progress = _commit_progress(batch)
    try:
        with _one_writer(batch):
            if engine.commits_in_chunks(batch.kind):
                outcome = _commit_in_chunks(batch, user, request, progress)
            else:
                with transaction.atomic():
                    _serialise(batch, progress)
                    _still(batch, Status.COMMITTING)
                    outcome = engine.run(batch, commit=True, progress=progress)
                    if outcome.committed:
                        _committed(batch, outcome, user, request)
    except Exception as exc:
        reason = str(exc) if isinstance(exc, ImportRefused) else ""
        ImportBatch.objects.filter(pk=batch.pk, status=Status.COMMITTING).update(
            status=Status.FAILED,
            error=reason
            or _("The import failed because of an internal error; nothing was changed."),
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


def _committed(batch, outcome, user, request) -> None:
    """Mark the batch committed, in the writing transaction: refused (so rolled back) when it is no
    longer being committed (``fail_stale`` gave up on it meanwhile)."""
    if not ImportBatch.objects.filter(pk=batch.pk, status=Status.COMMITTING).update(
        status=Status.COMMITTED
    ):
        raise ImportRefused(_("The import was stopped; nothing was changed."))
    _refresh_tallies(batch)
    batch.rows_created, batch.rows_updated, batch.rows_unchanged = (
        outcome.rows_created,
        outcome.rows_updated,
        outcome.rows_unchanged,
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
        count=outcome.rows_created + outcome.rows_updated,
        request=request,
    )


def _discard(batch) -> None:
    """Undo what a commit in chunks wrote so far (and forget its previous values): all or nothing."""
    with transaction.atomic():
        undo(batch)
        RowChange.objects.filter(batch=batch).delete()


def _commit_in_chunks(batch, user, request, progress) -> engine.Outcome:
    _discard(batch)  # an earlier try of this batch that stopped half way (idempotent)
    try:
        outcome = engine.run(batch, commit=True, progress=progress, chunked=True)
        if outcome.committed:
            with transaction.atomic():
                _committed(batch, outcome, user, request)
            return outcome
    except BaseException:
        _discard(batch)
        raise
    _discard(batch)
    return outcome


def _after_change(batch):
    if batch.kind in ("reports", "areas"):
        from hotspot.imports.tasks import refresh_figures_task

        refresh_figures_task.enqueue(batch.municipality_id)


def _refresh_tallies(batch, wave_ids=None) -> None:
    """A survey batch's answers changed: rebuild the tally of its waves (by default those it wrote)
    in the writing transaction, so that the tally changes with the answers or not at all
    (``surveys.actions.refresh_tallies``)."""
    if batch.kind == "survey":
        waves = waves_of_batch(batch.pk) if wave_ids is None else wave_ids
        refresh_tallies(batch.municipality_id, waves)


def _model(label):
    from django.apps import apps

    return apps.get_model(label)


# -- rolling back ------------------------------------------------------------------------------------


def _later_batch(batch):
    later = RowChange.objects.filter(batch__status=Status.COMMITTED, previous__batch_id=batch.pk)
    if batch.kind not in SHARED_KINDS:
        later = later.filter(batch__municipality=batch.municipality)
    return later.exclude(batch=batch).values_list("batch_id", flat=True).first()


def _refuse_later(batch) -> None:
    later = _later_batch(batch)
    if later:
        raise ImportRefused(
            _("Batch #%(later)s changed rows of this batch since; roll that batch back first.")
            % {"later": later}
        )


def _areas_in_use() -> str:
    return _(
        "The areas of this batch are still used by crime reports, charges, population or "
        "other data; roll back those batches first."
    )


def start_rollback(batch: ImportBatch, user) -> None:
    """Claim an imported batch for rolling back (the task worker does the work: ``rollback``)."""
    if batch.status != Status.COMMITTED:
        raise ImportRefused(_("Only an imported batch can be rolled back."))
    _refuse_later(batch)
    claimed = ImportBatch.objects.filter(pk=batch.pk, status=Status.COMMITTED).update(
        status=Status.ROLLING_BACK,
        rolled_back_by=user,
        progress=0,
        heartbeat=timezone.now(),
        error="",
    )
    if not claimed:
        raise ImportRefused(_("This batch is already being rolled back."))


def rollback(batch: ImportBatch, user=None, request=None) -> ImportBatch:
    """Undo a committed batch: delete the rows it created, restore the rows it changed; audited.

    One transaction, set-based (``undo``), serialised with commits of the same rows. A roll-back
    that is refused or fails leaves the batch imported, with the reason as its message.
    """
    batch.refresh_from_db()
    if batch.status == Status.COMMITTED:
        start_rollback(batch, user)
        batch.refresh_from_db()
    if batch.status != Status.ROLLING_BACK:
        raise ImportRefused(_("Only an imported batch can be rolled back."))
    progress = _commit_progress(batch)
    try:
        with _one_writer(batch), transaction.atomic():
            _serialise(batch, progress)
            _still(batch, Status.ROLLING_BACK)  # not given up on (and claimed again) while waiting
            _refuse_later(batch)  # again, now that no commit of these rows can run
            waves = waves_of_batch(batch.pk) if batch.kind == "survey" else []
            removed = undo(batch, progress)
            _refresh_tallies(batch, waves)
            batch.status = Status.ROLLED_BACK
            batch.rows_removed = removed
            batch.progress = 100
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
        _back_to_committed(batch, _areas_in_use())
        raise ImportRefused(_areas_in_use()) from None
    except ImportRefused as exc:
        _back_to_committed(batch, str(exc))
        raise
    except Exception:
        _back_to_committed(
            batch, _("The roll-back failed because of an internal error; nothing was changed.")
        )
        raise
    finally:
        if hasattr(progress, "close"):
            progress.close()
    _after_change(batch)
    return batch


def _back_to_committed(batch, message: str) -> None:
    ImportBatch.objects.filter(pk=batch.pk, status=Status.ROLLING_BACK).update(
        status=Status.COMMITTED, progress=0, error=message
    )


def undo(batch: ImportBatch, progress=None) -> int:
    """Delete the rows ``batch`` created and put back the values of the rows it changed, in the
    caller's transaction -> rows deleted.

    Set-based: one DELETE per model, and one UPDATE … FROM per model and chunk of saved previous
    values (``RESTORE_CHUNK``), whatever the number of rows.
    """
    removed = 0
    labels = MODELS[batch.kind]
    for step, label in enumerate(labels):
        model = _model(label)
        changes = RowChange.objects.filter(batch=batch, model=label)
        created = model.objects.filter(batch=batch).exclude(pk__in=changes.values("object_id"))
        if label == "areas.area":
            removed += _delete_areas(created)
        else:
            removed += created.delete()[0]
        if progress is not None:
            progress((step + 0.2) / len(labels))
        _restore(
            model,
            changes,
            lambda f, s=step: progress and progress((s + 0.2 + 0.8 * f) / len(labels)),
        )
    return removed


def _restore(model, changes, progress=None) -> None:
    """Put back the values the batch changed (every change of a model saved the same fields):
    the previous values of a chunk go into a temporary table, then one UPDATE … FROM."""
    from hotspot.imports.kinds import _from_json

    first = changes.order_by("pk").first()
    if first is None:
        return
    names = list(first.previous)
    fields = [engine.model_field(model, name) for name in names]
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    pk = qn(model._meta.pk.column)
    cols = [qn(f.column) for f in fields]
    stage = qn(f"import_restore_{model._meta.db_table}")
    total = changes.count()
    done = 0
    last = 0
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {stage}")
        cursor.execute(
            f"CREATE TEMP TABLE {stage} AS SELECT {pk}, {', '.join(cols)} FROM {table} WHERE 1 = 0"  # nosec B608: identifiers from model metadata; values are parameters
        )
        cursor.execute(f"CREATE INDEX {qn('import_restore_pk')} ON {stage} ({pk})")
        marks = ", ".join(["%s"] * (len(cols) + 1))
        insert = f"INSERT INTO {stage} ({pk}, {', '.join(cols)}) VALUES ({marks})"  # nosec B608: identifiers from model metadata; values are parameters
        assign = ", ".join(f"{c} = s.{c}" for c in cols)
        update = f"UPDATE {table} SET {assign} FROM {stage} s WHERE {table}.{pk} = s.{pk}"  # nosec B608: identifiers from model metadata; values are parameters
        while True:
            chunk = list(
                changes.filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", "object_id", "previous")[:RESTORE_CHUNK]
            )
            if not chunk:
                break
            last = chunk[-1][0]
            rows = [
                (
                    object_id,
                    *(
                        f.get_db_prep_save(_from_json(f, previous.get(name)), connection)
                        for f, name in zip(fields, names)
                    ),
                )
                for _pk, object_id, previous in chunk
            ]
            cursor.execute(f"DELETE FROM {stage}")  # nosec B608: identifiers from model metadata; values are parameters
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(
                    f"COPY {stage} ({pk}, {', '.join(cols)}) FROM STDIN"
                ) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(insert, rows)
            cursor.execute(update)
            done += len(chunk)
            if progress is not None:
                progress(done / total)
        cursor.execute(f"DROP TABLE {stage}")


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


# -- batches whose worker stopped --------------------------------------------------------------------


def fail_stale(now=None) -> int:
    """Mark the batches the task worker stopped working on as failed -> how many.

    A batch being checked, imported or rolled back reports progress (and so a sign of life,
    ``heartbeat``) at least every ``HEARTBEAT_SECONDS``; one without for ``IMPORT_STALE_MINUTES``
    lost its worker (a crash, a restart, a database outage). Checking and importing batches are
    marked failed with the reason (what a commit in chunks wrote is undone first), a roll-back goes
    back to imported; the user starts again (upload again, or roll back again). Called when the
    worker starts, every minute in the worker, and when the pages list batches.
    """
    cutoff = (now or timezone.now()) - dt.timedelta(minutes=stale_minutes())
    silent = Q(heartbeat__lt=cutoff) | Q(heartbeat__isnull=True, created_at__lt=cutoff)
    messages = {
        Status.VALIDATING: (
            Status.FAILED,
            _(
                "Checking stopped because the task worker stopped or lost the database. "
                "Upload the file again to start again."
            ),
        ),
        Status.COMMITTING: (
            Status.FAILED,
            _(
                "The import stopped because the task worker stopped or lost the database; "
                "nothing was changed. Upload the file again to start again."
            ),
        ),
        Status.ROLLING_BACK: (
            Status.COMMITTED,
            _(
                "The roll-back stopped because the task worker stopped or lost the database; "
                "nothing was changed. Roll the batch back again."
            ),
        ),
    }
    fetch_stopped = _(
        "The fetch from Statistics Denmark stopped because the task worker stopped or lost the "
        "database; nothing was changed. Fetch again on the page Statistics Denmark."
    )
    marked = 0
    for batch in ImportBatch.objects.filter(silent, status__in=WORKING):
        status, message = messages[batch.status]
        if batch.kind == Kind.STATBANK:  # a fetch writes in one transaction: nothing to undo
            message = fetch_stopped
        with transaction.atomic():
            if not ImportBatch.objects.filter(silent, pk=batch.pk, status=batch.status).update(
                status=status, error=message, progress=0
            ):
                continue  # it gave a sign of life meanwhile
            if batch.status == Status.COMMITTING and engine.commits_in_chunks(batch.kind):
                undo(batch)
                RowChange.objects.filter(batch=batch).delete()
            WriteLock.objects.filter(batch=batch).delete()
        marked += 1
    return marked
