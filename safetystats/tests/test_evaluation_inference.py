"""Wild cluster bootstrap against pyfixest/wildboottest; randomization inference against brute force."""

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from safetystats.evaluation import poisson_fe, randomization_inference, twfe, wild_cluster_bootstrap
from safetystats.evaluation.inference import poisson_score_bootstrap
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


# ----------------------------------------------------------------------------------------------
# Wild bootstrap confidence intervals by test inversion
# ----------------------------------------------------------------------------------------------

ALPHA = 0.05
#: An interval end is located to 1e-9 standard errors; we probe the p-value curve this many
#: standard errors inside and outside it.
PROBE = 1e-6


def _wbt_p(df, r, *, impose_null, weights, formula="ys ~ treat + x1 | area + year"):
    """wildboottest's p-value of H0: β = r, as its test of β = 0 on y − r·treat.

    Its WCR restricted fit imposes β = 0 whatever its ``r`` attribute says, so the null value
    is moved into the outcome: the restricted fit, residuals and t statistics are the same.
    """
    fit = pf.feols(formula, data=df.assign(ys=df.y - r * df.treat), vcov={"CRV1": "area"})
    out = fit.wildboottest(
        reps=9999, param="treat", seed=1, impose_null=impose_null, weights_type=weights
    )
    return float(out["Pr(>|t|)"])


@pytest.mark.parametrize(
    "n_areas, n_treated, weights, impose_null",
    [
        (10, 3, "rademacher", True),
        (10, 3, "rademacher", False),
        (12, 5, "rademacher", True),
        (16, 8, "webb", True),
        (20, 3, "webb", True),
    ],
)
def test_wild_bootstrap_interval_ends_have_wildboottest_p_alpha(
    n_areas, n_treated, weights, impose_null
):
    df = panel(n_areas, 8, n_treated, seed=n_areas)
    res = wild_cluster_bootstrap(
        df.y,
        df.treat,
        area=df.area,
        period=df.year,
        covariates=df[["x1"]],
        weights=weights,
        impose_null=impose_null,
        draws=9999,
        level=1 - ALPHA,
        rng=1,
    )
    assert res.ci_lower < res.estimate < res.ci_upper and res.level == 1 - ALPHA
    se = abs(res.estimate / res.statistic)
    if res.full_enumeration:
        # the same 2^G draws: wildboottest's p inside the end is >= alpha and outside < alpha,
        # up to the two WCR tie draws (v = ±1) that it may not count (see WCR_TIES)
        tol_in, tol_out = (WCR_TIES if impose_null else 0) / res.draws, 0.0
    else:
        # its own random draws: within 4 Monte Carlo standard errors of alpha
        tol_in = tol_out = MC_SIGMAS * np.sqrt(ALPHA * (1 - ALPHA) / res.draws)
    for end, outward in ((res.ci_lower, -1.0), (res.ci_upper, 1.0)):
        p_in = _wbt_p(df, end - outward * PROBE * se, impose_null=impose_null, weights=weights)
        p_out = _wbt_p(df, end + outward * PROBE * se, impose_null=impose_null, weights=weights)
        assert p_in >= ALPHA - tol_in - 1e-12
        assert p_out < ALPHA + tol_out
        # and our own test, refitted on y − r·treat with the same draws, flips there exactly
        for r, accept in ((end - outward * PROBE * se, True), (end + outward * PROBE * se, False)):
            own = wild_cluster_bootstrap(
                df.y - r * df.treat,
                df.treat,
                area=df.area,
                period=df.year,
                covariates=df[["x1"]],
                weights=weights,
                impose_null=impose_null,
                draws=9999,
                rng=1,
            )
            assert (own.p_value >= ALPHA) is accept


def test_wild_bootstrap_interval_properties():
    df = panel(30, 6, 4, seed=2)
    kw = dict(area=df.area, period=df.year, draws=999, rng=3)
    res = wild_cluster_bootstrap(df.y, df.treat, level=0.9, **kw)
    wide = wild_cluster_bootstrap(df.y, df.treat, level=0.99, **kw)
    plain = wild_cluster_bootstrap(df.y, df.treat, **kw)
    assert plain.ci_lower is None and plain.level is None and plain.p_value == res.p_value
    assert wide.ci_lower < res.ci_lower < res.estimate < res.ci_upper < wide.ci_upper
    # shifting the outcome by 2·treat shifts the interval by 2
    shifted = wild_cluster_bootstrap(df.y + 2 * df.treat, df.treat, level=0.9, **kw)
    assert shifted.ci_lower == pytest.approx(res.ci_lower + 2, abs=1e-6)
    assert shifted.ci_upper == pytest.approx(res.ci_upper + 2, abs=1e-6)
    # 0 lies outside the interval exactly when the test rejects at 10 %
    assert (res.ci_lower <= 0 <= res.ci_upper) == (res.p_value >= 0.1)
    with pytest.raises(ValueError, match="level") as exc:
        wild_cluster_bootstrap(df.y, df.treat, level=95, **kw)
    assert exc.value.code == "input.level"


# ----------------------------------------------------------------------------------------------
# Score bootstrap for the Poisson model (Kline & Santos 2012): no library implements it, so it is
# checked by its algebra against dense dummies and statsmodels, by simulated size and by power
# ----------------------------------------------------------------------------------------------

#: 200 null panels: a 5 % test rejects 10 of them on average (binomial sd 3.1); the band allows
#: ±2.6 sd, wide enough for a correctly sized test and narrow enough to catch a Wald-like one.
SIZE_BAND = (0.02, 0.09)
#: Power against a rate ratio exp(-1.2) = 0.30 in 5 of 20 areas with about 2 events a cell.
POWER_MIN = 0.6


def _count_panel(rng, *, n_areas=20, n_years=8, n_treated=5, base=1.0, effect=0.0):
    area, year = np.repeat(np.arange(n_areas), n_years), np.tile(np.arange(n_years), n_areas)
    d = ((area < n_treated) & (year >= n_years // 2)).astype(float)
    lam = (
        base
        * np.exp(rng.normal(0, 0.5, n_areas))[area]
        * np.exp(rng.normal(0, 0.2, n_years))[year]
        * np.exp(effect * d)
    )
    return rng.poisson(lam).astype(float), d, area, year


def test_score_bootstrap_statistic_equals_dense_dummy_computation():
    sm = reference("statsmodels.api")
    rng = np.random.default_rng(21)
    y, d, area, year = _count_panel(rng, n_areas=10, n_treated=3, base=2.0)
    pop = rng.integers(500, 3000, 10)[area].astype(float)
    x1 = rng.normal(size=y.size)
    null = -0.3
    res = poisson_score_bootstrap(
        y, d, area=area, period=year, population=pop, covariates=x1[:, None], null=null, draws=9999
    )
    # restricted fit by statsmodels: dummies for both effects, β fixed through the offset
    fe = np.column_stack([np.eye(10)[area], np.eye(8)[year][:, 1:], x1])
    glm = sm.GLM(y, fe, family=sm.families.Poisson(), offset=np.log(pop) + null * d).fit(
        tol=1e-13, maxiter=200
    )
    mu = glm.fittedvalues
    # the treatment's score with the nuisance scores projected out (information-weighted)
    gamma = np.linalg.solve(fe.T @ (fe * mu[:, None]), fe.T @ (mu * d))
    s_g = np.bincount(area, (d - fe @ gamma) * (y - mu), 10)
    assert res.statistic == pytest.approx(s_g.sum() / np.sqrt(np.sum(s_g**2)), rel=1e-7)
    assert res.full_enumeration and res.draws == 2**10
    # full enumeration: the p-value is the exact sign-flip share
    signs = 1.0 - 2.0 * ((np.arange(2**10)[None, :] >> np.arange(10)[:, None]) & 1)
    t_star = np.abs(s_g @ signs) / np.sqrt(np.sum(s_g**2))
    assert res.p_value == pytest.approx(np.mean(t_star >= abs(res.statistic) * (1 - 1e-10)))


def test_score_bootstrap_at_the_mle_does_not_reject():
    rng = np.random.default_rng(22)
    y, d, area, year = _count_panel(rng, base=2.0, effect=-0.5)
    fit = poisson_fe(y, d, area=area, period=year)
    res = poisson_score_bootstrap(y, d, area=area, period=year, null=fit.estimate, rng=1)
    assert abs(res.statistic) < 1e-6 and res.p_value == 1.0  # the score vanishes at the MLE
    assert res.estimate == pytest.approx(fit.estimate, rel=1e-12)


@pytest.mark.parametrize(
    "n_treated, base, weights", [(5, 0.5, "rademacher"), (5, 1.0, "webb"), (8, 0.3, "rademacher")]
)
def test_score_bootstrap_size_with_few_treated_clusters_and_low_counts(n_treated, base, weights):
    rng = np.random.default_rng(1000 + n_treated + int(10 * base))
    rejections = n = 0
    for _ in range(200):
        y, d, area, year = _count_panel(rng, n_treated=n_treated, base=base)
        res = poisson_score_bootstrap(
            y, d, area=area, period=year, draws=399, weights=weights, rng=rng
        )
        n += 1
        rejections += res.p_value <= 0.05
    assert SIZE_BAND[0] <= rejections / n <= SIZE_BAND[1]


def test_score_bootstrap_is_conservative_not_liberal_with_three_treated():
    """With 3 treated clusters the test under-rejects (as WCR does), where the Wald test over-rejects."""
    rng = np.random.default_rng(31)
    boot = wald = 0
    for _ in range(200):
        y, d, area, year = _count_panel(rng, n_treated=3, base=1.0)
        boot += (
            poisson_score_bootstrap(y, d, area=area, period=year, draws=399, rng=rng).p_value
            <= 0.05
        )
        wald += poisson_fe(y, d, area=area, period=year).p_value <= 0.05
    assert boot / 200 <= SIZE_BAND[1] and wald / 200 > 0.1


def test_score_bootstrap_power_against_a_planted_effect():
    rng = np.random.default_rng(41)
    rejections = 0
    for _ in range(100):
        y, d, area, year = _count_panel(rng, n_treated=5, base=2.0, effect=-1.2)
        rejections += (
            poisson_score_bootstrap(y, d, area=area, period=year, draws=399, rng=rng).p_value
            <= 0.05
        )
    assert rejections / 100 >= POWER_MIN


def test_score_bootstrap_bad_input():
    rng = np.random.default_rng(51)
    y, d, area, year = _count_panel(rng)
    with pytest.raises(ValueError, match="weights") as exc:
        poisson_score_bootstrap(y, d, area=area, period=year, weights="mammen")
    assert exc.value.code == "input.choice"
    with pytest.raises(ValueError, match="null") as exc:
        poisson_score_bootstrap(y, d, area=area, period=year, null=np.nan)
    assert exc.value.code == "input.not_finite"
    with pytest.raises(ValueError, match="negative") as exc:
        poisson_score_bootstrap(-y - 1, d, area=area, period=year)
