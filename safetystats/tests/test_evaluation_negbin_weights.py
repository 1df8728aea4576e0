"""``negbin_fe(weights=...)`` against statsmodels GLM ``NegativeBinomial`` with ``freq_weights``.

Our weighted NB2 multiplies each row's log-likelihood by its weight (as ``poisson_fe``): that is
statsmodels' ``freq_weights`` (its ``llf`` is ``Σ w·ℓ_i``), not ``var_weights`` (which scales the
variance and changes the likelihood of α). statsmodels has no weighted NB2 with α estimated, so
the reference profiles α: the GLM at fixed α (area and year dummies, the panels of
``reference/negbin_panels.py``, weights uniform in [0.5, 3]) maximised over log α by a bounded
scalar search, then the cluster-robust (by area, uncorrected) standard error of that GLM.
"""

import warnings

import numpy as np
import pytest
from scipy import optimize

from safetystats.evaluation.negbin import negbin_fe
from safetystats.tests.reference import negbin_panels
from safetystats.tests.references import reference

sm = reference("statsmodels.api")

#: Two likelihood maximisers stopping at their own tolerances: measured up to 1.5e-8.
COEF_TOL = 1e-6
#: α from a bounded scalar search of a flat profile likelihood: measured up to 2e-6.
ALPHA_TOL = 1e-4
#: The weighted log-likelihood at the two maxima (relative): measured 1e-15.
LLF_TOL = 1e-10
#: The same sandwich at (almost) the same α̂: measured up to 1.5e-8.
SE_TOL = 1e-6

PANELS = [0, 3, 6, 9, 11]


def weights_for(i, n):
    return np.random.default_rng(50 + i).uniform(0.5, 3.0, n)


def statsmodels_weighted(p, w):
    rows = negbin_panels.used_rows(p)
    y, x = p["y"][rows], negbin_panels.dummies(p, rows)
    offset = None if p["population"] is None else np.log(p["population"][rows])

    def fit(log_alpha, **kw):
        family = sm.families.NegativeBinomial(alpha=float(np.exp(log_alpha)))
        glm = sm.GLM(y, x, family=family, offset=offset, freq_weights=w[rows])
        return glm.fit(tol=1e-13, **kw)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = optimize.minimize_scalar(
            lambda t: -fit(t).llf, bounds=(-8.0, 3.0), method="bounded", options={"xatol": 1e-10}
        )
        robust = fit(
            opt.x,
            cov_type="cluster",
            cov_kwds={"groups": p["area"][rows], "use_correction": False},
        )
    return dict(
        coef=float(robust.params[0]),
        alpha=float(np.exp(opt.x)),
        llf=float(robust.llf),
        se_raw=float(robust.bse[0]),
        n_obs=int(rows.size),
    )


@pytest.mark.parametrize("i", PANELS)
def test_weighted_negbin_matches_statsmodels_freq_weights(i):
    p = negbin_panels.make_panel(i)
    w = weights_for(i, p["y"].size)
    res = negbin_fe(
        p["y"],
        p["d"],
        area=p["area"],
        period=p["year"],
        population=p["population"],
        covariates=p["covariate"],
        weights=w,
        tol=1e-13,
    )
    ref = statsmodels_weighted(p, w)
    assert res.weighted and res.n_obs == ref["n_obs"]
    assert abs(res.estimate - ref["coef"]) <= COEF_TOL * max(1.0, abs(ref["coef"]))
    assert abs(res.alpha / ref["alpha"] - 1) <= ALPHA_TOL
    assert abs(res.loglik - ref["llf"]) <= LLF_TOL * abs(ref["llf"])
    n, g = res.n_obs, res.n_clusters
    k = len(res.names) + np.unique(p["year"][res.rows_used]).size
    ssc = g / (g - 1) * (n - 1) / (n - k)  # fixest's CR1 factor (areas nested in clusters)
    assert abs(res.se / np.sqrt(ssc) / ref["se_raw"] - 1) <= SE_TOL


def test_weights_change_the_fit_and_unit_weights_do_not():
    p = negbin_panels.make_panel(4)
    kw = dict(area=p["area"], period=p["year"], population=p["population"])
    plain = negbin_fe(p["y"], p["d"], **kw)
    ones = negbin_fe(p["y"], p["d"], weights=np.ones(p["y"].size), **kw)
    weighted = negbin_fe(p["y"], p["d"], weights=weights_for(4, p["y"].size), **kw)
    assert ones.weighted and not plain.weighted
    assert ones.estimate == pytest.approx(plain.estimate, rel=1e-12)
    assert ones.alpha == pytest.approx(plain.alpha, rel=1e-10)
    assert abs(weighted.estimate - plain.estimate) > 1e-4


def test_weights_are_checked():
    from safetystats.errors import SafetystatsError

    p = negbin_panels.make_panel(4)
    w = np.ones(p["y"].size)
    w[3] = 0.0
    with pytest.raises(SafetystatsError) as exc:
        negbin_fe(p["y"], p["d"], area=p["area"], period=p["year"], weights=w)
    assert exc.value.code == "weights.not_positive"
