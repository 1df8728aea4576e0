"""Space-time cube, Mann-Kendall, emerging hot spots and the Knox test.

References and named tolerances:

- Mann-Kendall: a hand-worked table (below, with a tie) to EXACT = 1e-9; on data without ties
  ``S`` equals ``scipy.stats.kendalltau(t, x).statistic · n(n−1)/2`` (EXACT), the sign of z that
  of tau, and our continuity-corrected normal p is within P_EXACT_TOL = 0.01 of scipy's exact
  (permutation) p for n = 20 (measured: at most about 0.004).
- Emerging hot spots: every category on a hand-built series of states where the answer follows
  from the published definitions, and end-to-end on small count cubes.
- Knox: a hand-worked set of 4 events whose exact expected table is known (each pair's time
  difference is a random one of the 6 pairs of times); the Monte Carlo mean within KNOX_MEAN = 0.15.
"""

import numpy as np
import pytest
from scipy import stats

from safetystats.errors import SafetystatsError
from safetystats.spatial import (
    CATEGORIES,
    emerging_hotspots,
    knox,
    mann_kendall,
    space_time_cube,
)
from safetystats.spatial.spacetime import classify

EXACT = 1e-9
P_EXACT_TOL = 0.01
KNOX_MEAN = 0.15


# ----------------------------------------------------------------------------- cube


def test_cube_counts_points_and_counts_the_dropped():
    x = [5, 15, 15, 25, 200]
    y = [5, 5, 5, 15, 5]
    t = np.array(["2024-01-01", "2024-01-02", "2024-01-09", "2024-01-03", "2024-01-01"], "M8[D]")
    cube = space_time_cube(x, y, t, cell_size=10, time_step=7, bounds=(0, 0, 30, 20))
    assert cube.shape == (2, 2, 3)
    assert cube.dropped == 1 and cube.n_points == 4
    expected = np.zeros((2, 2, 3), int)
    expected[0, 0, 0] = 1  # (5, 5), day 0
    expected[0, 0, 1] = 1  # (15, 5), day 1
    expected[1, 0, 1] = 1  # (15, 5), day 8
    expected[0, 1, 2] = 1  # (25, 15), day 2
    np.testing.assert_array_equal(cube.counts, expected)
    # day numbers and a timedelta step give the same cube
    days = (t - t.min()).astype(int)
    again = space_time_cube(
        x, y, days, cell_size=10, time_step=np.timedelta64(7, "D"), bounds=(0, 0, 30, 20)
    )
    np.testing.assert_array_equal(again.counts, expected)


def test_cube_too_many_cells_refused_with_the_numbers():
    with pytest.raises(SafetystatsError) as info:
        space_time_cube([0, 10_000], [0, 10_000], [0, 99], cell_size=1, time_step=1, max_cells=1e6)
    e = info.value
    assert e.code == "spatial.too_many_cells"
    assert e.params["cells"] == 100 * 10_000 * 10_000 and e.params["maximum"] == 1_000_000
    assert "1,000,000" in str(e)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"cell_size": 0, "time_step": 1}, "spatial.cell_size"),
        ({"cell_size": 1, "time_step": -1}, "spatial.cell_size"),
        ({"cell_size": 1, "time_step": 1, "bounds": (0, 0, -1, 1)}, "spatial.bounds"),
    ],
)
def test_cube_bad_arguments(kwargs, code):
    with pytest.raises(SafetystatsError) as info:
        space_time_cube([0, 1], [0, 1], [0, 1], **kwargs)
    assert info.value.code == code


def test_cube_missing_time_and_point_refused():
    with pytest.raises(SafetystatsError) as info:
        space_time_cube(
            [0, 1], [0, 1], np.array(["2024-01-01", "NaT"], "M8[D]"), cell_size=1, time_step=1
        )
    assert info.value.code == "spatial.times" and info.value.params["first"] == 1
    with pytest.raises(SafetystatsError) as info:
        space_time_cube([0, np.nan], [0, 1], [0, 1], cell_size=1, time_step=1)
    assert info.value.code == "spatial.points"


# ----------------------------------------------------------------------------- Mann-Kendall


def test_mann_kendall_hand_worked_table():
    # x = 10 12 11 15 15 14 18; later values greater/smaller than each x_i:
    # 10: +6; 12: +4 −1 = +3; 11: +4; 15: +1 −1 (one tie) = 0; 15: 0; 14: +1  →  S = 14
    # ties: one pair (15, 15): t(t−1)(2t+5) = 18; Var S = (7·6·19 − 18)/18 = 780/18
    # z = (14 − 1)/√43.33 = 1.97484; p = 2(1 − Φ(z)) = 0.04829
    r = mann_kendall([10, 12, 11, 15, 15, 14, 18])
    assert r.s == 14
    assert r.var_s == pytest.approx(780 / 18, abs=EXACT)
    assert r.z == pytest.approx(13 / np.sqrt(780 / 18), abs=EXACT)
    assert float(r.p) == pytest.approx(0.048286, abs=1e-6)
    flat = mann_kendall([3, 3, 3, 3])
    assert flat.z == 0 and float(flat.p) == 1


@pytest.mark.parametrize("seed", range(6))
def test_mann_kendall_against_scipy_kendalltau(seed):
    rng = np.random.default_rng(seed)
    n = 20
    t = np.arange(n)
    x = rng.normal(size=n) + 0.05 * seed * t
    r = mann_kendall(x)
    ref = stats.kendalltau(t, x, method="exact")
    assert r.s == pytest.approx(ref.statistic * n * (n - 1) / 2, abs=EXACT)
    assert np.sign(r.z) == np.sign(ref.statistic)
    assert abs(float(r.p) - ref.pvalue) <= P_EXACT_TOL


def test_mann_kendall_is_vectorised_over_cells():
    x = np.random.default_rng(1).poisson(2.0, (15, 4, 5)).astype(float)  # many ties
    r = mann_kendall(x, axis=0)
    for i in range(4):
        for j in range(5):
            one = mann_kendall(x[:, i, j])
            assert r.s[i, j] == one.s and r.var_s[i, j] == pytest.approx(one.var_s, abs=EXACT)
    moved = mann_kendall(np.moveaxis(x, 0, 2), axis=2)
    np.testing.assert_allclose(moved.z, r.z, atol=EXACT)


# ----------------------------------------------------------------------------- categories


H, C, N = 1, -1, 0  # hot, cold, neither
CASES = {
    # 10 slices; trend z and p of the z series
    "new_hot": ([N] * 9 + [H], 0.0, 1.0),
    "consecutive_hot": ([N] * 7 + [H] * 3, 0.0, 1.0),
    "intensifying_hot": ([N] + [H] * 9, 3.0, 0.001),
    "persistent_hot": ([H] * 10, 0.3, 0.7),
    "diminishing_hot": ([H] * 9 + [H], -3.0, 0.001),
    "sporadic_hot": ([H, N, H, N, N, H, N, N, N, H], 0.0, 1.0),
    "oscillating_hot": ([C, N, H, N, N, N, N, N, N, H], 0.0, 1.0),
    "historical_hot": ([H] * 9 + [N], 0.0, 1.0),
    "new_cold": ([N] * 9 + [C], 0.0, 1.0),
    "consecutive_cold": ([N] * 8 + [C] * 2, 0.0, 1.0),
    "intensifying_cold": ([C] * 10, -3.0, 0.001),
    "persistent_cold": ([C] * 9 + [C], 0.0, 1.0),
    "diminishing_cold": ([C] * 10, 3.0, 0.001),
    "sporadic_cold": ([N, C, N, C, N, N, N, N, N, C], 0.0, 1.0),
    "oscillating_cold": ([N, H, H, N, N, C, N, N, N, C], 0.0, 1.0),
    "historical_cold": ([C] * 9 + [N], 0.0, 1.0),
    "no_pattern": ([N, H, N, C, N, N, N, N, N, N], 0.0, 1.0),
}


def test_the_table_has_the_seventeen_categories():
    assert {c["key"] for c in CATEGORIES} == set(CASES)
    assert len(CATEGORIES) == 17


def test_each_category_on_hand_built_states():
    keys = list(CASES)
    state = np.array([CASES[k][0] for k in keys]).T  # slices × cells
    tz = np.array([CASES[k][1] for k in keys])
    tp = np.array([CASES[k][2] for k in keys])
    got = classify(state, tz, tp, alpha=0.05)
    assert dict(zip(keys, got)) == {k: k for k in keys}


def test_not_quite_ninety_percent_is_not_persistent():
    # 8 of 10 hot including the last, a gap earlier: sporadic, not persistent
    state = np.array([[H, H, N, H, H, H, N, H, H, H]]).T
    assert classify(state, np.zeros(1), np.ones(1))[0] == "sporadic_hot"


def _background(slices, seed=0):
    rng = np.random.default_rng(seed)
    return rng.poisson(1.0, (slices, 11, 11)).astype(float)


def test_emerging_end_to_end_new_and_intensifying():
    cube = _background(10)
    cube[-1, 1:4, 1:4] += 12  # appears only in the final slice
    for k in range(10):  # intensifying block around (7, 7)
        cube[k, 6:9, 6:9] += 6 + 2 * k
    res = emerging_hotspots(cube)
    assert res.category[2, 2] == "new_hot"
    assert res.category[7, 7] == "intensifying_hot"
    assert res.state.shape == cube.shape and res.constant_slices == ()
    corrected = emerging_hotspots(cube, use_fdr=True)  # FDR: fewer (never more) significant
    assert (np.abs(corrected.state) <= np.abs(res.state)).all()
    assert corrected.category[7, 7] == "intensifying_hot"


def test_emerging_end_to_end_persistent_and_constant_slice_stated():
    cube = _background(10, seed=2)
    cube[:, 4:7, 4:7] += 8
    cube[3] = 0.0  # a period without any event
    res = emerging_hotspots(cube)
    assert res.constant_slices == (3,)
    assert (res.z[3] == 0).all() and (res.state[3] == 0).all()
    # hot in 9 of 10 slices (not in the empty one) = 90 %, including the last: persistent
    assert res.category[5, 5] == "persistent_hot"
    cube[6] = 0.0  # a second empty period: 8 of 10 < 90 %, never cold: sporadic
    assert emerging_hotspots(cube).category[5, 5] == "sporadic_hot"


def test_emerging_refuses_a_cube_without_enough_slices():
    with pytest.raises(SafetystatsError) as info:
        emerging_hotspots(np.ones((2, 3, 3)))
    assert info.value.code == "spatial.cube"


# ----------------------------------------------------------------------------- Knox


def test_knox_hand_worked():
    # A(0,0;0) B(50,0;5) C(500,0;6) D(520,0;40); bands 0–100–1000 m, 0–10–100 days
    # pairs: AB (50 m, 5 d) → [0,0]; CD (20 m, 34 d) → [0,1]; AC (500, 6), BC (450, 1) → [1,0];
    # AD (520, 40), BD (470, 35) → [1,1]. Under permuted times each pair's time gap is one of
    # the 6 gaps {5, 6, 40, 1, 35, 34}, 3 of them < 10: expected = half of each row's pairs.
    x, y, t = [0, 50, 500, 520], [0, 0, 0, 0], [0, 5, 6, 40]
    r = knox(x, y, t, distance_bands=[0, 100, 1000], time_bands=[0, 10, 100], rng=1)
    np.testing.assert_array_equal(r.observed, [[1, 1], [2, 2]])
    np.testing.assert_allclose(r.expected, [[1, 1], [2, 2]], atol=KNOX_MEAN)
    np.testing.assert_allclose(r.ratio, r.observed / r.expected)
    assert ((r.p > 0) & (r.p <= 1)).all()


def _events(rng, n=150, repeats=0):
    x, y, t = rng.uniform(0, 5000, n), rng.uniform(0, 5000, n), rng.uniform(0, 365, n)
    if repeats:
        src = rng.integers(0, n, repeats)
        x = np.r_[x, x[src] + rng.uniform(-40, 40, repeats)]
        y = np.r_[y, y[src] + rng.uniform(-40, 40, repeats)]
        t = np.r_[t, t[src] + rng.uniform(0, 7, repeats)]
    return x, y, t


def test_knox_planted_near_repeats_versus_none():
    bands = {"distance_bands": [0, 100, 500], "time_bands": [0, 14, 60]}
    planted = knox(*_events(np.random.default_rng(5), repeats=40), **bands, rng=2)
    assert planted.ratio[0, 0] > 3 and planted.p[0, 0] <= 0.01
    none = knox(*_events(np.random.default_rng(6)), **bands, rng=3)
    assert none.p[0, 0] > 0.05


def test_knox_same_seed_same_result_and_bad_bands():
    a = knox([0, 1, 2], [0, 0, 0], [0, 1, 5], distance_bands=[0, 5], time_bands=[0, 2, 9], rng=4)
    b = knox([0, 1, 2], [0, 0, 0], [0, 1, 5], distance_bands=[0, 5], time_bands=[0, 2, 9], rng=4)
    np.testing.assert_array_equal(a.p, b.p)
    with pytest.raises(SafetystatsError) as info:
        knox([0, 1], [0, 0], [0, 1], distance_bands=[100, 50], time_bands=[0, 1])
    assert info.value.code == "spatial.bands"
    with pytest.raises(SafetystatsError) as info:
        knox([0], [0], [0], distance_bands=[0, 5], time_bands=[0, 1])
    assert info.value.code == "spatial.too_few_events"
