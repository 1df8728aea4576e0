"""A hotspot-sized synthetic control panel (1 treated area, 20 donors, low counts) and its pysyncon fit.

``make_panel()`` builds, deterministically, yearly crime counts for 21 areas over 12 years (8
before the start): area levels of 2–25 events a year, area-specific trends and Poisson noise, so
single years are as noisy as real hotspot counts. Area 0 (treated) is a noisy mix of three donors
with a 30 % fall after the start. Predictors: the mean count of years 0–3 and 4–7, the count in the
last pre-year and a residents' share (a covariate measured with error), unscaled.

Run ``python -m safetystats.tests.reference.make_synth_hotspot`` (pysyncon installed) to rewrite
``synth_hotspot_pysyncon.json``: pysyncon ``Synth.fit`` with Nelder–Mead from equal weights, from
the regression start and with COBYLA (V, weights, outer loss = pre-period MSPE).
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

JSON = pathlib.Path(__file__).with_name("synth_hotspot_pysyncon.json")
N_AREAS, N_YEARS, N_PRE = 21, 12, 8
PREDICTOR_NAMES = ("mean_0_3", "mean_4_7", "last_pre", "share")


def make_panel():
    """(counts (areas × years), predictors (areas × 4)); row 0 treated."""
    rng = np.random.default_rng(20261202)
    level = np.exp(rng.uniform(np.log(2.0), np.log(25.0), N_AREAS))
    trend = rng.normal(0.0, 0.05, N_AREAS)
    t = np.arange(N_YEARS)
    mean = level[:, None] * np.exp(trend[:, None] * (t - N_PRE / 2))
    mix = np.zeros(N_AREAS)
    mix[[3, 7, 12]] = [0.5, 0.3, 0.2]
    mean[0] = mix @ mean
    mean[0, N_PRE:] *= 0.7
    counts = rng.poisson(mean).astype(float)
    share = 0.1 + 0.02 * np.log(level) + rng.normal(0, 0.01, N_AREAS)
    share[0] = mix @ share + rng.normal(0, 0.005)
    predictors = np.column_stack(
        [counts[:, :4].mean(1), counts[:, 4:N_PRE].mean(1), counts[:, N_PRE - 1], share]
    )
    return counts, predictors


def pysyncon_fits(counts, predictors):
    import pandas as pd
    from pysyncon import Synth

    units = [f"a{i}" for i in range(counts.shape[0])]
    donors = units[1:]
    x = pd.DataFrame(predictors.T, index=list(PREDICTOR_NAMES), columns=units)
    z = pd.DataFrame(counts[:, :N_PRE].T, columns=units)
    out = {}
    for label, kw in {
        "nelder_mead_equal": {},
        "nelder_mead_ols": {"optim_initial": "ols"},
        "cobyla_equal": {"optim_method": "COBYLA"},
    }.items():
        synth = Synth()
        synth.fit(X0=x[donors], X1=x[units[0]], Z0=z[donors], Z1=z[units[0]], **kw)
        out[label] = {
            "v": [float(t) for t in synth.V],
            "weights": [float(t) for t in synth.W],
            "loss_v": float(synth.loss_V),
        }
    return out


def main():
    counts, predictors = make_panel()
    fits = pysyncon_fits(counts, predictors)
    JSON.write_text(json.dumps({"pysyncon": "1.7.0", "fits": fits}, indent=1) + "\n")
    for label, fit in fits.items():
        top = np.argsort(fit["weights"])[::-1][:4]
        print(
            label,
            f"RMSPE {np.sqrt(fit['loss_v']):.4f}",
            [(int(i) + 1, round(fit["weights"][i], 3)) for i in top],
        )


if __name__ == "__main__":
    main()
