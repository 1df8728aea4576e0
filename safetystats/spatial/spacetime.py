"""Space–time hot spots: space–time cube, Mann–Kendall trend, emerging hot spots, Knox test.

METHODS.md §6; formulas and sources in ``docs/methods/spatial.md``.

- :func:`space_time_cube`: counts per (time slice, row, column) from points in metres and times
  (``numpy.datetime64`` or day numbers); points outside ``bounds`` are dropped and counted.
- :func:`mann_kendall`: the Mann–Kendall trend test (Mann 1945; Kendall 1975), vectorised over
  cells: ``S``, its variance with the tie correction, ``z`` with the continuity correction and the
  two-sided normal p.
- :func:`emerging_hotspots`: Gi* per time slice, Mann–Kendall of each cell's z series and the
  categories of ArcGIS's *Emerging Hot Spot Analysis* (:data:`CATEGORIES`).
- :func:`knox`: the Knox (1964) near-repeat test per distance band × time band, expected counts
  and pseudo p-values from permuted times (Monte Carlo; Johnson et al. 2007).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy import special
from scipy.spatial import cKDTree

from safetystats._checks import as_numbers, check_choice
from safetystats.errors import SafetystatsError

from .hotspots import _alpha, _permutations, fdr, gi_star_grid

__all__ = [
    "CATEGORIES",
    "EmergingResult",
    "KnoxResult",
    "MannKendallResult",
    "SpaceTimeCube",
    "emerging_hotspots",
    "knox",
    "mann_kendall",
    "space_time_cube",
]

#: the most cells (slices × rows × columns) a cube may have unless the caller allows more
MAX_CELLS = 50_000_000
#: share of the slices a location must be significant in to be intensifying/persistent/...
SHARE = 0.9

#: ArcGIS Emerging Hot Spot Analysis categories (Esri, ArcGIS Pro tool reference, "Emerging Hot
#: Spot Analysis", .../tool-reference/space-time-pattern-mining/emerginghotspots.htm, and its "How
#: Emerging Hot Spot Analysis works", .../space-time-pattern-mining/learnmoreemerging.htm, under
#: https://pro.arcgis.com/en/pro-app/latest/), definitions paraphrased,
#: in the order they are tested (the first that applies wins); the cold twins are the same rules
#: with hot and cold exchanged and the trend reversed (a cold spot intensifies when z falls).
CATEGORIES: tuple[dict, ...] = (
    {
        "key": "no_pattern",
        "label": "No pattern detected",
        "definition": "none of the patterns below",
    },
    {
        "key": "oscillating_hot",
        "label": "Oscillating hot spot",
        "definition": "hot in the final slice, cold in at least one earlier slice, hot in fewer "
        "than 90 % of the slices",
    },
    {
        "key": "new_hot",
        "label": "New hot spot",
        "definition": "hot in the final slice and never hot before",
    },
    {
        "key": "consecutive_hot",
        "label": "Consecutive hot spot",
        "definition": "a single uninterrupted run of at least 2 hot slices ending with the final "
        "slice, never hot before that run, hot in fewer than 90 % of the slices",
    },
    {
        "key": "intensifying_hot",
        "label": "Intensifying hot spot",
        "definition": "hot in at least 90 % of the slices including the final one, and the z "
        "series rises significantly (Mann–Kendall)",
    },
    {
        "key": "diminishing_hot",
        "label": "Diminishing hot spot",
        "definition": "hot in at least 90 % of the slices including the final one, and the z "
        "series falls significantly",
    },
    {
        "key": "persistent_hot",
        "label": "Persistent hot spot",
        "definition": "hot in at least 90 % of the slices including the final one, with no "
        "significant trend",
    },
    {
        "key": "historical_hot",
        "label": "Historical hot spot",
        "definition": "not hot in the final slice, but hot in at least 90 % of the slices",
    },
    {
        "key": "sporadic_hot",
        "label": "Sporadic hot spot",
        "definition": "hot in the final slice, on and off before, hot in fewer than 90 % of the "
        "slices and never cold",
    },
)
_COLD = tuple(
    {
        "key": c["key"].replace("_hot", "_cold"),
        "label": c["label"].replace("hot spot", "cold spot"),
        "definition": c["definition"]
        .replace("hot", "\0")
        .replace("cold", "hot")
        .replace("\0", "cold")
        .replace("rises", "\1")
        .replace("falls", "rises")
        .replace("\1", "falls"),
    }
    for c in CATEGORIES[1:]
)
CATEGORIES = CATEGORIES + _COLD


# ---------------------------------------------------------------------------------------------
# space–time cube


def _positive(value, name: str) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    ok = ok and np.isfinite(value) and value > 0
    if not ok:
        raise SafetystatsError(
            "spatial.cell_size",
            f"{name}: expected a positive finite number, got {value!r}",
            name=name,
            given=repr(value),
        )
    return float(value)


def _days(t, name: str = "t") -> np.ndarray:
    """Times as float days: datetime64 (any unit) or numbers (day numbers)."""
    arr = np.asarray(t)
    if np.issubdtype(arr.dtype, np.datetime64):
        bad = np.isnat(arr)
        days = (arr.astype("datetime64[s]").astype(np.int64) / 86_400.0).astype(float)
    else:
        days = as_numbers(arr, name)
        bad = ~np.isfinite(days)
    if bad.any():
        raise SafetystatsError(
            "spatial.times",
            f"{name}: expected a date or day number for every point, got {int(bad.sum())} "
            f"missing, the first at index {int(np.flatnonzero(bad.ravel())[0])}",
            count=int(bad.sum()),
            first=int(np.flatnonzero(bad.ravel())[0]),
        )
    return days.ravel()


def _step_days(step) -> float:
    if isinstance(step, np.timedelta64):
        step = float(step / np.timedelta64(1, "s")) / 86_400.0
    return _positive(step, "time_step")


def _xy(x, y, n=None):
    xs = as_numbers(x, "x").ravel()
    ys = as_numbers(y, "y").ravel()
    if xs.size != ys.size or (n is not None and xs.size != n):
        raise SafetystatsError(
            "spatial.length",
            f"x, y, t: expected arrays of the same length, got {xs.size}, {ys.size} and "
            f"{n if n is not None else ys.size}",
            expected=int(xs.size),
            given=int(ys.size if ys.size != xs.size else n),
        )
    if xs.size == 0:
        raise SafetystatsError("spatial.empty", "x, y: expected points, got none", name="x, y")
    bad = ~(np.isfinite(xs) & np.isfinite(ys))
    if bad.any():
        raise SafetystatsError(
            "spatial.points",
            f"x, y: expected finite coordinates, got {int(bad.sum())} NaN/infinite point(s), the "
            f"first at index {int(np.flatnonzero(bad)[0])}",
            count=int(bad.sum()),
        )
    return xs, ys


@dataclass(frozen=True)
class SpaceTimeCube:
    """``counts[k, r, c]``: events in slice ``k`` (``[t0 + k·step, t0 + (k+1)·step)`` days) and cell
    row ``r`` (``[y0 + r·size, y0 + (r+1)·size)``, row 0 the southernmost), column ``c``.
    ``dropped``: points outside ``bounds`` (not counted); ``n_points``: points counted."""

    counts: np.ndarray
    origin: tuple[float, float, float]
    cell_size: float
    time_step: float
    dropped: int
    n_points: int

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.counts.shape


def space_time_cube(
    x, y, t, *, cell_size, time_step, origin=None, bounds=None, max_cells=MAX_CELLS
) -> SpaceTimeCube:
    """Counts per (time slice, row, column) of points ``x, y`` (metres) at times ``t``.

    ``bounds``: ``(xmin, ymin, xmax, ymax)`` of the study area (default: the points' extent);
    points outside are dropped and their number returned as ``dropped``. ``origin``:
    ``(x0, y0, t0)`` of the grid (default: ``bounds``' lower left corner and the earliest
    time). ``time_step`` in days (or a ``numpy.timedelta64``). A cube of more than
    ``max_cells`` cells is refused with the numbers, before anything is allocated.
    """
    days = _days(t)
    xs, ys = _xy(x, y, days.size)
    size = _positive(cell_size, "cell_size")
    step = _step_days(time_step)
    if bounds is None:
        x_lo, y_lo, x_hi, y_hi = xs.min(), ys.min(), xs.max(), ys.max()
    else:
        b = as_numbers(bounds, "bounds").ravel()
        if b.size != 4 or not np.isfinite(b).all() or b[2] <= b[0] or b[3] <= b[1]:
            raise SafetystatsError(
                "spatial.bounds",
                f"bounds: expected (xmin, ymin, xmax, ymax) with xmin < xmax and ymin < ymax, got "
                f"{bounds!r}",
                given=repr(bounds),
            )
        x_lo, y_lo, x_hi, y_hi = b
    if origin is None:
        x0, y0, t0 = x_lo, y_lo, days.min()
    else:
        o = np.asarray(origin, dtype=object).ravel()
        if o.size != 3:
            raise SafetystatsError(
                "spatial.bounds",
                f"origin: expected (x0, y0, t0), got {origin!r}",
                given=repr(origin),
            )
        x0, y0 = (float(v) for v in as_numbers(list(o[:2]), "origin"))
        t0 = float(_days(np.asarray([o[2]]), "origin")[0])
    inside = (xs >= max(x_lo, x0)) & (xs <= x_hi) & (ys >= max(y_lo, y0)) & (ys <= y_hi)
    inside &= days >= t0
    dropped = int((~inside).sum())
    cols = max(1, int(np.ceil((x_hi - x0) / size)))
    rows = max(1, int(np.ceil((y_hi - y0) / size)))
    slices = 1
    if inside.any():
        slices = max(1, int(np.floor((days[inside].max() - t0) / step)) + 1)
    cells = slices * rows * cols
    if cells > max_cells:
        raise SafetystatsError(
            "spatial.too_many_cells",
            f"cell_size {size:g} m and time_step {step:g} days give {slices} × {rows} × {cols} = "
            f"{cells:,} cells, more than the maximum {int(max_cells):,}; choose larger cells or "
            "time steps",
            cells=int(cells),
            maximum=int(max_cells),
            slices=slices,
            rows=rows,
            cols=cols,
        )
    c = np.clip(((xs[inside] - x0) // size).astype(np.int64), 0, cols - 1)
    r = np.clip(((ys[inside] - y0) // size).astype(np.int64), 0, rows - 1)
    k = ((days[inside] - t0) // step).astype(np.int64)
    counts = np.bincount((k * rows + r) * cols + c, minlength=cells).reshape(slices, rows, cols)
    return SpaceTimeCube(
        counts=counts,
        origin=(float(x0), float(y0), float(t0)),
        cell_size=size,
        time_step=step,
        dropped=dropped,
        n_points=int(inside.sum()),
    )


# ---------------------------------------------------------------------------------------------
# Mann–Kendall


@dataclass(frozen=True)
class MannKendallResult:
    """``s``: Σ_{i<j} sign(x_j − x_i); ``var_s`` with the tie correction; ``z`` with the continuity
    correction; ``p``: two-sided normal p; ``trend``: +1 / −1 where ``p ≤ alpha`` (else 0) is left
    to the caller (:func:`emerging_hotspots` uses its ``alpha``)."""

    s: np.ndarray
    var_s: np.ndarray
    z: np.ndarray
    p: np.ndarray
    n: int


def mann_kendall(series, axis: int = 0) -> MannKendallResult:
    """Mann–Kendall trend test along ``axis`` (time), vectorised over the other axes.

    ``S = Σ_{i<j} sign(x_j − x_i)``; ``Var S = [n(n−1)(2n+5) − Σ_g t_g(t_g−1)(2t_g+5)] / 18`` over
    the groups ``g`` of tied values; ``z = (S − sign S) / √Var S`` (0 when S = 0); ``p = 2(1 − Φ|z|)``.
    A series without variation has ``Var S = 0``: z = 0 and p = 1 there.
    """
    arr = as_numbers(series, "series")
    if arr.ndim == 0:
        arr = arr[None]
    ax = int(axis) % arr.ndim
    x = np.moveaxis(arr, ax, 0)
    n = x.shape[0]
    if n < 3:
        raise SafetystatsError(
            "spatial.too_few_events",
            f"series: expected at least 3 time points for a trend, got {n}",
            n=int(n),
        )
    bad = ~np.isfinite(x)
    if bad.any():
        raise SafetystatsError(
            "spatial.missing_values",
            f"series: expected finite values, got {int(bad.sum())} NaN/infinite value(s)",
            count=int(bad.sum()),
            first=int(np.flatnonzero(bad.ravel())[0]),
        )
    s = np.zeros(x.shape[1:])
    ties = np.zeros(x.shape[1:])
    for i in range(n):
        s += np.sign(x[i + 1 :] - x[i]).sum(axis=0)
        c = (x == x[i]).sum(axis=0)  # size of the tie group of x_i (itself included)
        ties += (c - 1) * (2 * c + 5)  # Σ over members = Σ_g t_g(t_g − 1)(2t_g + 5)
    var = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    sd = np.sqrt(np.where(var > 0, var, 1.0))
    z = np.where(var > 0, (s - np.sign(s)) / sd, 0.0)
    p = np.asarray(special.erfc(np.abs(z) / np.sqrt(2.0)))
    return MannKendallResult(s=s, var_s=var, z=z, p=p, n=n)


# ---------------------------------------------------------------------------------------------
# emerging hot spots


@dataclass(frozen=True)
class EmergingResult:
    """Per location (rows × cols): ``category`` (a key of :data:`CATEGORIES`), the Mann–Kendall of
    its z series (``trend_z``, ``trend_p``); per slice: ``z`` and ``p`` of Gi* (slices × rows ×
    cols), ``state`` (+1 hot, −1 cold, 0 neither); ``constant_slices``: slices with the same count
    in every cell (Gi* undefined: z = 0, p = 1, never a label)."""

    category: np.ndarray
    trend_z: np.ndarray
    trend_p: np.ndarray
    z: np.ndarray
    p: np.ndarray
    state: np.ndarray
    constant_slices: tuple[int, ...]
    alpha: float


def _trailing_run(mask: np.ndarray) -> np.ndarray:
    """Length of the run of True that ends with the last slice (axis 0)."""
    run = np.zeros(mask.shape[1:], dtype=np.int64)
    going = np.ones(mask.shape[1:], dtype=bool)
    for k in range(mask.shape[0] - 1, -1, -1):
        going &= mask[k]
        run += going
    return run


def classify(state, trend_z, trend_p, *, alpha: float = 0.05) -> np.ndarray:
    """Categories (keys of :data:`CATEGORIES`) from each location's series of states (axis 0:
    slices; +1 significant hot, −1 significant cold, 0 neither) and the Mann–Kendall trend of its
    z series, by the rules of :data:`CATEGORIES` in their order."""
    st = np.asarray(state)
    slices = st.shape[0]
    out = np.full(st.shape[1:], "no_pattern", dtype="<U20")
    done = np.zeros(st.shape[1:], dtype=bool)
    tz = np.asarray(trend_z)
    sig = np.asarray(trend_p) <= alpha
    for sign, side in ((1, "hot"), (-1, "cold")):
        this, other = st == sign, st == -sign
        count = this.sum(axis=0)
        final = this[-1]
        many = count * 10 >= 9 * slices  # ≥ 90 % (integers: no rounding)
        run = _trailing_run(this)
        up = sig & (tz * sign > 0)  # intensifying in this side's direction
        down = sig & (tz * sign < 0)
        rules = (
            ("oscillating", final & ~many & other[:-1].any(axis=0)),
            ("new", final & (count == 1)),
            ("consecutive", final & (run >= 2) & (count == run) & ~many),
            ("intensifying", final & many & up),
            ("diminishing", final & many & down),
            ("persistent", final & many),
            ("historical", ~final & many),
            ("sporadic", final & ~many & ~other.any(axis=0)),
        )
        for name, rule in rules:
            hit = rule & ~done
            out[hit] = f"{name}_{side}"
            done |= hit
    return out


def emerging_hotspots(
    cube, *, contiguity: str = "queen", alpha: float = 0.05, use_fdr: bool = False
) -> EmergingResult:
    """Emerging hot spots on a cube (a :class:`SpaceTimeCube` or a slices × rows × cols array).

    Neighbourhood: Gi* is computed **per time slice** on that slice's grid
    (:func:`~safetystats.spatial.hotspots.gi_star_grid`, the cell and its rook/queen neighbours).
    ArcGIS uses a space–time neighbourhood (the neighbours in the current and the previous
    *neighbourhood time step* slices); we do not, so that each slice's z is exactly the tested
    Hot Spot Analysis of that slice and a hot spot in one period is not carried into the next by
    the window — the trend is left to the Mann–Kendall test of the z series. A cell is hot (cold)
    in a slice when its z > 0 (< 0) and its two-sided normal p ≤ ``alpha`` (with ``use_fdr``:
    Benjamini–Hochberg significant at ``alpha`` among that slice's cells, as ArcGIS's FDR option).
    The trend is significant when the Mann–Kendall p ≤ ``alpha``.
    """
    check_choice(contiguity, "contiguity", ("queen", "rook"))
    a = _alpha(alpha)
    counts = cube.counts if isinstance(cube, SpaceTimeCube) else as_numbers(cube, "cube")
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 3 or counts.shape[0] < 3 or min(counts.shape[1:]) < 1:
        raise SafetystatsError(
            "spatial.cube",
            f"cube: expected slices × rows × cols with at least 3 slices, got shape {counts.shape}",
            given=str(counts.shape),
        )
    z = np.zeros(counts.shape)
    p = np.ones(counts.shape)
    constant = []
    for k in range(counts.shape[0]):
        sl = counts[k]
        if sl.size > 1 and np.isfinite(sl).all() and sl.max() == sl.min():
            constant.append(k)  # no variation: z undefined, stated, no label
            continue
        res = gi_star_grid(sl, contiguity=contiguity)
        z[k], p[k] = res.z, res.p_norm
    if use_fdr:
        sig = np.stack(
            [fdr(p[k].ravel(), alpha=a).significant.reshape(p.shape[1:]) for k in range(p.shape[0])]
        )
    else:
        sig = p <= a
    state = (np.sign(z) * sig).astype(np.int8)
    mk = mann_kendall(z, axis=0)
    return EmergingResult(
        category=classify(state, mk.z, mk.p, alpha=a),
        trend_z=mk.z,
        trend_p=mk.p,
        z=z,
        p=p,
        state=state,
        constant_slices=tuple(constant),
        alpha=a,
    )


# ---------------------------------------------------------------------------------------------
# Knox


@dataclass(frozen=True)
class KnoxResult:
    """Per (distance band, time band): ``observed`` pairs, ``expected`` (mean over permuted
    times), ``ratio`` = observed / expected (NaN where expected is 0) and the pseudo
    ``p = (#{permuted ≥ observed} + 1) / (permutations + 1)``."""

    observed: np.ndarray
    expected: np.ndarray
    ratio: np.ndarray
    p: np.ndarray
    distance_bands: np.ndarray
    time_bands: np.ndarray
    permutations: int


def _bands(edges, name: str) -> np.ndarray:
    e = as_numbers(edges, name).ravel()
    ok = e.size >= 2 and np.isfinite(e).all() and e[0] >= 0 and (np.diff(e) > 0).all()
    if not ok:
        raise SafetystatsError(
            "spatial.bands",
            f"{name}: expected at least 2 increasing non-negative band edges, got {edges!r}",
            name=name,
            given=repr(edges),
        )
    return e


def _band(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Band index (lo ≤ v < hi), −1 outside every band."""
    b = np.searchsorted(edges, values, side="right") - 1
    b[(values < edges[0]) | (values >= edges[-1])] = -1
    return b


def knox(x, y, t, *, distance_bands, time_bands, permutations: int = 999, rng=None) -> KnoxResult:
    """Knox near-repeat test: pairs of events close in space and time per band × band.

    ``distance_bands`` (metres) and ``time_bands`` (days) are edges: band ``k`` holds pairs with
    ``edges[k] ≤ d < edges[k+1]`` (e.g. ``[0, 100, 200]`` and ``[0, 15, 29]``: 0–99 m, 100–199 m;
    0–14 days, 15–28 days). Each unordered pair of events counts once. The null keeps the places
    and permutes the times among the events (Johnson et al. 2007; the Near Repeat Calculator).
    """
    days = _days(t)
    xs, ys = _xy(x, y, days.size)
    if xs.size < 2:
        raise SafetystatsError(
            "spatial.too_few_events",
            f"x, y, t: expected at least 2 events for pairs, got {xs.size}",
            n=int(xs.size),
        )
    de = _bands(distance_bands, "distance_bands")
    te = _bands(time_bands, "time_bands")
    perms = _permutations(permutations)
    rng = np.random.default_rng(rng)
    pts = np.column_stack([xs, ys])
    pairs = cKDTree(pts).query_pairs(de[-1], output_type="ndarray")
    nd, nt = de.size - 1, te.size - 1
    if pairs.size == 0:
        pairs = np.zeros((0, 2), dtype=np.int64)
    i, j = pairs[:, 0], pairs[:, 1]
    db = _band(np.hypot(*(pts[i] - pts[j]).T), de)
    keep = db >= 0
    i, j, db = i[keep], j[keep], db[keep]

    def table(tt):
        tb = _band(np.abs(tt[i] - tt[j]), te)
        ok = tb >= 0
        return np.bincount(db[ok] * nt + tb[ok], minlength=nd * nt).reshape(nd, nt)

    observed = table(days)
    total = np.zeros((nd, nt))
    larger = np.zeros((nd, nt), dtype=np.int64)
    for _ in range(perms):
        sim = table(days[rng.permutation(days.size)])
        total += sim
        larger += sim >= observed
    expected = total / perms
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, observed / np.where(expected > 0, expected, 1), np.nan)
    return KnoxResult(
        observed=observed,
        expected=expected,
        ratio=ratio,
        p=(larger + 1) / (perms + 1),
        distance_bands=de,
        time_bands=te,
        permutations=perms,
    )
