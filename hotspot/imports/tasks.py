"""Background work of imports, run by ``manage.py task_worker`` (inline in tests)."""

import logging

from django_tasks import task

from hotspot.imports import actions
from hotspot.imports import statbank as statbank_sync
from hotspot.imports.models import ImportBatch, Status
from hotspot.incidents.signals import reports_changed

log = logging.getLogger(__name__)


@task()
def validate_task(batch_id: int) -> str:
    batch = ImportBatch.objects.select_related("municipality").get(pk=batch_id)
    try:
        actions.validate(batch)
    except Exception:  # recorded on the batch; the page says so instead of hanging
        log.exception("import batch %s: checking failed", batch_id)
    return ImportBatch.objects.get(pk=batch_id).status


@task()
def commit_task(batch_id: int, user_id: int | None = None) -> str:
    from hotspot.accounts.models import User

    batch = ImportBatch.objects.select_related("municipality").get(pk=batch_id)
    user = User.objects.filter(pk=user_id).first() if user_id else None
    try:
        actions.commit(batch, user)
    except actions.ImportRefused as exc:
        ImportBatch.objects.filter(pk=batch_id).update(status=Status.FAILED, error=str(exc))
    except Exception:
        log.exception("import batch %s: commit failed", batch_id)
    return ImportBatch.objects.get(pk=batch_id).status


@task()
def rollback_task(batch_id: int, user_id: int | None = None) -> str:
    """Roll a claimed batch back (``actions.start_rollback``); a refusal or failure is its message."""
    from hotspot.accounts.models import User

    batch = ImportBatch.objects.select_related("municipality").get(pk=batch_id)
    user = User.objects.filter(pk=user_id).first() if user_id else None
    try:
        actions.rollback(batch, user)
    except actions.ImportRefused:
        pass  # the batch is imported again, with the reason as its message
    except Exception:
        log.exception("import batch %s: roll-back failed", batch_id)
    return ImportBatch.objects.get(pk=batch_id).status


@task()
def refresh_figures_task(municipality_id: int) -> int:
    """After reports or areas change: rebuild the report summary, then the small-cell plan of the new
    counts (``hotspot.areas.inputs.disclosure_plan``), so no page has to work it out; then tell the
    apps that keep work per report (``incidents.signals.reports_changed``: casework's follow-up queues)."""
    from hotspot.areas.inputs import disclosure_plan
    from hotspot.incidents.actions import refresh_report_counts

    rows = refresh_report_counts(municipality_id)
    disclosure_plan(municipality_id)
    reports_changed.send(sender=ImportBatch, municipality_id=municipality_id)
    return rows


@task()
def fetch_statbank_task(batch_id: int) -> str:
    """Fetch the configured Statbank tables into a queued batch (``statbank_sync.queue_fetch``); a
    refusal or failure is the batch's message, never an exception out of the worker."""
    Batch = statbank_sync.batch_model()
    batch = Batch.objects.select_related("municipality", "created_by").get(pk=batch_id)
    try:
        statbank_sync.run_fetch(batch)
    except Exception:  # recorded on the batch (failed, nothing written); the page says so
        log.exception("statbank fetch, batch %s: failed", batch_id)
    return Batch.objects.get(pk=batch_id).status
