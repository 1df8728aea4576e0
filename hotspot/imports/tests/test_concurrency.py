"""Two commits of the same rows at the same time, by two workers with their own connections.

The attack (issue 10, item 1): on PostgreSQL two batches that change the same reports, committed
within a second, left the second batch with previous values for only some of its rows, and rolling
it back deleted rows of the first batch. Commits and roll-backs of one municipality's rows of one
kind now take turns (``actions._serialise``: an advisory lock for the transaction).

These tests run on committed data, like the workers do: no test transaction (``django_db_blocker``),
a municipality of their own, removed at the end.
"""

import threading

import pytest
from django.db import connection, connections

from hotspot.areas.models import Area, AreaKind
from hotspot.imports import actions
from hotspot.imports.models import ImportBatch, RowChange, Status
from hotspot.incidents.models import CrimeReport, Offence

pytestmark = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite has one writer at a time: a commit there holds the WriteLock (test_sqlite_busy)",
)

N = 1500  # rows in the base batch; batch A changes them and adds N, batch B changes all 2N


def _csv(ids, hour, offence, shift):
    lines = ["id,occurred_at,offence,x,y,crs"]
    for i in ids:
        lines.append(
            f"C-{i},2019-06-01T{hour:02d}:00:00,{offence},{700000 + i + shift},6170000,EPSG:25832"
        )
    return "\n".join(lines) + "\n"


def _state(municipality):
    return sorted(
        CrimeReport.objects.filter(municipality=municipality).values_list(
            "external_id", "occurred_at", "offence_id", "x", "batch_id"
        )
    )


@pytest.fixture
def committed(django_db_setup, django_db_blocker, tmp_path, settings, monkeypatch):
    """A municipality of its own, on committed data; everything it holds is removed afterwards."""
    from hotspot.accounts.models import Municipality

    settings.IMPORT_DIR = str(tmp_path / "imports")
    monkeypatch.setattr(actions, "record", lambda *a, **k: None)  # the audit log is append-only
    monkeypatch.setattr(actions, "_after_change", lambda batch: None)
    with django_db_blocker.unblock():
        municipality = Municipality.objects.create(code="987", name="Samtidighed")
        _rode(municipality)
        try:
            yield municipality
        finally:
            CrimeReport.objects.filter(municipality=municipality).delete()
            RowChange.objects.filter(batch__municipality=municipality).delete()
            ImportBatch.objects.filter(municipality=municipality).delete()
            Area.objects.filter(municipality=municipality).delete()
            municipality.delete()
            connections.close_all()


def _rode(municipality):
    from shapely import box

    shape = box(699_000, 6_169_000, 705_000, 6_171_000)
    Area.objects.create(
        municipality=municipality, code="R1", name="Rode 1", kind=AreaKind.RODE,
        geometry=shape.wkb, area_m2=shape.area, min_x=699_000, min_y=6_169_000,
        max_x=705_000, max_y=6_171_000,
    )  # fmt: skip


def _batch(municipality, tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content)
    batch = actions.create_batch(
        municipality=municipality, kind="reports", file_name=name, path=str(path)
    )
    actions.validate(batch)
    assert batch.status == Status.READY, list(batch.problems.values_list("reason", flat=True)[:3])
    return batch


def _in_thread(target, errors):
    def run():
        try:
            target()
        except BaseException as exc:  # handed to the test
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_two_commits_of_the_same_rows_then_rolling_the_second_back(
    committed, tmp_path, monkeypatch
):
    municipality = committed
    o1, o2, o3 = Offence.objects.order_by("code").values_list("code", flat=True)[:3]
    base = _batch(municipality, tmp_path, "base.csv", _csv(range(N), 10, o1, 0))
    actions.commit(base)
    a = _batch(municipality, tmp_path, "a.csv", _csv(range(2 * N), 11, o2, 1))
    b = _batch(municipality, tmp_path, "b.csv", _csv(range(2 * N), 12, o3, 2))

    # A writes everything, then waits inside its transaction until B is under way.
    a_written, go_on = threading.Event(), threading.Event()
    committed_for_real = actions._committed

    def slow_committed(batch, *args):
        if batch.pk == a.pk:
            a_written.set()
            go_on.wait(60)
        committed_for_real(batch, *args)

    monkeypatch.setattr(actions, "_committed", slow_committed)
    # B finds the lock taken: _serialise polls, beating the heartbeat each time it has to wait
    b_waits = threading.Event()
    serialise_for_real = actions._serialise

    def watched_serialise(batch, progress):
        if batch.pk != b.pk:
            return serialise_for_real(batch, progress)
        return serialise_for_real(batch, lambda f: (b_waits.set(), progress(f)))

    monkeypatch.setattr(actions, "_serialise", watched_serialise)
    monkeypatch.setattr(actions, "LOCK_POLL_SECONDS", 0.05)
    errors = []
    first = _in_thread(lambda: actions.commit(ImportBatch.objects.get(pk=a.pk)), errors)
    assert a_written.wait(120), errors
    second = _in_thread(lambda: actions.commit(ImportBatch.objects.get(pk=b.pk)), errors)
    waited = b_waits.wait(30)
    go_on.set()
    first.join(300)
    second.join(300)
    assert not errors, errors
    assert waited  # B had to wait for A's lock

    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.rows_created, a.rows_updated, a.rows_unchanged) == (
        Status.COMMITTED,
        N,
        N,
        0,
    )
    after_a = _state(municipality)  # (B's rows are all B's now)
    assert (b.status, b.rows_created, b.rows_updated, b.rows_unchanged) == (
        Status.COMMITTED,
        0,
        2 * N,
        0,
    )
    # B kept the previous value of every row it changed: A's rows, all 2N of them
    assert RowChange.objects.filter(batch=b).count() == 2 * N
    assert set(RowChange.objects.filter(batch=b).values_list("previous__batch_id", flat=True)) == {
        a.pk
    }
    assert {row[4] for row in after_a} == {b.pk}

    actions.rollback(ImportBatch.objects.get(pk=b.pk))
    state = _state(municipality)
    assert len(state) == 2 * N  # no row of A was lost
    assert {row[4] for row in state} == {a.pk}
    offence_a = Offence.objects.get(code=o2).pk
    assert {row[2] for row in state} == {offence_a}
    assert {row[1].hour for row in state} == {11 - 2}  # 11:00 local summer time is 09:00 UTC
    assert [row[3] for row in state] == [700000 + 1 + int(r[0][2:]) for r in state]
    b.refresh_from_db()
    assert (b.status, b.rows_removed) == (Status.ROLLED_BACK, 0)


@pytest.mark.django_db  # (also makes pytest-django set the test database up for the test above)
def test_each_kind_has_its_own_lock():
    keys = {actions._lock_key(kind) for kind in actions.MODELS}
    assert len(keys) == len(actions.MODELS)
    assert all(-(2**31) <= k < 2**31 for k in keys)
    assert Offence.objects.count() >= 3  # the catalogue the concurrent commits use
