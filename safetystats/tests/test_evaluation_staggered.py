"""Callaway–Sant'Anna ATT(g,t) and aggregations against ``differences``, R did and statsmodels.

References: ``differences`` 0.3.0 (a Python implementation of R ``did``), frozen in
``reference/cs_*.csv`` by ``reference/make_cs_reference.py`` and re-run live; the ATT(g,t)
table that the R package ``did`` publishes for ``mpdta`` in its introductory vignette; and
statsmodels OLS/WLS with cluster-robust covariance for single 2×2 cells. Data: ``mpdta`` (500
counties, 191 treated) and a hotspot-sized panel (30 areas × 10 years, 4 treated areas, Poisson
counts with mean ≈ 2 and 23 % zeros), also with a single treated area.
"""

import csv
import warnings

import numpy as np
import pandas as pd
import pytest

from safetystats.errors import SafetystatsError
from safetystats.evaluation import staggered
from safetystats.evaluation.staggered import callaway_santanna
from safetystats.tests.reference import make_cs_reference as rc
from safetystats.tests.references import reference

#: Point estimates: |ours − reference| ≤ POINT_TOL · max(1, |reference|).
POINT_TOL = 1e-8
#: Analytic (influence-function) standard errors, relative.
SE_TOL = 1e-6
#: Bootstrap SEs and critical values on the same multiplier draws as the reference, relative.
BOOT_SAME_DRAWS_TOL = 1e-9
#: Bootstrap on our own draws against the reference's 999 draws: the IQR standard error of 999
#: draws has a Monte Carlo relative sd of about 3.7 % (normal limit), our 4,000 draws 1.9 %, so
#: 15 % is about 3.6 sd of the difference; the same for the sup-t critical value.
BOOT_MC_TOL = 0.15
#: The Wald pre-test, which differences rounds to 6 decimals.
WALD_TOL = 1e-6
#: The published table (R did vignette) prints 4 decimals.
PUBLISHED_TOL = 5e-5

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")


def read(path):
    with path.open() as fh:
        return list(csv.DictReader(fh))


def run(variant, **kw):
    dataset, control, base, anticipation, wname = rc.VARIANTS[variant]
    d = rc.load(dataset)
    kw.setdefault("n_boot", 0)
    return callaway_santanna(
        d["y"],
        area=d["area"],
        period=d["year"],
        first_treated=d["first_treated"],
        control=control,
        base=base,
        anticipation=anticipation,
        weights=None if wname is None else d[wname],
        **kw,
    )


def flatten(res, field="se"):
    """{(table, key): (estimate, se)} in the reference's keys; ``field`` picks se/boot_se."""
    out = {}
    gt = res.att_gt
    for g, t, a, s in zip(gt.cohort, gt.period, gt.att, getattr(gt, field)):
        out[("gt", f"{g}:{t}")] = (a, s)
    simple = res.simple
    out[("simple", "")] = (simple.estimate, getattr(simple, field))
    for name in ("dynamic", "group", "calendar"):
        agg = getattr(res, name)
        for k, a, s in zip(agg.index, agg.estimate, getattr(agg, field)):
            out[(name, str(k))] = (a, s)
        out[(f"{name}_overall", "")] = (agg.overall.estimate, getattr(agg.overall, field))
    return out


def compare(ours, rows):
    """Mismatches between flatten(ours) and reference rows (estimate, se)."""
    bad = []
    for r in rows:
        key = (r["table"], r["key"])
        if key[0] == "pretrend":
            continue
        if key not in ours:
            bad.append((key, "missing in ours"))
            continue
        a, s = ours[key]
        ra, rs = float(r["estimate"]), float(r["se"])
        if abs(a - ra) > POINT_TOL * max(1.0, abs(ra)):
            bad.append((key, "estimate", a, ra))
        if not np.isfinite(rs) or rs == 0:  # the reference period of base="universal"
            if np.isfinite(s):
                bad.append((key, "se should be NaN", s))
        elif not abs(s / rs - 1) < SE_TOL:
            bad.append((key, "se", s, rs))
    extra = set(ours) - {(r["table"], r["key"]) for r in rows}
    if extra:
        bad.append(("not in the reference", sorted(extra)))
    return bad


REFERENCE = read(rc.REFERENCE)


@pytest.mark.parametrize("variant", list(rc.VARIANTS))
def test_matches_differences_frozen(variant):
    rows = [r for r in REFERENCE if r["variant"] == variant]
    assert len(rows) > 10
    res = run(variant)
    assert compare(flatten(res), rows) == []
    (wald,) = [r for r in rows if r["table"] == "pretrend"]
    if variant.startswith("mpdta"):
        assert abs(res.pretrend_stat - float(wald["estimate"])) < WALD_TOL * max(
            1, res.pretrend_stat
        )
        assert abs(res.pretrend_p - float(wald["se"])) < WALD_TOL
    elif not np.isfinite(res.pretrend_stat):
        # 2 treated areas per cohort: their deviations span one direction per cohort, so the
        # pre-period covariance is singular (differences inverts it anyway and reports W < 0)
        assert any("singular" in w for w in res.warnings)


def test_frozen_reference_covers_the_hotspot_cases():
    variants = {r["variant"] for r in REFERENCE}
    assert variants == set(rc.VARIANTS)
    d = rc.hotspot_panel()
    assert d["y"].size == 300 and abs(d["y"].mean() - 2) < 0.2 and np.mean(d["y"] == 0) > 0.15
    assert np.unique(d["area"][~np.isnan(d["first_treated"])]).size == 4


def test_matches_differences_live():
    reference("differences")
    for variant in ("mpdta-notyet-universal-w", "hotspot-notyet-varying", "hotspot1-never-varying"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            live = rc.reference_rows(variant)
        frozen = [r for r in REFERENCE if r["variant"] == variant]
        assert compare(flatten(run(variant)), live) == [], variant
        assert [(r["table"], r["key"]) for r in live] == [(r["table"], r["key"]) for r in frozen]


def test_published_mpdta_table():
    """R did's introductory vignette: att_gt(lemp, first.treat, xformla = ~1) on mpdta."""
    res = run("mpdta-never-varying")
    gt = res.att_gt
    published = {
        (2004, 2004): -0.0105,
        (2004, 2005): -0.0704,
        (2004, 2006): -0.1373,
        (2004, 2007): -0.1008,
        (2006, 2004): 0.0065,
        (2006, 2005): -0.0028,
        (2006, 2006): -0.0046,
        (2006, 2007): -0.0412,
        (2007, 2004): 0.0305,
        (2007, 2005): -0.0027,
        (2007, 2006): -0.0311,
        (2007, 2007): -0.0261,
    }
    assert dict(zip(zip(gt.cohort.tolist(), gt.period.tolist()), gt.att.round(4))) == pytest.approx(
        published, abs=PUBLISHED_TOL
    )
    assert res.estimate == pytest.approx(-0.0400, abs=PUBLISHED_TOL)
    dyn = dict(zip(res.dynamic.index.tolist(), res.dynamic.estimate))
    expected = {-3: 0.0305, -2: -0.0006, -1: -0.0245, 0: -0.0199, 1: -0.0510, 2: -0.1373}
    assert {e: dyn[e] for e in expected} == pytest.approx(expected, abs=PUBLISHED_TOL)
    assert res.dynamic.overall.estimate == pytest.approx(-0.0772, abs=PUBLISHED_TOL)
    assert res.group.estimate.tolist() == pytest.approx([-0.0797, -0.0229, -0.0261], abs=5e-5)
    assert res.group.overall.estimate == pytest.approx(-0.0310, abs=PUBLISHED_TOL)
    assert res.calendar.overall.estimate == pytest.approx(-0.0417, abs=PUBLISHED_TOL)
    assert res.warnings == ()  # 191 treated counties: no few-treated caveat


# ------------------------------------------------------------------------------ bootstrap


def same_draws(monkeypatch, variant):
    """Make our bootstrap use differences' Rademacher draws (columns mapped to our clusters)."""
    d = rc.load(rc.VARIANTS[variant][0])
    appearance = pd.unique(d["area"])
    draws = rc.differences_draws(appearance.size)
    order = np.argsort(appearance)  # our clusters are the sorted area labels
    draws = draws[:, order]
    state = {"next": 0}

    def fake(gen, n_draws, n_clusters, kind):
        assert n_clusters == draws.shape[1] and kind == "rademacher"
        lo = state["next"]
        state["next"] += n_draws
        return draws[lo : lo + n_draws]

    monkeypatch.setattr(staggered, "_multiplier_draws", fake)
    return draws.shape[0]


BOOTSTRAP = read(rc.BOOTSTRAP)


@pytest.mark.parametrize("variant", rc.BOOT_VARIANTS)
def test_bootstrap_matches_differences_on_the_same_draws(monkeypatch, variant):
    n_boot = same_draws(monkeypatch, variant)
    res = run(variant, n_boot=n_boot)
    ours = flatten(res, "boot_se")
    crits = {
        "gt": res.att_gt.crit,
        "dynamic": res.dynamic.crit,
        "group": res.group.crit,
        "calendar": res.calendar.crit,
    }
    rows = [r for r in BOOTSTRAP if r["variant"] == variant]
    assert len(rows) > 20
    for r in rows:
        _, bse = ours[(r["table"], r["key"])]
        assert abs(bse / float(r["boot_se"]) - 1) < BOOT_SAME_DRAWS_TOL, r
        assert abs(crits[r["table"]] / float(r["crit"]) - 1) < BOOT_SAME_DRAWS_TOL, r
    # the uniform band is estimate ± crit · boot_se, as R did's cband
    dyn = res.dynamic
    assert np.allclose(dyn.band_high - dyn.estimate, dyn.crit * dyn.boot_se, rtol=1e-12)


def test_bootstrap_own_draws_within_monte_carlo_error():
    res = run("mpdta-never-varying", n_boot=4000, rng=7)
    rows = [r for r in BOOTSTRAP if r["variant"] == "mpdta-never-varying"]
    ours = flatten(res, "boot_se")
    for r in rows:
        _, bse = ours[(r["table"], r["key"])]
        assert abs(bse / float(r["boot_se"]) - 1) < BOOT_MC_TOL, r
    ref_crit = {r["table"]: float(r["crit"]) for r in rows}
    for table, crit in (("gt", res.att_gt.crit), ("dynamic", res.dynamic.crit)):
        assert abs(crit / ref_crit[table] - 1) < BOOT_MC_TOL, table
    # 500 counties: the bootstrap SE is the analytic one up to Monte Carlo error
    assert np.max(np.abs(res.dynamic.boot_se / res.dynamic.se - 1)) < BOOT_MC_TOL
    # a sup-t value lies between the pointwise and the Bonferroni critical value
    k = res.dynamic.index.size
    from scipy import stats

    assert stats.norm.ppf(0.975) < res.dynamic.crit < stats.norm.ppf(1 - 0.025 / k)
    # Mammen multipliers estimate the same bootstrap distribution
    mam = run("mpdta-never-varying", n_boot=4000, rng=7, multiplier="mammen")
    assert np.max(np.abs(mam.dynamic.boot_se / res.dynamic.boot_se - 1)) < BOOT_MC_TOL
    assert not np.allclose(mam.dynamic.boot_se, res.dynamic.boot_se)


def simulated_coverage(n_areas, per_cohort, reps=300):
    """Coverage of the dynamic uniform band and pointwise intervals on simulated panels.

    Two cohorts (2013, 2015) of ``per_cohort`` areas, 2010–2017, area effects and noise N(0, 1),
    a common trend, effects −0.5 − 0.1·e from the start on; 11 event times.
    """
    rng = np.random.default_rng(11)
    years = np.arange(2010, 2018)
    area, year = np.repeat(np.arange(n_areas), years.size), np.tile(years, n_areas)
    start = np.select([area < per_cohort, area < 2 * per_cohort], [2013.0, 2015.0], np.nan)
    e = year - np.nan_to_num(start, nan=9999.0)
    truth = np.where(e >= 0, -0.5 - 0.1 * e, 0.0)
    band = pointwise = 0.0
    for i in range(reps):
        noise = rng.normal(0, 1, n_areas)[area] + rng.normal(0, 1, area.size)
        y = noise + 0.1 * (year - 2010) + truth
        res = callaway_santanna(y, area=area, period=year, first_treated=start, n_boot=499, rng=i)
        dyn = res.dynamic
        true_e = np.where(dyn.index >= 0, -0.5 - 0.1 * dyn.index, 0.0)
        band += np.all((dyn.band_low <= true_e) & (true_e <= dyn.band_high))
        pointwise += np.mean((dyn.ci_low <= true_e) & (true_e <= dyn.ci_high))
    return band / reps, pointwise / reps, res


def test_uniform_band_covers_the_event_study_in_about_95_percent():
    """600 areas, 100 treated per cohort: simultaneous and pointwise coverage ≈ 0.95.

    (With 20 treated areas per cohort the same design gives about 0.88: the influence-function
    variance of a mean of 20 is biased down by (n − 1)/n, compounded over 11 event times.)
    """
    band, pointwise, _ = simulated_coverage(600, 100)
    # binomial sd at 0.95 with 300 replications is 0.0126: the interval is about ±3.5 sd
    assert 0.905 <= band <= 0.99
    assert 0.925 <= pointwise <= 0.975


def test_with_hotspot_numbers_of_treated_areas_the_intervals_are_far_too_narrow():
    """2 treated areas per cohort (4 in all): what the few-treated warning is about."""
    band, pointwise, res = simulated_coverage(200, 2)
    assert band < 0.5 and pointwise < 0.85  # measured: 0.21 and 0.72
    assert any("only 4 treated area(s)" in w for w in res.warnings)


# ------------------------------------------------------------------------------ clusters and 2×2


CLUSTER = read(rc.CLUSTER)


@pytest.mark.parametrize("variant", rc.CLUSTER_VARIANTS)
def test_cluster_robust_se_equals_cluster_sums_of_the_reference_influence_functions(variant):
    d = rc.load(rc.VARIANTS[variant][0])
    res = run(variant, cluster=d["area"] // 1000)  # counties in states
    ours = flatten(res)
    rows = [r for r in CLUSTER if r["variant"] == variant]
    assert len(rows) > 20
    for r in rows:
        _, s = ours[(r["table"], r["key"])]
        assert abs(s / float(r["se"]) - 1) < SE_TOL, r
    assert res.n_clusters == np.unique(d["area"] // 1000).size


def test_cluster_sums_from_live_reference():
    reference("differences")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        live = rc.cluster_rows("mpdta-never-varying")
    frozen = [r for r in CLUSTER if r["variant"] == "mpdta-never-varying"]
    assert [(r["table"], r["key"]) for r in frozen] == [(r["table"], r["key"]) for r in live]
    assert [float(r["se"]) for r in frozen] == pytest.approx([r["se"] for r in live], rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_single_cell_se_is_the_cluster_robust_ols_of_the_2x2(weighted):
    """ATT(g,t) is the coefficient of ΔY on the cohort dummy; its SE is CR0 (HC0 per area)."""
    sm = reference("statsmodels.api")
    d = rc.hotspot_panel()
    w = d["pop"] if weighted else None
    clusters = d["area"] // 3  # 10 clusters of 3 areas
    res = callaway_santanna(
        d["y"],
        area=d["area"],
        period=d["year"],
        first_treated=d["first_treated"],
        weights=w,
        cluster=clusters,
        n_boot=0,
    )
    plain = callaway_santanna(
        d["y"],
        area=d["area"],
        period=d["year"],
        first_treated=d["first_treated"],
        weights=w,
        n_boot=0,
    )
    wide = d["y"].reshape(30, 10)
    g_area = d["first_treated"][::10]
    pop = d["pop"][::10]
    gt = res.att_gt
    for i in range(gt.att.size):
        g, t, b = gt.cohort[i], gt.period[i], gt.base_period[i]
        sample = (g_area == g) | np.isnan(g_area)
        dy = (wide[:, t - 2010] - wide[:, b - 2010])[sample]
        x = sm.add_constant((g_area[sample] == g).astype(float))
        model = sm.WLS(dy, x, weights=pop[sample]) if weighted else sm.OLS(dy, x)
        cr = model.fit(
            cov_type="cluster",
            cov_kwds={"groups": clusters[::10][sample], "use_correction": False},
        )
        hc = model.fit(cov_type="HC0")
        assert abs(gt.att[i] - cr.params[1]) < POINT_TOL
        assert abs(gt.se[i] / cr.bse[1] - 1) < SE_TOL
        assert abs(plain.att_gt.se[i] / hc.bse[1] - 1) < SE_TOL


def test_cluster_by_area_is_the_default():
    d = rc.hotspot_panel()
    kw = dict(area=d["area"], period=d["year"], first_treated=d["first_treated"], rng=3)
    a = callaway_santanna(d["y"], **kw)
    # labels that sort as the areas do, so that the same draws fall on the same areas
    b = callaway_santanna(d["y"], cluster=d["area"] + 100, **kw)
    assert np.allclose(a.dynamic.se, b.dynamic.se, rtol=1e-13)
    assert np.allclose(a.dynamic.band_low, b.dynamic.band_low, rtol=1e-13)
    assert (a.n_clusters, a.n_treated_clusters) == (b.n_clusters, b.n_treated_clusters) == (30, 4)


# ------------------------------------------------------------------------------ properties


def test_invariant_to_row_order_and_weight_scale():
    d = rc.hotspot_panel()
    kw = dict(control="not_yet", base="universal", rng=5)
    a = callaway_santanna(
        d["y"],
        area=d["area"],
        period=d["year"],
        first_treated=d["first_treated"],
        weights=d["pop"],
        **kw,
    )
    p = np.random.default_rng(0).permutation(d["y"].size)
    b = callaway_santanna(
        d["y"][p],
        area=d["area"][p],
        period=d["year"][p],
        first_treated=d["first_treated"][p],
        weights=3.7 * d["pop"][p],
        **kw,
    )
    for x, y in ((a.att_gt.att, b.att_gt.att), (a.dynamic.se, b.dynamic.se)):
        assert np.allclose(x, y, rtol=1e-12, atol=1e-14, equal_nan=True)
    assert a.group.overall.se == pytest.approx(b.group.overall.se, rel=1e-12)


def test_outcome_levels_far_from_zero_lose_no_precision():
    d = rc.load("mpdta")
    kw = dict(area=d["area"], period=d["year"], first_treated=d["first_treated"], n_boot=0)
    a = callaway_santanna(d["y"], **kw)
    b = callaway_santanna(d["y"] + 1e6, **kw)  # lemp is 1–11: changes of 0.01 on 10^6
    assert np.max(np.abs(a.att_gt.att - b.att_gt.att)) < POINT_TOL
    assert np.max(np.abs(b.dynamic.se / a.dynamic.se - 1)) < SE_TOL
    assert abs(b.pretrend_stat / a.pretrend_stat - 1) < SE_TOL


def test_effect_recovered_and_universal_reference_is_zero():
    rng = np.random.default_rng(2)
    years = np.arange(2005, 2015)
    area, year = np.repeat(np.arange(80), years.size), np.tile(years, 80)
    start = np.select([area < 15, area < 30], [2008.0, 2011.0], np.nan)
    eff = np.where(year >= start, -2.0, 0.0)
    y = rng.normal(0, 1, 80)[area] + 0.2 * (year - 2005) + eff + rng.normal(0, 0.2, area.size)
    res = callaway_santanna(y, area=area, period=year, first_treated=start, base="universal", rng=1)
    assert res.ci_low < -2.0 < res.ci_high and abs(res.estimate + 2) < 0.1
    ref = res.att_gt.period == res.att_gt.base_period
    assert np.all(res.att_gt.att[ref] == 0) and np.all(np.isnan(res.att_gt.se[ref]))
    assert res.att_gt.base_period[res.att_gt.cohort == 2008].tolist() == [2007] * 10
    i = res.dynamic.index.tolist().index(-1)
    assert res.dynamic.estimate[i] == 0 and np.isnan(res.dynamic.band_low[i])
    assert res.pretrend_p > 0.001 and res.n_treated_areas == 30 and res.n_areas == 80


def test_late_starts_are_controls_and_incomplete_areas_are_left_out():
    d = rc.hotspot_panel()
    base = callaway_santanna(
        d["y"], area=d["area"], period=d["year"], first_treated=d["first_treated"], rng=1
    )
    late = np.where(d["area"] == 29, 2025.0, d["first_treated"])
    res = callaway_santanna(d["y"], area=d["area"], period=d["year"], first_treated=late, rng=1)
    assert np.array_equal(res.att_gt.att, base.att_gt.att)
    assert any("start after the last period" in w for w in res.warnings)
    keep = ~((d["area"] == 5) & (d["year"] == 2012))
    gap = callaway_santanna(
        d["y"][keep],
        area=d["area"][keep],
        period=d["year"][keep],
        first_treated=d["first_treated"][keep],
        rng=1,
    )
    drop = d["area"] != 5
    ref = callaway_santanna(
        d["y"][drop],
        area=d["area"][drop],
        period=d["year"][drop],
        first_treated=d["first_treated"][drop],
        rng=1,
    )
    assert np.allclose(gap.dynamic.se, ref.dynamic.se, equal_nan=True)
    assert any("not observed in every period" in w and "[5]" in w for w in gap.warnings)
    assert gap.n_areas == 29


def test_few_treated_areas_are_flagged():
    four = run("hotspot-never-varying")
    assert any("only 4 treated area(s)" in w for w in four.warnings)
    one = run("hotspot1-never-varying")
    assert any("single treated area" in w and "[2014]" in w for w in one.warnings)
    # with one treated area its own deviation is zero: the SE is the controls' part alone
    d = rc.load("hotspot1")
    wide = d["y"].reshape(30, 10)
    ctrl = np.isnan(d["first_treated"][::10])
    i = np.flatnonzero((one.att_gt.cohort == 2014) & (one.att_gt.period == 2015))[0]
    dy = wide[ctrl, 5] - wide[ctrl, 3]
    assert one.att_gt.se[i] == pytest.approx(dy.std() / np.sqrt(ctrl.sum()), rel=1e-12)
    clustered = run("hotspot-never-varying", cluster=rc.hotspot_panel()["area"] // 2)
    assert any("only 2 cluster(s) with treated areas" in w for w in clustered.warnings)


def test_no_never_treated_uses_the_last_cohort():
    res = run("mpdta-nonever-notyet-varying")
    assert any("last cohort (2007)" in w for w in res.warnings)
    assert res.periods.tolist() == [2003, 2004, 2005, 2006]
    assert set(res.att_gt.cohort.tolist()) == {2004, 2006}
    assert not any("control area" in w for w in res.warnings)
    # a single area left as the comparison: its noise cannot be estimated either
    d = rc.hotspot_panel()
    keep = d["area"] < 4
    start = np.where(d["area"] == 3, 2017.0, d["first_treated"])[keep]
    one = callaway_santanna(
        d["y"][keep],
        area=d["area"][keep],
        period=d["year"][keep],
        first_treated=start,
        control="not_yet",
        n_boot=0,
    )
    assert one.att_gt.n_controls.min() == 1
    assert any("fewer than 2 control areas" in w for w in one.warnings)


def test_no_bootstrap_and_reproducible_draws():
    d = rc.hotspot_panel()
    kw = dict(area=d["area"], period=d["year"], first_treated=d["first_treated"])
    none = callaway_santanna(d["y"], n_boot=0, **kw)
    assert np.all(np.isnan(none.dynamic.band_low)) and np.isnan(none.dynamic.crit)
    assert np.isfinite(none.dynamic.se[none.dynamic.index != -1]).all()
    a = callaway_santanna(d["y"], rng=42, **kw)
    b = callaway_santanna(d["y"], rng=np.random.default_rng(42), **kw)
    assert a.dynamic.crit == b.dynamic.crit and np.isfinite(a.dynamic.crit)
    c = callaway_santanna(d["y"], rng=42, level=0.9, **kw)
    assert c.dynamic.crit < a.dynamic.crit and c.simple.ci_high < a.simple.ci_high


# ------------------------------------------------------------------------------ refused input


def hotspot_kwargs(**over):
    d = rc.hotspot_panel()
    kw = dict(area=d["area"], period=d["year"], first_treated=d["first_treated"], n_boot=0)
    kw.update(over)
    return d["y"], kw


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (
            lambda y, kw: kw.update(
                first_treated=np.where(kw["area"] == 0, 2010.0, kw["first_treated"])
            ),
            "panel.no_pre_period",
            "start after the first period 2010",
        ),
        (
            lambda y, kw: kw.update(
                first_treated=np.where(kw["area"] == 0, 2001.0, kw["first_treated"])
            ),
            "panel.no_pre_period",
            "got \\[0\\]",
        ),
        (
            lambda y, kw: kw.update(
                first_treated=np.where(kw["area"] == 0, 0.0, kw["first_treated"])
            ),
            "panel.no_pre_period",
            "use NaN, not 0",
        ),
        (
            lambda y, kw: kw.update(
                first_treated=np.where(kw["area"] == 0, 2011.0, kw["first_treated"]), anticipation=1
            ),
            "panel.no_pre_period",
            "anticipation of 1",
        ),
        (
            lambda y, kw: kw.update(
                first_treated=np.where(kw["area"] == 0, 2014.5, kw["first_treated"])
            ),
            "panel.first_treated_off_grid",
            "2014.5",
        ),
        (
            lambda y, kw: kw.update(
                first_treated=np.where(np.isnan(kw["first_treated"]), 2017.0, kw["first_treated"])
            ),
            "panel.no_controls",
            "control='not_yet'",
        ),
        (
            lambda y, kw: kw.update(first_treated=np.full(y.size, np.nan)),
            "panel.no_treated",
            "none",
        ),
        (lambda y, kw: y.__setitem__(7, np.nan), "input.not_finite", "y"),
        (lambda y, kw: kw.update(period=kw["period"] + 0.5), "input.not_integer", "period"),
        (
            lambda y, kw: kw.update(
                first_treated=np.where(
                    (kw["area"] == 0) & (kw["period"] > 2015), 2016.0, kw["first_treated"]
                )
            ),
            "panel.first_treated_varies",
            "first_treated",
        ),
        (
            lambda y, kw: kw.update(weights=np.where(kw["area"] == 3, 0.0, 1.0)),
            "weights.not_positive",
            "positive",
        ),
        (lambda y, kw: kw.update(weights=1.0 + (kw["period"] == 2012)), "input.shape", "per area"),
        (lambda y, kw: kw.update(cluster=kw["period"]), "panel.clusters_split_areas", "nested"),
        (lambda y, kw: kw.update(cluster=np.zeros(y.size)), "panel.too_few_clusters", "2 clusters"),
        (
            lambda y, kw: kw.update(period=np.where(kw["period"] == 2011, 2010, kw["period"])),
            "panel.duplicated_rows",
            "one row per area",
        ),
        (lambda y, kw: kw.update(control="nevertreated"), "input.choice", "control"),
        (lambda y, kw: kw.update(base="long"), "input.choice", "base"),
        (lambda y, kw: kw.update(multiplier="webb"), "input.choice", "multiplier"),
        (lambda y, kw: kw.update(anticipation=-1), "input.out_of_range", "anticipation"),
        (lambda y, kw: kw.update(anticipation=0.5), "input.not_integer", "anticipation"),
        (lambda y, kw: kw.update(n_boot=9.5), "input.not_integer", "n_boot"),
        (lambda y, kw: kw.update(level=95), "input.level", "level"),
        (lambda y, kw: kw.update(area=kw["area"][:-1]), "input.length", "area"),
    ],
)
def test_refused_input(change, code, message):
    y, kw = hotspot_kwargs()
    y = y.copy()
    change(y, kw)
    with pytest.raises(SafetystatsError, match=message) as exc:
        callaway_santanna(y, **kw)
    assert exc.value.code == code


def test_refused_constant_outcome_and_all_treated_with_never():
    y, kw = hotspot_kwargs()
    with pytest.raises(SafetystatsError) as exc:
        callaway_santanna(np.ones_like(y), **kw)
    assert exc.value.code == "outcome.constant"
    one_cohort = np.where(np.isnan(kw["first_treated"]), 2014.0, 2014.0)
    with pytest.raises(SafetystatsError) as exc:
        callaway_santanna(y, **{**kw, "first_treated": one_cohort, "control": "not_yet"})
    assert exc.value.code == "panel.no_controls"
