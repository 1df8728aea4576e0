"""Stuck batches and a fragile worker (issue 10, item 5).

After a worker crash a batch said "Importing" or "Checking" for good, and ``db_worker`` itself
exited on a database outage. Batches now carry a heartbeat (each progress step); ``fail_stale``
marks the silent ones failed (the worker does so when it starts and every minute; the data pages only
say so, a GET writes nothing), and ``manage.py task_worker`` outlives database errors.
"""

import datetime as dt

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet

from hotspot.imports import actions
from hotspot.imports.management.commands import task_worker
from hotspot.imports.models import ImportBatch, RowChange, Status
from hotspot.incidents.models import CrimeReport
from hotspot.incidents.tasks import refresh_report_counts_task

OLD = dt.timedelta(minutes=30)


def _set(batch, status, ago):
    ImportBatch.objects.filter(pk=batch.pk).update(status=status, heartbeat=timezone.now() - ago)


def test_a_batch_left_importing_with_an_old_heartbeat_is_marked_failed(load):
    header = "area,year,age_band,sex,count\n"
    stuck = load("population", "a.csv", header + "D01-R1,1992,0-9,F,5\n")
    alive = load("population", "b.csv", header + "D01-R1,1993,0-9,F,5\n")
    checking = load("population", "c.csv", header + "D01-R1,1994,0-9,F,5\n")
    _set(stuck, Status.COMMITTING, OLD)
    _set(alive, Status.COMMITTING, dt.timedelta(minutes=1))
    _set(checking, Status.VALIDATING, OLD)
    assert actions.fail_stale() == 2
    for b in (stuck, alive, checking):
        b.refresh_from_db()
    assert stuck.status == Status.FAILED and "task worker stopped" in stuck.error
    assert "Upload the file again" in stuck.error
    assert alive.status == Status.COMMITTING  # still giving signs of life: left alone
    assert checking.status == Status.FAILED and "Checking stopped" in checking.error
    assert not stuck.running  # the page stops refreshing and says why


def test_a_stopped_statbank_fetch_says_fetch_again_not_upload_again(demo_municipality):
    fetch = ImportBatch.objects.create(
        municipality=demo_municipality, kind="statbank", file_name="Danmarks Statistik",
        status=Status.COMMITTING, inputs_hash="0" * 64,
    )  # fmt: skip
    _set(fetch, Status.COMMITTING, OLD)
    assert actions.fail_stale() == 1
    fetch.refresh_from_db()
    assert fetch.status == Status.FAILED and "Fetch again" in fetch.error
    assert "Upload the file" not in fetch.error


def test_a_commit_that_stopped_half_way_is_undone(load, demo_municipality, settings):
    """What an interrupted commit in chunks (SQLite) left is removed: all or nothing."""
    settings.IMPORT_CHUNKED_COMMIT = True
    before = sorted(
        CrimeReport.objects.filter(municipality=demo_municipality).values_list("pk", "offence_id")
    )
    first = CrimeReport.objects.filter(municipality=demo_municipality).order_by("pk")[0]
    body = f"id,occurred_at,offence,area\n{first.external_id},2019-06-01T12:00:00,ROEV,D01-R1\n"
    body += "GONE-1,2019-06-01T12:00:00,ROEV,D01-R1\n"
    batch = load("reports", "half.csv", body, commit=True)
    assert batch.status == Status.COMMITTED
    _set(batch, Status.COMMITTING, OLD)  # as a worker killed before it marked the batch imported
    assert actions.fail_stale() == 1
    batch.refresh_from_db()
    if actions.engine.commits_in_chunks(batch.kind):
        after = sorted(
            CrimeReport.objects.filter(municipality=demo_municipality).values_list(
                "pk", "offence_id"
            )
        )
        assert after == before and not RowChange.objects.filter(batch=batch).exists()
    assert batch.status == Status.FAILED


def test_a_roll_back_that_stopped_goes_back_to_imported(load):
    header = "area,year,age_band,sex,count\n"
    batch = load("population", "a.csv", header + "D01-R1,1995,0-9,F,5\n", commit=True)
    _set(batch, Status.ROLLING_BACK, OLD)
    actions.fail_stale()
    batch.refresh_from_db()
    assert batch.status == Status.COMMITTED and "Roll the batch back again" in batch.error


def test_the_data_pages_say_a_batch_seems_stopped_and_change_nothing(load, login, analyst):
    batch = load("population", "a.csv", "area,year,age_band,sex,count\nD01-R1,1996,0-9,F,5\n")
    _set(batch, Status.VALIDATING, OLD)
    client = login(analyst)
    assert "no sign of life" in client.get(reverse("imports:home")).content.decode()
    assert "no sign of life" in client.get(batch.get_absolute_url()).content.decode()
    batch.refresh_from_db()
    assert batch.status == Status.VALIDATING  # the worker's sweep marks it, not a page view
    _set(batch, Status.VALIDATING, dt.timedelta(minutes=1))
    assert "no sign of life" not in client.get(reverse("imports:home")).content.decode()


def test_progress_is_a_heartbeat(load):
    batch = load("population", "a.csv", "area,year,age_band,sex,count\nD01-R1,1997,0-9,F,5\n")
    assert batch.heartbeat is not None
    assert timezone.now() - batch.heartbeat < dt.timedelta(minutes=1)


@pytest.fixture
def db_tasks(db, settings, monkeypatch):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    # The worker's health check drops a connection that is not in autocommit: the test's own.
    monkeypatch.setattr(task_worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def _worker(cls):
    return cls(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )


@pytest.fixture
def outage(monkeypatch):
    """The database goes away once, while the worker looks for a task."""
    calls = {"n": 0}
    real = DBTaskResultQuerySet.get_locked

    def get_locked(self):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(self)

    monkeypatch.setattr(DBTaskResultQuerySet, "get_locked", get_locked)
    return calls


def test_the_worker_survives_a_database_outage_and_runs_the_next_task(
    db_tasks, outage, monkeypatch, demo_municipality
):
    result = refresh_report_counts_task.enqueue(demo_municipality.pk)
    sleeps, resets = [], []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) > 5:
            raise RuntimeError("the worker does not get past the outage")

    monkeypatch.setattr(task_worker.time, "sleep", sleep)
    # (closing the connection would end the test's transaction; count the reset instead)
    monkeypatch.setattr(task_worker, "_reset_connections", lambda: resets.append(1))
    _worker(task_worker.Worker).run()
    assert resets == [1] and sleeps[:1] == [task_worker.BACKOFF_START]
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == "SUCCESSFUL" and row.return_value > 0


def test_the_stock_worker_dies_of_the_same_outage(db_tasks, outage, demo_municipality):
    refresh_report_counts_task.enqueue(demo_municipality.pk)
    with pytest.raises(OperationalError):
        _worker(db_worker.Worker).run()


def test_the_worker_marks_stale_batches_when_it_starts(db_tasks, load, monkeypatch):
    batch = load("population", "a.csv", "area,year,age_band,sex,count\nD01-R1,1998,0-9,F,5\n")
    _set(batch, Status.COMMITTING, OLD)
    _worker(task_worker.Worker).run()
    batch.refresh_from_db()
    assert batch.status == Status.FAILED
