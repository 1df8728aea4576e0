"""Synthetic control: weights against a direct SLSQP solve; placebos and their p-value."""

import numpy as np
import pytest
from scipy.optimize import minimize

from safetystats.evaluation import simplex_least_squares, synth_in_time_placebo, synthetic_control

#: Weights against scipy SLSQP at ftol 1e-15 (SLSQP itself is accurate to about 1e-7 here).
WEIGHT_TOL_SLSQP = 1e-6
#: Our objective may not exceed SLSQP's by more than this (relative).
OBJ_TOL = 1e-9


def slsqp(a, b):
    j = a.shape[1]
    res = minimize(
        lambda w: np.sum((a @ w - b) ** 2),
        np.full(j, 1 / j),
        jac=lambda w: 2 * a.T @ (a @ w - b),
        method="SLSQP",
        bounds=[(0, 1)] * j,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1, "jac": lambda w: np.ones(j)}],
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    return res.x


@pytest.mark.parametrize("seed", range(6))
def test_simplex_weights_match_slsqp(seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(10, 15))
    b = rng.normal(size=10) * 2  # outside the donors' hull: unique solution
    w = simplex_least_squares(a, b)
    ref = slsqp(a, b)
    assert w.min() >= 0 and w.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.max(np.abs(w - ref)) < WEIGHT_TOL_SLSQP
    f, f_ref = np.sum((a @ w - b) ** 2), np.sum((a @ ref - b) ** 2)
    assert f <= f_ref * (1 + OBJ_TOL)


def test_simplex_many_donors_is_optimal():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(14, 1500))
    b = rng.normal(size=14) * 3
    w = simplex_least_squares(a, b)
    # KKT: the gradient is minimal (equal) on the support and not smaller elsewhere
    g = a.T @ (a @ w - b)
    on = w > 0
    assert (w > 0).sum() <= 15
    assert np.ptp(g[on]) < 1e-8 * np.abs(g).max()
    assert g[~on].min() >= g[on].max() - 1e-8 * np.abs(g).max()


def make_units(seed=0, n=25, t=14, t0=9, effect=-3.0):
    rng = np.random.default_rng(seed)
    y = (
        rng.normal(20, 4, (n, 1))
        + np.outer(rng.normal(1, 0.3, n), np.linspace(0, 4, t))
        + rng.normal(0, 0.2, (n, t))
    )
    y[0] = 0.3 * y[4] + 0.7 * y[9] + rng.normal(0, 0.05, t)
    y[0, t0:] += effect
    return y, t0


def test_synthetic_control_recovers_effect_and_ranks_first():
    y, t0 = make_units()
    res = synthetic_control(y, treated=0, n_pre=t0)
    assert res.estimate == pytest.approx(-3.0, abs=0.3)
    assert res.weights[[3, 8]].sum() > 0.9  # rows 4 and 9 are donors 3 and 8
    assert res.p_value == pytest.approx(1 / 25)  # treated ratio ranks first of 25
    assert res.placebo_ratios.shape == (24,) and np.all(res.placebo_ratios > 0)
    assert res.ratio == pytest.approx(res.post_rmspe / res.pre_rmspe)


def test_synthetic_control_placebo_p_is_uniformish_without_effect():
    ps = [
        synthetic_control(make_units(seed=s, effect=0.0)[0], treated=0, n_pre=9).p_value
        for s in range(20)
    ]
    assert all(1 / 25 <= p <= 1 for p in ps)
    assert np.mean(np.array(ps) <= 0.05) <= 0.2


def test_predictor_matching_and_in_time_placebo():
    y, t0 = make_units(seed=2)
    pred = np.column_stack([y[:, :t0].mean(1), y[:, t0 - 1] - y[:, 0]])
    res = synthetic_control(y, treated=0, n_pre=t0, predictors=pred, v=[1.0, 0.5], placebos=False)
    assert res.p_value is None and res.weights.sum() == pytest.approx(1)
    placebo = synth_in_time_placebo(y, treated=0, n_pre=t0, placebo_n_pre=6)
    assert abs(placebo.estimate) < 0.5  # no effect before the real start


def test_synthetic_control_bad_input():
    y, t0 = make_units()
    with pytest.raises(ValueError, match="without the treated area"):
        synthetic_control(y, treated=0, n_pre=t0, donors=[0, 1, 2])
    with pytest.raises(ValueError, match="no control areas"):
        synthetic_control(y, treated=0, n_pre=t0, donors=[])
    with pytest.raises(ValueError, match="n_pre"):
        synthetic_control(y, treated=0, n_pre=14)
    y[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        synthetic_control(y, treated=0, n_pre=t0)
