"""Overdispersed count panels for the NB2 fixed-effects tests, and the script that freezes references.

``make_panel(i)`` builds panel ``i`` (0 ≤ i < N_PANELS) deterministically: 20–30 areas × 8
years, a mean of 0.5 to 5 events per cell (log-uniform over the panels), NB2 counts with
dispersion α from 0.3 to 1.5, 1–8 treated areas from year 5 on, a log population offset in
every second panel and a covariate in every third.

Run ``python -m safetystats.tests.reference.negbin_panels`` (statsmodels installed) to rewrite
``negbin_reference.csv``: per panel, on the rows that remain after dropping areas and years
whose counts are all zero,

- statsmodels ``NegativeBinomial(loglike_method="nb2")`` with area and year dummies
  (BFGS, then Newton from there): the treatment coefficient, α and the log-likelihood;
- statsmodels GLM ``NegativeBinomial(alpha=α̂)`` with the same dummies: the uncorrected
  cluster-robust (by area) standard error of the treatment;
- statsmodels GLM Poisson with the same dummies: Pearson χ²/df and the ``"CT nb2"`` statistic
  of ``test_poisson_dispersion``.
"""

from __future__ import annotations

import csv
import pathlib
import warnings

import numpy as np

N_PANELS = 12
MEAN_RANGE = (0.5, 5.0)
ALPHA_RANGE = (0.3, 1.5)
CSV = pathlib.Path(__file__).with_name("negbin_reference.csv")
FIELDS = ("panel", "n_obs", "sm_coef", "sm_alpha", "sm_llf", "sm_se_raw", "sm_dispersion", "sm_ct")


def make_panel(i: int) -> dict:
    rng = np.random.default_rng(20270101 + i)
    n_areas = int(rng.integers(20, 31))
    n_years = 8
    t = i / (N_PANELS - 1)
    mean = float(np.exp(np.log(MEAN_RANGE[0]) + t * np.log(MEAN_RANGE[1] / MEAN_RANGE[0])))
    alpha = float(ALPHA_RANGE[0] + (ALPHA_RANGE[1] - ALPHA_RANGE[0]) * ((i * 7) % N_PANELS) / 11)
    n_treated = 1 + i % 8
    area = np.repeat(np.arange(n_areas), n_years)
    year = np.tile(np.arange(2015, 2015 + n_years), n_areas)
    d = ((area < n_treated) & (year >= 2019)).astype(float)
    population = rng.integers(800, 5000, n_areas)[area].astype(float) if i % 2 == 0 else None
    exposure = np.ones(area.size) if population is None else population / population.mean()
    covariate = rng.normal(0, 1, area.size) if i % 3 == 0 else None
    log_mu = (
        np.log(mean)
        + rng.normal(0, 0.5, n_areas)[area]
        + rng.normal(0, 0.15, n_years)[year - 2015]
        - 0.3 * d
        + (0.2 * covariate if covariate is not None else 0.0)
    )
    mu = exposure * np.exp(log_mu)
    y = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu)).astype(float)
    return dict(
        y=y,
        d=d,
        area=area,
        year=year,
        population=population,
        covariate=covariate,
        mean=mean,
        alpha=alpha,
    )


def used_rows(p: dict) -> np.ndarray:
    """Rows outside areas and years whose counts are all zero (their effect is not estimable)."""
    y, area, year = p["y"], p["area"], p["year"]
    area_pos = np.bincount(area, y) > 0
    year_pos = np.bincount(year - year.min(), y) > 0
    return np.flatnonzero(area_pos[area] & year_pos[year - year.min()])


def dummies(p: dict, rows: np.ndarray) -> np.ndarray:
    area, year = p["area"][rows], p["year"][rows]
    cols = [p["d"][rows], np.ones(rows.size)]
    if p["covariate"] is not None:
        cols.append(p["covariate"][rows])
    a = (area[:, None] == np.unique(area)[None, 1:]).astype(float)
    t = (year[:, None] == np.unique(year)[None, 1:]).astype(float)
    return np.column_stack(cols + [a, t])


def statsmodels_reference(p: dict) -> dict:
    import statsmodels.api as sm
    from statsmodels.discrete._diagnostics_count import test_poisson_dispersion

    rows = used_rows(p)
    y, x = p["y"][rows], dummies(p, rows)
    offset = None if p["population"] is None else np.log(p["population"][rows])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sm.NegativeBinomial(y, x, offset=offset, loglike_method="nb2")
        start = model.fit(method="bfgs", maxiter=5000, disp=0)
        nb = model.fit(start_params=start.params, method="newton", maxiter=300, tol=1e-12, disp=0)
        alpha = float(nb.params[-1])
        glm = sm.GLM(y, x, family=sm.families.NegativeBinomial(alpha=alpha), offset=offset)
        robust = glm.fit(
            tol=1e-13,
            cov_type="cluster",
            cov_kwds={"groups": p["area"][rows], "use_correction": False},
        )
        pois = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit(tol=1e-13)
        dispersion = test_poisson_dispersion(pois)
    ct = float(dispersion.statistic[list(dispersion.method).index("CT nb2")])
    return dict(
        n_obs=int(rows.size),
        sm_coef=float(nb.params[0]),
        sm_alpha=alpha,
        sm_llf=float(nb.llf),
        sm_se_raw=float(robust.bse[0]),
        sm_dispersion=float(pois.pearson_chi2 / pois.df_resid),
        sm_ct=ct,
    )


def main():
    with CSV.open("w", newline="") as fh:
        out = csv.DictWriter(fh, fieldnames=FIELDS)
        out.writeheader()
        for i in range(N_PANELS):
            ref = statsmodels_reference(make_panel(i))
            out.writerow({"panel": i, **{k: repr(v) for k, v in ref.items()}})
    print(f"wrote {CSV}")


if __name__ == "__main__":
    main()
