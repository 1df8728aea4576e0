"""Local hot spots: Getis–Ord Gi*, local Moran's I, permutation inference, FDR, confidence bins.

METHODS.md §6; formulas and sources in ``docs/methods/spatial.md``.

- :func:`gi_star`: Getis–Ord Gi* with the cell itself in its neighbourhood (Ord & Getis 1995; as
  ArcGIS *Hot Spot Analysis* and ``esda.G_Local(star=True)``): the analytic z for any
  :class:`~safetystats.spatial.weights.Weights`, and conditional-permutation pseudo p-values.
  On a regular grid (:func:`~safetystats.spatial.weights.grid_weights`, or :func:`gi_star_grid`
  straight from a 2-D array) the neighbourhood sums are *box sums* instead of a sparse product;
  both paths give the same z.
- :func:`local_moran`: local Moran's I (Anselin 1995) with its quadrant (HH, LH, LL, HL) and the
  same permutation inference.
- :func:`fdr`: Benjamini–Hochberg false discovery rate; :func:`confidence_bins`: the ArcGIS
  ``Gi_Bin`` (±3 = 99 %, ±2 = 95 %, ±1 = 90 % confidence, 0 = not significant).

Hot or cold is the sign of z (never of p). An *island* (a cell without neighbours) has a Gi* that
rests on its own value only and a local Moran of 0: its z is computed, its p-values are 1, its bin
and quadrant 0 and it is listed in ``islands`` — never a label.

Conditional permutation (Anselin 1995): the value of cell ``i`` stays, its ``k_i`` neighbours'
values are drawn without replacement from the other ``n − 1`` cells; the pseudo p-value is folded
on the side of the observed value, ``p = (larger + 1) / (permutations + 1)`` with ``larger`` the
number of draws at least as extreme on that side. By default (``ties="both"``) a draw *equal* to
the observed statistic counts as at least as extreme on either side; esda (``ties="esda"``)
counts ties on the upper side only, so on sparse counts a neighbourhood of zeros — the bottom of
the null, where most draws are zeros too — gets the smallest p (1/1000) and a 99 % cold spot.
Without ties the two are identical.
The cells are split at random into up to 1,024 groups; each group has one table of
``permutations × (k_max + 1)`` draws (an index drawn for ``i`` that is ``i`` itself is replaced
by the row's spare draw), so each cell's p is an exact Monte Carlo p of its own null and the
Monte Carlo errors of cells in different groups are independent. With weights that are equal
within a row (binary or row-standardised contiguity, distance band, k nearest) the statistic of a
draw depends on the *sum* of the drawn values only: the sums of the first ``k`` draws are
cumulative sums of the table, sorted once per neighbour count, and each cell's count is a binary
search — ``O(n log permutations)`` time and ``O(permutations · k_max)`` memory, with ties of
counts compared exactly (sums of the same integers; esda compares floating-point products, which
break such ties either way). Other weights use chunked matrix
products (memory bounded by ``chunk``).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy import special

from safetystats._checks import as_numbers
from safetystats.errors import SafetystatsError

from .weights import Weights, grid_shape

__all__ = [
    "QUADRANTS",
    "FdrResult",
    "GiStarResult",
    "LocalMoranResult",
    "confidence_bins",
    "fdr",
    "gi_star",
    "gi_star_grid",
    "local_moran",
]

#: quadrant code → label of local Moran's I (0 = island, no quadrant)
QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
#: the most permutations accepted (999 is the usual choice, 9,999 for small p)
MAX_PERMUTATIONS = 99_999
#: ArcGIS confidence levels: (bin, significance level)
LEVELS = ((3, 0.01), (2, 0.05), (1, 0.10))
#: cells per chunk of the matrix-product path of the permutations (memory: permutations × chunk)
CHUNK = 256
#: independent tables of draws for row-constant weights: at most this many groups of cells, and
#: about this many (group, neighbour count) pairs
MAX_GROUPS = 1024
GROUP_WORK = 16_384


# ---------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class GiStarResult:
    """Getis–Ord Gi* per cell (arrays in the shape of the values: 2-D for a grid).

    ``z``: the analytic z-score (hot > 0, cold < 0); ``p_norm``: its two-sided normal p
    (ArcGIS; esda's ``p_norm`` is the one-sided half); ``p_sim``: the folded conditional-permutation
    pseudo p (``None`` without permutations); ``local_sum``: the (weighted) neighbourhood sum
    including the cell; ``n_neighbours``: neighbours without the cell; ``island``: mask of cells without
    neighbours (also as flat ``islands`` indices): p = 1 and bin 0 there.
    """

    z: np.ndarray
    p_norm: np.ndarray
    p_sim: np.ndarray | None
    permutations: int | None
    local_sum: np.ndarray
    n_neighbours: np.ndarray
    island: np.ndarray
    islands: np.ndarray

    def bins(self, *, fdr: bool = False, use: str = "auto") -> np.ndarray:
        """ArcGIS confidence bins (see :func:`confidence_bins`), judged on a two-sided p as the
        bins of z are: ``min(1, 2 p_sim)`` when there are permutations (``use="auto"``/``"sim"``;
        the folded ``p_sim`` is one-sided, in the direction of the observed value), else (or with
        ``use="norm"``) ``p_norm``."""
        if use not in ("auto", "sim", "norm"):
            raise SafetystatsError(
                "input.choice",
                f"use: expected one of ['auto', 'sim', 'norm'], got {use!r}",
                name="use",
                expected=["auto", "sim", "norm"],
                given=repr(use),
            )
        if use == "sim" and self.p_sim is None:
            raise SafetystatsError(
                "input.choice",
                "use: 'sim' needs permutations, got a result without them",
                name="use",
                expected=["auto", "norm"],
                given=repr(use),
            )
        if use == "norm" or self.p_sim is None:
            p = self.p_norm
        else:
            p = np.minimum(1.0, 2.0 * self.p_sim)
        return confidence_bins(self.z, p, fdr=fdr, exclude=self.island)


@dataclass(frozen=True)
class LocalMoranResult:
    """Local Moran's I per cell (as ``esda.Moran_Local``).

    ``I``: ``(n − 1) z_i Σ_j w_ij z_j / Σ z²`` with ``z`` the values standardised by their
    population standard deviation; ``lag``: ``Σ_j w_ij z_j``; ``quadrant``: 1 HH (z > 0, lag > 0),
    2 LH, 3 LL, 4 HL (0 = island, see :data:`QUADRANTS`); ``p_sim``: folded permutation pseudo p
    (``None`` without permutations; 1 on islands).
    """

    I: np.ndarray  # noqa: E741 -- the statistic's name
    z: np.ndarray
    lag: np.ndarray
    quadrant: np.ndarray
    p_sim: np.ndarray | None
    permutations: int | None
    island: np.ndarray
    islands: np.ndarray

    def labels(self, *, alpha: float = 0.05, fdr: bool = False) -> np.ndarray:
        """``"HH"``/``"LH"``/``"LL"``/``"HL"`` where the folded ``p_sim`` ≤ ``alpha`` (as GeoDa
        and esda's cluster maps; BH-corrected with ``fdr``), ``""`` elsewhere and on islands."""
        alpha = _alpha(alpha)
        if self.p_sim is None:
            return np.full(self.quadrant.shape, "", dtype="<U2")
        sig = _significant(self.p_sim, alpha, fdr, self.island)
        names = np.array(["", "HH", "LH", "LL", "HL"])
        return np.where(sig, names[self.quadrant], "")


@dataclass(frozen=True)
class FdrResult:
    """Benjamini–Hochberg: ``significant`` (q ≤ alpha), ``q`` (adjusted p-values, as
    statsmodels' ``fdr_bh``), ``alpha`` and ``threshold`` (the largest p declared significant,
    0 when none)."""

    significant: np.ndarray
    q: np.ndarray
    alpha: float
    threshold: float


# ---------------------------------------------------------------------------------------------
# checks


def _check_weights(weights) -> Weights:
    if not isinstance(weights, Weights):
        raise SafetystatsError(
            "spatial.weights",
            f"weights: expected safetystats.spatial.Weights, got {type(weights).__name__}",
            given=type(weights).__name__,
        )
    return weights


def _values(values, n: int, shape=None) -> np.ndarray:
    """Finite values, one per cell (flat), refusing NaN (naming how many and the first)."""
    arr = as_numbers(values, "values")
    if arr.size == 0:
        raise SafetystatsError(
            "spatial.empty", "values: expected one value per cell, got none", name="values"
        )
    ok = arr.ndim == 1 and arr.size == n or (shape is not None and arr.shape == tuple(shape))
    if not ok:
        want = f"{n} values" + (f" or a {shape[0]} × {shape[1]} array" if shape is not None else "")
        raise SafetystatsError(
            "spatial.length",
            f"values: expected {want} (one per cell of the weights), got shape {arr.shape}",
            expected=n,
            given=int(arr.size),
        )
    flat = arr.ravel()
    bad = ~np.isfinite(flat)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        where = f"index {first}"
        if arr.ndim == 2:
            where += f" (row {first // arr.shape[1]}, column {first % arr.shape[1]})"
        raise SafetystatsError(
            "spatial.missing_values",
            f"values: expected finite numbers in every cell, got {int(bad.sum())} NaN/infinite "
            f"value(s), the first at {where}",
            count=int(bad.sum()),
            first=first,
        )
    if flat.size == 1:
        raise SafetystatsError(
            "spatial.one_cell", "values: expected at least 2 cells, got 1", name="values"
        )
    if flat.max() == flat.min():
        raise SafetystatsError(
            "spatial.constant",
            f"values: every cell has the value {flat[0]:g}; z-scores are undefined "
            "(there is no variation to find hot or cold spots in)",
            value=float(flat[0]),
        )
    return flat


def _permutations(permutations) -> int | None:
    if permutations is None:
        return None
    ok = isinstance(permutations, numbers.Integral) and not isinstance(permutations, bool)
    if not ok or not 1 <= permutations <= MAX_PERMUTATIONS:
        raise SafetystatsError(
            "spatial.permutations",
            f"permutations: expected an integer from 1 to {MAX_PERMUTATIONS:,} (or None for the "
            f"analytic z only), got {permutations!r}",
            given=repr(permutations),
            maximum=MAX_PERMUTATIONS,
        )
    return int(permutations)


def _ties(ties) -> str:
    if ties not in ("both", "esda"):
        raise SafetystatsError(
            "input.choice",
            f"ties: expected one of ['both', 'esda'], got {ties!r}",
            name="ties",
            expected=["both", "esda"],
            given=repr(ties),
        )
    return ties


def _alpha(alpha) -> float:
    try:
        ok = bool(0.0 < alpha < 1.0)
    except (TypeError, ValueError):
        ok = False
    if not ok or isinstance(alpha, bool):
        raise SafetystatsError(
            "spatial.alpha",
            f"alpha: expected a significance level in (0, 1), got {alpha!r}",
            given=repr(alpha),
        )
    return float(alpha)


def _no_neighbours(k: np.ndarray) -> None:
    if not k.any():
        raise SafetystatsError(
            "spatial.no_neighbours",
            f"weights: none of the {k.size} cells has a neighbour (every cell is an island); "
            "use a larger distance band or contiguity",
            n=int(k.size),
        )


# ---------------------------------------------------------------------------------------------
# Gi*


def _box_sum(a: np.ndarray, contiguity: str) -> np.ndarray:
    """Sum over each cell and its rook/queen neighbours on a grid (zero outside): shifted adds."""
    p = np.pad(a, 1)
    if contiguity == "queen":  # separable 3 × 3 box: 3 rows, then 3 columns
        v = p[:-2] + p[1:-1]
        v += p[2:]
        s = v[:, :-2] + v[:, 1:-1]
        s += v[:, 2:]
        return s
    s = p[:-2, 1:-1] + p[2:, 1:-1]
    s += p[1:-1, :-2]
    s += p[1:-1, 2:]
    s += a
    return s


def _grid_counts(rows: int, cols: int, contiguity: str) -> np.ndarray:
    """Neighbours of each grid cell (without the cell), from its position alone."""
    rc = np.full(rows, 3, dtype=np.int64)
    cc = np.full(cols, 3, dtype=np.int64)
    rc[[0, -1]] -= 1
    cc[[0, -1]] -= 1
    if rows == 1:
        rc[:] = 1
    if cols == 1:
        cc[:] = 1
    if contiguity == "queen":
        return rc[:, None] * cc[None, :] - 1
    return (rc[:, None] - 1) + (cc[None, :] - 1)


def _gi_z(local_sum, w_sum, w_sq, values) -> np.ndarray:
    """Ord & Getis (1995) Gi*: (Σ w x − x̄ W) / (s √((n S1 − W²) / (n − 1)))."""
    n = values.size
    mean = values.mean()
    s = np.sqrt(max((values * values).mean() - mean * mean, 0.0))
    num = local_sum - mean * w_sum
    spread = n * w_sq - w_sum * w_sum
    # a neighbourhood of every cell (n S1 = W² for binary weights) sums to the total whatever
    # the arrangement: nothing to test, z = 0 (and p = 1)
    whole = spread <= 1e-12 * n * w_sq
    num /= s * np.sqrt(np.where(whole, 1.0, spread) / (n - 1))
    num[whole] = 0.0
    return num


def gi_star(
    values,
    weights: Weights,
    *,
    permutations: int | None = 999,
    rng=None,
    ties: str = "both",
    method: str = "auto",
):
    """Getis–Ord Gi* of each cell, its analytic z and (optionally) its permutation pseudo p.

    Parameters
    ----------
    values : array of the ``n`` cells (counts; 2-D ``rows × cols`` for grid weights)
    weights : :class:`~safetystats.spatial.weights.Weights`; the cell itself is added with the
        largest weight of its row (1 for binary weights), as ArcGIS and ``esda`` ``star=True``.
        Row standardisation does not change z or p of Gi* (each row's scale cancels).
    permutations : number of conditional permutations (999), ``None`` for the analytic z only
    rng : ``numpy.random.Generator`` or seed
    ties : ``"both"`` (a draw equal to the observed sum counts on either side of the fold) or
        ``"esda"`` (as esda: on the upper side only, which on sparse counts makes every
        neighbourhood of zeros a 99 % cold spot); see ``docs/methods/spatial.md``
    method : ``"auto"`` (box sums on grid weights, else the sparse product), ``"grid"``, ``"sparse"``

    Returns
    -------
    GiStarResult

    Examples
    --------
    >>> import numpy as np
    >>> from safetystats.spatial import grid_weights
    >>> y = np.zeros((5, 5)); y[1:4, 1:4] = 3; y[2, 2] = 9
    >>> r = gi_star(y, grid_weights((5, 5)), permutations=None)
    >>> round(float(r.z[2, 2]), 2), r.z.shape
    (4.12, (5, 5))
    """
    weights = _check_weights(weights)
    ties = _ties(ties)
    if method not in ("auto", "grid", "sparse"):
        raise SafetystatsError(
            "input.choice",
            f"method: expected one of ['auto', 'grid', 'sparse'], got {method!r}",
            name="method",
            expected=["auto", "grid", "sparse"],
            given=repr(method),
        )
    if method == "grid" and weights.shape is None:
        raise SafetystatsError(
            "input.choice",
            f"method: 'grid' needs grid weights, got weights of kind {weights.kind!r}",
            name="method",
            expected=["auto", "sparse"],
            given=repr(method),
        )
    arr_shape = np.shape(values)
    y = _values(values, weights.n, weights.shape)
    perms = _permutations(permutations)
    if weights.shape is not None and method != "sparse":  # row standardisation: same Gi*
        rows, cols = weights.shape
        return _gi_grid(y.reshape(rows, cols), weights.contiguity, perms, rng, arr_shape, ties)
    m = weights.matrix
    k = np.diff(m.indptr)
    _no_neighbours(k)
    self_w = np.zeros(weights.n)
    has = k > 0
    self_w[has] = np.maximum.reduceat(m.data, m.indptr[:-1][has]) if m.nnz else 0.0
    self_w[~has] = 1.0
    local = m @ y + self_w * y
    w_sum = np.asarray(m.sum(axis=1)).ravel() + self_w
    w_sq = np.asarray(m.multiply(m).sum(axis=1)).ravel() + self_w * self_w
    z = _gi_z(local, w_sum, w_sq, y)
    island = k == 0
    p_sim = None
    if perms is not None:
        mm, observed = _lag_for_draws(m, y)
        larger = _larger(y, mm, k, observed, np.ones(weights.n, dtype=np.int8), perms, rng)
        p_sim = _fold(larger, perms, island, ties)
    return _gi_result(z, local, k, island, p_sim, perms, arr_shape)


def gi_star_grid(
    values,
    *,
    contiguity: str = "queen",
    permutations: int | None = None,
    rng=None,
    ties: str = "both",
):
    """Gi* on a regular grid given as a 2-D array (``rows × cols``), without building weights.

    Why a grid allows it: grid weights are the same stencil at every cell (the 3 × 3 box for
    queen, the cross for rook), so the neighbourhood sums ``Σ_j w*_ij x_j`` of *all* cells are one
    2-D convolution, done here as a few shifted whole-array additions on a zero-padded copy: no
    index arrays, no sparse matrix (which for 4.3 million queen cells holds 34 million entries
    and is read in scattered order), and ``W_i = S1_i`` (the number of cells in the box) follows
    from the position alone (4 in a corner, 6 on an edge, 9 inside). The z is that of
    :func:`gi_star` on :func:`~safetystats.spatial.weights.grid_weights` (tested to 1e-12).
    ``permutations`` defaults to ``None`` (analytic z) here; pass 999 for pseudo p-values.
    """
    from safetystats._checks import check_choice

    check_choice(contiguity, "contiguity", ("queen", "rook"))
    arr = as_numbers(values, "values")
    if arr.ndim != 2:
        raise SafetystatsError(
            "spatial.grid_shape",
            f"values: expected a 2-D rows × cols array, got shape {arr.shape}",
            given=str(arr.shape),
        )
    rows, cols = grid_shape(arr.shape)
    y = _values(arr, rows * cols, (rows, cols))
    perms = _permutations(permutations)
    return _gi_grid(y.reshape(rows, cols), contiguity, perms, rng, arr.shape, _ties(ties))


def _gi_grid(y2: np.ndarray, contiguity: str, perms, rng, arr_shape, ties) -> GiStarResult:
    rows, cols = y2.shape
    local = _box_sum(y2, contiguity).ravel()
    k = _grid_counts(rows, cols, contiguity).ravel()
    y = y2.ravel()
    kk = (k + 1).astype(float)
    z = _gi_z(local, kk, kk, y)
    island = k == 0  # never on a grid of 2 or more cells
    p_sim = None
    if perms is not None:
        larger = _larger(y, None, k, local - y, np.ones(y.size, dtype=np.int8), perms, rng)
        p_sim = _fold(larger, perms, island, ties)
    return _gi_result(z, local, k, island, p_sim, perms, arr_shape)


def _gi_result(z, local, k, island, p_sim, perms, shape) -> GiStarResult:
    p_norm = special.erfc(np.abs(z) / np.sqrt(2.0))
    p_norm[island] = 1.0
    return GiStarResult(
        z=z.reshape(shape),
        p_norm=p_norm.reshape(shape),
        p_sim=None if p_sim is None else p_sim.reshape(shape),
        permutations=perms,
        local_sum=local.reshape(shape),
        n_neighbours=k.reshape(shape),
        island=island.reshape(shape),
        islands=np.flatnonzero(island),
    )


# ---------------------------------------------------------------------------------------------
# conditional permutations


def _rng(rng) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _draw_rows(n: int, m: int, perms: int, rng: np.random.Generator) -> np.ndarray:
    """``perms`` rows of ``m`` distinct cell indices in ``[0, n)`` (uniform, without replacement)."""
    if m * m <= n:  # duplicates rare: draw with replacement, redraw rows that repeat an index
        q = rng.integers(0, n, size=(perms, m))
        while True:
            s = np.sort(q, axis=1)
            bad = (s[:, 1:] == s[:, :-1]).any(axis=1)
            if not bad.any():
                return q
            q[bad] = rng.integers(0, n, size=(int(bad.sum()), m))
    out = np.empty((perms, m), dtype=np.int64)
    step = max(1, 4_000_000 // n)  # bounded memory: step × n random keys at a time
    for a in range(0, perms, step):
        keys = rng.random((min(step, perms - a), n))
        out[a : a + keys.shape[0]] = (
            np.argpartition(keys, m - 1, axis=1)[:, :m] if m < n else np.argsort(keys, axis=1)
        )
    # argpartition leaves the first m unordered but uniformly chosen; shuffle the order too
    return rng.permuted(out, axis=1)


def _lag_for_draws(m, y):
    """(weights for :func:`_larger`, observed lag): with weights equal within each row the plain
    neighbour sums (``None``: the statistic is monotone in them, and integer counts compare
    exactly), else the weights and the weighted lag."""
    if _row_constant(m):
        binary = m.copy()
        binary.data[:] = 1.0
        return None, binary @ y
    return m, m @ y


def _row_constant(m) -> bool:
    if m is None:
        return True
    if m.nnz == 0:
        return True
    k = np.diff(m.indptr)
    has = k > 0
    lo = np.minimum.reduceat(m.data, m.indptr[:-1][has])
    hi = np.maximum.reduceat(m.data, m.indptr[:-1][has])
    return bool(np.all(lo == hi))


def _table(y, n, kmax, perms, rng, k, members):
    """One table of draws for the cells ``members`` (a boolean mask or None = all): the drawn
    values and, for each occurrence of a member among its own first ``k_i`` draws, its row,
    column and cell (the draw is then replaced by the row's spare, column ``kmax``)."""
    q = _draw_rows(n, kmax + 1, perms, rng)
    yq = y[q]
    r_occ, c_occ = np.divmod(np.arange(perms * kmax), kmax)
    cell = q[:, :kmax].ravel()
    own = c_occ < k[cell]
    if members is not None:
        own &= members[cell]
    return yq, r_occ[own], c_occ[own], cell[own]


def _larger(y, m, k, observed, direction, perms, rng):
    """For each cell, how many of ``perms`` conditional draws give a statistic ≥ and ≤ the
    observed one.

    The statistic is monotone in the weighted lag ``L = Σ_c w_ic y_draw_c``: increasing where
    ``direction`` is 1, decreasing where −1, constant where 0 (then every draw counts). ``observed``
    is the observed lag (for row-constant weights: the plain neighbour sum). The cells are split
    at random into groups (row-constant weights) or chunks (other weights), each with a table of
    draws of its own, so that the Monte Carlo errors of cells in different groups are independent.
    """
    rng = _rng(rng)
    n = y.size
    kmax = int(k.max())
    ge = np.zeros(n, dtype=np.int64)  # draws with a lag >= the observed
    le = np.zeros(n, dtype=np.int64)  # draws with a lag <= the observed
    if _row_constant(m):
        distinct = np.unique(k[k > 0])
        n_groups = int(min(n, MAX_GROUPS, max(1, GROUP_WORK // distinct.size)))
        group = rng.permutation(n) % n_groups
        by_group = np.argsort(group, kind="stable")
        bounds = np.searchsorted(group[by_group], np.arange(n_groups + 1))
        members = np.zeros(n, dtype=bool)
        s = np.zeros((perms, kmax + 1))
        for g in range(n_groups):
            cells_g = by_group[bounds[g] : bounds[g + 1]]
            members[cells_g] = True
            yq, r_occ, _, cell = _table(y, n, kmax, perms, rng, k, members)
            members[cells_g] = False
            np.cumsum(yq[:, :kmax], axis=1, out=s[:, 1:])
            kg = k[cells_g]
            for kv in np.unique(kg):
                if kv == 0:
                    continue
                cells = cells_g[kg == kv]
                col = np.sort(s[:, kv])
                obs = observed[cells]
                ge[cells] = perms - np.searchsorted(col, obs, side="left")
                le[cells] = np.searchsorted(col, obs, side="right")
            if cell.size:
                old = s[r_occ, k[cell]]
                new = old - y[cell] + yq[r_occ, kmax]
                obs = observed[cell]
                np.add.at(ge, cell, (new >= obs).astype(np.int64) - (old >= obs))
                np.add.at(le, cell, (new <= obs).astype(np.int64) - (old <= obs))
        return _orient(ge, le, direction, perms)
    # general weights: chunked products of the draws with each row's weights (zero padded)
    tol = 1e-10 * np.abs(y).max() * float(np.asarray(abs(m).sum(axis=1)).max())
    members = np.zeros(n, dtype=bool)
    for a in range(0, n, CHUNK):
        b = min(n, a + CHUNK)
        members[a:b] = True
        yq, rr, cc, ci = _table(y, n, kmax, perms, rng, k, members)
        members[a:b] = False
        sub = m[a:b]
        kk = np.diff(sub.indptr)
        pad = np.zeros((b - a, kmax))
        pos = np.arange(sub.nnz) - np.repeat(sub.indptr[:-1], kk)
        pad[np.repeat(np.arange(b - a), kk), pos] = sub.data
        lag = yq[:, :kmax] @ pad.T  # perms × chunk
        np.add.at(lag, (rr, ci - a), pad[ci - a, cc] * (yq[rr, kmax] - y[ci]))
        obs = observed[a:b]
        ge[a:b] = (lag >= obs - tol).sum(axis=0)
        le[a:b] = (lag <= obs + tol).sum(axis=0)
    return _orient(ge, le, direction, perms)


def _orient(ge, le, direction, perms):
    """Counts of the lag → counts of the statistic (at least / at most as large as observed)."""
    up = np.where(direction > 0, ge, np.where(direction < 0, le, perms))
    down = np.where(direction > 0, le, np.where(direction < 0, ge, perms))
    return up, down


def _fold(counts, perms, island, ties) -> np.ndarray:
    """Folded pseudo p on the side of the observed value.

    ``ties="both"``: ``larger = min(#(sim ≥ obs), #(sim ≤ obs))`` — a draw equal to the observed
    value counts on either side. ``ties="esda"``: ``larger = #(sim ≥ obs)``, replaced by
    ``permutations − larger`` (= #(sim < obs)) when that is smaller — a tie then counts on the
    upper side only, so an observed value at the bottom of many tied draws (a neighbourhood of
    zeros among counts that are mostly 0) gets the smallest p. Both are the same without ties.
    """
    up, down = counts
    if ties == "esda":
        larger = up.copy()
        low = (perms - larger) < larger
        larger[low] = perms - larger[low]
    else:
        larger = np.minimum(up, down)
    p = (larger + 1.0) / (perms + 1.0)
    p[island] = 1.0
    return p


# ---------------------------------------------------------------------------------------------
# local Moran


def local_moran(
    values, weights: Weights, *, permutations: int | None = 999, rng=None, ties: str = "both"
) -> LocalMoranResult:
    """Local Moran's I (Anselin 1995) with quadrants and conditional-permutation pseudo p.

    As ``esda.Moran_Local``: ``z = (x − x̄) / sd(x)`` (population sd), ``lag = W z`` with the
    weights as given (row standardise them for the usual LISA, ``row_standardise=True``),
    ``I = (n − 1) z lag / Σ z²``. Quadrant 1 HH (z > 0 and lag > 0), 2 LH, 3 LL, 4 HL; islands
    get quadrant 0 and p = 1. ``ties`` as in :func:`gi_star`.

    >>> import numpy as np
    >>> from safetystats.spatial import grid_weights
    >>> y = np.zeros((4, 4)); y[:2, :2] = 5
    >>> r = local_moran(y, grid_weights((4, 4), row_standardise=True), permutations=None)
    >>> [QUADRANTS[int(q)] for q in r.quadrant.ravel()[[0, 15]]]
    ['HH', 'LL']
    """
    weights = _check_weights(weights)
    ties = _ties(ties)
    arr_shape = np.shape(values)
    y = _values(values, weights.n, weights.shape)
    perms = _permutations(permutations)
    m = weights.matrix
    k = np.diff(m.indptr)
    _no_neighbours(k)
    n = y.size
    z = y - y.mean()
    z /= y.std()
    lag = m @ z
    den = (z * z).sum()
    moran = (n - 1) * z * lag / den
    zp, lp = z > 0, lag > 0
    quadrant = np.where(zp, np.where(lp, 1, 4), np.where(lp, 2, 3)).astype(np.int8)
    island = k == 0
    quadrant[island] = 0
    p_sim = None
    if perms is not None:
        mm, observed = _lag_for_draws(m, y)
        larger = _larger(y, mm, k, observed, np.sign(z).astype(np.int8), perms, rng)
        p_sim = _fold(larger, perms, island, ties).reshape(arr_shape)
    return LocalMoranResult(
        I=moran.reshape(arr_shape),
        z=z.reshape(arr_shape),
        lag=lag.reshape(arr_shape),
        quadrant=quadrant.reshape(arr_shape),
        p_sim=p_sim,
        permutations=perms,
        island=island.reshape(arr_shape),
        islands=np.flatnonzero(island),
    )


# ---------------------------------------------------------------------------------------------
# FDR and bins


def _p_values(p) -> np.ndarray:
    arr = as_numbers(p, "p")
    flat = arr.ravel()
    bad = ~(np.isfinite(flat) & (flat >= 0) & (flat <= 1))
    if bad.any():
        raise SafetystatsError(
            "spatial.p_values",
            f"p: expected p-values in [0, 1], got {int(bad.sum())} missing or outside",
            count=int(bad.sum()),
        )
    return arr


def fdr(p, *, alpha: float = 0.05) -> FdrResult:
    """Benjamini–Hochberg (1995) step-up: reject the ``i`` smallest p-values for the largest
    ``i`` with ``p_(i) ≤ alpha · i / m``; ``q_(i) = min_{j ≥ i} m p_(j) / j`` (capped at 1).

    >>> fdr([0.01, 0.02, 0.03, 0.5], alpha=0.05).significant.tolist()
    [True, True, True, False]
    """
    alpha = _alpha(alpha)
    arr = _p_values(p)
    flat = arr.ravel()
    m = flat.size
    if m == 0:
        raise SafetystatsError("spatial.empty", "p: expected p-values, got none", name="p")
    order = np.argsort(flat, kind="stable")
    ranked = flat[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    q = np.empty(m)
    q[order] = q_sorted
    significant = q <= alpha
    threshold = float(flat[significant].max()) if significant.any() else 0.0
    return FdrResult(significant.reshape(arr.shape), q.reshape(arr.shape), alpha, threshold)


def _significant(p, alpha, use_fdr, exclude) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    ok = np.ones(p.shape, dtype=bool) if exclude is None else ~np.asarray(exclude, dtype=bool)
    sig = np.zeros(p.shape, dtype=bool)
    if use_fdr:
        if ok.any():
            sig[ok] = fdr(p[ok], alpha=alpha).significant
    else:
        sig = ok & (p <= alpha)
    return sig


def confidence_bins(z, p=None, *, fdr: bool = False, exclude=None) -> np.ndarray:
    """ArcGIS ``Gi_Bin``: ±3 (99 % confidence, p ≤ 0.01), ±2 (95 %, p ≤ 0.05), ±1 (90 %,
    p ≤ 0.10), 0 (not significant); the sign is that of ``z`` (hot +, cold −).

    ``p``: the p-values to judge (default: the two-sided normal p of ``z``); ``fdr``: each level
    Benjamini–Hochberg corrected across the cells, as ArcGIS's *Apply False Discovery Rate
    Correction*; ``exclude``: cells that get 0 and take no part in the correction (islands).
    """
    zz = as_numbers(z, "z")
    bad = ~np.isfinite(zz)
    if bad.any():
        raise SafetystatsError(
            "spatial.missing_values",
            f"z: expected finite z-scores, got {int(bad.sum())} NaN/infinite value(s), the first at "
            f"index {int(np.flatnonzero(bad.ravel())[0])}",
            count=int(bad.sum()),
            first=int(np.flatnonzero(bad.ravel())[0]),
        )
    pp = special.erfc(np.abs(zz) / np.sqrt(2.0)) if p is None else _p_values(p)
    if pp.shape != zz.shape:
        raise SafetystatsError(
            "spatial.length",
            f"p: expected the shape of z {zz.shape}, got {pp.shape}",
            expected=int(zz.size),
            given=int(pp.size),
        )
    if exclude is not None:
        exclude = np.asarray(exclude, dtype=bool).reshape(zz.shape)
    level = np.zeros(zz.shape, dtype=np.int8)
    for b, a in reversed(LEVELS):  # 90 %, then 95 %, then 99 %
        level[_significant(pp, a, fdr, exclude)] = b
    return (np.sign(zz).astype(np.int8) * level).astype(np.int8)
