"""One writer per municipality and kind, and all or nothing, tried the hard way (review of issue 10,
items 1, 5 and 7): a commit in chunks that fails half way, the SQLite write lock held by a live or a
dead batch, and a commit or roll-back that ``fail_stale`` gave up on while it waited for the lock."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from hotspot.areas.models import Population
from hotspot.imports import actions, engine, kinds
from hotspot.imports.models import ImportBatch, RowChange, Status, WriteLock
from hotspot.incidents.models import CrimeReport

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the WriteLock and the commit in chunks are SQLite's"
)
HEADER = "area,year,age_band,sex,count\n"


def _reports(municipality):
    return sorted(
        CrimeReport.objects.filter(municipality=municipality).values_list(
            "pk", "external_id", "occurred_at", "offence_id", "x", "y", "area_id", "batch_id"
        )
    )


@sqlite_only
def test_a_commit_in_chunks_that_fails_in_its_third_part_leaves_nothing(
    load, demo_municipality, settings, monkeypatch
):
    settings.IMPORT_CHUNKED_COMMIT = True
    monkeypatch.setattr(engine, "WRITE_ROWS", 2)  # 6 rows: three short transactions
    before = _reports(demo_municipality)
    originals = CrimeReport.objects.filter(municipality=demo_municipality).order_by("pk")[:3]
    lines = [f"{r.external_id},2019-06-01T12:00:00,ROEV,D01-R1" for r in originals]
    lines += [f"NEW-{k},2019-06-02T08:30:00,ROEV,D01-R1" for k in range(3)]
    calls = {"n": 0}
    real = kinds.Adapter.write

    def full_disk(self, records):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(self, records)

    monkeypatch.setattr(kinds.Adapter, "write", full_disk)
    with pytest.raises(RuntimeError):
        load(
            "reports",
            "fix.csv",
            "id,occurred_at,offence,area\n" + "\n".join(lines) + "\n",
            commit=True,
        )
    assert calls["n"] == 3  # two parts were written (and committed) before the failure
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == Status.FAILED
    assert not RowChange.objects.filter(batch=batch).exists()
    assert not WriteLock.objects.filter(batch=batch).exists()
    assert _reports(demo_municipality) == before


@sqlite_only
def test_a_commit_waits_for_a_live_writer_and_takes_over_from_a_dead_one(load, settings):
    settings.IMPORT_LOCK_WAIT_SECONDS = 0
    holder = load("population", "a.csv", HEADER + "D01-R1,1990,0-9,F,5\n")
    waiting = load("population", "b.csv", HEADER + "D01-R1,1991,0-9,F,5\n")
    ImportBatch.objects.filter(pk=holder.pk).update(
        status=Status.COMMITTING, heartbeat=timezone.now()
    )
    WriteLock.objects.create(batch=holder, municipality_id=holder.municipality_id, kind=holder.kind)
    with pytest.raises(actions.ImportRefused, match="still running"):
        actions.commit(waiting)
    waiting.refresh_from_db()
    assert waiting.status == Status.FAILED and "still running" in waiting.error
    assert not Population.objects.filter(year=1991, batch=waiting).exists()

    again = load("population", "c.csv", HEADER + "D01-R1,1991,0-9,F,5\n")
    ImportBatch.objects.filter(pk=holder.pk).update(
        heartbeat=timezone.now() - dt.timedelta(hours=1)
    )
    actions.commit(again)  # the holder is silent: its lock is taken over
    again.refresh_from_db()
    assert again.status == Status.COMMITTED
    assert Population.objects.filter(year=1991, batch=again).exists()
    assert not WriteLock.objects.exists()  # released after the commit


def test_a_commit_given_up_on_while_it_waited_writes_nothing(load, settings, monkeypatch):
    settings.IMPORT_CHUNKED_COMMIT = False  # the one-transaction path, on both databases
    batch = load("population", "a.csv", HEADER + "D01-R1,1989,0-9,F,5\n")
    real = actions._serialise

    def slow_lock(b, progress):
        real(b, progress)
        # meanwhile the worker's sweep took the silent batch for a dead one
        ImportBatch.objects.filter(pk=b.pk).update(status=Status.FAILED, error="stopped")

    monkeypatch.setattr(actions, "_serialise", slow_lock)
    with pytest.raises(actions.ImportRefused):
        actions.commit(batch)
    batch.refresh_from_db()
    assert batch.status == Status.FAILED  # not turned into "imported" behind the user's back
    assert not Population.objects.filter(year=1989, batch=batch).exists()


def test_a_roll_back_claimed_twice_undoes_once(load, demo_municipality, monkeypatch):
    """A roll-back given up on while it waited, then claimed again: the first one undoes the batch,
    the second finds it rolled back and must not undo a second time (which would overwrite what a
    commit wrote in between)."""
    first = CrimeReport.objects.filter(municipality=demo_municipality).order_by("pk").first()
    body = f"id,occurred_at,offence,area\n{first.external_id},2019-06-01T12:00:00,ROEV,D01-R1\n"
    batch = load("reports", "fix.csv", body, commit=True)
    actions.rollback(batch)
    restored = _reports(demo_municipality)
    ImportBatch.objects.filter(pk=batch.pk).update(status=Status.ROLLING_BACK)  # the second claim
    real = actions._serialise

    def slow_lock(b, progress):
        real(b, progress)
        ImportBatch.objects.filter(pk=b.pk).update(status=Status.ROLLED_BACK)  # the first finished

    monkeypatch.setattr(actions, "_serialise", slow_lock)
    calls = []
    monkeypatch.setattr(actions, "undo", lambda *a, **k: calls.append(a) or 0)
    with pytest.raises(actions.ImportRefused):
        actions.rollback(batch)
    assert calls == [] and _reports(demo_municipality) == restored
