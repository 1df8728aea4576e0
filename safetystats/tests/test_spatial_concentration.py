"""Concentration: Gini against hand-computed values, the pairwise-difference definition and the
trapezoid area under the Lorenz curve; generalized Gini against Bernasco & Steenbeek (2017).

Named tolerance: EXACT = 1e-12 (the same quantity computed two ways).
The hand-worked cases are those of the ``lorenzgini`` R package's documentation (Steenbeek):
(10, 8, 2, 0 × 7): G = 0.78 (N ≥ n, G' = G); (5, 2, 1, 0 × 7): G = 0.8, G' = 0.75.
"""

import numpy as np
import pytest

from safetystats.errors import SafetystatsError
from safetystats.spatial import (
    concentration,
    generalized_gini,
    gini,
    lorenz_curve,
    top_share,
)

EXACT = 1e-12


def pairwise_gini(x):
    x = np.asarray(x, float)
    return np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size**2 * x.mean())


def test_gini_hand_computed():
    # (0, 0, 1, 3): sorted weights 2i − n − 1 = −3, −1, 1, 3 → (1 + 9) / (4 · 4) = 0.625
    assert gini([3, 0, 1, 0]) == pytest.approx(0.625, abs=EXACT)
    assert gini([10, 8, 2] + [0] * 7) == pytest.approx(0.78, abs=EXACT)
    assert gini([4, 4, 4]) == pytest.approx(0.0, abs=EXACT)
    assert gini([7] + [0] * 9) == pytest.approx(0.9, abs=EXACT)  # 1 − 1/n


@pytest.mark.parametrize("seed", range(5))
def test_gini_equals_pairwise_definition_and_lorenz_area(seed):
    x = np.random.default_rng(seed).poisson(0.8, 200)
    lx, ly = lorenz_curve(x)
    area = np.sum(np.diff(lx) * (ly[1:] + ly[:-1]) / 2)  # trapezoids on the sorted cumsum
    assert gini(x) == pytest.approx(pairwise_gini(x), abs=EXACT)
    assert gini(x) == pytest.approx(1 - 2 * area, abs=EXACT)


def test_generalized_gini_paper_definition_fewer_crimes_than_places():
    x = [5, 2, 1] + [0] * 7  # N = 8 crimes, n = 10 places
    assert gini(x) == pytest.approx(0.8, abs=EXACT)
    assert generalized_gini(x) == pytest.approx(0.75, abs=EXACT)
    # definition: 1 − (area under L) / (area under the maximal-equality curve, N/(2n))
    lx, ly = lorenz_curve(x)
    area = np.sum(np.diff(lx) * (ly[1:] + ly[:-1]) / 2)
    assert generalized_gini(x) == pytest.approx(1 - area / (8 / (2 * 10)), abs=EXACT)
    # maximal equality given the data (each crime in its own place) is 0, not 1 − N/n
    assert generalized_gini([1] * 8 + [0] * 12) == pytest.approx(0.0, abs=EXACT)
    assert gini([1] * 8 + [0] * 12) == pytest.approx(0.6, abs=EXACT)
    # N ≥ n: the ordinary Gini
    assert generalized_gini([10, 8, 2] + [0] * 7) == pytest.approx(0.78, abs=EXACT)


def test_top_share():
    x = [50, 20, 10, 10, 5, 5] + [0] * 14  # 20 places, 100 crimes
    assert top_share(x, 0.05) == pytest.approx(0.5, abs=EXACT)  # top 1 place
    assert top_share(x, 0.10) == pytest.approx(0.7, abs=EXACT)  # top 2 places
    assert top_share(x, 0.075) == pytest.approx(0.6, abs=EXACT)  # 1.5 places: linear
    assert top_share(x, 1.0) == pytest.approx(1.0, abs=EXACT)


def test_bootstrap_intervals_cover_the_estimate_and_repeat_with_the_seed():
    x = np.random.default_rng(3).poisson(0.4, 400)
    a = concentration(x, top=(0.05, 0.1), n_boot=499, rng=7)
    b = concentration(x, top=(0.05, 0.1), n_boot=499, rng=7)
    assert a.gini_interval == b.gini_interval
    assert a.gini_interval[0] < a.gini < a.gini_interval[1]
    lo, hi = a.generalized_gini_interval
    assert lo < a.generalized_gini < hi
    assert a.generalized_gini < a.gini  # fewer crimes than places
    for q in (0.05, 0.1):
        assert a.top_interval[q][0] <= a.top[q] <= a.top_interval[q][1]
    assert a.n_places == 400 and a.n_crimes == x.sum()


@pytest.mark.parametrize(
    ("counts", "code"),
    [
        ([], "input.empty"),
        ([1, -1, 2], "concentration.counts"),
        ([1, np.nan], "concentration.counts"),
        ([0, 0, 0], "outcome.all_zero"),
    ],
)
def test_bad_counts_refused(counts, code):
    with pytest.raises(SafetystatsError) as info:
        gini(counts)
    assert info.value.code == code


def test_bad_fraction_refused():
    with pytest.raises(SafetystatsError) as info:
        top_share([1, 2, 3], 0)
    assert info.value.code == "input.out_of_range"
