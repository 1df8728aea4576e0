"""Gi*, local Moran, FDR and confidence bins against esda, statsmodels and hand-written loops on the
same data: small counts with many zeros and ties (the data users have), not only normal draws.

Named tolerances:

- ANALYTIC = 1e-9: our z-scores (both the box-sum grid path and the sparse path) against
  ``esda.G_Local(star=True, transform="B")``; measured agreement about 5e-16.
- SAME_PATHS = 1e-12: the grid path against the sparse path on the same data.
- Monte Carlo: two independent estimates from 999 permutations each differ by at most
  ``3 · sqrt(2 p (1 − p) / 999) + 1/1000`` (3 standard errors of a difference, plus one step of
  1/1000) for at least MC_SHARE = 95 % of the cells (measured: 98–100 %).
"""

import numpy as np
import pytest
from scipy import sparse, stats

from safetystats.errors import SafetystatsError
from safetystats.spatial import (
    QUADRANTS,
    confidence_bins,
    distance_band_weights,
    fdr,
    gi_star,
    gi_star_grid,
    grid_weights,
    local_moran,
    weights_from_sparse,
)
from safetystats.tests.references import reference

esda = reference("esda")
libpysal = reference("libpysal")
multitest = reference("statsmodels.stats.multitest")

ANALYTIC = 1e-9
SAME_PATHS = 1e-12
MC_SHARE = 0.95
PERMS = 999

# the references' own notices (esda's change of default alternative, numpy deprecations inside
# esda, libpysal's "not fully connected"), not ours
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning:libpysal"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning:esda"),
    pytest.mark.filterwarnings(r"ignore:Gi\* requested:UserWarning"),
]


def mc_bound(p, perms=PERMS):
    return 3 * np.sqrt(2 * p * (1 - p) / perms) + 1 / 1000


def counts(shape, seed=0, rate=0.7):
    """Poisson counts (mostly 0 and 1) with a planted hot block and a cold corner of zeros."""
    rng = np.random.default_rng(seed)
    y = rng.poisson(rate, shape).astype(float)
    r, c = shape
    y[r // 3 : r // 3 + 3, c // 2 : c // 2 + 3] += rng.poisson(3.0, (3, 3))
    return y


def lat2w(shape, contiguity):
    return libpysal.weights.lat2W(*shape, rook=contiguity == "rook")


# ---------------------------------------------------------------------------------------------
# Gi*: analytic


@pytest.mark.parametrize("contiguity", ["queen", "rook"])
@pytest.mark.parametrize("shape", [(14, 17), (1, 9), (30, 30)])
def test_gi_star_z_matches_esda_on_both_paths(contiguity, shape):
    y = counts(shape, seed=shape[0]) if shape[0] > 3 else np.array([[0, 0, 1, 0, 3, 2, 0, 0, 1.0]])
    w = grid_weights(shape, contiguity=contiguity)
    ref = esda.G_Local(
        y.ravel(), lat2w(shape, contiguity), transform="B", star=True, permutations=0
    )
    grid = gi_star(y, w, permutations=None)
    general = gi_star(y.ravel(), w, permutations=None, method="sparse")
    assert grid.z.shape == shape and general.z.shape == (y.size,)
    np.testing.assert_allclose(grid.z.ravel(), ref.Zs, rtol=0, atol=ANALYTIC)
    np.testing.assert_allclose(general.z, ref.Zs, rtol=0, atol=ANALYTIC)
    np.testing.assert_allclose(grid.z.ravel(), general.z, rtol=0, atol=SAME_PATHS)
    # esda's p_norm is one-sided; ours is the two-sided p ArcGIS reports
    np.testing.assert_allclose(grid.p_norm.ravel(), 2 * ref.p_norm, rtol=1e-12, atol=1e-300)
    direct = gi_star_grid(y, contiguity=contiguity)
    np.testing.assert_array_equal(direct.z, grid.z)


def test_gi_star_z_is_the_ord_getis_formula_and_ignores_row_standardisation():
    y = counts((9, 11), seed=3)
    w = grid_weights((9, 11))
    binary = gi_star(y, w, permutations=None, method="sparse").z
    rs = gi_star(y, grid_weights((9, 11), row_standardise=True), permutations=None, method="sparse")
    np.testing.assert_allclose(rs.z, binary, atol=SAME_PATHS)
    # and the permutation p (the same draws: the same rng)
    p_rs = gi_star(y, grid_weights((9, 11), row_standardise=True), rng=1, method="sparse").p_sim
    np.testing.assert_array_equal(p_rs, gi_star(y, w, rng=1, method="sparse").p_sim)
    # hand-written Ord & Getis (1995) eq. for cell (4, 5): the 3 × 3 box around it
    x = y.ravel()
    n, xbar, s = x.size, x.mean(), x.std()
    box = y[3:6, 4:7].sum()
    z = (box - 9 * xbar) / (s * np.sqrt((n * 9 - 81) / (n - 1)))
    assert abs(binary.ravel()[4 * 11 + 5] - z) < SAME_PATHS
    # esda's default transform="R" gives (local mean - mean) / s instead: not a z-score
    r = esda.G_Local(x, lat2w((9, 11), "queen"), transform="R", star=True, permutations=0)
    np.testing.assert_allclose(r.Zs[4 * 11 + 5], (box / 9 - xbar) / s, rtol=1e-9)


def test_gi_star_with_general_weights_is_the_textbook_formula():
    rng = np.random.default_rng(8)
    pts = rng.uniform(0, 10, (150, 2))
    band = distance_band_weights(pts, 1.2)
    coo = band.matrix.tocoo()
    d = np.hypot(*(pts[coo.row] - pts[coo.col]).T)
    w = weights_from_sparse(sparse.csr_matrix((1 / d, (coo.row, coo.col)), shape=(150, 150)))
    x = rng.poisson(1.0, 150).astype(float)
    res = gi_star(x, w, permutations=None)
    n, xbar, s = x.size, x.mean(), x.std()
    m = w.matrix.toarray()
    for i in np.flatnonzero(w.cardinalities > 0)[:25]:
        wi = m[i].copy()
        wi[i] = m[i].max()  # the self weight: the largest of the row
        num = wi @ x - xbar * wi.sum()
        den = s * np.sqrt((n * (wi**2).sum() - wi.sum() ** 2) / (n - 1))
        assert abs(res.z[i] - num / den) < SAME_PATHS


# ---------------------------------------------------------------------------------------------
# Gi*: permutations


def draws(g, pool, k, perms):
    """Sums of ``k`` values drawn without replacement from ``pool``, ``perms`` times, each draw
    independent of every other (random keys, the ``k`` smallest)."""
    keys = g.random((perms, pool.size))
    return pool[np.argpartition(keys, k - 1, axis=1)[:, :k]].sum(axis=1)


def brute_gi_p(x, w, perms, seed, ties="both"):
    """Per-cell loop, independent draws, exact comparison: the definition, written out."""
    g = np.random.default_rng(seed)
    n, larger = x.size, np.zeros(x.size)
    for i in range(n):
        nb = w.neighbours(i)
        others = np.delete(np.arange(n), i)
        obs = x[nb].sum()
        sims = draws(g, x[others], nb.size, perms)
        larger[i] = (
            (sims >= obs).sum() if ties == "esda" else min((sims >= obs).sum(), (sims <= obs).sum())
        )
    if ties == "esda":
        low = (perms - larger) < larger
        larger[low] = perms - larger[low]
    return (larger + 1) / (perms + 1)


@pytest.mark.parametrize("contiguity", ["queen", "rook"])
def test_gi_star_permutation_p_within_monte_carlo_error_of_esda(contiguity):
    shape = (15, 16)
    y = counts(shape, seed=11)
    w = grid_weights(shape, contiguity=contiguity)
    ref = esda.G_Local(
        y.ravel(),
        lat2w(shape, contiguity),
        transform="B",
        star=True,
        permutations=PERMS,
        n_jobs=1,
        seed=1,
    )
    ours = gi_star(y, w, permutations=PERMS, rng=np.random.default_rng(2), ties="esda")
    assert ours.permutations == PERMS and ours.p_sim.shape == shape
    within = np.abs(ours.p_sim.ravel() - ref.p_sim) <= mc_bound(ref.p_sim)
    assert within.mean() >= MC_SHARE, within.mean()
    # the sparse path draws the same way and gives the same kind of answer
    general = gi_star(y.ravel(), w, permutations=PERMS, rng=3, method="sparse", ties="esda")
    assert (np.abs(general.p_sim - ref.p_sim) <= mc_bound(ref.p_sim)).mean() >= MC_SHARE


def test_gi_star_permutation_p_against_the_definition_written_out():
    y = counts((10, 12), seed=5)
    w = grid_weights((10, 12), contiguity="rook")
    ref = brute_gi_p(y.ravel(), w, PERMS, seed=9)
    ours = gi_star(y, w, permutations=PERMS, rng=4).p_sim.ravel()
    assert (np.abs(ours - ref) <= mc_bound(ref)).mean() >= MC_SHARE
    esda_like = brute_gi_p(y.ravel(), w, PERMS, seed=9, ties="esda")
    ours = gi_star(y, w, permutations=PERMS, rng=4, ties="esda").p_sim.ravel()
    assert (np.abs(ours - esda_like) <= mc_bound(esda_like)).mean() >= MC_SHARE
    # the hot block is found: its centre has the smallest attainable p
    assert ours[(10 // 3 + 1) * 12 + 12 // 2 + 1] == 1 / (PERMS + 1)


def test_a_neighbourhood_of_zeros_among_sparse_counts_is_not_a_99_per_cent_cold_spot():
    rng = np.random.default_rng(0)
    y = rng.poisson(0.3, (40, 40)).astype(float)  # no pattern at all
    w = grid_weights((40, 40))
    ours = gi_star(y, w, permutations=PERMS, rng=1)
    esda_way = gi_star(y, w, permutations=PERMS, rng=1, ties="esda")
    zeros = (ours.local_sum == 0) & (ours.n_neighbours == 8)
    assert zeros.sum() > 20
    # the null probability that 8 cells drawn from the others are all 0: about 0.74 ** 8
    others = (y.size - 1 - np.count_nonzero(y)) / (y.size - 1)
    exact = np.prod([(others * (y.size - 1) - j) / (y.size - 1 - j) for j in range(8)])
    assert abs(np.median(ours.p_sim[zeros]) - (exact * PERMS + 1) / (PERMS + 1)) < 0.03
    assert (esda_way.p_sim[zeros] == 1 / (PERMS + 1)).all()  # esda: every such cell at 99 %
    assert (esda_way.bins()[zeros] == -3).all() and (ours.bins()[zeros] == 0).all()


def test_permutations_are_reproducible_with_a_seed_or_generator():
    y = counts((8, 8), seed=1)
    w = grid_weights((8, 8))
    a = gi_star(y, w, permutations=199, rng=42).p_sim
    b = gi_star(y, w, permutations=199, rng=np.random.default_rng(42)).p_sim
    c = gi_star(y, w, permutations=199, rng=43).p_sim
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert set(np.unique(a * 200).round(9)) <= set(np.arange(1, 201.0))  # (larger+1)/(perms+1)


def test_general_weights_permutations_agree_with_esda():
    rng = np.random.default_rng(8)
    pts = rng.uniform(0, 10, (300, 2))
    band = distance_band_weights(pts, 0.8)
    coo = band.matrix.tocoo()
    d = np.hypot(*(pts[coo.row] - pts[coo.col]).T)
    w = weights_from_sparse(sparse.csr_matrix((1 / d, (coo.row, coo.col)), shape=(300, 300)))
    x = rng.poisson(1.0, 300).astype(float)
    lw = libpysal.weights.WSP(w.matrix).to_W(silence_warnings=True)
    self_w = [w.matrix[i].max() if w.cardinalities[i] else 1.0 for i in range(300)]
    lw = libpysal.weights.fill_diagonal(lw, np.array(self_w))
    # esda row-standardises (transform "R"), which does not change Gi*'s permutation p
    ref = esda.G_Local(x, lw, transform="R", star=None, permutations=PERMS, n_jobs=1, seed=4)
    ours = gi_star(x, w, permutations=PERMS, rng=5, ties="esda")
    ok = ~ours.island
    assert ok.sum() > 250
    assert (np.abs(ours.p_sim - ref.p_sim) <= mc_bound(ref.p_sim))[ok].mean() >= MC_SHARE


def test_islands_are_reported_not_significant():
    rng = np.random.default_rng(4)
    pts = rng.uniform(0, 10, (300, 2))
    w = distance_band_weights(pts, 0.8)
    x = rng.poisson(1.0, 300).astype(float)
    x[w.islands] = 25.0  # a huge value on an island must not make a hot spot
    res = gi_star(x, w, permutations=PERMS, rng=1, ties="esda")
    assert res.islands.tolist() == w.islands.tolist() and res.island.sum() == w.islands.size > 0
    assert (res.p_sim[res.island] == 1).all() and (res.p_norm[res.island] == 1).all()
    assert (res.bins()[res.island] == 0).all() and (res.bins(use="norm")[res.island] == 0).all()
    # its z rests on its own value only: (x_i - mean) / s
    i = w.islands[0]
    assert abs(res.z[i] - (x[i] - x.mean()) / x.std()) < SAME_PATHS
    ref = esda.G_Local(
        x,
        libpysal.weights.DistanceBand(pts, 0.8, binary=True, silence_warnings=True),
        transform="B",
        star=True,
        permutations=PERMS,
        n_jobs=1,
        seed=2,
    )
    ok = ~res.island
    np.testing.assert_allclose(res.z[ok], ref.Zs[ok], atol=ANALYTIC)
    assert (np.abs(res.p_sim - ref.p_sim) <= mc_bound(ref.p_sim))[ok].mean() >= MC_SHARE
    # (esda gives an island the smallest p, 1/1000: the reason islands are set apart here)
    assert (ref.p_sim[res.island] == 1 / (PERMS + 1)).all()


# ---------------------------------------------------------------------------------------------
# local Moran


def brute_moran_p(x, w, perms, seed):  # ties="both"
    """Conditional permutation of local Moran written out, with ties compared exactly (on the
    integer neighbour sums: I is monotone in them for row-constant weights)."""
    g = np.random.default_rng(seed)
    n = x.size
    z = x - x.mean()
    larger = np.zeros(n)
    for i in range(n):
        nb = w.neighbours(i)
        others = np.delete(np.arange(n), i)
        obs = x[nb].sum()
        sims = draws(g, x[others], nb.size, perms)
        larger[i] = min((sims >= obs).sum(), (sims <= obs).sum()) if z[i] != 0 else perms
    return (larger + 1) / (perms + 1)


@pytest.mark.parametrize("contiguity", ["queen", "rook"])
def test_local_moran_is_and_quadrants_identical_to_esda(contiguity):
    shape = (14, 15)
    y = counts(shape, seed=21)
    w = grid_weights(shape, contiguity=contiguity, row_standardise=True)
    ref = esda.Moran_Local(y.ravel(), lat2w(shape, contiguity), transformation="r", permutations=0)
    ours = local_moran(y, w, permutations=None)
    np.testing.assert_allclose(ours.I.ravel(), ref.Is, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(ours.quadrant.ravel(), ref.q)
    assert set(np.unique(ours.quadrant)) <= set(QUADRANTS)


def test_local_moran_p_matches_esda_on_continuous_values():
    shape = (14, 15)
    rng = np.random.default_rng(2)
    y = rng.gamma(2.0, 1.0, shape)
    y[4:7, 5:8] += 3
    w = grid_weights(shape, row_standardise=True)
    ref = esda.Moran_Local(
        y.ravel(), lat2w(shape, "queen"), transformation="r", permutations=PERMS, n_jobs=1, seed=1
    )
    ours = local_moran(y, w, permutations=PERMS, rng=5)
    within = np.abs(ours.p_sim.ravel() - ref.p_sim) <= mc_bound(ref.p_sim)
    assert within.mean() >= MC_SHARE, within.mean()


def test_local_moran_p_on_counts_against_the_definition_written_out():
    # On counts many draws tie with the observed value exactly (13 % of esda's draws here);
    # esda compares floating-point products and counts only about half of those ties as
    # "at least as large", so its p on such data is not a stable reference. Ours compares the
    # integer neighbour sums, as the loop below does.
    shape = (10, 12)
    y = counts(shape, seed=6)
    w = grid_weights(shape, row_standardise=True)
    ref = brute_moran_p(y.ravel(), w, PERMS, seed=3)
    ours = local_moran(y, w, permutations=PERMS, rng=7)
    assert (np.abs(ours.p_sim.ravel() - ref) <= mc_bound(ref)).mean() >= MC_SHARE
    labels = ours.labels(alpha=0.05)
    assert labels.shape == shape and set(np.unique(labels)) <= {"", "HH", "LH", "LL", "HL"}
    assert labels[4, 7] == "HH"  # inside the planted block


def test_local_moran_islands_have_no_quadrant():
    pts = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [9, 9.0]])
    w = distance_band_weights(pts, 1.1, row_standardise=True)
    res = local_moran([1.0, 4.0, 0.0, 3.0, 9.0], w, permutations=99, rng=1)
    assert res.islands.tolist() == [4] and res.quadrant[4] == 0 and res.p_sim[4] == 1
    assert res.labels(alpha=0.5)[4] == ""


# ---------------------------------------------------------------------------------------------
# FDR and confidence bins


@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.10])
def test_fdr_matches_statsmodels(alpha):
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.uniform(0, 0.02, 30), rng.uniform(0, 1, 300), [1.0, 1.0, 0.0]])
    p = np.round(p, 3)  # ties, as permutation p-values have
    reject, corrected, _, _ = multitest.multipletests(p, alpha=alpha, method="fdr_bh")
    ours = fdr(p, alpha=alpha)
    np.testing.assert_array_equal(ours.significant, reject)
    np.testing.assert_allclose(ours.q, corrected, rtol=1e-12, atol=1e-15)
    assert ours.threshold == (p[reject].max() if reject.any() else 0.0)


def test_confidence_bins_from_z_and_from_p():
    z = np.array([3.0, -2.6, 2.0, -1.97, 1.7, -1.0, 0.0, 1.6448])
    assert confidence_bins(z).tolist() == [3, -3, 2, -2, 1, 0, 0, 0]
    p = np.array([0.001, 0.01, 0.04, 0.06, 0.10, 0.2, 0.5, 0.09])
    assert confidence_bins(z, p).tolist() == [3, -3, 2, -1, 1, 0, 0, 1]
    assert confidence_bins(z, p, exclude=[1, 0, 0, 0, 0, 0, 0, 0])[0] == 0


def test_confidence_bins_with_fdr_are_each_level_bh_corrected():
    rng = np.random.default_rng(1)
    z = rng.normal(0, 1.5, 500)
    p = 2 * stats.norm.sf(np.abs(z))
    plain, corrected = confidence_bins(z), confidence_bins(z, fdr=True)
    assert (np.abs(corrected) <= np.abs(plain)).all() and (np.abs(corrected) < np.abs(plain)).any()
    for level, alpha in ((3, 0.01), (2, 0.05), (1, 0.10)):
        reject = multitest.multipletests(p, alpha=alpha, method="fdr_bh")[0]
        np.testing.assert_array_equal(np.abs(corrected) >= level, reject)
    assert (np.sign(corrected[corrected != 0]) == np.sign(z[corrected != 0])).all()


def test_gi_star_bins_use_the_permutation_p_when_there_is_one():
    y = counts((12, 12), seed=2)
    res = gi_star(y, grid_weights((12, 12)), permutations=PERMS, rng=1)
    bins = res.bins()
    np.testing.assert_array_equal(bins, confidence_bins(res.z, np.minimum(1, 2 * res.p_sim)))
    assert bins.max() == 3 and bins.shape == (12, 12)
    assert (np.abs(res.bins(fdr=True)) <= np.abs(bins)).all()


# ---------------------------------------------------------------------------------------------
# bad input


W4 = grid_weights((4, 4))


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: gi_star([], W4), "spatial.empty"),
        (lambda: gi_star_grid(np.zeros((0, 3))), "spatial.empty"),
        (lambda: gi_star_grid(np.ones((1, 1))), "spatial.one_cell"),
        (lambda: gi_star(np.full(16, 2.0), W4), "spatial.constant"),
        (lambda: local_moran(np.zeros((4, 4)), W4), "spatial.constant"),
        (lambda: gi_star(np.arange(15.0), W4), "spatial.length"),
        (lambda: gi_star(np.arange(16.0).reshape(2, 8), W4), "spatial.length"),
        (lambda: gi_star(np.arange(16.0), "queen"), "spatial.weights"),
        (lambda: gi_star(np.arange(16.0), W4, permutations=0), "spatial.permutations"),
        (lambda: gi_star(np.arange(16.0), W4, permutations=-5), "spatial.permutations"),
        (lambda: gi_star(np.arange(16.0), W4, permutations=10**7), "spatial.permutations"),
        (lambda: gi_star(np.arange(16.0), W4, permutations=99.5), "spatial.permutations"),
        (lambda: local_moran(np.arange(16.0), W4, permutations=0), "spatial.permutations"),
        (lambda: gi_star(np.arange(16.0), W4, method="fast"), "input.choice"),
        (lambda: gi_star_grid(np.arange(16.0)), "spatial.grid_shape"),
        (lambda: fdr([0.1, np.nan]), "spatial.p_values"),
        (lambda: fdr([0.1, 1.2]), "spatial.p_values"),
        (lambda: fdr([0.1], alpha=1.0), "spatial.alpha"),
        (lambda: fdr([]), "spatial.empty"),
        (lambda: confidence_bins([1.0, np.nan]), "spatial.missing_values"),
        (lambda: confidence_bins([1.0, 2.0], [0.1]), "spatial.length"),
    ],
)
def test_bad_input_is_refused_with_a_code(call, code):
    with pytest.raises(SafetystatsError) as exc:
        call()
    assert exc.value.code == code


def test_nan_values_are_refused_naming_how_many_and_the_first():
    y = np.arange(20.0).reshape(4, 5)
    y[1, 2] = np.nan
    y[3, 0] = np.nan
    with pytest.raises(SafetystatsError) as exc:
        gi_star(y, grid_weights((4, 5)))
    assert exc.value.code == "spatial.missing_values"
    assert exc.value.params == {"count": 2, "first": 7}
    assert "2 NaN/infinite value(s), the first at index 7 (row 1, column 2)" in str(exc.value)


def test_a_constant_variable_is_refused_with_a_sentence_not_nan_labels():
    with pytest.raises(SafetystatsError) as exc:
        gi_star_grid(np.zeros((5, 5)), permutations=99)
    assert exc.value.code == "spatial.constant" and exc.value.params == {"value": 0.0}
    assert "z-scores are undefined" in str(exc.value)


def test_weights_where_every_cell_is_an_island_are_refused():
    w = distance_band_weights([[0, 0], [5, 5], [9, 9]], 1.0)
    for f in (gi_star, local_moran):
        with pytest.raises(SafetystatsError) as exc:
            f([1.0, 2.0, 3.0], w)
        assert exc.value.code == "spatial.no_neighbours" and exc.value.params == {"n": 3}


def test_two_cells_and_dense_neighbourhoods_still_work():
    # kmax + 1 == n: the draws are whole permutations of the other cells; a neighbourhood of
    # every cell sums to the total whatever the arrangement: z 0, p 1, not a NaN
    res = gi_star_grid(np.array([[0.0, 3.0]]), permutations=99, rng=1)
    assert res.z.tolist() == [[0.0, 0.0]] and res.p_sim.tolist() == [[1.0, 1.0]]
    assert res.p_norm.tolist() == [[1.0, 1.0]]
    rng = np.random.default_rng(0)
    pts = rng.uniform(0, 1, (40, 2))
    w = distance_band_weights(pts, 0.6)  # most cells neighbour most others
    x = rng.poisson(2, 40).astype(float)
    res = gi_star(x, w, permutations=PERMS, rng=2)
    ref = brute_gi_p(x, w, PERMS, seed=3)
    ok = ~res.island
    assert (np.abs(res.p_sim - ref) <= mc_bound(ref))[ok].mean() >= MC_SHARE
