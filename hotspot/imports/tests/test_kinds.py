"""Every kind through the engine: the demo files re-import as unchanged; corrections update and roll back."""

import json

import pytest
from django.core.management import CommandError, call_command

from hotspot.areas.models import Area, Population
from hotspot.audit.models import AuditEvent
from hotspot.imports import actions
from hotspot.imports.models import Status
from hotspot.incidents.models import Charge, CrimeReport
from hotspot.indicators.models import IndicatorValue
from hotspot.surveys.models import SurveyResponse


@pytest.mark.parametrize("kind", ["areas", "population", "reports", "charges", "registers"])
def test_demo_file_reimports_as_unchanged(kind, load, demo_files):
    batch = load(kind, demo_files[kind].name, demo_files[kind].read_bytes(), commit=True)
    assert batch.status == Status.COMMITTED, list(
        batch.problems.values_list("reason", flat=True)[:5]
    )
    assert batch.rows_created == 0 and batch.rows_updated == 0
    assert batch.rows_unchanged == batch.rows > 0


def test_survey_file_imports(load, demo_files):
    batch = load("survey", "survey.csv", demo_files["survey"].read_bytes(), commit=True)
    assert batch.status == Status.COMMITTED
    assert (
        batch.rows_created == 0
        and batch.rows_created + batch.rows_updated + batch.rows_unchanged == batch.rows
    )
    again = load("survey", "survey.csv", demo_files["survey"].read_bytes(), commit=True)
    assert (again.rows_created, again.rows_updated, again.rows_unchanged) == (0, 0, again.rows)


def test_corrected_reimport_updates_and_rollback_restores(load, analyst, demo_municipality):
    first = CrimeReport.objects.filter(municipality=demo_municipality).order_by("pk").first()
    header = "id,occurred_at,offence,x,y,crs\n"
    body = (
        f"{first.external_id},2019-06-01T12:00:00,ROEV,{first.x},{first.y},EPSG:25832\n"
        f"NEW-1,2019-06-01T12:00:00,ROEV,{first.x},{first.y},EPSG:25832\n"
    )
    batch = load("reports", "fix.csv", header + body, commit=True, user=analyst)
    assert (batch.rows_created, batch.rows_updated, batch.rows_unchanged) == (1, 1, 0)
    changed = CrimeReport.objects.get(pk=first.pk)
    assert changed.offence.code == "ROEV" and changed.batch_id == batch.pk
    assert AuditEvent.objects.filter(action="import", object_id=str(batch.pk)).exists()
    actions.rollback(batch, analyst)
    batch.refresh_from_db()
    assert batch.status == Status.ROLLED_BACK and batch.rows_removed == 1
    restored = CrimeReport.objects.get(pk=first.pk)
    assert (restored.offence_id, restored.occurred_at, restored.batch_id) == (
        first.offence_id,
        first.occurred_at,
        first.batch_id,
    )
    assert not CrimeReport.objects.filter(external_id="NEW-1").exists()
    assert AuditEvent.objects.filter(action="delete", object_id=str(batch.pk), count=1).exists()
    with pytest.raises(actions.ImportRefused):
        actions.rollback(batch, analyst)


def test_rollback_out_of_order_is_refused(load, demo_municipality):
    header = "area,year,age_band,sex,count\n"
    a = load("population", "a.csv", header + "D01-R1,2030,0-9,F,5\n", commit=False)
    assert a.status == Status.INVALID  # 2030 is not a year yet
    a = load("population", "a.csv", header + "D01-R1,1990,0-9,F,5\n", commit=True)
    b = load("population", "b.csv", header + "D01-R1,1990,0-9,F,6\n", commit=True)
    assert (b.rows_created, b.rows_updated) == (0, 1)
    with pytest.raises(actions.ImportRefused, match=f"#{b.pk}"):
        actions.rollback(a)
    actions.rollback(b)
    assert (
        Population.objects.get(area__code="D01-R1", year=1990, age_band="0-9", sex="F").count == 5
    )
    actions.rollback(a)
    assert not Population.objects.filter(year=1990).exists()


def test_areas_geojson_in_4326_with_an_invalid_polygon(load, demo_municipality):
    bowtie = [[[12.0, 55.0], [12.01, 55.01], [12.01, 55.0], [12.0, 55.01], [12.0, 55.0]]]
    square = [[[12.0, 55.0], [12.01, 55.0], [12.01, 55.01], [12.0, 55.01], [12.0, 55.0]]]
    gj = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "EPSG:4326"}},
        "features": [
            {"type": "Feature", "properties": {"code": "NEW-B", "name": "Bue", "kind": "housing", "parent": "NEW-S"},
             "geometry": {"type": "Polygon", "coordinates": bowtie}},
            {"type": "Feature", "properties": {"code": "NEW-S", "name": "Firkant", "kind": "district"},
             "geometry": {"type": "Polygon", "coordinates": square}},
        ],
    }  # fmt: skip
    batch = load("areas", "new.geojson", json.dumps(gj), commit=True)
    assert batch.status == Status.INVALID  # refused with the reason, no longer repaired
    problem = batch.problems.get()
    assert (problem.row, problem.column) == (2, "geometry")
    assert "Self-intersection" in problem.reason
    assert not Area.objects.filter(code__startswith="NEW-", municipality=demo_municipality).exists()
    triangle = [[[12.0, 55.0], [12.01, 55.01], [12.01, 55.0], [12.0, 55.0]]]
    gj["features"][0]["geometry"]["coordinates"] = triangle
    batch = load("areas", "new.geojson", json.dumps(gj), commit=True)
    assert batch.status == Status.COMMITTED and batch.warnings == 0
    square_area = Area.objects.get(municipality=demo_municipality, code="NEW-S")
    assert 600_000 < square_area.area_m2 < 800_000  # ~0.64 km² in metres: it was transformed
    assert Area.objects.get(code="NEW-B", municipality=demo_municipality).parent == square_area
    actions.rollback(batch)
    assert not Area.objects.filter(code__startswith="NEW-", municipality=demo_municipality).exists()


def test_areas_csv_with_wkt_and_rd_new(load, demo_municipality):
    wkt = "POLYGON ((155000 463000, 156000 463000, 156000 464000, 155000 464000, 155000 463000))"
    body = f'code,name,kind,wkt,crs\nRD-1,Rotterdam-ish,housing,"{wkt}",EPSG:28992\n'
    batch = load("areas", "rd.csv", body, commit=True)
    assert batch.status == Status.COMMITTED
    assert Area.objects.get(code="RD-1", municipality=demo_municipality).area_m2 == pytest.approx(
        1e6, rel=0.01
    )


def test_charges_refuse_cpr_numbers(load):
    body = "id,person,charged_on,offence,age,area\nC1,010190-1234,2020-01-01,TRUS,30,D01-R1\n"
    batch = load("charges", "c.csv", body)
    assert batch.status == Status.INVALID
    assert batch.problems.get().column == "person"
    assert "010190" not in batch.problems.get().value


def test_registers_and_indicator_checks(load, demo_municipality):
    body = "area,year,indicator,value,numerator,denominator\nD01-R1,1999,convicted,,5,-1\nD01-R1,1999,nope,1,,\n"
    batch = load("registers", "r.csv", body)
    assert sorted(p.column for p in batch.problems.all()) == ["denominator", "indicator"]
    ok = load(
        "registers",
        "r2.csv",
        "area;year;indicator;numerator;denominator\nD01-R1;1999;convicted;5;200\n",
        commit=True,
    )
    assert ok.status == Status.COMMITTED
    assert IndicatorValue.objects.get(year=1999, area__code="D01-R1").value == pytest.approx(2.5)


def test_charges_and_survey_new_rows(load, demo_municipality):
    c = load(
        "charges",
        "c.csv",
        "id,person,charged_on,offence,age,area\nC-NEW,P-abc,01.02.2020,TRUS,17,D01-R1\n",
        commit=True,
    )
    assert c.rows_created == 1 and Charge.objects.filter(external_id="C-NEW").exists()
    s = load("survey", "s.csv", "respondent,year,area,weight,safety\nR-NEW,2031,D01-R1,1.5,3\n")
    assert s.status == Status.INVALID
    s = load(
        "survey",
        "s.csv",
        "respondent,year,area,weight,safety,colour\nR-NEW,2020,D01-R1,1.5,3,red\n",
    )
    assert s.status == Status.INVALID and "colour" in s.error
    s = load(
        "survey",
        "s.csv",
        'respondent,year,area,weight,safety\nR-NEW,2020,D01-R1,"1,5",3\n',
        commit=True,
    )
    assert s.status == Status.COMMITTED, list(s.problems.values_list("reason", flat=True))
    assert SurveyResponse.objects.get(respondent="R-NEW").answers == {"safety": 3}


def test_cli_dry_run_and_commit(tmp_path, demo_municipality, capsys):
    path = tmp_path / "cli.csv"
    path.write_text("area,year,age_band,sex,count\nD01-R1,1991,0-9,K,7\n")
    call_command("import_population", str(path), municipality="999", dry_run=True)
    assert "dry run" in capsys.readouterr().out
    assert not Population.objects.filter(year=1991).exists()
    call_command("import_population", str(path), municipality="999")
    assert "1 new" in capsys.readouterr().out
    assert Population.objects.get(year=1991).sex == "F"
    path.write_text("area,year,age_band,sex,count\nD01-R1,1991,0-9,K,-7\n")
    with pytest.raises(CommandError, match="1 errors"):
        call_command("import_population", str(path), municipality="999")
    assert "cli.csv, row 2, column count" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No municipality"):
        call_command("import_population", str(path), municipality="000")


def test_area_parents_are_set_with_one_update_per_parent(load, demo_municipality):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def square(x0, y0, size=100):
        x1, y1 = x0 + size, y0 + size
        return f'"POLYGON (({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"'

    lines = ["code,name,kind,parent,wkt"]
    lines += [
        f"PQ-D{d},Bydel {d},district,,{square(700_000 + d * 1000, 6_100_000, 900)}" for d in (1, 2)
    ]
    lines += [
        f"PQ-{i},Boligområde {i},housing,PQ-D{1 + i % 2},{square(700_000 + (1 + i % 2) * 1000 + i * 10, 6_100_010)}"
        for i in range(12)
    ]
    with CaptureQueriesContext(connection) as queries:
        batch = load("areas", "parents.csv", "\n".join(lines) + "\n", commit=True)
    assert batch.status == Status.COMMITTED, list(batch.problems.values_list("reason", flat=True))
    parent_updates = [
        q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "parent_id" in q["sql"]
    ]
    assert len(parent_updates) == 2  # one per distinct parent, not one per area (was 12)
    children = Area.objects.filter(municipality=demo_municipality, code__regex=r"^PQ-\d+$")
    assert sorted(children.values_list("code", "parent__code")) == sorted(
        (f"PQ-{i}", f"PQ-D{1 + i % 2}") for i in range(12)
    )
    # a re-import with one parent moved changes only that one
    lines[4] = lines[4].replace(",PQ-D2,", ",PQ-D1,")  # PQ-1
    with CaptureQueriesContext(connection) as queries:
        again = load("areas", "parents2.csv", "\n".join(lines) + "\n", commit=True)
    assert again.status == Status.COMMITTED
    assert Area.objects.get(municipality=demo_municipality, code="PQ-1").parent.code == "PQ-D1"
    assert (
        len([q for q in queries if q["sql"].startswith("UPDATE") and "parent_id" in q["sql"]]) == 1
    )


def test_rollback_restores_changed_rows_in_bulk(load, demo_municipality):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    originals = list(CrimeReport.objects.filter(municipality=demo_municipality).order_by("pk")[:30])
    body = "id,occurred_at,offence,area\n" + "".join(
        f"{r.external_id},2019-06-01T12:00:00,ROEV,D01-R1\n" for r in originals
    )
    batch = load("reports", "fix30.csv", body, commit=True)
    assert (batch.rows_created, batch.rows_updated) == (0, 30)
    with CaptureQueriesContext(connection) as queries:
        actions.rollback(batch)
    restores = [
        q["sql"]
        for q in queries
        if q["sql"].startswith("UPDATE") and "incidents_crimereport" in q["sql"]
    ]
    assert len(restores) == 1  # one bulk update, not one per restored row (was 30)
    after = {r.pk: r for r in CrimeReport.objects.filter(pk__in=[r.pk for r in originals])}
    for r in originals:
        got = after[r.pk]
        assert (got.occurred_at, got.offence_id, got.x, got.y, got.area_id, got.batch_id) == (
            r.occurred_at, r.offence_id, r.x, r.y, r.area_id, r.batch_id,
        )  # fmt: skip


def test_a_survey_column_names_its_item_in_any_case_or_spelling(load, demo_municipality):
    """An item's column is matched as every other column is (header_key): 'Safety' and 'PROBLEM DRUGS'
    are the items safety and problem_drugs, stored under the catalogue's code; a refused answer names
    its column."""
    s = load(
        "survey",
        "s.csv",
        "respondent,year,area,weight,Safety,PROBLEM DRUGS\nR-CASE,2020,D01-R1,1,3,2\n",
        commit=True,
    )
    assert s.status == Status.COMMITTED, list(s.problems.values_list("reason", flat=True))
    assert SurveyResponse.objects.get(respondent="R-CASE").answers == {
        "safety": 3,
        "problem_drugs": 2,
    }
    bad = load("survey", "b.csv", "respondent,year,area,weight,Safety\nR-BAD,2020,D01-R1,1,99\n")
    assert bad.status == Status.INVALID
    assert [c.lower() for c in bad.problems.values_list("column", flat=True)] == ["safety"]
