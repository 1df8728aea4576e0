"""California's Proposition 99 panel (Abadie, Diamond & Hainmueller 2010) and its pysyncon fit.

Data
----
``prop99_cigsale.csv``: per-capita cigarette sales (packs) 1970–2000, one row per year, one
column per state (the 38 donor states of ADH 2010 and California, last). Transcribed from
``data/california.csv`` of the pysyncon repository (github.com/sdfordham/pysyncon, commit
d43395ae36c968fe3c6e252095b6de5362512f04), rounded to the one decimal the sales are recorded with
(the source stores them as float32, 89.80000305 for 89.8).

``prop99_covariates.csv``: the ADH covariates for 1980–1988 (log income per capita, beer
consumption per capita, share of 15–24 year olds, cigarette retail price) with the sales again,
rows exactly as in ``examples/smoking.csv`` of the same repository (commit
56b0f47e88ff2d87491aeaa2a83ff5e4463dfc34), which holds the data of the R package Synth. The sales
of the two files are checked to agree by :func:`load_prop99`.

Predictors are those of ADH 2010, Table 1 (and of Synth's and pysyncon's smoking examples):
means over 1980–1988 of log income, retail price and the 15–24 share, beer 1984–1988, and the
sales in 1975, 1980 and 1988. V is chosen to fit the sales 1970–1988 (19 pre-periods).

Run ``python -m safetystats.tests.reference.make_prop99`` (pysyncon installed) to rewrite
``prop99_pysyncon.json``: pysyncon ``Synth.fit`` with its default outer search (Nelder–Mead from
equal weights), with the regression start (``optim_initial="ols"``) and with COBYLA, each with V,
the weights and the outer loss (pre-period MSPE). The test compares ours against the best of them.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).parent
CIGSALE = HERE / "prop99_cigsale.csv"
COVARIATES = HERE / "prop99_covariates.csv"
JSON = HERE / "prop99_pysyncon.json"
TREATED = "California"
FIRST_YEAR, LAST_PRE, LAST_YEAR = 1970, 1988, 2000
PREDICTORS = (
    ("lnincome", range(1980, 1989)),
    ("retprice", range(1980, 1989)),
    ("age15to24", range(1980, 1989)),
    ("beer", range(1984, 1989)),
    ("cigsale", [1975]),
    ("cigsale", [1980]),
    ("cigsale", [1988]),
)
PREDICTOR_NAMES = tuple(
    f"{name}_{years[0]}" if len(years) == 1 else f"{name}_{years[0]}_{years[-1]}"
    for name, years in PREDICTORS
)


def load_prop99():
    """(states, years, outcomes (states × years), predictors (states × 7)); California last."""
    import pandas as pd

    wide = pd.read_csv(CIGSALE).set_index("year")
    states = list(wide.columns)
    years = wide.index.to_numpy()
    assert years[0] == FIRST_YEAR and years[-1] == LAST_YEAR and states[-1] == TREATED
    outcomes = wide.to_numpy().T.astype(float)
    cov = pd.read_csv(COVARIATES)
    cov["year"] = cov["year"].astype(int)
    both = cov.merge(
        wide.reset_index().melt(id_vars="year", var_name="state", value_name="wide"),
        on=["state", "year"],
    )
    if len(both) != len(cov) or np.max(np.abs(both.cigsale.round(1) - both.wide)) > 1e-9:
        raise AssertionError("the two Proposition 99 files disagree on the cigarette sales")
    columns = []
    for name, yrs in PREDICTORS:
        if name == "cigsale":
            columns.append(wide.loc[list(yrs)].mean(axis=0).reindex(states).to_numpy())
        else:
            sub = cov[cov.year.isin(list(yrs))]
            columns.append(sub.groupby("state")[name].mean().reindex(states).to_numpy())
    predictors = np.column_stack(columns)
    assert np.all(np.isfinite(predictors))
    return states, years, outcomes, predictors


def pysyncon_fits():
    """pysyncon's nested fits on the ADH specification (see the module docstring)."""
    import pandas as pd
    from pysyncon import Synth

    states, years, outcomes, predictors = load_prop99()
    n_pre = int(np.sum(years <= LAST_PRE))
    donors = states[:-1]
    x = pd.DataFrame(predictors.T, index=PREDICTOR_NAMES, columns=states)
    z = pd.DataFrame(outcomes[:, :n_pre].T, index=years[:n_pre], columns=states)
    out = {}
    for label, kw in {
        "nelder_mead_equal": {},
        "nelder_mead_ols": {"optim_initial": "ols"},
        "cobyla_equal": {"optim_method": "COBYLA"},
    }.items():
        synth = Synth()
        synth.fit(X0=x[donors], X1=x[TREATED], Z0=z[donors], Z1=z[TREATED], **kw)
        out[label] = {
            "v": [float(t) for t in synth.V],
            "weights": dict(zip(donors, (float(t) for t in synth.W), strict=True)),
            "loss_v": float(synth.loss_V),
        }
    return out


def main():
    import pysyncon

    fits = pysyncon_fits()
    JSON.write_text(
        json.dumps({"pysyncon": getattr(pysyncon, "__version__", "1.7.0"), "fits": fits}, indent=1)
        + "\n"
    )
    for label, fit in fits.items():
        top = sorted(fit["weights"].items(), key=lambda kv: -kv[1])[:6]
        print(label, f"RMSPE {np.sqrt(fit['loss_v']):.4f}", [(s, round(w, 3)) for s, w in top])


if __name__ == "__main__":
    main()
