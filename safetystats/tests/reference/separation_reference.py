"""Count panels with planted separation, and pyfixest's iterative-rectifier answer for each.

``make_panel(name)`` builds each panel deterministically (numpy ``default_rng``):

- ``fe_combination``: 1,000 areas × 8 years, treatment of 8 areas from 2014 and one covariate
  ``x1 = 1{row in S} + c_area + l_year`` with every count in the 30 rows of S set to zero: the
  covariate minus its area and year parts separates S (a combination of a regressor and the
  fixed effects, invisible to a one-regressor check);
- ``two_covariates``: 3,000 areas × 8 years, covariates ``x1 = 1{S} + e`` and ``x2 = −e`` (e
  standard normal): only their sum separates the 30 zeros of S;
- ``covariate_only``: 20 areas × 8 years, counts with mean 1, 3 treated areas, a covariate ``x1``
  and a covariate ``x2`` that is non-zero (1) only in six zero-count control rows: ``x2`` alone
  separates them, the treatment is not involved.

Run ``python -m safetystats.tests.reference.separation_reference`` (pyfixest installed) to
rewrite ``separation_reference.json``: per panel a fingerprint of the generated data (to detect a
drifting generator), and pyfixest ``fepois(..., separation_check=["fe", "ir"])``'s observations,
the rows it dropped, its coefficients (names included: it drops the separating covariate as
collinear once its zeros are gone) and CRV1 standard errors.
"""

from __future__ import annotations

import json
import pathlib
import warnings

import numpy as np
import pandas as pd

JSON = pathlib.Path(__file__).with_name("separation_reference.json")
PANELS = ("fe_combination", "two_covariates", "covariate_only")
PYFIXEST_OPTIONS = dict(
    iwls_tol=1e-13,
    iwls_maxiter=200,
    fixef_tol=1e-13,
    fixef_rm="none",
    separation_check=["fe", "ir"],
)


def make_panel(name: str) -> pd.DataFrame:
    if name not in PANELS:
        raise KeyError(name)
    n_areas = {"fe_combination": 1000, "two_covariates": 3000, "covariate_only": 20}[name]
    rng = np.random.default_rng(20261216 + PANELS.index(name))
    years = np.arange(2010, 2018)
    area = np.repeat(np.arange(n_areas), years.size)
    year = np.tile(years, n_areas)
    n_treated = 3 if name == "covariate_only" else 8
    d = ((area < n_treated) & (year >= 2014)).astype(float)
    mu = np.exp(rng.normal(0, 0.5, n_areas)[area] - 0.3 * d)
    y = rng.poisson(mu).astype(float)
    df = pd.DataFrame({"y": y, "d": d, "area": area, "year": year})
    controls = np.flatnonzero(area >= n_treated)
    if name == "covariate_only":
        df["x1"] = rng.normal(size=area.size)
        zeros = np.flatnonzero((y == 0) & (area >= n_treated))
        x2 = np.zeros(area.size)
        x2[rng.choice(zeros, 6, replace=False)] = 1.0
        df["x2"] = x2
        return df
    s = np.zeros(area.size, dtype=bool)
    s[rng.choice(controls, 30, replace=False)] = True
    df.loc[s, "y"] = 0.0
    if name == "fe_combination":
        df["x1"] = s + rng.normal(size=n_areas)[area] + rng.normal(size=years.size)[year - 2010]
    else:
        e = rng.normal(size=area.size)
        df["x1"] = s + e
        df["x2"] = -e
    return df


def covariates(df: pd.DataFrame) -> list[str]:
    return [c for c in ("x1", "x2") if c in df.columns]


def fingerprint(df: pd.DataFrame) -> list[float]:
    return [float(df.y.sum()), float((df.y == 0).sum())] + [
        float(df[c].abs().sum()) for c in covariates(df)
    ]


def pyfixest_fit(pf, df: pd.DataFrame):
    fml = "y ~ d + " + " + ".join(covariates(df)) + " | area + year"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.fepois(fml, data=df, vcov={"CRV1": "area"}, **PYFIXEST_OPTIONS)
    dropped = sorted(set(range(len(df))) - set(int(i) for i in fit._data.index))
    return dict(
        n_obs=int(fit._N),
        dropped_rows=dropped,
        names=[str(n) for n in fit.coef().index],
        coef=fit.coef().to_numpy().tolist(),
        se=fit.se().to_numpy().tolist(),
    )


def main() -> None:  # pragma: no cover - run by hand to refresh the frozen reference
    import pyfixest as pf

    out = {"pyfixest": pf.__version__, "panels": {}}
    for name in PANELS:
        df = make_panel(name)
        out["panels"][name] = dict(fingerprint=fingerprint(df), **pyfixest_fit(pf, df))
    JSON.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
