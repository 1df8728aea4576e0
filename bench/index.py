"""Benchmark of the safety index (issue 5, "Speed").

1. Library: 10,000 areas × 20 years × 24 indicators (1 % missing, ``copenhagen`` preset), the full
   ``compute`` plus a 1,000-draw ``sensitivity`` over weights and the normalisations z and rank.
   Target ≤ 10 s for the two together (median of 3 runs).
2. Page: the ranking of 10,000 scored areas (with rank intervals from a sensitivity run and the
   change since the reference year), rendered by Django's test client on a fresh SQLite database.
   Target ≤ 300 ms, median of 20 warm requests. The page shows 100 areas at a time (sorted and paged
   in the database); the first page and a page in the middle are measured.

Run: ``python bench/index.py`` (about a minute; writes /tmp/bench_index.sqlite3).
"""

from __future__ import annotations

import os
import pathlib
import statistics
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from safetystats.index import Indicator, compute, preset, sensitivity  # noqa: E402

A, Y, N_IND = 10_000, 20, 24
TARGET_COMPUTE_S = 10.0
TARGET_PAGE_MS = 300.0
DB = pathlib.Path("/tmp/bench_index.sqlite3")


def library(repeats: int = 3) -> None:
    rng = np.random.default_rng(0)
    themes = ["theft", "drugs", "violence", "burglary", "vandalism", "nuisance"]
    inds = [
        Indicator(
            f"i{j}",
            "bad" if j % 3 else "good",
            themes[j % 6],
            "objective" if j < 8 else ("subjective" if j < 20 else "socio_economic"),
        )
        for j in range(N_IND)
    ]
    values = rng.lognormal(3, 0.5, size=(A, Y, N_IND))
    values[rng.random(values.shape) < 0.01] = np.nan
    d = preset("copenhagen", indicators=inds, reference_year=0)
    t_c, t_s = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        compute(values, d)
        t1 = time.perf_counter()
        sensitivity(values, d, draws=1000, rng=1, normalisations=("z", "rank"))
        t2 = time.perf_counter()
        t_c.append(t1 - t0)
        t_s.append(t2 - t1)
    c, s = statistics.median(t_c), statistics.median(t_s)
    total = statistics.median([a + b for a, b in zip(t_c, t_s)])
    print(f"library: {A:,} areas x {Y} years x {N_IND} indicators, 1 % missing, copenhagen preset")
    print(f"  compute              median {c:6.2f} s")
    print(f"  sensitivity (1,000)  median {s:6.2f} s")
    print(
        f"  together             median {total:6.2f} s   target {TARGET_COMPUTE_S:.0f} s   "
        f"ratio {total / TARGET_COMPUTE_S:.2f}"
    )


def page(requests: int = 20) -> None:
    DB.unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "hotspot.test_settings"
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic needed here
    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    from hotspot.accounts.models import Membership, Municipality, User
    from hotspot.areas.models import Area, AreaKind
    from hotspot.indices import inputs as ix
    from hotspot.indices.models import (
        IndexRun,
        SafetyIndex,
        SafetyIndexVersion,
        SafetyScore,
        SensitivityRun,
        SensitivityValue,
        Status,
    )

    t0 = time.perf_counter()
    m = Municipality.objects.create(code="900", name="Benchkommune")
    user = User.objects.create_user("bench", password="x" * 20)
    Membership.objects.create(user=user, municipality=m, role="coordinator")
    Area.objects.bulk_create(
        [
            Area(municipality=m, code=f"A{k:05d}", name=f"Område {k}", kind=AreaKind.HOUSING)
            for k in range(A)
        ],
        batch_size=5000,
    )
    ids = list(Area.objects.filter(municipality=m).values_list("pk", flat=True))
    spec = ix.preset_spec("copenhagen", reference_year=2009)
    d = SafetyIndex.objects.create(municipality=m, name="Bench", preset="copenhagen")
    v = SafetyIndexVersion.objects.create(definition=d, number=1, spec=spec)
    rng = np.random.default_rng(1)
    codes = tuple(r["code"] for r in spec["indicators"])
    stored = ix.Inputs(  # a run stores its inputs (here every year of the library benchmark)
        values=rng.lognormal(3, 0.5, size=(A, Y, len(codes))),
        area_ids=np.array(ids, dtype=np.int64),
        years=np.arange(2025 - Y + 1, 2026, dtype=np.int64),
        codes=codes,
        survey_min_n=20,
    )
    run = IndexRun.objects.create(
        version=v,
        status=Status.DONE,
        years=[2009, 2025],
        parameters={"areas": A},
        inputs=stored.to_bytes(),
    )
    rows = []
    for year in (2009, 2025):
        score = 100 + 10 * rng.standard_normal(A)
        score[rng.random(A) < 0.01] = np.nan
        order = np.argsort(score)
        rank = np.empty(A)
        rank[order] = np.arange(1, A + 1)
        for k, area_id in enumerate(ids):
            ok = np.isfinite(score[k])
            rows.append(
                SafetyScore(
                    run=run,
                    area_id=area_id,
                    year=year,
                    score=float(score[k]) if ok else None,
                    band=int(np.searchsorted([85, 95], score[k], side="right")) if ok else -1,
                    band_label=["marked effort", "intensified effort", "ordinary effort"][
                        int(np.searchsorted([85, 95], score[k], side="right"))
                    ]
                    if ok
                    else "",
                    objective=float(score[k] + rng.normal()) if ok else None,
                    subjective=float(score[k] + rng.normal()) if ok else None,
                    socio_economic=float(score[k] + rng.normal()) if ok else None,
                    divergence=float(rng.normal()),
                    rank=int(rank[k]) if ok else None,
                    n_missing=0 if ok else 3,
                )
            )
    SafetyScore.objects.bulk_create(rows, batch_size=5000)
    sens = SensitivityRun.objects.create(
        run=run, year=2025, parameters={"draws": 1000}, status=Status.DONE
    )
    SensitivityValue.objects.bulk_create(
        [
            SensitivityValue(
                sensitivity=sens,
                area_id=a,
                rank=float(k + 1),
                rank_low=float(max(1, k - 50)),
                rank_median=float(k + 1),
                rank_high=float(min(A, k + 50)),
                score_low=90.0,
                score_high=110.0,
                band_change_share=0.1,
            )
            for k, a in enumerate(ids)
        ],
        batch_size=5000,
    )
    print(
        f"page: {A:,} areas with scores in 2 years and rank intervals (set-up {time.perf_counter() - t0:.1f} s)"
    )
    client = Client()
    client.force_login(user)
    for label, query in (("first page", "?year=2025"), ("page 50 of 100", "?year=2025&page=50")):
        url = f"/index/runs/{run.pk}/ranking/{query}"
        for _ in range(3):  # warm
            assert client.get(url).status_code == 200
        times = []
        for _ in range(requests):
            t = time.perf_counter()
            response = client.get(url)
            times.append(1000 * (time.perf_counter() - t))
            assert response.status_code == 200
            assert response.content.count(b"<tr data-area=") == 100
        med = statistics.median(times)
        print(
            f"  ranking, {label:<15} median {med:6.1f} ms (min {min(times):.1f}, max {max(times):.1f})"
            f"   target {TARGET_PAGE_MS:.0f} ms   ratio {med / TARGET_PAGE_MS:.2f}"
        )


if __name__ == "__main__":
    library()
    page()
