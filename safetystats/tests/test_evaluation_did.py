"""2×2 DiD on rates, event study and Sun–Abraham against statsmodels and pyfixest."""

import numpy as np
import pandas as pd
import pytest

from safetystats.errors import SafetystatsError
from safetystats.evaluation import did_rates, event_study, sun_abraham
from safetystats.tests.references import reference

pf = reference("pyfixest")
sm = reference("statsmodels.api")

pytestmark = pytest.mark.filterwarnings(
    "ignore::UserWarning",
    "ignore::DeprecationWarning",
    "ignore:.*inplace.*",
    # statsmodels' saturated 4-cell GLM has no residual df for its (unused) scale estimate
    "ignore:divide by zero:RuntimeWarning:statsmodels",
)

#: Agreement with pyfixest on the same data (the issue's target).
REL_TOL_PYFIXEST = 1e-6
#: Agreement with a statsmodels Poisson GLM fitted to tolerance 1e-13.
REL_TOL_STATSMODELS = 1e-8


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))


# ------------------------------------------------------------------------------------ 2 × 2


def test_did_rates_matches_poisson_glm_interaction():
    # The Danish evaluation's numbers: reports -38 % in hotspots vs -16 % in controls.
    y = np.array([1000.0, 620.0, 5000.0, 4200.0])  # T pre, T post, C pre, C post
    n = np.array([20000.0, 20000.0, 100000.0, 100000.0])
    res = did_rates(
        treated_counts=y[:2],
        treated_population=n[:2],
        control_counts=y[2:],
        control_population=n[2:],
    )
    assert res.change_treated == pytest.approx(-0.38, abs=1e-12)
    assert res.change_control == pytest.approx(-0.16, abs=1e-12)
    assert res.estimate == pytest.approx(0.62 / 0.84 - 1, rel=1e-12)
    treated, post = np.array([1, 1, 0, 0.0]), np.array([0, 1, 0, 1.0])
    x = sm.add_constant(np.column_stack([treated, post, treated * post]))
    glm = sm.GLM(y, x, family=sm.families.Poisson(), offset=np.log(n)).fit(tol=1e-13)
    assert rel(np.log1p(res.estimate), glm.params[3]) < REL_TOL_STATSMODELS
    assert rel(res.se, glm.bse[3]) < REL_TOL_STATSMODELS
    assert rel(res.p_value, glm.pvalues[3]) < 1e-6
    lo, hi = np.expm1(glm.conf_int()[3])
    assert rel([res.ci_low, res.ci_high], [lo, hi]) < REL_TOL_STATSMODELS
    # absolute: (31 - 50) - (42 - 50) per 1,000
    assert res.absolute == pytest.approx(-11.0, rel=1e-12)
    assert res.absolute_se == pytest.approx(1000 * np.sqrt(np.sum(y / n**2)), rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"treated_counts": (0, 5)}, "positive count in every cell"),
        ({"control_population": (1000, 0)}, "zero population"),
        ({"treated_counts": (1, 2, 3)}, "expected \\(pre, post\\)"),
    ],
)
def test_did_rates_bad_input(kwargs, message):
    base = dict(
        treated_counts=(50, 40),
        treated_population=(1000, 1000),
        control_counts=(80, 80),
        control_population=(2000, 2000),
    )
    base.update(kwargs)
    with pytest.raises(ValueError, match=message):
        did_rates(**base)


# ------------------------------------------------------------------------------------ panels


def staggered_panel(*, n_areas=80, years=range(2005, 2017), seed=0, effects=(-0.5, -1.0)):
    rng = np.random.default_rng(seed)
    years = np.array(list(years))
    df = pd.DataFrame(
        {"area": np.repeat(np.arange(n_areas), years.size), "year": np.tile(years, n_areas)}
    )
    cohort = np.select([np.arange(n_areas) < 10, np.arange(n_areas) < 25], [2009.0, 2012.0], np.nan)
    df["ft"] = cohort[df.area]
    eff = np.select([df.ft == 2009, df.ft == 2012], list(effects), 0.0) * (df.year >= df.ft)
    df["pop"] = rng.integers(1000, 5000, n_areas)[df.area]
    area_fe = rng.normal(0, 0.5, n_areas)[df.area]
    df["y"] = 5 + area_fe + 0.05 * (df.year - 2005) + eff + rng.normal(0, 0.5, len(df))
    df["c"] = rng.poisson(df["pop"] / 1000 * 10 * np.exp(area_fe + 0.3 * eff))
    df["lpop"] = np.log(df["pop"])
    df["rel"] = (df.year - df.ft).fillna(-1).clip(-4, 3).astype(int)  # never treated -> reference
    return df


def test_event_study_matches_pyfixest():
    df = staggered_panel()
    res = event_study(df.y, area=df.area, period=df.year, first_treated=df.ft, leads=4, lags=3)
    ref = pf.feols("y ~ i(rel, ref=-1) | area + year", data=df, vcov={"CRV1": "area"})
    assert res.rel_time.tolist() == [-4, -3, -2, 0, 1, 2, 3]
    assert rel(res.coef, ref.coef().values) < REL_TOL_PYFIXEST
    assert rel(res.se, ref.se().values) < REL_TOL_PYFIXEST
    # joint pre-trend test: our F = W/q; pyfixest's wald_test reports W (chi2) for this R
    leads = [n for n in ref.coef().index if "-4" in n or "-3" in n or "-2" in n]
    r = np.zeros((3, 7))
    r[[0, 1, 2], [0, 1, 2]] = 1
    wt = ref.wald_test(R=r)
    assert rel(3 * res.pretrend_stat, wt["statistic"]) < REL_TOL_PYFIXEST and len(leads) == 3


def test_poisson_event_study_matches_pyfixest():
    df = staggered_panel(seed=2)
    res = event_study(
        df.c,
        area=df.area,
        period=df.year,
        first_treated=df.ft,
        leads=4,
        lags=3,
        model="poisson",
        population=df["pop"],
    )
    ref = pf.fepois(
        "c ~ i(rel, ref=-1) | area + year",
        data=df,
        vcov={"CRV1": "area"},
        offset="lpop",
        iwls_tol=1e-12,
    )
    assert rel(res.coef, ref.coef().values) < REL_TOL_PYFIXEST
    assert rel(res.se, ref.se().values) < REL_TOL_PYFIXEST


def test_sun_abraham_matches_saturated_pyfixest_regression():
    df = staggered_panel(seed=3)
    res = sun_abraham(df.y, area=df.area, period=df.year, first_treated=df.ft)
    # reference: the same cohort × relative-period dummies, built independently, fitted by pyfixest
    treated = df.ft.notna()
    e = (df.year - df.ft).where(treated)
    cols, counts, post = [], [], []
    for g in (2009.0, 2012.0):
        for k in sorted(e[df.ft == g].unique()):
            if k == -1:
                continue
            name = f"d_{int(g)}_{int(k) + 100}"
            df[name] = ((df.ft == g) & (e == k)).astype(float)
            cols.append(name)
            counts.append(df[name].sum())
            post.append(k >= 0)
    ref = pf.feols(f"y ~ {' + '.join(cols)} | area + year", data=df, vcov={"CRV1": "area"})
    assert rel(res.cell_coef, ref.coef().values) < REL_TOL_PYFIXEST
    w = np.where(post, counts, 0.0)
    w /= w.sum()
    att_ref = w @ ref.coef().values
    se_ref = np.sqrt(w @ ref._vcov @ w)
    assert rel(res.estimate, att_ref) < REL_TOL_PYFIXEST
    assert rel(res.se, se_ref) < REL_TOL_PYFIXEST
    # the true ATT: cohort 2009 (-0.5, 8 post years, 10 areas), cohort 2012 (-1.0, 5 years, 15 areas)
    true_att = (-0.5 * 80 + -1.0 * 75) / 155
    assert res.ci_low < true_att < res.ci_high
    assert res.event_coef[res.rel_time.tolist().index(0)] < -0.5


def test_sun_abraham_unbiased_where_twfe_is_not():
    # Effects growing with time since start: TWFE is biased (Goodman-Bacon 2021), SA is not.
    rng = np.random.default_rng(9)
    df = staggered_panel(seed=9)
    e = (df.year - df.ft).fillna(-99)
    dyn = np.where(e >= 0, -0.3 * (e + 1), 0.0)
    y = 5 + rng.normal(0, 0.5, 80)[df.area] + dyn + rng.normal(0, 0.3, len(df))
    res = sun_abraham(y, area=df.area, period=df.year, first_treated=df.ft)
    post = (e >= 0).to_numpy()
    true_att = dyn[post].mean()
    assert abs(res.estimate - true_att) < 3 * res.se


def test_staggered_bad_input():
    df = staggered_panel()
    with pytest.raises(ValueError, match="no control areas"):
        sun_abraham(df.y, area=df.area, period=df.year, first_treated=np.full(len(df), 2009.0))
    ft = df.ft.to_numpy().copy()
    ft[0] = 2010.0  # area 0 gets two start years
    with pytest.raises(ValueError, match="one value per area"):
        event_study(df.y, area=df.area, period=df.year, first_treated=ft)
    with pytest.raises(ValueError, match="no pre-period"):
        event_study(
            df.y,
            area=df.area,
            period=df.year,
            first_treated=np.where(df.ft.notna(), 2005.0, np.nan),
        )


# ------------------------------------------------------------------------------ covariates


def with_covariates(df, seed):
    """Two time-varying covariates that move the outcome and the counts."""
    rng = np.random.default_rng(seed)
    df = df.copy()
    df["x1"] = rng.normal(size=len(df))
    df["x2"] = rng.gamma(2.0, 1.0, len(df)) + 0.3 * (df.year - 2005)  # trending, not absorbed
    df["y"] = df.y + 0.4 * df.x1 - 0.2 * df.x2
    df["c"] = rng.poisson(df["pop"] / 1000 * 10 * np.exp(0.2 * df.x1 - 0.05 * df.x2))
    return df


def test_event_study_with_covariates_matches_pyfixest():
    df = with_covariates(staggered_panel(seed=5), seed=6)
    res = event_study(
        df.y,
        area=df.area,
        period=df.year,
        first_treated=df.ft,
        leads=4,
        lags=3,
        covariates=df[["x1", "x2"]],
    )
    ref = pf.feols("y ~ i(rel, ref=-1) + x1 + x2 | area + year", data=df, vcov={"CRV1": "area"})
    m = res.rel_time.size
    assert list(ref.coef().index[m:]) == ["x1", "x2"] and res.covariate_names == ("x1", "x2")
    assert rel(res.coef, ref.coef().values[:m]) < REL_TOL_PYFIXEST
    assert rel(res.se, ref.se().values[:m]) < REL_TOL_PYFIXEST
    assert rel(res.covariate_coef, ref.coef().values[m:]) < REL_TOL_PYFIXEST
    assert rel(res.covariate_se, ref.se().values[m:]) < REL_TOL_PYFIXEST
    assert res.vcov.shape == (m, m)
    # the pre-trend test covers the leads only, not the covariates
    r = np.zeros((3, m + 2))
    r[[0, 1, 2], [0, 1, 2]] = 1
    assert rel(3 * res.pretrend_stat, ref.wald_test(R=r)["statistic"]) < REL_TOL_PYFIXEST
    # the covariates matter here: leaving them out moves the event-time coefficients
    plain = event_study(df.y, area=df.area, period=df.year, first_treated=df.ft, leads=4, lags=3)
    assert np.max(np.abs(plain.coef - res.coef)) > 10 * REL_TOL_PYFIXEST


def test_poisson_event_study_with_covariates_matches_pyfixest():
    df = with_covariates(staggered_panel(seed=7), seed=8)
    res = event_study(
        df.c,
        area=df.area,
        period=df.year,
        first_treated=df.ft,
        leads=4,
        lags=3,
        model="poisson",
        population=df["pop"],
        covariates=df[["x1", "x2"]],
    )
    ref = pf.fepois(
        "c ~ i(rel, ref=-1) + x1 + x2 | area + year",
        data=df,
        vcov={"CRV1": "area"},
        offset="lpop",
        iwls_tol=1e-12,
        fixef_tol=1e-12,
    )
    m = res.rel_time.size
    assert rel(res.coef, ref.coef().values[:m]) < REL_TOL_PYFIXEST
    assert rel(res.se, ref.se().values[:m]) < REL_TOL_PYFIXEST
    assert rel(res.covariate_coef, ref.coef().values[m:]) < REL_TOL_PYFIXEST


@pytest.mark.parametrize("model", ["ols", "poisson"])
def test_sun_abraham_with_covariates_matches_saturated_pyfixest_regression(model):
    df = with_covariates(staggered_panel(seed=11), seed=12)
    outcome = "y" if model == "ols" else "c"
    res = sun_abraham(
        df[outcome],
        area=df.area,
        period=df.year,
        first_treated=df.ft,
        model=model,
        population=df["pop"] if model == "poisson" else None,
        covariates=df[["x1", "x2"]],
    )
    # reference: the cohort × relative-period dummies built independently, plus the covariates
    treated = df.ft.notna()
    e = (df.year - df.ft).where(treated)
    cols, counts, post = [], [], []
    for g in (2009.0, 2012.0):
        for k in sorted(e[df.ft == g].unique()):
            if k == -1:
                continue
            name = f"d_{int(g)}_{int(k) + 100}"
            df[name] = ((df.ft == g) & (e == k)).astype(float)
            cols.append(name)
            counts.append(df[name].sum())
            post.append(k >= 0)
    fml = f"{outcome} ~ {' + '.join(cols)} + x1 + x2 | area + year"
    if model == "ols":
        ref = pf.feols(fml, data=df, vcov={"CRV1": "area"})
    else:
        ref = pf.fepois(
            fml, data=df, vcov={"CRV1": "area"}, offset="lpop", iwls_tol=1e-12, fixef_tol=1e-12
        )
    m = len(cols)
    assert rel(res.cell_coef, ref.coef().values[:m]) < REL_TOL_PYFIXEST
    assert rel(res.covariate_coef, ref.coef().values[m:]) < REL_TOL_PYFIXEST
    assert rel(res.covariate_se, ref.se().values[m:]) < REL_TOL_PYFIXEST
    w = np.where(post, counts, 0.0)
    w /= w.sum()
    v = ref._vcov[:m, :m]
    assert rel(res.estimate, w @ ref.coef().values[:m]) < REL_TOL_PYFIXEST
    assert rel(res.se, np.sqrt(w @ v @ w)) < REL_TOL_PYFIXEST


def test_event_study_drops_a_collinear_covariate_and_keeps_the_indicators():
    df = staggered_panel(seed=13)
    cov = np.column_stack([np.random.default_rng(0).normal(size=len(df)), df.area % 3])
    res = event_study(
        df.y, area=df.area, period=df.year, first_treated=df.ft, leads=4, lags=3, covariates=cov
    )
    ref = pf.feols("y ~ i(rel, ref=-1) + z | area + year", data=df.assign(z=cov[:, 0]))
    assert res.covariate_names == ("x1",) and res.dropped_regressors == ("x2",)
    assert any("collinear" in w and "'x2'" in w for w in res.warnings)
    assert rel(res.coef, ref.coef().values[: res.rel_time.size]) < REL_TOL_PYFIXEST


def test_event_study_covariates_checked():
    df = staggered_panel()
    with pytest.raises(SafetystatsError) as exc:
        event_study(
            df.y, area=df.area, period=df.year, first_treated=df.ft, covariates=np.ones((3, 2))
        )
    assert exc.value.code == "input.length" and exc.value.params["name"] == "covariates"
