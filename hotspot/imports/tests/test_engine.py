"""Reading files and the bad-input list of issue 4: each gives a clear problem, never a partial import."""

import datetime as dt
import io
import os

import openpyxl
import pytest

from hotspot.imports.engine import local_to_utc
from hotspot.imports.models import Status
from hotspot.incidents.models import CrimeReport
from hotspot.parsing import parse_date, parse_datetime, parse_number

HEADER = "id,occurred_at,offence,x,y,crs\n"


def report_rows(n, start=0, *, x=718715.04, y=6175581.34, offence="TRUS"):
    return "".join(
        f"T-{i:06d},2020-05-0{1 + i % 9}T12:00:00,{offence},{x + i % 50},{y + i % 50},EPSG:25832\n"
        for i in range(start, start + n)
    )


def problems(batch):
    return [(p.row, p.column, p.severity, p.reason) for p in batch.problems.all()]


def test_values():
    assert parse_number("1.234,5") == 1234.5
    assert parse_number("12,5") == 12.5
    assert parse_number("12.5") == 12.5
    assert parse_date("31-03-2024") == dt.date(2024, 3, 31)
    assert parse_date("31.03.2024") == dt.date(2024, 3, 31)
    assert parse_date("2024-03-31") == dt.date(2024, 3, 31)
    assert parse_datetime("31.03.2024 22:15") == dt.datetime(2024, 3, 31, 22, 15)
    with pytest.raises(ValueError):
        parse_date("2024-31-03")
    with pytest.raises(ValueError):
        parse_number("abc")


def test_local_to_utc_matches_zoneinfo_across_both_dst_changes():
    """Every quarter hour around the 2024 changes (the skipped and the repeated hour included) and
    ordinary days, against zoneinfo applied one value at a time (fold=0, as Django does)."""
    from zoneinfo import ZoneInfo

    import numpy as np

    zone = ZoneInfo("Europe/Copenhagen")
    times = [
        start + dt.timedelta(minutes=15 * i)
        for start in (dt.datetime(2024, 3, 30, 22), dt.datetime(2024, 10, 26, 22))
        for i in range(4 * 30)
    ] + [dt.datetime(2024, 1, 15, 8, 30, 5), dt.datetime(2024, 7, 1, 23, 59, 59)]
    got = local_to_utc(np.array(times, dtype="datetime64[s]"), "Europe/Copenhagen")
    expected = [t.replace(tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None) for t in times]
    assert got.astype(dt.datetime).tolist() == expected
    # the repeated hour is read as summer time, the skipped hour as winter time
    assert got[times.index(dt.datetime(2024, 10, 27, 2, 30))] == np.datetime64("2024-10-27T00:30")
    assert got[times.index(dt.datetime(2024, 3, 31, 2, 30))] == np.datetime64("2024-03-31T01:30")


def test_good_file_is_ready_and_commits_with_utc_times(load):
    batch = load("reports", "r.csv", HEADER + report_rows(20), commit=True)
    assert batch.status == Status.COMMITTED, problems(batch)
    assert (batch.rows, batch.rows_created, batch.rows_updated, batch.rows_unchanged) == (
        20,
        20,
        0,
        0,
    )
    report = CrimeReport.objects.get(external_id="T-000000", municipality=batch.municipality)
    # 12:00 local summer time in Copenhagen is 10:00 UTC
    assert report.occurred_at == dt.datetime(2020, 5, 1, 10, 0, tzinfo=dt.UTC)
    assert report.area_id is not None and report.batch_id == batch.pk


def test_missing_column(load):
    batch = load("reports", "r.csv", "id,offence,x,y\nA,TRUS,1,2\n")
    assert batch.status == Status.INVALID
    assert problems(batch)[0][:2] == (1, "occurred_at")
    assert "r.csv" in batch.error and "occurred_at" in batch.error


def test_extra_column(load):
    batch = load(
        "reports", "r.csv", "id,occurred_at,offence,x,y,colour\nA,2020-01-01,TRUS,1,2,red\n"
    )
    assert batch.status == Status.INVALID
    assert problems(batch)[0][1] == "colour"


def test_wrong_type_names_row_and_column(load):
    rows = report_rows(3).splitlines(keepends=True)
    rows[1] = rows[1].replace(",718716.04,", ",seven,")
    batch = load("reports", "r.csv", HEADER + "".join(rows), commit=True)
    assert batch.status == Status.INVALID
    assert problems(batch) == [(3, "x", "error", "not a number")]
    assert not CrimeReport.objects.filter(external_id__startswith="T-").exists()


def test_empty_file_and_header_only(load):
    assert "empty" in load("reports", "e.csv", b"").error
    batch = load("reports", "h.csv", HEADER)
    assert batch.status == Status.INVALID and "no rows" in batch.error


def test_ten_percent_bad_rows_nothing_imported(load):
    rows = report_rows(2000).splitlines(keepends=True)
    for i in range(0, 2000, 10):
        rows[i] = rows[i].replace("TRUS", "NOPE")
    batch = load("reports", "big.csv", HEADER + "".join(rows), commit=True)
    assert batch.status == Status.INVALID
    assert batch.errors == 200
    assert {p[1] for p in problems(batch)} == {"offence"}
    assert not CrimeReport.objects.filter(external_id__startswith="T-").exists()


def test_wrong_crs_gives_a_hint(load):
    body = "".join(f"W{i},2020-01-01 10:00,TRUS,12.{i},55.6,EPSG:25832\n" for i in range(5))
    batch = load("reports", "lonlat.csv", HEADER + body)
    assert batch.status == Status.INVALID
    assert "EPSG:4326" in batch.error or any("EPSG:4326" in p[3] for p in problems(batch))
    assert batch.warnings == 5  # each point is reported too


def test_lon_lat_with_its_crs_is_placed(load):
    # A point of the demo city in EPSG:4326
    import pyproj

    t = pyproj.Transformer.from_crs(25832, 4326, always_xy=True)
    lon, lat = t.transform(718715.04, 6175581.34)
    batch = load("reports", "ll.csv", HEADER + f"L1,2020-01-01 10:00,TRUS,{lon},{lat},EPSG:4326\n")
    assert batch.status == Status.READY, problems(batch)
    assert batch.warnings == 0


def test_future_dates(load):
    batch = load(
        "reports", "f.csv", HEADER + "F1,2999-01-01T00:00:00,TRUS,718715,6175581,EPSG:25832\n"
    )
    assert problems(batch) == [(2, "occurred_at", "error", "in the future")]


def test_negative_counts(load):
    batch = load("population", "p.csv", "area,year,age_band,sex,count\nD01-R1,2020,0-9,F,-3\n")
    assert batch.status == Status.INVALID
    assert problems(batch)[0][:2] == (2, "count")


def test_duplicate_ids_in_file(load):
    body = report_rows(2) + report_rows(1)
    batch = load("reports", "d.csv", HEADER + body)
    assert problems(batch) == [(4, "id", "error", "duplicate: the same key is in row 2")]


def _xlsx(sheets):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_xlsx_with_several_sheets(load):
    rows = [
        ["id", "occurred_at", "offence", "x", "y"],
        ["X1", "2020-01-01 10:00", "TRUS", 718715.0, 6175581.0],
    ]
    content = _xlsx({"Noter": [["note"]], "Anmeldelser": rows, "Andet": [["x"]]})
    # one sheet fits the expected columns: that one is read
    assert load("reports", "w.xlsx", content).status == Status.READY
    both = _xlsx({"A": rows, "B": rows})
    batch = load("reports", "w2.xlsx", both)
    assert batch.status == Status.INVALID and "several sheets" in batch.error
    assert load("reports", "w3.xlsx", both, sheet="B").status == Status.READY


def test_xlsx_dates_and_numbers(load):
    rows = [
        ["id", "occurred_at", "offence", "x", "y"],
        ["X1", dt.datetime(2020, 1, 1, 10), "TRUS", 718715.5, 6175581],
    ]
    batch = load("reports", "w.xlsx", _xlsx({"Ark1": rows}), commit=True)
    assert batch.status == Status.COMMITTED, problems(batch)


def test_file_that_is_not_what_its_extension_says(load):
    batch = load("reports", "r.xlsx", HEADER + report_rows(1))
    assert batch.status == Status.INVALID and "Excel" in batch.error
    batch = load("reports", "r.csv", _xlsx({"A": [["id"]]}))
    assert batch.status == Status.INVALID and ".csv" in batch.error
    batch = load("reports", "r.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    assert batch.status == Status.INVALID and "binary" in batch.error


def test_two_gigabyte_file_is_refused_without_reading_it(tmp_path, demo_municipality, settings):
    from hotspot.imports import actions, engine

    big = tmp_path / "huge.csv"
    with open(big, "wb") as fh:  # sparse: 2 GB on paper, nothing on disk
        fh.truncate(2 * 1024**3 + 1)
    settings.IMPORT_MAX_BYTES = 2 * 1024**3
    with pytest.raises(engine.Refused, match="limit"):
        actions.create_batch(
            municipality=demo_municipality, kind="reports", file_name="huge.csv", path=str(big)
        )
    assert not os.listdir(settings.IMPORT_DIR) if os.path.exists(settings.IMPORT_DIR) else True


def test_windows_1252_semicolon_decimal_comma_danish_dates(load):
    body = "id;occurred_at;offence;x;y\nÆ1;31-05-2020 12:00;TRUS;718715,04;6175581,34\nØ2;31.05.2020;TRUS;718715,5;6175581\n"
    batch = load("reports", "cp.csv", body.encode("cp1252"), commit=True)
    assert batch.status == Status.COMMITTED, problems(batch)
    assert "Windows-1252" in batch.preview["format"]
    r = CrimeReport.objects.get(external_id="Æ1", municipality=batch.municipality)
    assert r.x == pytest.approx(718715.04)


def test_utf8_bom(load):
    body = "\ufeff" + HEADER + report_rows(1).replace("T-", "Å-")
    batch = load("reports", "bom.csv", body.encode("utf-8"), commit=True)
    assert batch.status == Status.COMMITTED, problems(batch)
    assert CrimeReport.objects.filter(external_id="Å-000000").exists()


def test_mixed_offence_levels_are_refused(load):
    body = "M1,2020-01-01 10:00,12,718715,6175581,EPSG:25832\nM2,2020-01-01 10:00,1225,718715,6175581,EPSG:25832\n"
    batch = load("reports", "mixed.csv", HEADER + body)
    assert batch.status == Status.INVALID
    assert "mix levels" in batch.error or any("mix levels" in p[3] for p in problems(batch))


def test_points_outside_and_in_overlapping_areas_are_reported(load):
    from hotspot.areas.models import Area

    hotspot = Area.objects.filter(kind="hotspot", municipality__code="999").first()
    c = hotspot.polygon.representative_point()
    body = f"O1,2020-01-01 10:00,TRUS,{c.x},{c.y},EPSG:25832\nO2,2020-01-01 10:00,TRUS,100,100,EPSG:25832\n"
    batch = load("reports", "o.csv", HEADER + body, area_kinds=["housing", "hotspot"])
    reasons = [p[3] for p in problems(batch)]
    assert any("overlapping" in r for r in reasons)
    assert any("outside every area" in r for r in reasons)
    assert batch.status == Status.READY  # warnings do not block
