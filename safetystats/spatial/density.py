"""Kernel density of points on a regular grid (METHODS.md §6; ``docs/methods/spatial.md``).

- :func:`bandwidth`: Scott's or Silverman's rule for a 2-D Gaussian kernel with one (isotropic)
  bandwidth, or a fixed bandwidth in metres;
- :func:`kernel_density`: the Gaussian kernel density at the cell centres of the grid of
  :func:`~safetystats.spatial.spacetime.space_time_cube` (same ``bounds`` and ``cell_size`` give
  the same rows and columns), in expected events per square kilometre.

Two ways to the same sum: exact evaluation (small inputs) and binning the points to the grid
followed by a separable Gaussian convolution (large inputs); the binned result is the exact density
of the points moved to the centre of their cell (at most half a cell along each axis) with the
kernel cut at 4 bandwidths. The bound that follows is in :func:`kernel_density`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy import ndimage, signal

from safetystats._checks import as_numbers, check_choice, check_finite, check_non_negative
from safetystats.errors import SafetystatsError

from .spacetime import MAX_CELLS, _positive, _xy

__all__ = ["DensityResult", "bandwidth", "kernel_density"]

#: bandwidth rules (the name in :attr:`DensityResult.rule`; "fixed" for a bandwidth in metres)
RULES = ("scott", "silverman")
#: the kernel of the binned path is cut where it has fallen to exp(−8) ≈ 3.4e-4 of its peak
TRUNCATE = 4.0
#: ``method="auto"`` evaluates exactly while points × cells stays at or below this
EXACT_WORK = 200_000_000
#: 1-D kernels longer than this are applied by FFT (overlap-add) rather than directly
DIRECT_TAPS = 129
#: points per block of the exact evaluation (bounds its memory)
_EXACT_CHUNK_BYTES = 64 * 1024**2
METHODS = ("auto", "exact", "binned")
_PER_KM2 = 1e6


@dataclass(frozen=True)
class DensityResult:
    """``density[r, c]``: expected events per km² at the centre of cell row ``r`` (``[y0 + r·size,
    y0 + (r+1)·size)``, row 0 the southernmost), column ``c`` (``[x0 + c·size, x0 + (c+1)·size)``).

    ``bandwidth``: the kernel's standard deviation in metres; ``rule``: ``"scott"``,
    ``"silverman"`` or ``"fixed"``; ``n_points``: points used; ``dropped``: points outside
    ``bounds`` (not used); ``method``: ``"exact"`` or ``"binned"``."""

    density: np.ndarray
    origin: tuple[float, float]
    cell_size: float
    bandwidth: float
    rule: str
    n_points: int
    dropped: int
    method: str

    @property
    def shape(self) -> tuple[int, int]:
        return self.density.shape

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)``: the x of the column centres (cols,) and the y of the row centres (rows,)."""
        rows, cols = self.density.shape
        x0, y0 = self.origin
        return (
            x0 + (np.arange(cols) + 0.5) * self.cell_size,
            y0 + (np.arange(rows) + 0.5) * self.cell_size,
        )


# ---------------------------------------------------------------------------------------------
# bandwidth


def _weights(weights, n: int) -> np.ndarray | None:
    if weights is None:
        return None
    w = as_numbers(weights, "weights").ravel()
    if w.size != n:
        raise SafetystatsError(
            "input.length",
            f"weights: expected {n} values (one per point), got {w.size}",
            name="weights",
            expected=n,
            given=int(w.size),
        )
    check_finite(w, "weights")
    check_non_negative(w, "weights")
    return w


def _fixed(value) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok:
        check_choice(value, "bandwidth", RULES)  # a string: one of the rules, else input.choice
    if not (np.isfinite(value) and value > 0):
        raise SafetystatsError(
            "input.out_of_range",
            f"bandwidth: expected a positive finite distance in metres or one of {list(RULES)}, "
            f"got {value!r}",
            name="bandwidth",
            expected="> 0 (metres)",
            given=repr(value),
        )
    return float(value)


def _rule_bandwidth(xs: np.ndarray, ys: np.ndarray, w: np.ndarray | None, rule: str) -> float:
    """The rule's bandwidth from finite coordinates (and non-negative weights or None)."""
    if w is not None:
        keep = w > 0
        xs, ys, w = xs[keep], ys[keep], w[keep]
    n = int(xs.size)
    same = n < 2 or (np.ptp(xs) == 0 and np.ptp(ys) == 0)
    if not same:
        if w is None:
            neff = float(n)
            var = (np.var(xs, ddof=1) + np.var(ys, ddof=1)) / 2.0
        else:
            p = w / w.sum()
            neff = 1.0 / float(np.sum(p**2))
            mx, my = float(p @ xs), float(p @ ys)
            ss = float(p @ ((xs - mx) ** 2 + (ys - my) ** 2))
            var = ss / (1.0 - float(np.sum(p**2))) / 2.0
        sigma = float(np.sqrt(var))
        same = not sigma > 0
    if same:
        raise SafetystatsError(
            "spatial.bandwidth",
            f"bandwidth: the {rule!r} rule needs points spread over an area, got {n} point(s) "
            "all at the same place; give a fixed bandwidth in metres instead (bandwidth=250)",
            rule=rule,
            n=n,
        )
    d = 2
    if rule == "scott":
        factor = neff ** (-1.0 / (d + 4))
    else:
        factor = (neff * (d + 2) / 4.0) ** (-1.0 / (d + 4))
    return factor * sigma


def bandwidth(x, y, rule="scott", *, weights=None) -> float:
    """The bandwidth ``h`` (metres) of an isotropic 2-D Gaussian kernel for the points ``x, y``.

    With ``σ = √((var x + var y) / 2)`` (the pooled standard deviation, ``ddof=1``), ``n`` points
    and dimension ``d = 2``:

    - ``"scott"``: ``h = n^(−1/(d+4)) · σ = n^(−1/6) · σ`` (Scott 1992, *Multivariate Density
      Estimation*, the normal reference rule with one bandwidth);
    - ``"silverman"``: ``h = (n (d + 2) / 4)^(−1/(d+4)) · σ`` (Silverman 1986, *Density Estimation
      for Statistics and Data Analysis*, the normal reference rule). For ``d = 2`` the factor
      ``(d + 2) / 4`` is 1, so the two rules give the same bandwidth in the plane (they differ in
      other dimensions).

    Both are the rules of ``scipy.stats.gaussian_kde``, whose kernel covariance is the rule's factor
    squared times the data covariance; with one bandwidth for both axes the covariance is replaced
    by its mean variance, so ``h² = trace(gaussian_kde(...).covariance) / 2``. With ``weights``
    (non-negative, one per point) as there: ``n`` is the effective number ``(Σw)² / Σw²`` and the
    variances are weighted (``Σ w (x − x̄_w)² / (Σw − Σw² / Σw)``).

    A number is a fixed bandwidth in metres (positive, returned as given). A rule needs at least
    two points in different places (``spatial.bandwidth`` otherwise).
    """
    if isinstance(rule, str):
        check_choice(rule, "bandwidth", RULES)
    else:
        return _fixed(rule)
    xs, ys = _xy(x, y)
    return _rule_bandwidth(xs, ys, _weights(weights, xs.size), rule)


# ---------------------------------------------------------------------------------------------
# kernel density


def _grid(xs, ys, bounds, size):
    if bounds is None:
        return xs.min(), ys.min(), xs.max(), ys.max()
    b = as_numbers(bounds, "bounds").ravel()
    if b.size != 4 or not np.isfinite(b).all() or b[2] <= b[0] or b[3] <= b[1]:
        raise SafetystatsError(
            "spatial.bounds",
            f"bounds: expected (xmin, ymin, xmax, ymax) with xmin < xmax and ymin < ymax, got "
            f"{bounds!r}",
            given=repr(bounds),
        )
    return tuple(float(v) for v in b)


def _normal(t: np.ndarray, h: float) -> np.ndarray:
    return np.exp(-0.5 * (t / h) ** 2) / (np.sqrt(2.0 * np.pi) * h)


def _exact(xs, ys, w, x0, y0, size, rows, cols, h) -> np.ndarray:
    """Σ_i w_i φ_h(x_c − x_i) φ_h(y_r − y_i) at every centre, as (rows × n) @ (n × cols) blocks."""
    xc = x0 + (np.arange(cols) + 0.5) * size
    yc = y0 + (np.arange(rows) + 0.5) * size
    out = np.zeros((rows, cols))
    step = max(1, _EXACT_CHUNK_BYTES // (8 * (rows + cols)))
    for lo in range(0, xs.size, step):
        sl = slice(lo, lo + step)
        fy = _normal(yc[None, :] - ys[sl, None], h)  # points × rows
        fx = _normal(xc[None, :] - xs[sl, None], h)  # points × cols
        if w is not None:
            fy *= w[sl, None]
        out += fy.T @ fx
    return out


def _smooth(counts: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The separable correlation of ``counts`` with ``kernel`` along both axes, zeros outside."""
    if kernel.size <= DIRECT_TAPS:
        tmp = ndimage.correlate1d(counts, kernel, axis=0, mode="constant", cval=0.0)
        return ndimage.correlate1d(tmp, kernel, axis=1, mode="constant", cval=0.0, output=counts)
    # long kernels: overlap-add FFT (the kernel is symmetric, so convolution = correlation);
    # rounding leaves values of about 1e-16 of the largest where the exact sum is 0
    tmp = signal.oaconvolve(counts, kernel[:, None], mode="same", axes=0)
    out = signal.oaconvolve(tmp, kernel[None, :], mode="same", axes=1)
    return np.clip(out, 0.0, None, out=out)


def kernel_density(
    x,
    y,
    *,
    cell_size,
    bounds=None,
    bandwidth="scott",
    weights=None,
    method: str = "auto",
    max_cells=MAX_CELLS,
) -> DensityResult:
    """Gaussian kernel density of the points ``x, y`` (metres) at the cell centres of a grid.

    **Estimate.** With ``K_h(u) = exp(−|u|² / 2h²) / (2π h²)`` (per m², integral 1) and the cell
    centre ``s``: ``density(s) = 10⁶ · Σ_i w_i K_h(s − p_i)`` **expected events per km²** (``w_i``
    = 1 without ``weights``: then it is ``n`` × the estimated probability density per m² × 10⁶). Summed
    over the cells, ``Σ density · cell_size² / 10⁶`` ≈ ``Σ w`` when the grid reaches about 4 ``h``
    beyond the points and ``h ≥ cell_size`` (with coarser cells the centres miss the peaks between
    them). ``bandwidth``: ``"scott"`` / ``"silverman"`` (:func:`bandwidth`, computed from the points
    used, with their weights) or a fixed ``h`` in metres.

    **Grid.** As :func:`~safetystats.spatial.spacetime.space_time_cube`: ``bounds = (xmin, ymin,
    xmax, ymax)`` (default: the points' extent, so the density near the edge of the points is
    cut off by the grid: pass wider bounds to keep it), origin ``(xmin, ymin)``, ``ceil((xmax −
    xmin) / cell_size)`` columns, row 0 the southernmost. Points outside ``bounds`` are dropped
    (they add nothing to any cell) and counted in ``dropped``. More than ``max_cells`` cells is
    refused before anything is allocated.

    **Computation** (``method``). ``"exact"``: the sum above at every centre, factorised
    ``K_h(u) = φ_h(u_x) φ_h(u_y)`` into one matrix product per block of points; no approximation.
    ``"binned"``: the (weighted) counts per cell, then a separable correlation with the 1-D kernel
    ``φ_h(j · cell_size)``, ``|j · cell_size| ≤ 4h``, along rows then columns, zero outside the
    grid (``scipy.ndimage.correlate1d``; overlap-add FFT when the kernel has more than 129 taps);
    ``O(cells · h / cell_size)``. This is exactly the density of the points moved to the centre of
    their cell — by at most ``a = cell_size / 2`` along each axis — without the points more than 4h
    away along an axis (each at most exp(−8) ≈ 3.4e-4 of its kernel's peak). Moving a point at
    offset ``u = s − p`` by at most ``a`` per axis multiplies its term by a factor within
    ``exp(±(a(|u_x| + |u_y|) + a²) / h²)``, so at every cell
    ``|binned − exact| ≤ 10⁶ Σ_i w_i K_h(u_i) (exp((a|u_i|₁ + a²) / h²) − 1)`` (plus the cut-off
    terms): a relative error of at most about ``cell_size / h`` for the points within one bandwidth
    along each axis, ``4 · cell_size / h`` at 4h; in practice far less, since points sit on all
    sides of their cell centre. ``"auto"`` (default): exact while points × cells ≤ 2·10⁸
    (:data:`EXACT_WORK`), binned beyond.
    """
    check_choice(method, "method", METHODS)
    xs, ys = _xy(x, y)
    size = _positive(cell_size, "cell_size")
    w = _weights(weights, xs.size)
    fixed = None if isinstance(bandwidth, str) else _fixed(bandwidth)
    if fixed is None:
        check_choice(bandwidth, "bandwidth", RULES)
    x_lo, y_lo, x_hi, y_hi = _grid(xs, ys, bounds, size)
    x0, y0 = float(x_lo), float(y_lo)
    inside = (xs >= x_lo) & (xs <= x_hi) & (ys >= y_lo) & (ys <= y_hi)
    dropped = int((~inside).sum())
    cols = max(1, int(np.ceil((x_hi - x0) / size)))
    rows = max(1, int(np.ceil((y_hi - y0) / size)))
    cells = rows * cols
    if cells > max_cells:
        raise SafetystatsError(
            "spatial.too_many_cells",
            f"cell_size {size:g} m gives {rows} × {cols} = {cells:,} cells, more than the maximum "
            f"{int(max_cells):,}; choose larger cells",
            cells=int(cells),
            maximum=int(max_cells),
            slices=1,
            rows=rows,
            cols=cols,
        )
    xs, ys = xs[inside], ys[inside]
    if w is not None:
        w = w[inside]
    if xs.size == 0 or (w is not None and not (w > 0).any()):
        raise SafetystatsError(
            "spatial.empty",
            f"x, y: expected points with weight inside bounds, got none of {xs.size + dropped}",
            name="x, y",
        )
    h = fixed if fixed is not None else _rule_bandwidth(xs, ys, w, bandwidth)
    use = method
    if use == "auto":
        use = "exact" if xs.size * cells <= EXACT_WORK else "binned"
    if use == "exact":
        dens = _exact(xs, ys, w, x0, y0, size, rows, cols, h)
    else:
        c = np.clip(((xs - x0) // size).astype(np.int64), 0, cols - 1)
        r = np.clip(((ys - y0) // size).astype(np.int64), 0, rows - 1)
        counts = np.bincount(r * cols + c, weights=w, minlength=cells).astype(float)
        reach = int(np.floor(TRUNCATE * h / size))
        kernel = _normal(np.arange(-reach, reach + 1) * size, h)
        dens = _smooth(counts.reshape(rows, cols), kernel)
    dens *= _PER_KM2
    return DensityResult(
        density=dens,
        origin=(x0, y0),
        cell_size=size,
        bandwidth=float(h),
        rule="fixed" if fixed is not None else bandwidth,
        n_points=int(xs.size),
        dropped=dropped,
        method=use,
    )
