"""Simulated count panels for the Poisson FE property test, and the script that freezes references.

``make_panel(i)`` builds panel ``i`` (0 ≤ i < N_PANELS) deterministically: 20–36 areas × 6–9
years, a mean of 0.2 to 200 events per cell (log-uniform over the panels, so hotspot-sized
areas with mostly zero counts are well represented), staggered treatment of 3–9 areas, a log
population offset in every second panel and a covariate in every third.

Run ``python -m safetystats.tests.reference.poisson_panels`` (pyfixest and statsmodels
installed) to rewrite ``poisson_reference.csv``: per panel pyfixest ``fepois`` (coefficient and
CRV1 standard error of the treatment, observations used) and statsmodels GLM Poisson with dummy
fixed effects (coefficient, uncorrected cluster-robust standard error), or the refusal when
pyfixest's iterative-rectifier separation check refuses the panel ("pyfixest-ir"), or the
refusal when the panel has no finite maximum likelihood estimate and pyfixest and statsmodels
both run off to huge coefficients that disagree ("diverging"). The script stops when pyfixest
and statsmodels disagree with each other beyond the test's tolerances on any other panel.
"""

from __future__ import annotations

import pathlib
import warnings

import numpy as np

N_PANELS = 200
MEAN_RANGE = (0.2, 200.0)
CSV = pathlib.Path(__file__).with_name("poisson_reference.csv")
#: Agreement demanded of the coefficient (relative to max(1, |β|)) and of the standard error.
COEF_TOL = 1e-6
SE_TOL = 1e-6  # measured worst 2.2e-8 (pyfixest vs statsmodels, and ours vs pyfixest)
PYFIXEST_OPTIONS = dict(iwls_tol=1e-13, iwls_maxiter=200, fixef_tol=1e-13)


def make_panel(i: int) -> dict:
    rng = np.random.default_rng(20261201 + i)
    n_areas = int(rng.integers(20, 37))
    n_years = int(rng.integers(6, 10))
    lo, hi = np.log(MEAN_RANGE[0]), np.log(MEAN_RANGE[1])
    mean = float(np.exp(lo + (hi - lo) * i / (N_PANELS - 1)))  # spread evenly on the log scale
    area = np.repeat(np.arange(n_areas), n_years)
    year = np.tile(np.arange(2010, 2010 + n_years), n_areas)
    n_treated = int(rng.integers(3, 10))
    start_area = np.full(n_areas, np.inf)
    start_area[:n_treated] = 2010 + rng.integers(2, n_years - 1, n_treated)
    d = (year >= start_area[area]).astype(float)
    with_offset = i % 2 == 1
    pop_area = rng.integers(300, 20_000, n_areas).astype(float)
    pop = pop_area[area] * np.exp(rng.normal(0, 0.05, area.size))
    x1 = rng.normal(size=area.size) if i % 3 == 0 else None
    beta = float(rng.uniform(-0.6, 0.3))
    eta = (
        rng.normal(0, 0.6, n_areas)[area] + np.linspace(0, rng.normal(0, 0.3), n_years)[year - 2010]
    )
    eta = eta + beta * d + (0.2 * x1 if x1 is not None else 0.0)
    scale = pop / pop.mean() if with_offset else np.ones(area.size)
    mu = mean * scale * np.exp(eta) / np.mean(np.exp(eta))
    y = rng.poisson(mu).astype(float)
    return dict(
        panel=i,
        mean=mean,
        area=area,
        year=year,
        y=y,
        d=d,
        pop=pop if with_offset else None,
        x1=x1,
    )


def frame(p: dict):
    import pandas as pd

    df = pd.DataFrame({"y": p["y"], "d": p["d"], "area": p["area"], "year": p["year"]})
    if p["pop"] is not None:
        df["lpop"] = np.log(p["pop"])
    if p["x1"] is not None:
        df["x1"] = p["x1"]
    return df


def pyfixest_fit(p: dict):
    """(coef, se, n_obs) of the treatment from pyfixest fepois, or None if it refuses.

    Refusal: pyfixest with ``separation_check=["fe", "ir"]`` raises (e.g. every treated count
    zero: the rectifier drops those rows and the treatment is then all zero).
    """
    import pyfixest as pf

    df = frame(p)
    rhs = "d + x1" if p["x1"] is not None else "d"
    kw = dict(vcov={"CRV1": "area"}, **PYFIXEST_OPTIONS)
    if p["pop"] is not None:
        kw["offset"] = "lpop"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # pyfixest's rectifier sits on thresholds (it demeans with a tolerance), so one run in a
        # few can miss a separation that the others find: a panel counts as refused if any does
        for _ in range(3):
            try:
                pf.fepois(f"y ~ {rhs} | area + year", data=df, separation_check=["fe", "ir"], **kw)
            except Exception:  # noqa: BLE001 - any refusal counts
                return None
        fit = pf.fepois(f"y ~ {rhs} | area + year", data=df, separation_check=["fe"], **kw)
    return float(fit.coef()["d"]), float(fit.se()["d"]), int(fit._N)


def statsmodels_fit(p: dict):
    """(coef, raw cluster-robust se) of the treatment from statsmodels GLM with dummies.

    Areas and years whose counts are all zero are left out first (their dummy would go to −∞).
    The standard error is the sandwich without small-sample correction
    (``use_correction=False``); the test multiplies it by fixest's factor.
    """
    import pandas as pd
    import statsmodels.api as sm

    df = frame(p)
    keep = (df.groupby("area").y.transform("sum") > 0) & (df.groupby("year").y.transform("sum") > 0)
    df = df[keep].reset_index(drop=True)
    x = pd.get_dummies(df[["area", "year"]].astype(str), drop_first=True).astype(float)
    x.insert(0, "d", df.d)
    if "x1" in df:
        x.insert(1, "x1", df.x1)
    x = sm.add_constant(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.GLM(df.y, x, family=sm.families.Poisson(), offset=df.get("lpop")).fit(
            tol=1e-13,
            maxiter=300,
            cov_type="cluster",
            cov_kwds={"groups": df.area.to_numpy(), "use_correction": False},
        )
    return float(res.params["d"]), float(res.bse["d"])


def main() -> None:
    import csv

    rows = []
    for i in range(N_PANELS):
        p = make_panel(i)
        ref = pyfixest_fit(p)
        empty = dict(pf_coef="", pf_se="", n_obs="", sm_coef="", sm_se_raw="")
        if ref is None:
            rows.append(dict(panel=i, mean=p["mean"], refused="pyfixest-ir", **empty))
            continue
        sm_coef, sm_se = statsmodels_fit(p)
        if abs(sm_coef - ref[0]) > COEF_TOL * max(1.0, abs(ref[0])):
            if min(abs(sm_coef), abs(ref[0])) > 10:
                # no finite MLE: both run off towards ±inf and stop at different huge values
                # (pyfixest's rectifier, which sits on thresholds, missed it in this run)
                rows.append(dict(panel=i, mean=p["mean"], refused="diverging", **empty))
                continue
            raise SystemExit(f"panel {i}: pyfixest {ref[0]!r} and statsmodels {sm_coef!r} disagree")
        rows.append(
            dict(
                panel=i,
                mean=p["mean"],
                refused="",
                pf_coef=repr(ref[0]),
                pf_se=repr(ref[1]),
                n_obs=ref[2],
                sm_coef=repr(sm_coef),
                sm_se_raw=repr(sm_se),
            )
        )
    with CSV.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {CSV} ({len(rows)} panels, {sum(bool(r['refused']) for r in rows)} refused)")


if __name__ == "__main__":
    main()
