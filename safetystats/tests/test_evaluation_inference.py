"""Wild cluster bootstrap against pyfixest/wildboottest; randomization inference against brute force."""

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from safetystats.evaluation import poisson_fe, randomization_inference, twfe, wild_cluster_bootstrap
from safetystats.tests.references import reference

pf = reference("pyfixest")
reference("wildboottest")

pytestmark = pytest.mark.filterwarnings(
    "ignore::UserWarning", "ignore::DeprecationWarning", "ignore:.*inplace.*"
)

#: Full enumeration of Rademacher weights is deterministic: p-values must agree exactly
#: (they are multiples of 1/2^G; the tolerance only absorbs float formatting) ...
P_TOL_ENUMERATION = 1e-12
#: ... except for ties: under WCR the draws v = +1 and v = -1 reproduce |t| exactly. We count
#: them as extreme (as an exact test does); wildboottest compares rounded numbers with a strict
#: "<", so it counts them or not by rounding luck. Ours may exceed its p by exactly 2 / 2^G.
WCR_TIES = 2
#: Independent random draws: |p - p_ref| within 4 Monte Carlo standard errors of a difference.
MC_SIGMAS = 4.0
#: Our fast randomization path against refitting twfe/poisson_fe per assignment.
REL_TOL_BRUTE_FORCE = 1e-8


def panel(n_areas, n_years, n_treated, *, effect=0.8, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "area": np.repeat(np.arange(n_areas), n_years),
            "year": np.tile(np.arange(n_years), n_areas),
        }
    )
    start = n_years // 2
    df["treat"] = ((df.area < n_treated) & (df.year >= start)).astype(float)
    df["ft"] = np.where(df.area < n_treated, float(start), np.nan)
    df["x1"] = rng.normal(size=len(df))
    df["y"] = (
        rng.normal(0, 1, n_areas)[df.area]
        + rng.normal(size=len(df))
        + effect * df.treat
        + 0.2 * df.x1
    )
    df["pop"] = rng.integers(500, 3000, n_areas)[df.area]
    df["c"] = rng.poisson(df["pop"] / 100 * np.exp(-0.3 * df.treat))
    return df


@pytest.mark.parametrize("impose_null", [True, False])
def test_wild_bootstrap_full_enumeration_equals_wildboottest(impose_null):
    df = panel(10, 8, 3)
    res = wild_cluster_bootstrap(
        df.y,
        df.treat,
        area=df.area,
        period=df.year,
        covariates=df[["x1"]],
        impose_null=impose_null,
        draws=9999,
        rng=1,
    )
    fit = pf.feols("y ~ treat + x1 | area + year", data=df, vcov={"CRV1": "area"})
    ref = fit.wildboottest(reps=9999, param="treat", seed=1, impose_null=impose_null)
    assert res.full_enumeration and res.draws == 2**10
    diff = (res.p_value - ref["Pr(>|t|)"]) * 2**10
    allowed = [0, WCR_TIES] if impose_null else [0]
    assert min(abs(diff - k) for k in allowed) <= P_TOL_ENUMERATION
    # our reported t is fixest's CR1 t
    assert res.statistic == pytest.approx(fit.tstat().values[0], rel=1e-9)


@pytest.mark.parametrize("weights", ["rademacher", "webb"])
def test_wild_bootstrap_random_draws_agree_with_wildboottest(weights):
    df = panel(60, 8, 12, effect=0.25, seed=4)
    res = wild_cluster_bootstrap(
        df.y, df.treat, area=df.area, period=df.year, weights=weights, draws=4999, rng=123
    )
    fit = pf.feols("y ~ treat | area + year", data=df, vcov={"CRV1": "area"})
    ref = fit.wildboottest(reps=4999, param="treat", seed=99, weights_type=weights)["Pr(>|t|)"]
    p = res.p_value
    sigma = np.sqrt(2 * p * (1 - p) / 4999)
    assert 0.0 < p < 1.0 and abs(p - ref) <= MC_SIGMAS * sigma + 1e-12
    assert res.draws == 4999 and not res.full_enumeration and res.warnings == ()


def test_wild_bootstrap_properties():
    df = panel(30, 6, 4)
    a = wild_cluster_bootstrap(df.y, df.treat, area=df.area, period=df.year, rng=7, draws=499)
    b = wild_cluster_bootstrap(df.y, df.treat, area=df.area, period=df.year, rng=7, draws=499)
    assert a.p_value == b.p_value and 0 < a.p_value <= 1
    assert a.estimate == pytest.approx(twfe(df.y, df.treat, area=df.area, period=df.year).estimate)
    assert any("only 4 treated clusters" in w for w in a.warnings)
    assert any("MacKinnon & Webb" in w for w in a.warnings)
    with pytest.raises(ValueError, match="weights"):
        wild_cluster_bootstrap(df.y, df.treat, area=df.area, period=df.year, weights="mammen")
    with pytest.raises(ValueError, match="whole areas"):
        wild_cluster_bootstrap(df.y, df.treat, area=df.area, period=df.year, cluster=df.year)


def brute_force_ri(df, pool_areas, n_t, start, *, statistic="coef", model="ols"):
    """Reference: refit the public estimator for every subset of the pool."""
    out = []
    rows = df[df.area.isin(pool_areas)]
    for subset in combinations(sorted(pool_areas), n_t):
        d = (rows.area.isin(subset) & (rows.year >= start)).astype(float)
        if model == "ols":
            r = twfe(rows.y, d, area=rows.area, period=rows.year)
            out.append(r.statistic if statistic == "t" else r.estimate)
        else:
            out.append(
                poisson_fe(
                    rows.c, d, area=rows.area, period=rows.year, population=rows["pop"]
                ).estimate
            )
    return np.array(out)


def test_randomization_exact_controls_pool_equals_brute_force():
    df = panel(14, 6, 2, effect=1.5)
    res = randomization_inference(df.y, area=df.area, period=df.year, first_treated=df.ft)
    ref = brute_force_ri(df, list(range(2, 14)), 2, 3)
    assert res.exact and res.n_assignments == 66 and res.pool == "controls"
    assert (
        np.max(np.abs(np.sort(res.placebo) - np.sort(ref)) / np.abs(np.sort(ref)))
        < REL_TOL_BRUTE_FORCE
    )
    real = twfe(df.y, df.treat, area=df.area, period=df.year).estimate
    assert res.n_extreme == np.sum(np.abs(ref) >= abs(real))
    assert res.p_value == pytest.approx((1 + res.n_extreme) / 67, abs=1e-15)
    assert any("only 2 treated" in w for w in res.warnings)


def test_randomization_fisher_all_areas_t_statistic_equals_brute_force():
    df = panel(9, 6, 2, effect=0.0, seed=3)
    res = randomization_inference(
        df.y, area=df.area, period=df.year, first_treated=df.ft, pool="all", statistic="t"
    )
    ref = brute_force_ri(df, list(range(9)), 2, 3, statistic="t")
    assert res.exact and res.n_assignments == 36
    assert (
        np.max(np.abs(np.sort(res.placebo) - np.sort(ref)) / np.abs(np.sort(ref)))
        < REL_TOL_BRUTE_FORCE
    )
    assert 1 / 36 <= res.p_value <= 1  # the real assignment is one of the 36
    assert res.n_extreme >= 1 and res.p_value == res.n_extreme / 36  # not (1 + #extreme) / 37


def test_randomization_poisson_equals_brute_force():
    df = panel(8, 6, 1, seed=5)
    res = randomization_inference(
        df.c,
        area=df.area,
        period=df.year,
        first_treated=df.ft,
        model="poisson",
        population=df["pop"],
    )
    ref = brute_force_ri(df, list(range(1, 8)), 1, 3, model="poisson")
    assert res.exact and np.max(np.abs(np.sort(res.placebo) - np.sort(ref))) < 1e-7


def test_randomization_monte_carlo_staggered_and_properties():
    df = panel(40, 8, 6, seed=6)
    df.loc[df.area == 0, "ft"] = 3.0  # staggered: one area starts earlier
    a = randomization_inference(
        df.y, area=df.area, period=df.year, first_treated=df.ft, draws=300, rng=5
    )
    b = randomization_inference(
        df.y, area=df.area, period=df.year, first_treated=df.ft, draws=300, rng=5
    )
    assert not a.exact and a.n_assignments == 300
    assert a.p_value == b.p_value and 1 / 301 <= a.p_value <= 1
    # relabelling areas does not change the statistic (same rng -> same draws as positions)
    relabelled = randomization_inference(
        df.y, area=df.area + 1000, period=df.year, first_treated=df.ft, draws=300, rng=5
    )
    assert relabelled.statistic == pytest.approx(a.statistic, rel=1e-12)


def test_randomization_rejects_at_nominal_rate_without_effect():
    rng = np.random.default_rng(8)
    n_a, n_t = 30, 8
    area, year = np.repeat(np.arange(n_a), n_t), np.tile(np.arange(n_t), n_a)
    ft = np.where(area < 3, 4.0, np.nan)
    rejections = 0
    for _ in range(200):
        y = rng.normal(0, 1, n_a)[area] + rng.normal(size=area.size)
        res = randomization_inference(
            y, area=area, period=year, first_treated=ft, draws=199, rng=rng
        )
        rejections += res.p_value <= 0.05
    assert 0.02 <= rejections / 200 <= 0.09


def test_randomization_bad_input():
    df = panel(6, 6, 4)
    with pytest.raises(ValueError, match="expected more control areas"):
        randomization_inference(df.y, area=df.area, period=df.year, first_treated=df.ft)
    with pytest.raises(ValueError, match="no control areas"):
        randomization_inference(
            df.y, area=df.area, period=df.year, first_treated=np.full(len(df), 3.0)
        )
