"""Benchmark of safetystats.evaluation against pyfixest on a large staggered panel (issue 7).

Panel: 2,000 areas × 15 years, 40 treated areas with staggered starts. Each step prints our time
(median of 3 for the fast steps), pyfixest's time for the same computation in the same run, the
ratio, the peak traced memory of our step (tracemalloc, a separate untimed run) and whether the
estimates agree to 1e-6 relative. pyfixest's wild bootstrap runs on 200 areas only (it builds
dense fixed-effect dummies and runs out of memory on 2,000); ours is timed on both.

Run: ``python bench/evaluation.py`` (pyfixest and wildboottest must be installed; they are
test/benchmark-only references, never runtime dependencies). Options: ``--areas 20000`` for a larger
panel, ``--steps twfe,poisson`` to run only some steps (twfe, poisson, event, wild, ri, synth, cs).
The ``cs`` step (Callaway–Sant'Anna) runs beside the PyPI package ``differences`` instead of
pyfixest: the ATT(g,t) with the four aggregations and their overall values, analytic standard
errors, then the same with 999 multiplier-bootstrap draws (differences with ``n_jobs=1``).

``--grid`` (not the default: ``make bench`` stays quick) runs instead the size grid of issue 12:
TWFE (CR1 by area), Poisson FE with a log-population offset (CR1) and the event study (5 leads
and lags, CR1) at 200, 2,000 and 20,000 areas × 15 years (``--grid-sizes 200,2000`` for some of
them), each beside pyfixest (``feols``/``fepois``, its default numba backend), printing our time
and pyfixest's (median of 3, after a warm-up), the ratio, and the peak traced memory of each
(tracemalloc, a separate untimed run of each; pyfixest's numba kernels allocate partly outside
what tracemalloc sees, so its figure is a lower bound). Coefficients and standard errors must
agree to 1e-6 relative or the script fails (assert).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import pathlib
import resource
import statistics
import sys
import time
import tracemalloc
import warnings

# pyfixest's numba/OpenMP threads otherwise spin after each parallel region and steal the second
# core from whatever runs next (our steps); passive waiting keeps the comparison fair both ways.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from safetystats.evaluation import (  # noqa: E402
    event_study,
    poisson_fe,
    randomization_inference,
    synthetic_control,
    twfe,
    wild_cluster_bootstrap,
)

REL_TOL = 1e-6
N_AREAS, YEARS, N_TREATED = 2_000, np.arange(2005, 2020), 40


def make_panel(seed: int = 2026):
    rng = np.random.default_rng(seed)
    n_y = YEARS.size
    area = np.repeat(np.arange(N_AREAS), n_y)
    year = np.tile(YEARS, N_AREAS)
    starts = rng.choice(np.arange(2009, 2016), N_TREATED)
    ft_area = np.full(N_AREAS, np.nan)
    ft_area[:N_TREATED] = starts
    ft = ft_area[area]
    treat = (year >= ft).astype(float)
    pop = rng.integers(800, 8000, N_AREAS)[area]
    area_fe = rng.normal(0, 0.4, N_AREAS)[area]
    year_fe = np.linspace(0, -0.5, n_y)[year - YEARS[0]]
    mu = pop / 1000 * 40 * np.exp(area_fe + year_fe - 0.25 * treat)
    counts = rng.poisson(mu).astype(float)
    rate = 1000 * counts / pop
    # a second outcome without effect, so the bootstrap p-values compared are not all 0
    null = 1000 * rng.poisson(mu * np.exp(0.25 * treat)) / pop
    return dict(
        area=area, year=year, ft=ft, treat=treat, pop=pop, counts=counts, rate=rate, null=null
    )


def timed(fn, repeat=3):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def peak_mb(fn):
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


ROWS: list[tuple] = []


def row(step, ours, theirs, mem, agree):
    ratio = f"{ours / theirs:6.2f}" if theirs else "     —"
    th = f"{theirs:8.3f}" if theirs else "       —"
    ROWS.append((step, ours, th, ratio, mem, agree))
    print(f"{step:<44} {ours:8.3f} {th} {ratio} {mem:8.1f}  {agree}", flush=True)


STEPS = ("twfe", "poisson", "event", "wild", "ri", "synth", "cs")
GRID_SIZES = (200, 2_000, 20_000)


def _grid_steps(d, df, pf):
    """(name, ours, pyfixest, pick estimates and SEs) for one panel of the grid."""
    kw = dict(area=d["area"], period=d["year"])
    return [
        (
            "TWFE OLS, CR1 by area",
            lambda: twfe(d["rate"], d["treat"], **kw),
            lambda: pf.feols("rate ~ treat | area + year", data=df, vcov={"CRV1": "area"}),
            lambda r: (r.estimate, r.se),
        ),
        (
            "Poisson FE + log-pop offset, CR1",
            lambda: poisson_fe(d["counts"], d["treat"], population=d["pop"], **kw),
            lambda: pf.fepois(
                "counts ~ treat | area + year",
                data=df,
                vcov={"CRV1": "area"},
                offset="lpop",
                iwls_tol=1e-10,
            ),
            lambda r: (r.estimate, r.se),
        ),
        (
            "event study (5 leads/lags), CR1",
            lambda: event_study(d["rate"], first_treated=d["ft"], leads=5, lags=5, **kw),
            lambda: pf.feols("rate ~ i(rel, ref=-1) | area + year", data=df, vcov={"CRV1": "area"}),
            lambda r: (r.coef, r.se),
        ),
    ]


def _grid(sizes) -> None:
    """TWFE, Poisson FE and the event study at each size beside pyfixest (see the docstring)."""
    global N_AREAS, N_TREATED
    import pandas as pd
    import pyfixest as pf

    print(f"size grid: {list(sizes)} areas × {YEARS.size} years; pyfixest {pf.__version__}")
    print(
        f"{'areas':>6} {'step':<34} {'ours s':>8} {'pyfix s':>8} {'ratio':>6} "
        f"{'ours MB':>8} {'pyfix MB':>8}  agree (1e-6 rel)"
    )
    results = []
    for n_areas in sizes:
        N_AREAS, N_TREATED = n_areas, max(20, n_areas // 50)
        d = make_panel()
        df = pd.DataFrame(d)
        df["lpop"] = np.log(df["pop"])
        df["rel"] = (df.year - df.ft).fillna(-1).clip(-5, 5).astype(int)
        steps = _grid_steps(d, df, pf)
        for name, ours, theirs, pick in steps:
            ours()
            theirs()  # warm-up (numba JIT, caches)
            t_o, r = timed(ours)
            t_p, f = timed(theirs)
            est, se = pick(r)
            err = max(rel(est, f.coef().values), rel(se, f.se().values))
            mem_o, mem_p = peak_mb(ours), peak_mb(theirs)
            print(
                f"{n_areas:>6} {name:<34} {t_o:8.3f} {t_p:8.3f} {t_o / t_p:6.2f} "
                f"{mem_o:8.1f} {mem_p:8.1f}  {err < REL_TOL} ({err:.1e})",
                flush=True,
            )
            results.append((n_areas, name, err))
    bad = [(n, name, err) for n, name, err in results if not err < REL_TOL]
    assert not bad, f"disagreement with pyfixest beyond {REL_TOL}: {bad}"


def main() -> None:
    global N_AREAS, N_TREATED
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--areas", type=int, default=N_AREAS)
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument(
        "--grid", action="store_true", help="the size grid (TWFE, Poisson, event study)"
    )
    parser.add_argument(
        "--grid-sizes", default=",".join(str(n) for n in GRID_SIZES), help="areas per grid run"
    )
    args = parser.parse_args()
    if args.grid:
        warnings.filterwarnings("ignore")
        t_start = time.perf_counter()
        _grid([int(n) for n in args.grid_sizes.split(",")])
        print(f"\nwhole grid incl. pyfixest and repeats: {time.perf_counter() - t_start:.1f} s")
        return
    N_AREAS = args.areas
    N_TREATED = max(40, N_AREAS // 50)
    steps = set(args.steps.split(","))
    if steps - set(STEPS):
        parser.error(f"--steps: expected names among {STEPS}, got {sorted(steps - set(STEPS))}")
    warnings.filterwarnings("ignore")
    t_start = time.perf_counter()
    import pandas as pd
    import pyfixest as pf

    d = make_panel()
    df = pd.DataFrame(d)
    df["lpop"] = np.log(df["pop"])
    df["rel"] = (df.year - df.ft).fillna(-1).clip(-5, 5).astype(int)
    print(
        f"panel: {N_AREAS} areas × {YEARS.size} years = {len(df)} rows, {N_TREATED} treated "
        f"(starts {int(np.nanmin(d['ft']))}–{int(np.nanmax(d['ft']))}); pyfixest {pf.__version__}"
    )
    print(
        f"{'step':<44} {'ours s':>8} {'pyfix s':>8} {'ratio':>6} {'peak MB':>8}  agree (1e-6 rel)"
    )
    kw = dict(area=d["area"], period=d["year"])

    # warm-up both (imports, numba/JIT of pyfixest's demeaner)
    twfe(d["rate"], d["treat"], **kw)
    pf.feols("rate ~ treat | area + year", data=df, vcov={"CRV1": "area"})

    # 1. TWFE
    if "twfe" in steps:
        _twfe(d, df, kw, pf)
    if "poisson" in steps:
        _poisson(d, df, kw, pf)
    if "event" in steps:
        _event(d, df, kw, pf)
    if "wild" in steps:
        _wild(d, df, kw, pf)
    if "ri" in steps:
        _ri(d, df, kw, pf)
    if "synth" in steps:
        _synth(d)
    if "cs" in steps:
        _cs(d, df)
    _summary(t_start)


def _twfe(d, df, kw, pf):
    t_o, r = timed(lambda: twfe(d["rate"], d["treat"], **kw))
    t_p, f = timed(lambda: pf.feols("rate ~ treat | area + year", data=df, vcov={"CRV1": "area"}))
    ok = max(rel(r.estimate, f.coef().values[0]), rel(r.se, f.se().values[0]))
    row(
        "TWFE OLS, CR1 by area",
        t_o,
        t_p,
        peak_mb(lambda: twfe(d["rate"], d["treat"], **kw)),
        f"{ok < REL_TOL} ({ok:.1e})",
    )


def _poisson(d, df, kw, pf):
    def ours_pois():
        return poisson_fe(d["counts"], d["treat"], population=d["pop"], **kw)

    def pf_pois():
        return pf.fepois(
            "counts ~ treat | area + year",
            data=df,
            vcov={"CRV1": "area"},
            offset="lpop",
            iwls_tol=1e-10,
        )

    pf_pois()
    t_o, r = timed(ours_pois)
    t_p, f = timed(pf_pois)
    ok = max(rel(r.estimate, f.coef().values[0]), rel(r.se, f.se().values[0]))
    row(
        "Poisson FE + log-pop offset, CR1",
        t_o,
        t_p,
        peak_mb(ours_pois),
        f"{ok < REL_TOL} ({ok:.1e})",
    )


def _event(d, df, kw, pf):
    def ours_es():
        return event_study(d["rate"], first_treated=d["ft"], leads=5, lags=5, **kw)

    def pf_es():
        return pf.feols("rate ~ i(rel, ref=-1) | area + year", data=df, vcov={"CRV1": "area"})

    pf_es()
    t_o, r = timed(ours_es)
    t_p, f = timed(pf_es)
    ok = max(rel(r.coef, f.coef().values), rel(r.se, f.se().values))
    row(
        "event study (10 leads/lags), CR1", t_o, t_p, peak_mb(ours_es), f"{ok < REL_TOL} ({ok:.1e})"
    )


def _wild(d, df, kw, pf):
    def ours_wb():
        return wild_cluster_bootstrap(d["null"], d["treat"], draws=999, rng=1, **kw)

    t_o, r_wb = timed(ours_wb, repeat=1)
    row(
        "wild cluster bootstrap 999, 2,000 areas",
        t_o,
        None,
        peak_mb(ours_wb),
        f"p = {r_wb.p_value:.3f} (no reference: pyfixest OOM)",
    )
    small = df[df.area < 200]
    ds = {k: v[d["area"] < 200] for k, v in d.items()}
    fs = pf.feols("null ~ treat | area + year", data=small, vcov={"CRV1": "area"})
    t0 = time.perf_counter()
    p_ref = fs.wildboottest(reps=999, param="treat", seed=1)["Pr(>|t|)"]
    t_p = time.perf_counter() - t0
    t_o, r_s = timed(
        lambda: wild_cluster_bootstrap(
            ds["null"], ds["treat"], area=ds["area"], period=ds["year"], draws=999, rng=1
        )
    )
    # pyfixest and we draw different random weights: agreement within Monte Carlo error
    se_mc = np.sqrt(2 * p_ref * (1 - p_ref) / 999)
    row(
        "wild cluster bootstrap 999, 200 areas",
        t_o,
        t_p,
        peak_mb(
            lambda: wild_cluster_bootstrap(
                ds["null"], ds["treat"], area=ds["area"], period=ds["year"], draws=999, rng=1
            )
        ),
        f"p {r_s.p_value:.3f} vs {p_ref:.3f} (MC se {se_mc:.3f})",
    )


def _ri(d, df, kw, pf):
    def ours_ri():
        return randomization_inference(d["rate"], first_treated=d["ft"], draws=999, rng=1, **kw)

    t_o, r_ri = timed(ours_ri, repeat=1)
    t_p = None
    note = f"p = {r_ri.p_value:.3f}"
    try:  # pyfixest's ritest permutes cluster-level treatment over all areas: a different scheme
        t0 = time.perf_counter()
        # "area+year" without spaces: pyfixest 0.60's ritest splits the FE string on "+" verbatim
        fr = pf.feols("rate ~ treat | area+year", data=df, vcov={"CRV1": "area"})
        fr.ritest(resampvar="treat", reps=999, cluster="area", rng=np.random.default_rng(1))
        t_p = time.perf_counter() - t0
        note += " (pyfixest ritest: Fisher scheme, not comparable)"
    except Exception as exc:  # pragma: no cover - depends on the pyfixest version
        note += f" (pyfixest ritest failed here: {type(exc).__name__})"
    row("randomization inference 999, all controls", t_o, t_p, peak_mb(ours_ri), note)


def _synth(d):
    wide = d["rate"].reshape(N_AREAS, YEARS.size)
    treated_row = 0
    n_pre = int(d["ft"][treated_row * YEARS.size] - YEARS[0])
    donors = np.arange(N_TREATED, N_AREAS)

    def ours_sc():
        return synthetic_control(wide, treated=treated_row, n_pre=n_pre, donors=donors)

    t_o, r_sc = timed(ours_sc, repeat=1)
    row(
        f"synthetic control + {donors.size} placebos",
        t_o,
        None,
        peak_mb(
            lambda: synthetic_control(
                wide, treated=treated_row, n_pre=n_pre, donors=donors, placebos=False
            )
        ),
        f"gap {r_sc.estimate:.2f}, ratio p = {r_sc.p_value:.3f} (no SC library installed)",
    )


def _cs(d, df):
    import differences
    from differences import ATTgt

    from safetystats.evaluation.staggered import callaway_santanna

    def ours(n_boot):
        return callaway_santanna(
            d["rate"], area=d["area"], period=d["year"], first_treated=d["ft"], n_boot=n_boot, rng=1
        )

    def theirs(n_boot):
        kw = dict(boot_iterations=n_boot, random_state=1, n_jobs=1) if n_boot else {}
        att = ATTgt(data=df.set_index(["area", "year"]), cohort_column="ft")
        # its aggregations' bootstrap draws a progress bar on stderr that cannot be turned off
        with contextlib.redirect_stderr(io.StringIO()):
            att.fit(formula="rate", control_group="never_treated", progress_bar=False, **kw)
            out = {"gt": att.results()}
            for agg in ("simple", "event", "cohort", "time"):
                out[agg] = att.aggregate(agg, **kw)
                if agg != "simple":
                    out[agg + "_overall"] = att.aggregate(agg, overall=True, **kw)
        return out

    def values(r):
        """(estimates, standard errors) of ours in the order of the reference's tables."""
        est, se = [r.att_gt.att], [r.att_gt.se]
        est.append([r.simple.estimate])
        se.append([r.simple.se])
        for agg in ("dynamic", "group", "calendar"):
            a = getattr(r, agg)
            est += [a.estimate, [a.overall.estimate]]
            se += [a.se, [a.overall.se]]
        return np.concatenate(est), np.concatenate(se)

    def reference_values(out):
        keys = ["gt", "simple"] + [
            k for a in ("event", "cohort", "time") for k in (a, a + "_overall")
        ]
        est = np.concatenate([out[k].iloc[:, 0].to_numpy(float) for k in keys])
        se = np.concatenate([out[k].iloc[:, 1].to_numpy(float) for k in keys])
        return est, se

    ours(0)
    t_o, r = timed(lambda: ours(0))
    t_p, f = timed(lambda: theirs(0), repeat=1)
    (e_o, s_o), (e_p, s_p) = values(r), reference_values(f)
    point = float(np.max(np.abs(e_o - e_p) / np.maximum(1.0, np.abs(e_p))))
    se_err = rel(s_o, s_p)
    ok = point < 1e-8 and se_err < REL_TOL
    row(
        f"Callaway–Sant'Anna ATT(g,t) + 4 aggr. ({differences.__version__})",
        t_o,
        t_p,
        peak_mb(lambda: ours(0)),
        f"{ok} (est {point:.1e}, se {se_err:.1e})",
    )
    assert ok, (point, se_err)
    t_o, r = timed(lambda: ours(999))
    t_p, f = timed(lambda: theirs(999), repeat=1)
    # different random draws: the sup-t critical values agree within Monte Carlo error
    crit_p = float(
        ((f["event"].iloc[:, 0] - f["event"].iloc[:, 2]) / f["event"].iloc[:, 1]).iloc[0]
    )
    close = abs(r.dynamic.crit / crit_p - 1) < 0.15
    row(
        "  … with 999 bootstrap draws",
        t_o,
        t_p,
        peak_mb(lambda: ours(999)),
        f"event crit {r.dynamic.crit:.3f} vs {crit_p:.3f} ({close}, MC)",
    )
    assert close, (r.dynamic.crit, crit_p)


def _summary(t_start):
    ours_total = sum(r[1] for r in ROWS if "200 areas" not in r[0])
    print(
        f"\nour steps together (one run each of the timed figures above): {ours_total:.1f} s (target ≤ 60 s)"
    )
    print(f"whole script incl. pyfixest and repeats: {time.perf_counter() - t_start:.1f} s")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS (includes pyfixest, pandas, numba): {rss:.0f} MB")


if __name__ == "__main__":
    main()
