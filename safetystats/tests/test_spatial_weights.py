"""Spatial weights against libpysal (the same neighbour sets on the same data), islands reported,
and every refusal coded."""

import warnings

import numpy as np
import pytest
import shapely
from scipy import sparse

from safetystats.errors import SafetystatsError
from safetystats.spatial import (
    Weights,
    distance_band_weights,
    grid_weights,
    knn_weights,
    polygon_weights,
    weights_from_sparse,
)
from safetystats.tests.references import reference

libpysal = reference("libpysal")


def neighbour_sets(w: Weights) -> list[set]:
    return [set(w.neighbours(i).tolist()) for i in range(w.n)]


def pysal_sets(lw, n) -> list[set]:
    return [set(lw.neighbors.get(i, [])) for i in range(n)]


@pytest.mark.parametrize("shape", [(7, 9), (1, 6), (5, 1), (2, 2), (12, 3)])
@pytest.mark.parametrize("contiguity", ["rook", "queen"])
def test_grid_weights_match_lat2w(shape, contiguity):
    w = grid_weights(shape, contiguity=contiguity)
    lw = libpysal.weights.lat2W(*shape, rook=contiguity == "rook")
    assert w.n == shape[0] * shape[1] and w.shape == shape and w.kind == f"grid-{contiguity}"
    assert neighbour_sets(w) == pysal_sets(lw, w.n)
    assert w.islands.size == 0
    assert (w.matrix.diagonal() == 0).all()


def test_grid_cells_are_numbered_row_by_row():
    w = grid_weights((3, 4), contiguity="queen")
    # cell 5 is row 1, column 1: everything around it
    assert w.neighbours(5).tolist() == [0, 1, 2, 4, 6, 8, 9, 10]
    assert w.cardinalities.tolist() == [3, 5, 5, 3, 5, 8, 8, 5, 3, 5, 5, 3]


def test_row_standardised_rows_sum_to_one_and_islands_stay_zero():
    pts = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [10.0, 10.0]])
    w = distance_band_weights(pts, 1.5, row_standardise=True)
    sums = np.asarray(w.matrix.sum(axis=1)).ravel()
    np.testing.assert_allclose(sums, [1, 1, 1, 0], atol=1e-15)
    assert w.islands.tolist() == [3] and w.row_standardised
    assert grid_weights((3, 3), row_standardise=True).matrix[4].toarray().max() == 1 / 8


def jittered_tessellation(rows=6, cols=7, seed=0):
    """Quadrilaterals on a jittered lattice: neighbours share exact vertices, some only a corner."""
    rng = np.random.default_rng(seed)
    X, Y = np.meshgrid(np.arange(cols + 1.0), np.arange(rows + 1.0))
    X = X + rng.uniform(-0.3, 0.3, X.shape)
    Y = Y + rng.uniform(-0.3, 0.3, Y.shape)
    return [
        shapely.Polygon(
            [
                (X[i, j], Y[i, j]),
                (X[i, j + 1], Y[i, j + 1]),
                (X[i + 1, j + 1], Y[i + 1, j + 1]),
                (X[i + 1, j], Y[i + 1, j]),
            ]
        )
        for i in range(rows)
        for j in range(cols)
    ]


@pytest.mark.parametrize("contiguity", ["queen", "rook"])
def test_polygon_contiguity_matches_libpysal_from_iterable(contiguity):
    polys = jittered_tessellation()
    polys.append(shapely.Polygon([(20, 20), (21, 20), (21, 21)]))  # far away: an island
    polys.append(shapely.box(6.7, 5.7, 8.5, 7.5).union(shapely.box(9, 9, 9.5, 9.5)))  # multi
    w = polygon_weights(polys, contiguity=contiguity)
    cls = libpysal.weights.Queen if contiguity == "queen" else libpysal.weights.Rook
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # libpysal warns about the island
        lw = cls.from_iterable(polys)
    ours, theirs = neighbour_sets(w), pysal_sets(lw, len(polys))
    # the multipolygon overlaps its neighbour rather than sharing vertices: only the lattice
    # (which shares exact vertices, as libpysal's vertex test needs) is compared
    lattice = range(len(polys) - 1)
    assert [ours[i] - {len(polys) - 1} for i in lattice] == [
        theirs[i] - {len(polys) - 1} for i in lattice
    ]
    assert len(polys) - 2 in w.islands.tolist()


def test_queen_touches_at_a_corner_rook_needs_an_edge():
    a, b, c = shapely.box(0, 0, 1, 1), shapely.box(1, 1, 2, 2), shapely.box(1, 0, 2, 1)
    q = polygon_weights([a, b, c], contiguity="queen")
    r = polygon_weights([a, b, c], contiguity="rook")
    assert neighbour_sets(q) == [{1, 2}, {0, 2}, {0, 1}]
    assert neighbour_sets(r) == [{2}, {2}, {0, 1}]


def test_distance_band_matches_libpysal_and_reports_islands():
    rng = np.random.default_rng(4)
    pts = rng.uniform(0, 10, (300, 2))
    w = distance_band_weights(pts, 0.8)
    lw = libpysal.weights.DistanceBand(pts, 0.8, binary=True, silence_warnings=True)
    assert neighbour_sets(w) == pysal_sets(lw, 300)
    assert sorted(w.islands.tolist()) == sorted(lw.islands) and w.islands.size > 0
    # d <= threshold: a pair exactly at the threshold is a pair
    exact = distance_band_weights([[0.0, 0.0], [3.0, 4.0]], 5.0)
    assert neighbour_sets(exact) == [{1}, {0}]


def test_knn_matches_libpysal_and_handles_duplicated_points():
    rng = np.random.default_rng(5)
    pts = rng.uniform(0, 10, (250, 2))
    for k in (1, 4, 8):
        w = knn_weights(pts, k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "not fully connected"
            lw = libpysal.weights.KNN(pts, k=k)
        assert neighbour_sets(w) == pysal_sets(lw, 250)
        assert (w.cardinalities == k).all()
    dup = knn_weights([[0.0, 0.0], [0.0, 0.0], [5.0, 5.0]], 1)
    sets = neighbour_sets(dup)  # the duplicate is the nearest, never the point itself
    assert sets[:2] == [{1}, {0}] and len(sets[2]) == 1 and sets[2] <= {0, 1}


def test_weights_from_sparse_drops_the_diagonal_and_keeps_values():
    m = np.array([[5.0, 2.0, 0.0], [2.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    w = weights_from_sparse(sparse.csr_matrix(m))
    assert w.matrix.toarray().tolist() == [[0, 2, 0], [2, 0, 1], [0, 0, 0]]
    assert w.islands.tolist() == [2] and w.kind == "custom"


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: grid_weights((0, 5)), "spatial.empty"),
        (lambda: grid_weights((1, 1)), "spatial.one_cell"),
        (lambda: grid_weights((2.5, 3)), "spatial.grid_shape"),
        (lambda: grid_weights(7), "spatial.grid_shape"),
        (lambda: grid_weights((3, 3), contiguity="bishop"), "input.choice"),
        (lambda: polygon_weights([]), "spatial.empty"),
        (lambda: polygon_weights([shapely.box(0, 0, 1, 1)]), "spatial.one_cell"),
        (
            lambda: polygon_weights([shapely.box(0, 0, 1, 1), shapely.Point(0, 0)]),
            "spatial.geometry",
        ),
        (lambda: polygon_weights([shapely.box(0, 0, 1, 1), shapely.Polygon()]), "spatial.geometry"),
        (lambda: distance_band_weights([[0, 0, 0]], 1.0), "spatial.points"),
        (lambda: distance_band_weights([[0, 0], [np.nan, 1]], 1.0), "spatial.points"),
        (lambda: distance_band_weights([[0, 0], [1, 1]], 0), "spatial.threshold"),
        (lambda: distance_band_weights([[0, 0], [1, 1]], np.inf), "spatial.threshold"),
        (lambda: knn_weights([[0, 0], [1, 1]], 2), "spatial.knn_k"),
        (lambda: knn_weights([[0, 0], [1, 1]], 0), "spatial.knn_k"),
        (lambda: knn_weights([[0, 0], [1, 1], [2, 2]], 1.5), "spatial.knn_k"),
        (lambda: weights_from_sparse(np.ones((2, 3))), "spatial.weights"),
        (lambda: weights_from_sparse(-np.ones((2, 2))), "spatial.weights"),
    ],
)
def test_bad_weights_input_is_refused_with_a_code(call, code):
    with pytest.raises(SafetystatsError) as exc:
        call()
    assert exc.value.code == code
    assert "expected" in str(exc.value)


def test_the_refusal_of_a_bad_geometry_names_its_position():
    with pytest.raises(SafetystatsError) as exc:
        polygon_weights([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.Point(0, 0)])
    assert exc.value.params == {"index": 2, "given": "Point"}
