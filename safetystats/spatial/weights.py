"""Sparse spatial weights: who is a neighbour of whom (METHODS.md §6).

Every constructor returns a :class:`Weights`: an ``n × n`` ``scipy.sparse`` CSR matrix without self
weights (``w_ij = 1`` for a neighbour, or ``1 / k_i`` when row standardised), the number of cells,
the kind, and the *islands* — cells without any neighbour. Islands are kept and named, never
dropped: a hot-spot statistic of an island rests on its own value only, and the analysis in
:mod:`safetystats.spatial.hotspots` reports them as islands, not as hot or cold.

- :func:`grid_weights`: a regular grid of ``rows × cols`` cells, numbered row by row
  (cell ``r * cols + c``); *rook* neighbours share an edge (up to 4), *queen* neighbours an edge
  or a corner (up to 8). Cells outside the grid simply do not exist (no wrap-around).
- :func:`polygon_weights`: contiguity of polygons through a ``shapely.STRtree``; *queen*: the
  polygons touch in at least a point, *rook*: their boundaries share a segment of positive length.
  Coordinates must coincide exactly (snap digitised data first).
- :func:`distance_band_weights`: points within ``threshold`` of each other (``d <= threshold``).
- :func:`knn_weights`: each point's ``k`` nearest other points (not symmetric).
- :func:`weights_from_sparse`: any non-negative square matrix (the diagonal is ignored).

Sources: Anselin, L. (1988). *Spatial Econometrics: Methods and Models*, ch. 3 (contiguity,
distance and nearest-neighbour weights); libpysal's ``lat2W``, ``Queen``/``Rook``, ``DistanceBand``
and ``KNN`` give the same neighbour sets (tested).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from safetystats._checks import as_numbers, check_choice
from safetystats.errors import SafetystatsError

__all__ = [
    "Weights",
    "distance_band_weights",
    "grid_weights",
    "knn_weights",
    "polygon_weights",
    "weights_from_sparse",
]

CONTIGUITY = ("queen", "rook")


@dataclass(frozen=True)
class Weights:
    """Spatial weights of ``n`` cells.

    ``matrix``: ``n × n`` CSR, zero diagonal (self weights are added by the statistic that wants
    them, Gi*); ``islands``: indices of the cells without neighbours (sorted); ``kind``: how it was
    built (``"grid-queen"``, ``"grid-rook"``, ``"polygon-queen"``, ``"polygon-rook"``,
    ``"distance-band"``, ``"knn"``, ``"custom"``); ``shape``: ``(rows, cols)`` of a regular grid
    (``None`` otherwise), which lets Gi* use box sums instead of the matrix; ``row_standardised``:
    each row sums to 1 (a neighbour weighs ``1 / k_i``).
    """

    matrix: sparse.csr_matrix
    n: int
    islands: np.ndarray
    kind: str
    shape: tuple[int, int] | None = None
    row_standardised: bool = False

    @property
    def cardinalities(self) -> np.ndarray:
        """Number of neighbours of each cell (0 for an island)."""
        return np.diff(self.matrix.indptr)

    @property
    def contiguity(self) -> str | None:
        """``"queen"`` or ``"rook"`` for a grid, else ``None``."""
        return self.kind.removeprefix("grid-") if self.shape is not None else None

    def neighbours(self, i: int) -> np.ndarray:
        """The neighbours of cell ``i`` (sorted indices)."""
        m = self.matrix
        return m.indices[m.indptr[i] : m.indptr[i + 1]].copy()


def _finish(rows, cols, n, kind, *, row_standardise, shape=None, data=None) -> Weights:
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    data = np.ones(rows.size) if data is None else np.asarray(data, dtype=float)
    off = (rows != cols) & (data != 0)  # no self weights, no stored zeros
    m = sparse.csr_matrix((data[off], (rows[off], cols[off])), shape=(n, n))
    m.sum_duplicates()
    m.sort_indices()
    k = np.diff(m.indptr)
    if row_standardise:
        with np.errstate(divide="ignore", invalid="ignore"):
            rs = np.asarray(m.sum(axis=1)).ravel()
            scale = np.where(rs > 0, 1.0 / rs, 0.0)
        m = sparse.csr_matrix(sparse.diags(scale) @ m)
        m.sort_indices()
    return Weights(
        matrix=m,
        n=int(n),
        islands=np.flatnonzero(k == 0),
        kind=kind,
        shape=shape,
        row_standardised=bool(row_standardise),
    )


def _check_count(n: int, name: str) -> None:
    if n == 0:
        raise SafetystatsError(
            "spatial.empty", f"{name}: expected at least 2 cells, got none", name=name
        )
    if n == 1:
        raise SafetystatsError(
            "spatial.one_cell",
            f"{name}: expected at least 2 cells, got 1 (a single cell has no neighbours)",
            name=name,
        )


def grid_shape(shape) -> tuple[int, int]:
    """``(rows, cols)`` as two non-negative ints, refusing anything else."""
    ok = (
        isinstance(shape, (tuple, list))
        and len(shape) == 2
        and all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 0 for s in shape
        )
    )
    if not ok:
        raise SafetystatsError(
            "spatial.grid_shape",
            f"shape: expected (rows, cols) as two non-negative integers, got {shape!r}",
            given=repr(shape),
        )
    return int(shape[0]), int(shape[1])


def grid_weights(shape, *, contiguity: str = "queen", row_standardise: bool = False) -> Weights:
    """Rook or queen weights of a regular ``rows × cols`` grid, cells numbered row by row.

    >>> w = grid_weights((3, 3), contiguity="rook")
    >>> w.neighbours(4).tolist(), int(w.cardinalities[0])
    ([1, 3, 5, 7], 2)
    """
    rows, cols = grid_shape(shape)
    check_choice(contiguity, "contiguity", CONTIGUITY)
    n = rows * cols
    _check_count(n, "shape")
    steps = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    if contiguity == "queen":
        steps += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    r, c = np.divmod(np.arange(n, dtype=np.int64), cols)
    src, dst = [], []
    for dr, dc in steps:  # at most 8 vectorised steps
        rr, cc = r + dr, c + dc
        ok = (rr >= 0) & (rr < rows) & (cc >= 0) & (cc < cols)
        src.append(np.flatnonzero(ok))
        dst.append(rr[ok] * cols + cc[ok])
    return _finish(
        np.concatenate(src),
        np.concatenate(dst),
        n,
        f"grid-{contiguity}",
        row_standardise=row_standardise,
        shape=(rows, cols),
    )


def polygon_weights(
    polygons, *, contiguity: str = "queen", row_standardise: bool = False
) -> Weights:
    """Contiguity weights of polygons (shapely), through an ``STRtree``.

    *queen*: two polygons are neighbours when they touch in at least one point; *rook*: when their
    boundaries share a segment of positive length (a corner alone is not enough). Overlapping
    polygons are queen neighbours. Coordinates must coincide exactly.
    """
    import shapely

    check_choice(contiguity, "contiguity", CONTIGUITY)
    geoms = np.empty(len(polygons), dtype=object)
    geoms[:] = list(polygons)
    n = geoms.size
    for i, g in enumerate(geoms):
        if not isinstance(g, (shapely.Polygon, shapely.MultiPolygon)) or g.is_empty:
            raise SafetystatsError(
                "spatial.geometry",
                f"polygons: expected non-empty polygons, got {type(g).__name__} at index {i}",
                index=i,
                given=type(g).__name__,
            )
    _check_count(n, "polygons")
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if contiguity == "rook" and left.size:
        shared = shapely.intersection(shapely.boundary(geoms[left]), shapely.boundary(geoms[right]))
        edge = shapely.length(shared) > 0
        left, right = left[edge], right[edge]
    return _finish(
        np.concatenate([left, right]),
        np.concatenate([right, left]),
        n,
        f"polygon-{contiguity}",
        row_standardise=row_standardise,
    )


def _points(points) -> np.ndarray:
    arr = as_numbers(points, "points")
    if arr.ndim != 2 or arr.shape[1] != 2 or not np.isfinite(arr).all():
        raise SafetystatsError(
            "spatial.points",
            f"points: expected an (n, 2) array of finite x, y coordinates, got shape {arr.shape}",
            given=str(arr.shape),
        )
    _check_count(arr.shape[0], "points")
    return arr


def distance_band_weights(points, threshold, *, row_standardise: bool = False) -> Weights:
    """Binary weights of points within ``threshold`` of each other (Euclidean, ``d <= threshold``).

    Points farther than ``threshold`` from every other point are islands.
    """
    pts = _points(points)
    ok = isinstance(threshold, numbers.Real) and not isinstance(threshold, bool)
    if not ok or not np.isfinite(threshold) or threshold <= 0:
        raise SafetystatsError(
            "spatial.threshold",
            f"threshold: expected a positive finite distance, got {threshold!r}",
            given=repr(threshold),
        )
    pairs = cKDTree(pts).query_pairs(float(threshold), output_type="ndarray")
    return _finish(
        np.concatenate([pairs[:, 0], pairs[:, 1]]),
        np.concatenate([pairs[:, 1], pairs[:, 0]]),
        pts.shape[0],
        "distance-band",
        row_standardise=row_standardise,
    )


def knn_weights(points, k: int, *, row_standardise: bool = False) -> Weights:
    """Each point's ``k`` nearest other points (not symmetric; ties in distance are broken by
    the k-d tree's order)."""
    pts = _points(points)
    n = pts.shape[0]
    ok = isinstance(k, numbers.Integral) and not isinstance(k, bool)
    if not ok or not 1 <= k < n:
        raise SafetystatsError(
            "spatial.knn_k",
            f"k: expected an integer in [1, {n - 1}] (fewer than the {n} points), got {k!r}",
            k=repr(k),
            n=n,
        )
    k = int(k)
    _, idx = cKDTree(pts).query(pts, k=k + 1)
    is_self = idx == np.arange(n)[:, None]
    keep = ~is_self
    keep[~is_self.any(axis=1), -1] = False  # duplicated points: self may not be listed first
    nbrs = idx[keep].reshape(n, k)
    return _finish(
        np.repeat(np.arange(n), k), nbrs.ravel(), n, "knn", row_standardise=row_standardise
    )


def weights_from_sparse(matrix, *, row_standardise: bool = False, kind: str = "custom") -> Weights:
    """Weights from any non-negative square matrix (dense or sparse); the diagonal is ignored."""
    try:
        m = sparse.csr_matrix(matrix, dtype=float)
    except (TypeError, ValueError):
        m = None
    if m is None or m.shape[0] != m.shape[1] or (m.data < 0).any() or not np.isfinite(m.data).all():
        raise SafetystatsError(
            "spatial.weights",
            "matrix: expected a square matrix of non-negative finite weights, got "
            + (type(matrix).__name__ if m is None else f"shape {m.shape}"),
            given=type(matrix).__name__,
        )
    _check_count(m.shape[0], "matrix")
    coo = m.tocoo()
    return _finish(
        coo.row, coo.col, m.shape[0], kind, row_standardise=row_standardise, data=coo.data
    )
