"""Covariance choices of ``twfe`` and ``poisson_fe`` (CR1 one- and two-way, HC1, CR3) vs pyfixest.

Data (``reference/vcov_data.csv``, made by ``reference/vcov_reference.py``): an extract of
pyfixest's own example data turned into an unbalanced area × period panel (OLS and Poisson), and
a hotspot-sized panel (20 areas × 8 years, 3 treated, counts with a mean of about 1). Each
covariance is checked with and without observation weights against pyfixest ``feols``/``fepois``
(frozen in ``reference/vcov_reference.json``, and live). CR3 is the textbook cluster jackknife
``(G−1)/G · Σ (β̂₍g₎ − β̂)(β̂₍g₎ − β̂)ᵀ``; pyfixest's CRV3 multiplies the same sum by its CR1
small-sample factor instead, so the comparison turns that factor off (``ssc(k_adj=False,
G_adj=False)``) and applies ``(G−1)/G``.
"""

import json

import numpy as np
import pytest
from scipy import stats

from safetystats.errors import SafetystatsError
from safetystats.evaluation import poisson_fe, twfe
from safetystats.tests.reference import vcov_reference as vr
from safetystats.tests.references import reference

pf = reference("pyfixest")

pytestmark = pytest.mark.filterwarnings(
    "ignore::UserWarning", "ignore::DeprecationWarning", "ignore:.*inplace.*"
)

#: Agreement of the coefficients with pyfixest (relative): the same estimator, to rounding.
COEF_TOL = 1e-10
#: Agreement of the standard errors with pyfixest (relative). Measured worst case 3e-9 (Poisson
#: on pyfixest's data, where pyfixest evaluates the sandwich at its last IRLS weights).
SE_TOL = 1e-8

FRAMES = vr.load_data()
REFERENCE = json.loads(vr.JSON.read_text())
CASES = REFERENCE["cases"]


def case_id(c):
    return f"{c['dataset']}-{c['model']}-{c['vcov']}-{'weighted' if c['weighted'] else 'plain'}"


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def ours(c):
    df = FRAMES[c["dataset"]]
    kwargs = dict(area=df.area, period=df.period, covariates=df[["x1"]])
    if c["weighted"]:
        kwargs["weights"] = df.w
    if c["vcov"] == "CR1_area_period":
        kwargs["cluster2"] = df.period
    elif c["vcov"] == "CR1_area_f3":
        kwargs["cluster2"] = df.f3
    else:
        kwargs["vcov"] = c["vcov"]
    y = vr.outcome(df, c["dataset"], c["model"])
    if c["model"] == "ols":
        return twfe(y, df.d, **kwargs)
    if vr.uses_offset(c["dataset"], c["model"], c["vcov"]):
        kwargs["population"] = df["pop"]
    return poisson_fe(y, df.d, **kwargs)


def reference_se(c, res, se):
    se = np.asarray(se, float)
    if c["vcov"] == "CR3":
        g = res.n_clusters
        return se * np.sqrt((g - 1) / g)
    return se


def test_reference_data_are_what_the_tests_claim():
    assert len(CASES) == 40
    hot = FRAMES["hotspot"]
    assert hot.area.nunique() == 20 and hot.period.nunique() == 8 and len(hot) == 160
    assert hot[hot.d == 1].area.nunique() == 3
    assert 0.7 < hot.y.mean() < 1.3 and (hot.y == 0).mean() > 0.25  # hotspot-sized counts
    for name in ("pyfixest_ols", "pyfixest_pois"):
        df = FRAMES[name]
        assert not df.duplicated(["area", "period"]).any()  # a panel: one row per area, period
        assert df.w.std() > 0.2 * df.w.mean()  # genuinely unequal weights


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_matches_frozen_pyfixest(c):
    res = ours(c)
    assert res.n_obs == c["n_obs"]
    assert rel(res.coef, c["coef"]) < COEF_TOL
    assert rel(res.std_errors, reference_se(c, res, c["se"])) < SE_TOL
    assert res.weighted == c["weighted"]
    expected = "CR1" if c["vcov"].startswith("CR1") else c["vcov"]
    assert res.vcov_type == expected


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_matches_installed_pyfixest_with_intervals(c):
    df = FRAMES[c["dataset"]]
    coef, se, n_obs = vr.pyfixest_fit(pf, df, c["dataset"], c["model"], c["vcov"], c["weighted"])
    assert rel(coef, c["coef"]) < COEF_TOL and rel(se, c["se"]) < SE_TOL and n_obs == c["n_obs"]
    res = ours(c)
    # intervals and p-values: t(G−1) (min G for two-way), t(N−K) for HC1, normal for Poisson
    if c["model"] == "ols":
        if c["vcov"] == "HC1":
            df_t = res.n_obs - (2 + df.area.nunique() + df.period.nunique() - 1)
        else:
            df_t = min(res.n_clusters, res.n_clusters2 or res.n_clusters) - 1
        assert res.df_t == df_t
        crit = stats.t.ppf(0.975, df_t)
    else:
        assert res.df_t is None
        crit = stats.norm.ppf(0.975)
    se0 = reference_se(c, res, se)[0]
    assert rel([res.ci_low, res.ci_high], [coef[0] - crit * se0, coef[0] + crit * se0]) < SE_TOL


def test_cr3_is_more_conservative_than_cr1_with_few_treated_areas():
    # the jackknife's point: with 3 treated areas CR1 is too small (MacKinnon, Nielsen & Webb 2023)
    df = FRAMES["hotspot"]
    kwargs = dict(area=df.area, period=df.period, population=df["pop"])
    cr1 = poisson_fe(df.y, df.d, **kwargs)
    cr3 = poisson_fe(df.y, df.d, vcov="CR3", **kwargs)
    assert cr3.estimate == cr1.estimate and cr3.se > cr1.se
    assert cr3.n_clusters == 20 and cr3.df_t is None


def test_hc1_warns_that_it_ignores_serial_correlation():
    df = FRAMES["hotspot"]
    res = twfe(df.y, df.d, area=df.area, period=df.period, vcov="HC1")
    assert any("HC1" in w and "Bertrand" in w for w in res.warnings)
    assert res.n_clusters == res.n_obs == 160 and res.df_t == 160 - (1 + 20 + 8 - 1)
    assert not any("HC1" in w for w in twfe(df.y, df.d, area=df.area, period=df.period).warnings)


def test_two_way_reports_both_cluster_counts():
    df = FRAMES["hotspot"]
    res = twfe(df.y, df.d, area=df.area, period=df.period, cluster2=df.period)
    assert (res.n_clusters, res.n_clusters2, res.df_t) == (20, 8, 7)


@pytest.mark.parametrize(
    ("kwargs", "code", "message"),
    [
        ({"vcov": "CRV1"}, "input.choice", "vcov: expected one of"),
        ({"vcov": None}, "input.choice", "vcov: expected one of"),
        ({"vcov": "HC1", "cluster": "area"}, "input.choice", "no clusters"),
        ({"vcov": "HC1", "cluster2": "period"}, "input.choice", "no clusters"),
        ({"vcov": "CR3", "cluster2": "period"}, "input.choice", "two-way"),
        ({"cluster2": "const"}, "panel.too_few_clusters", "cluster2: expected at least 2"),
    ],
)
def test_bad_vcov_options_refused(kwargs, code, message):
    df = FRAMES["hotspot"].assign(const=1)
    kwargs = {k: (df[v] if k.startswith("cluster") else v) for k, v in kwargs.items()}
    for fit in (twfe, poisson_fe):
        with pytest.raises(SafetystatsError, match=message) as exc:
            fit(df.y, df.d, area=df.area, period=df.period, **kwargs)
        assert exc.value.code == code


def test_cr3_refused_with_one_treated_cluster():
    # without the only treated area there is no treated observation, so no jackknife
    df = FRAMES["hotspot"]
    d = ((df.area == 0) & (df.period >= 2014)).astype(float)
    for fit in (twfe, poisson_fe):
        with pytest.raises(SafetystatsError, match="CR3 jackknife.*at least 2 treated") as exc:
            fit(df.y, d, area=df.area, period=df.period, vcov="CR3")
        assert exc.value.code == "panel.too_few_clusters" and exc.value.params == {"given": 1}


def test_cr3_refit_failure_names_the_cluster_left_out():
    # one control area only: leaving it out leaves no control, and the refit's error says which
    df = FRAMES["hotspot"]
    rows = (df.area < 3) | (df.area == 7)
    sub = df[rows].reset_index(drop=True)
    with pytest.raises(SafetystatsError, match="without cluster 7: no control areas") as exc:
        twfe(sub.y, sub.d, area=sub.area, period=sub.period, vcov="CR3")
    assert exc.value.code == "panel.no_controls" and exc.value.params == {"left_out": 7}
