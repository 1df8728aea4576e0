"""Benchmark of the crime-report import (issue 4, Speed): the demo city at --scale 4 as a CSV file
(~1.2 million reports), checked and committed with validation and area assignment, on SQLite and on
PostgreSQL, next to the floors measured in the same run: DuckDB's ``read_csv`` of the file, a raw
``sqlite3.executemany`` of the same rows, and PostgreSQL ``COPY`` of the file.

Each database run is a fresh subprocess (so its peak RSS is its own): migrate an empty database,
import the city's areas, then time ``validate`` (the preview: every row checked and placed) and
``commit`` (check again, write in one transaction). Targets: commit ≤ 30 s and ≤ 6× the raw-insert
floor, peak memory ≤ 1 GB.

Run: ``python bench/import_reports.py [--scale 4] [--dir DIR] [--pg postgres://postgres@127.0.0.1:5432/]``
(DuckDB is bench-only: ``pip install duckdb``; PostgreSQL is skipped when it cannot be reached).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pathlib
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(database_url: str, directory: str) -> None:
    """Runs inside the subprocess: migrate, import areas, time the report import; print JSON."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotspot.settings")
    os.environ["DEBUG"] = "1"
    os.environ["TASK_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.IMPORT_DIR = str(pathlib.Path(directory) / "stored")
    call_command("migrate", verbosity=0)
    import democity
    from hotspot.accounts.models import Municipality
    from hotspot.imports import actions
    from hotspot.incidents.models import CrimeReport, Offence

    for spec in democity.OFFENCES:
        Offence.objects.get_or_create(
            code=spec.code,
            defaults={"name_da": spec.name_da, "name_en": spec.name_en, "group": spec.group},
        )
    m, _ = Municipality.objects.get_or_create(code="999", defaults={"name": "Demokommune"})
    d = pathlib.Path(directory)
    areas = actions.create_batch(
        municipality=m, kind="areas", file_name="areas.geojson", path=str(d / "areas.geojson")
    )
    actions.validate(areas)
    actions.commit(areas)
    batch = actions.create_batch(
        municipality=m, kind="reports", file_name="reports.csv", path=str(d / "reports.csv")
    )
    t = time.perf_counter()
    actions.validate(batch)
    t_check = time.perf_counter() - t
    assert batch.status == "ready", (batch.status, batch.message)
    t = time.perf_counter()
    actions.commit(batch)
    t_commit = time.perf_counter() - t
    batch.refresh_from_db()
    assert batch.status == "committed", (batch.status, batch.message)
    n = CrimeReport.objects.count()
    t = time.perf_counter()
    again = actions.create_batch(
        municipality=m, kind="reports", file_name="reports.csv", path=str(d / "reports.csv")
    )
    actions.validate(again)
    actions.commit(again)
    t_again = time.perf_counter() - t
    again.refresh_from_db()
    print(
        json.dumps(
            {
                "rows": batch.rows,
                "in_db": n,
                "warnings": batch.warnings,
                "check": t_check,
                "commit": t_commit,
                "reimport": t_again,
                "reimport_unchanged": again.unchanged,
                "peak_mb": _peak_mb(),
            }
        )
    )


def run_child(database_url: str, directory: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", database_url, directory],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def floor_duckdb(path: pathlib.Path) -> float | None:
    try:
        import duckdb
    except ImportError:
        return None
    con = duckdb.connect()
    t = time.perf_counter()
    # Materialised in DuckDB (a count alone could skip parsing the columns).
    con.execute(f"CREATE TABLE r AS SELECT * FROM read_csv('{path}')")
    seconds = time.perf_counter() - t
    assert con.execute("SELECT count(*) FROM r").fetchall()[0][0] > 0
    con.close()
    return seconds


def floor_sqlite(path: pathlib.Path, directory: pathlib.Path) -> float:
    """Read the CSV and executemany the rows into a table shaped like incidents_crimereport."""
    db = directory / f"floor-{uuid.uuid4().hex[:6]}.sqlite3"
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute(
        "CREATE TABLE r (id INTEGER PRIMARY KEY, municipality_id INT, external_id TEXT, "
        "occurred_at TEXT, offence_id INT, x REAL, y REAL, area_id INT, batch_id INT, "
        "UNIQUE (municipality_id, external_id))"
    )
    t = time.perf_counter()
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        with con:
            con.executemany(
                "INSERT INTO r (municipality_id, external_id, occurred_at, offence_id, x, y, area_id, "
                "batch_id) VALUES (1, ?, ?, 1, ?, ?, 1, 1)",
                ((i, o, float(x), float(y)) for i, o, _off, x, y, _crs in reader),
            )
    seconds = time.perf_counter() - t
    con.close()
    db.unlink()
    return seconds


def floor_copy(path: pathlib.Path, base_url: str) -> float | None:
    try:
        import psycopg

        admin = psycopg.connect(base_url + "postgres", autocommit=True, connect_timeout=3)
    except Exception:
        return None
    name = f"bench_copy_{uuid.uuid4().hex[:6]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(base_url + name) as con:
            con.execute(
                "CREATE TABLE r (id bigserial PRIMARY KEY, external_id text, occurred_at text, "
                "offence text, x float8, y float8, crs text)"
            )
            t = time.perf_counter()
            with con.cursor() as cur, open(path, "rb") as fh:
                with cur.copy(
                    "COPY r (external_id, occurred_at, offence, x, y, crs) FROM STDIN "
                    "WITH (FORMAT csv, HEADER true)"
                ) as copy:
                    while data := fh.read(1 << 20):
                        copy.write(data)
            con.commit()
            return time.perf_counter() - t
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def pg_database(base_url: str):
    import psycopg

    name = f"bench_import_{uuid.uuid4().hex[:6]}"
    admin = psycopg.connect(base_url + "postgres", autocommit=True, connect_timeout=3)
    admin.execute(f'CREATE DATABASE "{name}"')

    def drop():
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return base_url + name, drop


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=4.0)
    ap.add_argument("--dir", default="")
    ap.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/")
    a = ap.parse_args()
    directory = pathlib.Path(a.dir or tempfile.mkdtemp(prefix="bench-import-"))
    reports = directory / "reports.csv"
    if not reports.exists():
        import democity

        t = time.perf_counter()
        democity.write_csv(democity.generate_city(seed=1, scale=a.scale), directory)
        print(f"wrote the scale-{a.scale:g} city to {directory} in {time.perf_counter() - t:.1f} s")
    size = reports.stat().st_size / 1e6
    print("load average (1, 5, 15 min) at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    duck = floor_duckdb(reports)
    raw = floor_sqlite(reports, directory)
    print(f"file: {reports} ({size:.0f} MB)")
    print(
        f"floor DuckDB read_csv:          {duck:6.2f} s" if duck else "floor DuckDB: not installed"
    )
    print(f"floor sqlite3.executemany:      {raw:6.2f} s")
    results = {"sqlite": run_child(f"sqlite:///{directory / 'bench.sqlite3'}", str(directory))}
    (directory / "bench.sqlite3").unlink(missing_ok=True)
    copy = floor_copy(reports, a.pg)
    if copy is not None:
        print(f"floor PostgreSQL COPY:          {copy:6.2f} s")
        url, drop = pg_database(a.pg)
        try:
            results["postgresql"] = run_child(url, str(directory))
        finally:
            drop()
    else:
        print("PostgreSQL: not reachable, skipped")
    print("load average (1, 5, 15 min) at end:   {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    for db, r in results.items():
        floor = raw if db == "sqlite" else copy
        total = r["check"] + r["commit"]
        print(
            f"{db:10s} {r['rows']:,} rows ({r['in_db']:,} stored, {r['warnings']} warnings): "
            f"check {r['check']:.1f} s, commit {r['commit']:.1f} s "
            f"(= {r['commit'] / floor:.1f}× the {'executemany' if db == 'sqlite' else 'COPY'} floor"
            + (f", {r['commit'] / duck:.0f}× DuckDB" if duck else "")
            + f"), check+commit {total:.1f} s ({total / floor:.1f}×); "
            f"re-import of the same file {r['reimport']:.1f} s ({r['reimport_unchanged']:,} unchanged); "
            f"peak RSS {r['peak_mb']:.0f} MB"
        )
        ok = r["commit"] <= 30 and r["commit"] / floor <= 6 and r["peak_mb"] <= 1024
        print(f"{db:10s} targets (commit ≤ 30 s, ≤ 6× floor, ≤ 1 GB): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
