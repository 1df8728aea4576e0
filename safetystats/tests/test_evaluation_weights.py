"""Observation weights in every fixed-effects regression, against pyfixest ``weights=``.

Data: the Grunfeld investment panel bundled with statsmodels (11 firms × 20 years, real figures,
no network), with a made-up staggered treatment of five firms; the weight of a row is the firm's
market value that year (as a population would weight an area's rate).
"""

import numpy as np
import pytest

from safetystats.errors import SafetystatsError
from safetystats.evaluation import event_study, poisson_fe, sun_abraham, twfe
from safetystats.tests.references import reference

pf = reference("pyfixest")
sm = reference("statsmodels.api")

pytestmark = pytest.mark.filterwarnings(
    "ignore::UserWarning", "ignore::DeprecationWarning", "ignore:.*inplace.*"
)

#: Agreement with pyfixest on the same weighted data (coefficients and CRV1 standard errors).
WEIGHTS_TOL = 1e-6


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


@pytest.fixture(scope="module")
def grunfeld():
    df = sm.datasets.grunfeld.load_pandas().data.copy()
    df["year"] = df.year.astype(int)
    firms = sorted(df.firm.unique())
    start = {firms[0]: 1945, firms[3]: 1945, firms[5]: 1948, firms[7]: 1948, firms[9]: 1950}
    df["ft"] = df.firm.map(start).astype(float)
    df["d"] = (df.year >= df.ft).astype(float)
    df["rel"] = (df.year - df.ft).fillna(-1).clip(-4, 3).astype(int)
    df["w"] = df["value"]
    assert (df.w > 0).all() and df.w.std() > 0.5 * df.w.mean()  # genuinely unequal weights
    return df.reset_index(drop=True)


def test_twfe_weights_match_pyfixest(grunfeld):
    df = grunfeld
    ref = pf.feols(
        "invest ~ d + capital | firm + year", data=df, weights="w", vcov={"CRV1": "firm"}
    )
    res = twfe(
        df.invest, df.d, area=df.firm, period=df.year, covariates=df[["capital"]], weights=df.w
    )
    assert rel(res.coef, ref.coef().values) < WEIGHTS_TOL
    assert rel(res.std_errors, ref.se().values) < WEIGHTS_TOL
    assert res.weighted
    unweighted = twfe(df.invest, df.d, area=df.firm, period=df.year, covariates=df[["capital"]])
    assert abs(unweighted.estimate - res.estimate) > 1.0  # the weights matter on these data


def test_poisson_weights_match_pyfixest(grunfeld):
    df = grunfeld.assign(lcap=np.log(grunfeld.capital))
    ref = pf.fepois(
        "invest ~ d | firm + year",
        data=df,
        weights="w",
        offset="lcap",
        vcov={"CRV1": "firm"},
        iwls_tol=1e-13,
        fixef_tol=1e-13,
        iwls_maxiter=100,
    )
    res = poisson_fe(
        df.invest, df.d, area=df.firm, period=df.year, population=df.capital, weights=df.w
    )
    assert rel(res.coef, ref.coef().values) < WEIGHTS_TOL
    assert rel(res.std_errors, ref.se().values) < WEIGHTS_TOL


def test_event_study_weights_match_pyfixest(grunfeld):
    df = grunfeld
    res = event_study(
        df.invest, area=df.firm, period=df.year, first_treated=df.ft, leads=4, lags=3, weights=df.w
    )
    # pyfixest's default demeaning tolerance (1e-6) alone leaves its standard errors 6.5e-7 off here
    ref = pf.feols(
        "invest ~ i(rel, ref=-1) | firm + year",
        data=df,
        weights="w",
        vcov={"CRV1": "firm"},
        fixef_tol=1e-13,
    )
    assert rel(res.coef, ref.coef().values) < WEIGHTS_TOL
    assert rel(res.se, ref.se().values) < WEIGHTS_TOL
    pois = event_study(
        df.invest,
        area=df.firm,
        period=df.year,
        first_treated=df.ft,
        leads=4,
        lags=3,
        model="poisson",
        weights=df.w,
    )
    ref_p = pf.fepois(
        "invest ~ i(rel, ref=-1) | firm + year",
        data=df,
        weights="w",
        vcov={"CRV1": "firm"},
        iwls_tol=1e-13,
        fixef_tol=1e-13,
        iwls_maxiter=100,
    )
    assert rel(pois.coef, ref_p.coef().values) < WEIGHTS_TOL
    assert rel(pois.se, ref_p.se().values) < WEIGHTS_TOL


def test_sun_abraham_weights_match_saturated_pyfixest(grunfeld):
    df = grunfeld.copy()
    res = sun_abraham(df.invest, area=df.firm, period=df.year, first_treated=df.ft, weights=df.w)
    e = df.year - df.ft
    cols = []
    for g, k in res.cells:
        name = f"c_{int(g)}_{int(k) + 100}"
        df[name] = ((df.ft == g) & (e == k)).astype(float)
        cols.append(name)
    ref = pf.feols(
        f"invest ~ {' + '.join(cols)} | firm + year", data=df, weights="w", vcov={"CRV1": "firm"}
    )
    assert rel(res.cell_coef, ref.coef().values) < WEIGHTS_TOL
    counts = df[cols].sum().to_numpy()
    a = np.where(res.cells[:, 1] >= 0, counts, 0.0)
    a /= a.sum()
    assert rel(res.estimate, a @ ref.coef().values) < WEIGHTS_TOL
    assert rel(res.se, np.sqrt(a @ ref._vcov @ a)) < WEIGHTS_TOL


def test_constant_weights_change_nothing(grunfeld):
    df = grunfeld
    base = twfe(df.invest, df.d, area=df.firm, period=df.year)
    const = twfe(df.invest, df.d, area=df.firm, period=df.year, weights=np.full(len(df), 7.0))
    assert rel(const.coef, base.coef) < 1e-10 and rel(const.std_errors, base.std_errors) < 1e-10


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_bad_weights_refused(grunfeld, bad):
    df = grunfeld
    w = df.w.to_numpy().copy()
    w[3] = bad
    for fn in (twfe, poisson_fe):
        with pytest.raises(SafetystatsError) as exc:
            fn(df.invest, df.d, area=df.firm, period=df.year, weights=w)
        assert exc.value.code in ("weights.not_positive", "input.not_finite")
        assert "weights" in str(exc.value)
    with pytest.raises(SafetystatsError, match="weights: expected 220"):
        twfe(df.invest, df.d, area=df.firm, period=df.year, weights=w[:-1])
