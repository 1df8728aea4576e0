"""PostgreSQL's streamed commit of crime reports (engine.PgStream: COPY, staging table, one upsert per
chunk) gives exactly what the generic path (look-up, insert, bulk update) gives on the same file."""

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from hotspot.imports import actions, kinds
from hotspot.imports.engine import PgStream
from hotspot.imports.models import RowChange, Status
from hotspot.incidents.models import CrimeReport, Offence

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the streamed COPY/upsert commit is PostgreSQL's; SQLite always takes the generic path",
)


def _state(municipality, batch):
    rows = CrimeReport.objects.filter(municipality=municipality).order_by("external_id")
    return [
        (r.external_id, r.occurred_at, r.offence_id, r.x, r.y, r.area_id, r.batch_id == batch.pk)
        for r in rows
    ]


def _changes(batch):
    return sorted(
        (c.object_id, sorted(c.previous.items()))
        for c in RowChange.objects.filter(batch=batch, model="incidents.crimereport")
    )


def _both_ways(load, monkeypatch, municipality, content):
    """Import ``content`` streamed, roll back, import it the generic way: -> both results."""
    results = []
    for generic in (False, True):
        if generic:
            monkeypatch.setattr(kinds.ReportsAdapter, "write", kinds.Adapter.write)
        before = _state(municipality, CrimeReport())
        batch = load("reports", "r.csv", content, commit=True)
        assert batch.status == Status.COMMITTED, list(batch.problems.values_list("reason")[:5])
        results.append(
            (
                (batch.rows, batch.rows_created, batch.rows_updated, batch.rows_unchanged),
                _state(municipality, batch),
                _changes(batch),
            )
        )
        actions.rollback(batch)
        assert _state(municipality, CrimeReport()) == before
    return results


@pytest.fixture(params=[True, False], ids=["set-based-fk-checks", "row-fk-checks"])
def fk_checks(request, settings):
    settings.IMPORT_SET_BASED_FK_CHECKS = request.param
    return request.param


def test_streamed_upsert_equals_generic_path(load, monkeypatch, demo_municipality, fk_checks):
    reports = list(CrimeReport.objects.filter(municipality=demo_municipality).order_by("pk")[:3])
    changed, same, moved = reports

    def local(r):
        return timezone.localtime(r.occurred_at).replace(tzinfo=None).isoformat()

    area = moved.area.code if moved.area_id else "D01-R1"
    content = (
        "id,occurred_at,offence,x,y,crs,area\n"
        f"{changed.external_id},2019-06-01T12:00:00,ROEV,{changed.x},{changed.y},EPSG:25832,\n"
        f"{same.external_id},{local(same)},{same.offence.code},{same.x},{same.y},EPSG:25832,\n"
        f"{moved.external_id},{local(moved)},{moved.offence.code},,,,{area}\n"
        f"NEW-1,2019-06-01T12:00:00,ROEV,{changed.x},{changed.y},EPSG:25832,\n"
        f'"NEW\t2 \\ x",2019-10-27T02:30:00,ROEV,{changed.x},{changed.y},EPSG:25832,\n'
        f"NEW-3,2019-03-31T01:59:59,ROEV,,,,{area}\n"
    )
    streamed, generic = _both_ways(load, monkeypatch, demo_municipality, content)
    assert streamed == generic
    counts, _state_after, changes = streamed
    assert counts == (6, 3, 2, 1)
    assert len(changes) == 2


def test_streamed_copy_into_empty_municipality_equals_generic_path(
    load, monkeypatch, demo_municipality, demo_files, fk_checks
):
    CrimeReport.objects.filter(municipality=demo_municipality).delete()
    lines = demo_files["reports"].read_text(encoding="utf-8").splitlines(keepends=True)
    content = "".join(lines[:3001])
    streamed, generic = _both_ways(load, monkeypatch, demo_municipality, content)
    assert streamed == generic
    assert streamed[0] == (3000, 3000, 0, 0)


@pytest.mark.parametrize("set_based", [True, False])
def test_a_missing_referenced_row_is_refused(load, demo_municipality, settings, set_based):
    """Whether the foreign keys are checked per row or for the whole batch, a dangling area id fails
    the import (and nothing of it stays)."""
    settings.IMPORT_SET_BASED_FK_CHECKS = set_based
    batch = load("reports", "r.csv", "id,occurred_at,offence,area\nX-1,2020-01-01,ROEV,D01-R1\n")
    offence = Offence.objects.get(code="ROEV")
    with pytest.raises((IntegrityError, psycopg.IntegrityError)), transaction.atomic():
        stream = PgStream(
            CrimeReport,
            municipality_id=demo_municipality.pk,
            batch_id=batch.pk,
            key="external_id",
            values=kinds.ReportsAdapter.value_fields,
            direct=False,
        )
        stream.put([f"X-1\t2020-01-01T00:00:00+00:00\t{offence.pk}\t\\N\t\\N\t987654321\t\\N"], 1)
        stream.close()
    assert not CrimeReport.objects.filter(external_id="X-1").exists()
