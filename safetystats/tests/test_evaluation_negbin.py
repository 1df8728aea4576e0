"""Overdispersion checks and NB2 fixed effects against statsmodels on hotspot-sized panels.

Panels (``reference/negbin_panels.py``): 20–30 areas × 8 years, 0.5–5 events per cell,
NB2 dispersion 0.3–1.5, 1–8 treated areas. References: statsmodels ``NegativeBinomial`` (NB2)
and GLM with area and year dummies, stored in ``reference/negbin_reference.csv`` and recomputed
live.
"""

import csv

import numpy as np
import pytest

from safetystats.errors import SafetystatsError
from safetystats.evaluation import FeResult, poisson_fe
from safetystats.evaluation.negbin import NegBinFeResult, negbin_fe, overdispersion
from safetystats.tests.reference import negbin_panels
from safetystats.tests.references import reference

# Two maximum-likelihood solvers (IRLS with absorbed effects here, BFGS + Newton on all dummies
# in statsmodels) stopping at their own tolerances: measured agreement up to 4e-8.
MLE_TOL = 1e-6
# The same sandwich at the same α̂ (GLM at fixed α): measured agreement up to 2e-8.
SE_TOL = 1e-6
# Pearson dispersion and the Cameron–Trivedi statistic at the same Poisson fit: measured 1e-10.
DISPERSION_TOL = 1e-9


def load_reference():
    with negbin_panels.CSV.open(newline="") as fh:
        return {int(r["panel"]): {k: float(v) for k, v in r.items()} for r in csv.DictReader(fh)}


def fit_args(p):
    return dict(
        area=p["area"], period=p["year"], population=p["population"], covariates=p["covariate"]
    )


def small_sample_factor(res, p):
    # fixest's CR1 factor with clusters = areas: K = regressors + years (area effects nested)
    n, g = res.n_obs, res.n_clusters
    k = len(res.names) + np.unique(p["year"][res.rows_used]).size
    return g / (g - 1) * (n - 1) / (n - k)


REFERENCE = load_reference()
PANELS = sorted(REFERENCE)


def test_the_reference_covers_hotspot_panels():
    assert len(PANELS) == negbin_panels.N_PANELS == 12
    treated = {
        int(negbin_panels.make_panel(i)["d"].reshape(-1, 8).max(axis=1).sum()) for i in PANELS
    }
    assert treated == set(range(1, 9))


@pytest.mark.parametrize("i", PANELS)
def test_negbin_fe_matches_statsmodels_nb2_with_dummies(i):
    p = negbin_panels.make_panel(i)
    ref = REFERENCE[i]
    res = negbin_fe(p["y"], p["d"], **fit_args(p))
    assert isinstance(res, NegBinFeResult) and isinstance(res, FeResult)
    assert res.model == "negbin" and res.n_obs == ref["n_obs"]
    assert abs(res.estimate - ref["sm_coef"]) <= MLE_TOL * max(1.0, abs(ref["sm_coef"]))
    assert abs(res.alpha / ref["sm_alpha"] - 1) <= MLE_TOL
    assert abs(res.loglik - ref["sm_llf"]) <= MLE_TOL * abs(ref["sm_llf"])
    se_raw = res.se / np.sqrt(small_sample_factor(res, p))
    assert abs(se_raw / ref["sm_se_raw"] - 1) <= SE_TOL
    assert res.relative == pytest.approx(np.expm1(res.estimate), rel=1e-15)
    assert res.ci_low < res.estimate < res.ci_high
    assert res.lr_statistic > 0 and res.loglik > res.loglik_poisson


@pytest.mark.parametrize("i", PANELS)
def test_overdispersion_matches_statsmodels_poisson_glm(i):
    p = negbin_panels.make_panel(i)
    ref = REFERENCE[i]
    res = overdispersion(p["y"], p["d"], **fit_args(p))
    assert res.n_obs == ref["n_obs"]
    assert res.dispersion == pytest.approx(ref["sm_dispersion"], rel=DISPERSION_TOL)
    assert res.ct_statistic == pytest.approx(ref["sm_ct"], rel=DISPERSION_TOL)
    assert res.poisson.model == "poisson"


def test_the_stored_reference_is_what_statsmodels_gives_now():
    reference("statsmodels.api")
    for i in PANELS:
        live = negbin_panels.statsmodels_reference(negbin_panels.make_panel(i))
        for key, value in live.items():
            assert value == pytest.approx(REFERENCE[i][key], rel=MLE_TOL), (i, key)


def test_the_comparison_can_fail_poisson_is_not_nb2():
    # on overdispersed panels the Poisson estimate differs from NB2 by far more than MLE_TOL
    gaps = []
    for i in PANELS[:4]:
        p = negbin_panels.make_panel(i)
        gaps.append(
            abs(poisson_fe(p["y"], p["d"], **fit_args(p)).estimate - REFERENCE[i]["sm_coef"])
        )
    assert min(gaps) > 100 * MLE_TOL


def poisson_panel(seed, n_areas=25):
    rng = np.random.default_rng(seed)
    area, year = np.repeat(np.arange(n_areas), 8), np.tile(np.arange(2015, 2023), n_areas)
    d = ((area < 4) & (year >= 2019)).astype(float)
    mu = 2.0 * np.exp(rng.normal(0, 0.4, n_areas))[area] * np.exp(-0.2 * d)
    return rng.poisson(mu).astype(float), d, area, year


def test_without_overdispersion_nb2_is_the_poisson_fit():
    # equidispersed counts: the NB2 likelihood is highest at α = 0 for this panel
    y, d, area, year = poisson_panel(11)
    res = negbin_fe(y, d, area=area, period=year)
    pois = poisson_fe(y, d, area=area, period=year)
    assert res.alpha == 0.0 and res.lr_p_value == 1.0
    assert any(w.startswith("no overdispersion") for w in res.warnings)
    assert res.estimate == pytest.approx(pois.estimate, abs=MLE_TOL)
    assert res.se == pytest.approx(pois.se, rel=1e-5)


def test_overdispersion_rarely_flags_poisson_counts():
    flagged, dispersions = 0, []
    for seed in range(20):
        y, d, area, year = poisson_panel(100 + seed)
        res = overdispersion(y, d, area=area, period=year)
        flagged += res.ct_p_value < 0.05
        dispersions.append(res.dispersion)
    # a 5 % test; the area effects make it conservative, so 20 panels give few rejections
    assert flagged <= 3
    assert 0.8 < np.median(dispersions) < 1.2


def test_overdispersion_flags_nb2_counts():
    p = negbin_panels.make_panel(10)  # α = 0.91, 4.1 events per cell
    res = overdispersion(p["y"], p["d"], **fit_args(p))
    assert res.dispersion > 3 and res.ct_p_value < 1e-6 and res.ct_alpha > 0.3


@pytest.mark.parametrize(
    ("counts", "code"),
    [
        (lambda y: y + 0.5, "input.not_integer"),
        (lambda y: np.where(np.arange(y.size) == 3, -1.0, y), "outcome.negative_counts"),
    ],
)
def test_negbin_fe_refusals(counts, code):
    y, d, area, year = poisson_panel(1)
    with pytest.raises(SafetystatsError) as exc:
        negbin_fe(counts(y), d, area=area, period=year)
    assert exc.value.code == code


def test_negbin_fe_refuses_a_fractional_max_iter_and_a_bad_level():
    y, d, area, year = poisson_panel(1)
    with pytest.raises(SafetystatsError) as exc:
        negbin_fe(y, d, area=area, period=year, max_iter=50.5)
    assert exc.value.code == "input.not_integer" and exc.value.params["name"] == "max_iter"
    with pytest.raises(SafetystatsError) as exc:
        negbin_fe(y, d, area=area, period=year, level=95)
    assert exc.value.code == "input.level"


def test_negbin_fe_keeps_the_poisson_fits_dropped_rows_and_warnings():
    y, d, area, year = poisson_panel(3)
    y = np.where(area == 24, 0.0, y)  # an area without any event
    y = np.where(area == 0, y + np.random.default_rng(0).integers(0, 6, y.size), y)
    res = negbin_fe(y, d, area=area, period=year)
    assert res.dropped_areas == (24,) and res.n_obs == 24 * 8
    assert any("dropped 1 area(s)" in w for w in res.warnings)
    assert any(w.startswith("only 4 treated") for w in res.warnings)
