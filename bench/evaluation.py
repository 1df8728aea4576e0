"""Benchmark of safetystats.evaluation against pyfixest on a large staggered panel (issues 7, 12).

Panel: 2,000 areas × 15 years, 40 treated areas with staggered starts. Each step prints our time
(median of 3 for the fast steps, after a warm-up), the reference's time for the same computation
in the same run, the ratio, the peak traced memory of ours and of the reference (tracemalloc, a
separate untimed run of each; pyfixest's numba kernels allocate partly outside what tracemalloc
sees, so its figure is a lower bound) and the agreement. Every step asserts the agreement it
prints: the script fails at the end if any row disagrees.

- twfe, poisson, event: TWFE (CR1 by area), Poisson FE with a log-population offset (CR1) and the
  event study (5 leads and lags, CR1) beside pyfixest ``feols``/``fepois`` (its default numba
  backend): coefficients and standard errors within 1e-6 relative.
- wild: our wild cluster bootstrap (999 Rademacher draws, H0 imposed) on the whole panel, its t
  statistic against pyfixest's CR1 t (1e-6). The reference, wildboottest through pyfixest, builds
  dense fixed-effect dummies and one (G+T)² block per cluster — about 61 GB at 2,000 areas — so it
  runs only where that fits in WILDBOOTTEST_BUDGET; otherwise also on a 200-area sub-panel (the
  first 40 treated areas and 160 control areas), ours beside it: the p-values drawn with different
  random weights agree within 4 Monte Carlo standard errors.
- ri: randomization inference over the control pool (999 placebo assignments); its observed
  estimate against pyfixest's TWFE coefficient (1e-6). pyfixest's ``ritest`` permutes the
  treatment over all clusters (a Fisher scheme, not comparable); its time is shown where it runs
  (pyfixest 0.60 fails on these panels with a singular matrix).
- synth: synthetic control for one treated area with every control area as donor and placebo
  (no synthetic-control library installed: the weights are checked to lie on the simplex).
- cs: Callaway–Sant'Anna beside the PyPI package ``differences``: the ATT(g,t) with the four
  aggregations and their overall values and analytic standard errors (estimates 1e-8 absolute on
  the max(1, |value|) scale, standard errors 1e-6 relative), then the same with 999
  multiplier-bootstrap draws (differences with ``n_jobs=1``): the sup-t critical values of the
  event aggregation within 15 % (Monte Carlo).

Run: ``python bench/evaluation.py`` (pyfixest, wildboottest and differences must be installed;
they are test/benchmark-only references, never runtime dependencies). Options: ``--areas 20000``
for a larger panel, ``--steps twfe,poisson`` to run only some steps (twfe, poisson, event, wild,
ri, synth, cs).

``--grid`` (not the default: ``make bench`` stays quick) runs instead the size grid of issue 12:
the steps twfe, poisson, event, wild, ri and cs (or those of ``--steps``) at 200, 2,000 and 20,000
areas × 15 years (``--grid-sizes 200,2000`` for some of them), with 20 treated areas or 2 % of
them, whichever is more. Every run of these stays under 60 s at 20,000 areas (measured: ours at
most 20 s, randomization inference; differences at most 32 s, with the bootstrap), so every
estimator runs at every size beside its reference; only wildboottest runs at 200 areas alone
(above, it would need the memory its row states: 61 GB at 2,000 areas). The whole grid takes
about 5 minutes on two cores.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
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
#: wild bootstrap p-values from different random draws: within this many Monte Carlo s.e.
MC_SIGMAS = 4.0
#: Callaway–Sant'Anna bootstrap critical values from different random draws: relative.
CRIT_TOL = 0.15
#: run wildboottest only if its dense per-cluster blocks, G·(G+T)² floats, fit in this many bytes
WILDBOOTTEST_BUDGET = 2 * 2**30
#: the wild bootstrap sub-panel beside wildboottest: this many areas, at most SUB_TREATED treated
SUB_AREAS, SUB_TREATED = 200, 40
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


def frame(d):
    import pandas as pd

    df = pd.DataFrame(d)
    df["lpop"] = np.log(df["pop"])
    df["rel"] = (df.year - df.ft).fillna(-1).clip(-5, 5).astype(int)
    return df


def sub_panel(d, n_areas=SUB_AREAS, n_treated=SUB_TREATED):
    """The rows of the first ``n_treated`` treated areas and of enough control areas to make
    ``n_areas`` — always both, whatever the size and treated share of the whole panel."""
    ft_area = d["ft"][:: YEARS.size]  # rows are area-major, one per year
    treated = np.flatnonzero(np.isfinite(ft_area))[:n_treated]
    controls = np.flatnonzero(~np.isfinite(ft_area))[: n_areas - treated.size]
    assert treated.size and controls.size, (treated.size, controls.size)
    keep = np.isin(d["area"], np.concatenate([treated, controls]))
    return {k: v[keep] for k, v in d.items()}, treated.size, controls.size


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


@dataclasses.dataclass(frozen=True)
class Row:
    areas: int
    step: str
    ours: float
    ref: float | None
    ours_mb: float
    ref_mb: float | None
    agree: str
    ok: bool
    #: counted in "our steps together" (not a rerun of a step on a sub-panel)
    in_total: bool = True


ROWS: list[Row] = []
HEADER = (
    f"{'areas':>6} {'step':<46} {'ours s':>8} {'ref s':>8} {'ratio':>6} "
    f"{'ours MB':>8} {'ref MB':>8}  agreement (asserted)"
)


def emit(r: Row) -> None:
    ref = f"{r.ref:8.3f}" if r.ref else f"{'—':>8}"
    ratio = f"{r.ours / r.ref:6.2f}" if r.ref else f"{'—':>6}"
    ref_mb = f"{r.ref_mb:8.1f}" if r.ref_mb is not None else f"{'—':>8}"
    flag = "" if r.ok else "  <-- DISAGREES"
    print(
        f"{r.areas:>6} {r.step:<46} {r.ours:8.3f} {ref} {ratio} {r.ours_mb:8.1f} {ref_mb}  "
        f"{r.agree}{flag}",
        flush=True,
    )
    ROWS.append(r)


def check_rows(rows) -> None:
    bad = [(r.areas, r.step, r.agree) for r in rows if not r.ok]
    assert not bad, f"disagreement with the references: {bad}"


STEPS = ("twfe", "poisson", "event", "wild", "ri", "synth", "cs")
GRID_STEPS = ("twfe", "poisson", "event", "wild", "ri", "cs")
GRID_SIZES = (200, 2_000, 20_000)


def _compare(n, name, ours, theirs, pick, *, theirs_pick=None):
    """One fast step beside pyfixest: warm-up, median of 3, peak memory, agreement."""
    ours()
    theirs()  # warm-up (numba JIT, caches)
    t_o, r = timed(ours)
    t_p, f = timed(theirs)
    est, se = pick(r)
    ref_est, ref_se = (f.coef().values, f.se().values) if theirs_pick is None else theirs_pick(f)
    err = max(rel(est, ref_est), rel(se, ref_se))
    emit(
        Row(
            n,
            name,
            t_o,
            t_p,
            peak_mb(ours),
            peak_mb(theirs),
            f"{err < REL_TOL} ({err:.1e} rel)",
            err < REL_TOL,
        )
    )


def _twfe(c):
    d, kw = c["d"], c["kw"]
    _compare(
        c["n"],
        "TWFE OLS, CR1 by area",
        lambda: twfe(d["rate"], d["treat"], **kw),
        lambda: c["pf"].feols("rate ~ treat | area + year", data=c["df"], vcov={"CRV1": "area"}),
        lambda r: (r.estimate, r.se),
    )


def _poisson(c):
    d, kw = c["d"], c["kw"]
    _compare(
        c["n"],
        "Poisson FE + log-pop offset, CR1",
        lambda: poisson_fe(d["counts"], d["treat"], population=d["pop"], **kw),
        lambda: c["pf"].fepois(
            "counts ~ treat | area + year",
            data=c["df"],
            vcov={"CRV1": "area"},
            offset="lpop",
            iwls_tol=1e-10,
        ),
        lambda r: (r.estimate, r.se),
    )


def _event(c):
    d, kw = c["d"], c["kw"]
    _compare(
        c["n"],
        "event study (5 leads/lags), CR1",
        lambda: event_study(d["rate"], first_treated=d["ft"], leads=5, lags=5, **kw),
        lambda: c["pf"].feols(
            "rate ~ i(rel, ref=-1) | area + year", data=c["df"], vcov={"CRV1": "area"}
        ),
        lambda r: (r.coef, r.se),
    )


def wildboottest_bytes(d) -> float:
    """What wildboottest's dense per-cluster blocks X_gᵀX_g take: G·(G+T)² floats."""
    g = np.unique(d["area"]).size
    return 8.0 * g * (g + np.unique(d["year"]).size) ** 2


def _wild_rows(n, label, d, pf, *, in_total=True):
    """Ours on panel ``d``: t against pyfixest's CR1 t; p against wildboottest where it fits."""
    import pandas as pd

    kw = dict(area=d["area"], period=d["year"])

    def ours():
        return wild_cluster_bootstrap(d["null"], d["treat"], draws=999, rng=1, **kw)

    ours()  # warm-up
    t_o, r = timed(ours, repeat=3 if d["area"].size <= 30_000 else 1)
    mem_o = peak_mb(ours)
    df = pd.DataFrame(d)
    fit = pf.feols("null ~ treat | area + year", data=df, vcov={"CRV1": "area"})
    t_err = rel(r.statistic, fit.tstat().values[0])
    ok, note = t_err < REL_TOL, f"t {t_err:.1e} rel"
    target = f"; ≤ 10 s & ≤ 1 GB: {t_o <= 10 and mem_o <= 1024}" if in_total else ""
    need = wildboottest_bytes(d)
    if need > WILDBOOTTEST_BUDGET:
        emit(
            Row(
                n,
                label,
                t_o,
                None,
                mem_o,
                None,
                f"{ok} ({note}; wildboottest not run: needs ≈ {need / 2**30:,.0f} GB){target}",
                ok,
                in_total,
            )
        )
        return False

    def theirs():
        return fit.wildboottest(reps=999, param="treat", seed=1)["Pr(>|t|)"]

    t_p, p_ref = timed(theirs, repeat=1)
    mem_p = peak_mb(theirs)
    # pyfixest and we draw different random weights: agreement within Monte Carlo error
    p_mid = (r.p_value + p_ref) / 2
    sigma = np.sqrt(2 * p_mid * (1 - p_mid) / 999)
    p_ok = abs(r.p_value - p_ref) <= MC_SIGMAS * sigma + 1e-12
    ok = ok and p_ok
    emit(
        Row(
            n,
            label,
            t_o,
            t_p,
            mem_o,
            mem_p,
            f"{ok} (p {r.p_value:.3f} vs {p_ref:.3f}, {MC_SIGMAS:g} MC se {MC_SIGMAS * sigma:.3f}; "
            f"{note}){target}",
            ok,
            in_total,
        )
    )
    return True


def _wild(c):
    n, d, pf = c["n"], c["d"], c["pf"]
    ran = _wild_rows(n, f"wild cluster bootstrap 999, {n:,} areas", d, pf)
    if not ran and not c["grid"]:  # the grid's own 200-area run holds the reference
        ds, n_t, n_c = sub_panel(d)
        _wild_rows(
            n,
            f"  … on a {n_t + n_c}-area sub-panel ({n_t} treated)",
            ds,
            pf,
            in_total=False,
        )


def _ri(c):
    n, d, kw, pf, df = c["n"], c["d"], c["kw"], c["pf"], c["df"]

    def ours_ri():
        return randomization_inference(d["rate"], first_treated=d["ft"], draws=999, rng=1, **kw)

    t_o, r = timed(ours_ri, repeat=1)
    fit = pf.feols("rate ~ treat | area + year", data=df, vcov={"CRV1": "area"})
    err = rel(r.estimate, fit.coef().values[0])
    consistent = r.n_assignments == 999 and np.isclose(
        r.p_value, (1 + r.n_extreme) / (1 + r.n_assignments)
    )
    ok = err < REL_TOL and consistent
    note = f"{ok} (estimate {err:.1e} rel; p = {r.p_value:.3f})"
    t_p = None
    if not c["grid"]:
        try:  # pyfixest's ritest permutes cluster-level treatment over all areas: another scheme
            t0 = time.perf_counter()
            # "area+year" without spaces: pyfixest 0.60's ritest splits the FE string on "+"
            fr = pf.feols("rate ~ treat | area+year", data=df, vcov={"CRV1": "area"})
            fr.ritest(resampvar="treat", reps=999, cluster="area", rng=np.random.default_rng(1))
            t_p = time.perf_counter() - t0
            note += " (ritest: Fisher scheme, not comparable)"
        except Exception as exc:  # pragma: no cover - depends on the pyfixest version
            note += f" (pyfixest ritest failed here: {type(exc).__name__})"
    emit(
        Row(
            n,
            "randomization inference 999, all controls",
            t_o,
            t_p,
            peak_mb(ours_ri),
            None,
            note,
            ok,
        )
    )


def _synth(c):
    n, d = c["n"], c["d"]
    wide = d["rate"].reshape(N_AREAS, YEARS.size)
    treated_row = 0
    n_pre = int(d["ft"][treated_row * YEARS.size] - YEARS[0])
    donors = np.arange(N_TREATED, N_AREAS)

    def ours_sc():
        return synthetic_control(wide, treated=treated_row, n_pre=n_pre, donors=donors)

    t_o, r_sc = timed(ours_sc, repeat=1)
    w = np.asarray(r_sc.weights, float)
    ok = bool(np.all(w >= -1e-12) and abs(w.sum() - 1) < 1e-9)
    emit(
        Row(
            n,
            f"synthetic control + {donors.size} placebos",
            t_o,
            None,
            peak_mb(
                lambda: synthetic_control(
                    wide, treated=treated_row, n_pre=n_pre, donors=donors, placebos=False
                )
            ),
            None,
            f"{ok} (weights on the simplex; gap {r_sc.estimate:.2f}, ratio p = "
            f"{r_sc.p_value:.3f}; no SC library installed)",
            ok,
        )
    )


def _cs(c):
    import differences
    from differences import ATTgt

    from safetystats.evaluation.staggered import callaway_santanna

    n, d, df = c["n"], c["d"], c["df"]

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
    ok = e_o.shape == e_p.shape and point < 1e-8 and se_err < REL_TOL
    emit(
        Row(
            n,
            f"Callaway–Sant'Anna ATT(g,t) + 4 aggr. ({differences.__version__})",
            t_o,
            t_p,
            peak_mb(lambda: ours(0)),
            peak_mb(lambda: theirs(0)),
            f"{ok} (est {point:.1e}, se {se_err:.1e} rel)",
            ok,
        )
    )
    t_o, r = timed(lambda: ours(999))
    t_p, f = timed(lambda: theirs(999), repeat=1)
    # different random draws: the sup-t critical values agree within Monte Carlo error
    crit_p = float(
        ((f["event"].iloc[:, 0] - f["event"].iloc[:, 2]) / f["event"].iloc[:, 1]).iloc[0]
    )
    close = abs(r.dynamic.crit / crit_p - 1) < CRIT_TOL
    emit(
        Row(
            n,
            "  … with 999 bootstrap draws",
            t_o,
            t_p,
            peak_mb(lambda: ours(999)),
            peak_mb(lambda: theirs(999)),
            f"{close} (event crit {r.dynamic.crit:.3f} vs {crit_p:.3f}, MC {CRIT_TOL:.0%})",
            close,
        )
    )


STEP_FUNCTIONS = {
    "twfe": _twfe,
    "poisson": _poisson,
    "event": _event,
    "wild": _wild,
    "ri": _ri,
    "synth": _synth,
    "cs": _cs,
}


def _context(pf, *, grid):
    d = make_panel()
    return dict(
        n=N_AREAS, d=d, df=frame(d), pf=pf, kw=dict(area=d["area"], period=d["year"]), grid=grid
    )


def _grid(sizes, steps) -> None:
    """The chosen steps at each size (see the docstring)."""
    global N_AREAS, N_TREATED
    import pyfixest as pf

    print(
        f"size grid: {list(sizes)} areas × {YEARS.size} years, steps {list(steps)}; "
        f"pyfixest {pf.__version__}"
    )
    print(HEADER)
    for n_areas in sizes:
        N_AREAS, N_TREATED = n_areas, max(20, n_areas // 50)
        c = _context(pf, grid=True)
        for step in steps:
            STEP_FUNCTIONS[step](c)
    check_rows(ROWS)


def main() -> None:
    global N_AREAS, N_TREATED
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--areas", type=int, default=N_AREAS)
    parser.add_argument("--steps", default=None, help=f"some of {','.join(STEPS)}")
    parser.add_argument("--grid", action="store_true", help="the size grid of issue 12")
    parser.add_argument(
        "--grid-sizes", default=",".join(str(n) for n in GRID_SIZES), help="areas per grid run"
    )
    args = parser.parse_args()
    allowed = GRID_STEPS if args.grid else STEPS
    steps = allowed if args.steps is None else tuple(args.steps.split(","))
    if set(steps) - set(allowed):
        parser.error(
            f"--steps: expected names among {allowed}, got {sorted(set(steps) - set(allowed))}"
        )
    warnings.filterwarnings("ignore")
    t_start = time.perf_counter()
    if args.grid:
        _grid([int(n) for n in args.grid_sizes.split(",")], steps)
        print(f"\nwhole grid incl. references and repeats: {time.perf_counter() - t_start:.1f} s")
        return
    N_AREAS = args.areas
    N_TREATED = max(40, N_AREAS // 50)
    import pyfixest as pf

    c = _context(pf, grid=False)
    d = c["d"]
    print(
        f"panel: {N_AREAS} areas × {YEARS.size} years = {d['area'].size} rows, {N_TREATED} treated "
        f"(starts {int(np.nanmin(d['ft']))}–{int(np.nanmax(d['ft']))}); pyfixest {pf.__version__}"
    )
    print(HEADER)
    for step in STEPS:  # in the documented order, whatever the order of --steps
        if step in steps:
            STEP_FUNCTIONS[step](c)
    _summary(t_start)
    check_rows(ROWS)


def _summary(t_start):
    ours_total = sum(r.ours for r in ROWS if r.in_total)
    print(
        f"\nour steps together (one run each of the timed figures above): {ours_total:.1f} s (target ≤ 60 s)"
    )
    print(f"whole script incl. references and repeats: {time.perf_counter() - t_start:.1f} s")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS (includes pyfixest, pandas, numba): {rss:.0f} MB")


if __name__ == "__main__":
    main()
