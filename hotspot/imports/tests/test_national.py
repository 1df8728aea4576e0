"""National (and regional) reference values as a file (issue 13): the columns and their Danish names,
all or nothing, idempotent, rolled back by batch; unknown codes get the catalogue's create link. And
two bad inputs of the other catalogue-checked kinds: a register unit that is not the catalogue's, a
survey answer outside the item's scale."""

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hotspot.imports import actions
from hotspot.imports.models import ImportBatch, Status
from hotspot.indicators.models import Indicator, NationalValue

NATIONAL = "indikatorkode;år;værdi;kilde\nconvicted;1999;2,10;DST STRAF40\nconvicted;2000;2,05;\n"


def _problems(batch):
    return list(batch.problems.values_list("row", "column", "reason", "value"))


def _values(code="convicted"):
    return dict(NationalValue.objects.filter(indicator__code=code).values_list("year", "value"))


def test_national_file_imports_once_and_rolls_back(load, analyst, demo_municipality):
    before = sorted(NationalValue.objects.values_list("pk", "indicator_id", "year", "value"))
    batch = load("national", "landstal.csv", NATIONAL, commit=True, user=analyst)
    assert batch.status == Status.COMMITTED, _problems(batch)
    assert (batch.rows_created, batch.rows_updated, batch.rows_unchanged) == (2, 0, 0)
    rows = NationalValue.objects.filter(batch=batch).order_by("year")
    assert [(r.year, r.value, r.source) for r in rows] == [
        (1999, pytest.approx(2.10), "DST STRAF40"),
        (2000, pytest.approx(2.05), ""),
    ]
    again = load("national", "landstal.csv", NATIONAL, commit=True, user=analyst)
    assert (again.rows_created, again.rows_updated, again.rows_unchanged) == (0, 0, 2)
    actions.rollback(batch, analyst)
    batch.refresh_from_db()
    assert batch.status == Status.ROLLED_BACK and batch.rows_removed == 2
    after = sorted(NationalValue.objects.values_list("pk", "indicator_id", "year", "value"))
    assert after == before


def test_a_changed_value_gets_its_previous_value_back(load, analyst, demo_municipality):
    stored = NationalValue.objects.filter(indicator__code="convicted").order_by("year").first()
    body = f"indicator,year,value\nconvicted,{stored.year},1.5\n"
    batch = load("national", "n.csv", body, commit=True, user=analyst)
    assert (batch.rows_created, batch.rows_updated) == (0, 1)
    changed = NationalValue.objects.get(pk=stored.pk)
    assert (changed.value, changed.batch_id) == (1.5, batch.pk)
    actions.rollback(batch, analyst)
    back = NationalValue.objects.get(pk=stored.pk)
    assert (back.value, back.source, back.batch_id) == (stored.value, stored.source, None)


def test_empty_source_cells_take_the_batchs_source(tmp_path, analyst, demo_municipality):
    path = tmp_path / "n.csv"
    path.write_text("indicator,year,value,source\nconvicted,1998,2.2,\nconvicted,1997,2.3,Egen\n")
    batch = actions.create_batch(
        municipality=demo_municipality, kind="national", file_name="n.csv", path=str(path),
        user=analyst, source="Danmarks Statistik, STRAF40",
    )  # fmt: skip
    actions.validate(batch)
    actions.commit(batch, analyst)
    assert dict(NationalValue.objects.filter(batch=batch).values_list("year", "source")) == {
        1998: "Danmarks Statistik, STRAF40",
        1997: "Egen",
    }


def test_bad_national_rows_are_named_and_nothing_is_written(load, demo_municipality):
    body = (
        "indicator,year,value\n"
        "convicted,1999,2.1\n"  # fine, but the file has errors: nothing is written
        "convicted,2090,2.0\n"  # a year to come
        "convicted,1998,140\n"  # a share above 100 %
        "convicted,1997,\n"  # no value
        "convicted,1999,2.2\n"  # the same indicator and year again
        "nope,1999,1\n"  # not in the catalogue
    )
    batch = load("national", "bad.csv", body, commit=True)
    assert batch.status == Status.INVALID
    problems = {(row, column): reason for row, column, reason, _value in _problems(batch)}
    assert set(problems) == {
        (3, "year"),
        (4, "value"),
        (5, "value"),
        (6, "indicator"),
        (7, "indicator"),
    }
    assert "0 to 100" in problems[(4, "value")]
    assert "row 2" in problems[(6, "indicator")]
    assert ("convicted / 1999",) == tuple(
        v for row, column, _reason, v in _problems(batch) if (row, column) == (6, "indicator")
    )
    assert problems[(7, "indicator")] == "unknown indicator code"
    assert not NationalValue.objects.filter(year__in=[1997, 1998, 1999]).exists()


def test_unknown_national_codes_get_create_links(login, analyst, demo_municipality):
    client = login(analyst)
    body = (
        "indicator;year;value\nlow_income_dk;2020;12,5\nlow_income_dk;2021;11\nconvicted;2020;1,2\n"
    )
    client.post(
        reverse("imports:upload"),
        {"kind": "national", "file": SimpleUploadedFile("dk.csv", body.encode())},
    )
    batch = ImportBatch.objects.filter(file_name="dk.csv").latest("pk")
    assert batch.status == Status.INVALID and batch.kind == "national"
    page = client.get(batch.get_absolute_url()).content.decode()
    found = re.findall(r'<a href="([^"]+)" class="create-code" data-code="([^"]+)"', page)
    links = {code: html.unescape(url) for url, code in found}
    assert list(links) == ["low_income_dk"]
    assert links["low_income_dk"].startswith(
        reverse("indicators:indicator_new") + "?code=low_income_dk"
    )
    assert not Indicator.objects.filter(code="low_income_dk").exists()


def test_a_later_batch_of_another_municipality_blocks_the_roll_back(
    load, analyst, outsider, demo_municipality, other_municipality
):
    """National values are shared: a batch of Lillekommune that changed Demokommune's rows is a
    later batch like any other, so the earlier roll-back waits for it."""
    first = load("national", "a.csv", "indicator,year,value\nconvicted,1996,2\n", commit=True)
    load(
        "national", "b.csv", "indicator,year,value\nconvicted,1996,2.5\n", commit=True,
        municipality=other_municipality, user=outsider,
    )  # fmt: skip
    with pytest.raises(actions.ImportRefused, match="roll that batch back first"):
        actions.rollback(first, analyst)
    assert _values()[1996] == 2.5


# -- register units -------------------------------------------------------------------------------


def test_a_register_unit_other_than_the_catalogues_is_refused(load, demo_municipality):
    body = (
        "område;år;indikator;værdi;enhed\n"
        "D01-R1;1999;convicted;2,5;%\n"
        "D01-R1;1998;convicted;2,5;pct.\n"  # per cent spelled out: the same unit
        "D01-R1;1997;convicted;25;promille\n"
        "D01-R1;1996;convicted;2,5;\n"  # an empty cell says nothing
    )
    batch = load("registers", "r.csv", body, commit=True)
    assert batch.status == Status.INVALID
    [(row, column, reason, value)] = _problems(batch)
    assert (row, column, value) == (4, "enhed", "promille")
    assert "promille" in reason and "convicted" in reason and "%" in reason
    fixed = load("registers", "r.csv", body.replace("promille", "%"), commit=True)
    assert fixed.status == Status.COMMITTED and fixed.rows_created == 4


# -- survey answers ----------------------------------------------------------------------------------


def test_a_survey_answer_outside_the_scale_names_row_column_and_reason(load, demo_municipality):
    body = (
        "respondent;år;område;vægt;safety;unsafe_evening\n"
        "S-1;2020;D01-R1;1;3;0\n"
        "S-2;2020;D01-R1;1;8;1\n"  # safety runs from 1 to 7
        "S-3;2020;D01-R1;1;2;2\n"  # unsafe_evening from 0 to 1
    )
    batch = load("survey", "s.csv", body, commit=True)
    assert batch.status == Status.INVALID
    assert _problems(batch) == [
        (3, "safety", "not an answer from 1 to 7", "8"),
        (4, "unsafe_evening", "not an answer from 0 to 1", "2"),
    ]
    assert not batch.rows_created
