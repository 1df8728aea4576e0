"""Nearest-neighbour control matching and the balance table against hand computations."""

import numpy as np
import pytest

from safetystats.evaluation import balance_table, match_controls

#: Hand-computed values are exact up to float rounding.
TOL_EXACT = 1e-12


def features(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(60, 3))
    x[:6] += 1.5  # treated areas have higher rates/index
    return x


def test_mahalanobis_distance_matches_direct_formula():
    x = features()
    res = match_controls(x, treated=range(6), distance="mahalanobis", replace=True, n_matches=2)
    z = (x - x.mean(0)) / x.std(0, ddof=1)
    s_inv = np.linalg.inv(np.cov(z, rowvar=False))
    d = z[0] - z[res.pairs[0, 0]]
    assert res.distances[0, 0] == pytest.approx(np.sqrt(d @ s_inv @ d), rel=TOL_EXACT)
    all_d = [np.sqrt((z[0] - z[j]) @ s_inv @ (z[0] - z[j])) for j in range(6, 60)]
    assert res.distances[0, 0] == pytest.approx(min(all_d), rel=TOL_EXACT)


def test_greedy_without_replacement_and_balance_improves():
    x = features(1)
    res = match_controls(x, treated=range(6), distance="z", names=("rate", "index", "criteria"))
    assert np.unique(res.pairs).size == 6 and not set(res.controls) & set(range(6))
    bt = res.balance
    assert bt.names == ("rate", "index", "criteria")
    assert np.all(np.abs(bt.smd_after) < np.abs(bt.smd_before))
    sd = np.sqrt((x[:6].var(0, ddof=1) + x[6:].var(0, ddof=1)) / 2)
    assert np.allclose(bt.smd_before, (x[:6].mean(0) - x[6:].mean(0)) / sd, rtol=TOL_EXACT)
    assert np.allclose(bt.mean_control_after, x[res.pairs.ravel()].mean(0), rtol=TOL_EXACT)


def test_balance_table_weights_repeats():
    x = np.array([[1.0], [3.0], [2.0], [10.0]])
    bt = balance_table(x, treated=[0, 1], pool=[2, 3], matched=[2, 2, 3])
    assert bt.mean_control_after[0] == pytest.approx(14 / 3, rel=TOL_EXACT)


def test_matching_bad_input():
    x = features()
    with pytest.raises(ValueError, match="treated rows \\[2\\] in the pool"):
        match_controls(x, treated=[0, 1, 2], candidates=[2, 10, 11])
    with pytest.raises(ValueError, match="no control areas"):
        match_controls(x, treated=[0], candidates=[])
    with pytest.raises(ValueError, match="at least 6 controls"):
        match_controls(x, treated=[0, 1, 2], candidates=[10, 11], n_matches=2)
