"""Data and pyfixest results for the covariance choices of ``twfe`` and ``poisson_fe``.

Three panels, frozen in ``vcov_data.csv`` (column ``dataset``):

- ``pyfixest_ols`` / ``pyfixest_pois``: pyfixest's own example data (``pyfixest.get_data()``,
  ``model="Feols"`` and ``model="Fepois"``, N=1000, seed 1234), rows with missing values removed
  and the first row of each (f1, f2) pair kept, so that ``f1`` is the area and ``f2`` the period
  of a panel (one row per area and period, unbalanced). The treatment is made up: areas
  ``f1 < 6`` from period ``f2 >= 15``. ``y`` is pyfixest's ``Y``, ``x1`` its ``X2``, ``w`` its
  ``weights`` and ``f3`` its third factor (a grouping not nested in the areas);
- ``hotspot``: 20 areas × 8 years, 3 treated areas from 2014, counts with a mean of about 1 per
  area-year (Poisson), a population, a rate per 1,000 residents (for OLS) and a covariate.

Run ``python -m safetystats.tests.reference.vcov_reference`` (pyfixest installed) to rewrite the
CSV and ``vcov_reference.json``: per dataset, model, covariance and weighting, pyfixest's
coefficients and standard errors. CR3 is stored as pyfixest's CRV3 without its small-sample
factor (``ssc(k_adj=False, G_adj=False)``), with the number of clusters G, so the test applies the
jackknife's own ``(G−1)/G``. pyfixest's CRV3 refits of a Poisson model drop the offset, so the
Poisson CR3 cases use no population offset.
"""

from __future__ import annotations

import json
import pathlib
import warnings

import numpy as np
import pandas as pd

CSV = pathlib.Path(__file__).with_name("vcov_data.csv")
JSON = pathlib.Path(__file__).with_name("vcov_reference.json")
DATASETS = ("pyfixest_ols", "pyfixest_pois", "hotspot")
#: (name, pyfixest vcov argument) for each covariance choice; "f1"/"f2" = area/period
VCOVS = {
    "CR1": {"CRV1": "area"},
    "CR1_area_period": {"CRV1": "area+period"},
    "CR1_area_f3": {"CRV1": "area+f3"},
    "HC1": "HC1",
    "CR3": {"CRV3": "area"},
}
#: pyfixest drops singleton fixed effects by default (``fixef_rm="singleton"``), which changes N
#: and G; twfe and poisson_fe keep them (as R fixest's default), so the reference keeps them too.
OLS_OPTIONS = dict(fixef_tol=1e-13, fixef_rm="none")
POISSON_OPTIONS = dict(iwls_tol=1e-13, iwls_maxiter=200, fixef_tol=1e-13, fixef_rm="none")


def _pyfixest_extract(pf, model: str) -> pd.DataFrame:
    raw = pf.get_data(N=1000, seed=1234, model=model)
    raw = raw.dropna(subset=["Y", "X2", "f1", "f2", "f3", "weights"])
    raw = raw.drop_duplicates(subset=["f1", "f2"], keep="first")
    df = pd.DataFrame(
        {
            "area": raw.f1.astype(int).to_numpy(),
            "period": raw.f2.astype(int).to_numpy(),
            "f3": raw.f3.astype(int).to_numpy(),
            "y": raw.Y.to_numpy(),
            "x1": raw.X2.to_numpy(),
            "w": raw.weights.to_numpy(),
        }
    )
    df["d"] = ((df.area < 6) & (df.period >= 15)).astype(float)
    df["pop"] = 1.0
    return df


def hotspot_panel() -> pd.DataFrame:
    rng = np.random.default_rng(20261215)
    n_areas, years = 20, np.arange(2010, 2018)
    area = np.repeat(np.arange(n_areas), years.size)
    period = np.tile(years, n_areas)
    d = ((area < 3) & (period >= 2014)).astype(float)
    pop = rng.integers(1500, 6000, n_areas)[area].astype(float)
    x1 = rng.normal(size=area.size)
    eta = rng.normal(0, 0.4, n_areas)[area] + np.linspace(0, -0.2, years.size)[period - 2010]
    mu = pop / pop.mean() * np.exp(eta - 0.4 * d + 0.2 * x1)
    counts = rng.poisson(mu).astype(float)
    return pd.DataFrame(
        {
            "area": area,
            "period": period,
            "f3": area % 4,  # four districts of five areas: a grouping that contains the areas
            "y": counts,
            "x1": x1,
            "w": pop,
            "d": d,
            "pop": pop,
        }
    )


def build_data(pf) -> pd.DataFrame:
    parts = [
        _pyfixest_extract(pf, "Feols").assign(dataset="pyfixest_ols"),
        _pyfixest_extract(pf, "Fepois").assign(dataset="pyfixest_pois"),
        hotspot_panel().assign(dataset="hotspot"),
    ]
    return pd.concat(parts, ignore_index=True)


def load_data() -> dict[str, pd.DataFrame]:
    df = pd.read_csv(CSV)
    return {name: df[df.dataset == name].reset_index(drop=True) for name in DATASETS}


def cases():
    """(dataset, model, vcov name, weighted) for every stored comparison."""
    out = []
    for dataset in DATASETS:
        models = ("ols",) if dataset == "pyfixest_ols" else ("poisson",)
        if dataset == "hotspot":
            models = ("ols", "poisson")
        for model in models:
            for vcov in VCOVS:
                for weighted in (False, True):
                    out.append((dataset, model, vcov, weighted))
    return out


def outcome(df: pd.DataFrame, dataset: str, model: str) -> np.ndarray:
    """The outcome: counts for Poisson, pyfixest's Y or the rate per 1,000 for OLS."""
    if dataset == "hotspot" and model == "ols":
        return (1000 * df.y / df["pop"]).to_numpy()
    return df.y.to_numpy()


def uses_offset(dataset: str, model: str, vcov: str) -> bool:
    return dataset == "hotspot" and model == "poisson" and vcov != "CR3"


def pyfixest_fit(pf, df: pd.DataFrame, dataset: str, model: str, vcov: str, weighted: bool):
    data = df.assign(yy=outcome(df, dataset, model), lpop=np.log(df["pop"]))
    kwargs = dict(data=data, vcov=VCOVS[vcov])
    if weighted:
        kwargs["weights"] = "w"
    if vcov == "CR3":
        kwargs["ssc"] = pf.ssc(k_adj=False, G_adj=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if model == "ols":
            fit = pf.feols("yy ~ d + x1 | area + period", **kwargs, **OLS_OPTIONS)
        else:
            if uses_offset(dataset, model, vcov):
                kwargs["offset"] = "lpop"
            fit = pf.fepois("yy ~ d + x1 | area + period", **kwargs, **POISSON_OPTIONS)
    return fit.coef().to_numpy(), fit.se().to_numpy(), int(fit._N)


def main() -> None:  # pragma: no cover - run by hand to refresh the frozen reference
    import pyfixest as pf

    data = build_data(pf)
    data.to_csv(CSV, index=False, float_format="%.17g")
    frames = load_data()
    out = {"pyfixest": pf.__version__, "cases": []}
    for dataset, model, vcov, weighted in cases():
        coef, se, n_obs = pyfixest_fit(pf, frames[dataset], dataset, model, vcov, weighted)
        out["cases"].append(
            dict(
                dataset=dataset,
                model=model,
                vcov=vcov,
                weighted=weighted,
                coef=coef.tolist(),
                se=se.tolist(),
                n_obs=n_obs,
                n_clusters=int(frames[dataset].area.nunique()),
            )
        )
    JSON.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
