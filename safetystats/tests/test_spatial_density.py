"""Kernel density on a grid, against ``scipy.stats.gaussian_kde`` and the written-out sum.

References and named tolerances:

- ``scipy.stats.gaussian_kde`` (the independent reference): its kernel covariance is its factor²
  times the data covariance, so it is used on point sets whose covariance is ``σ² I`` — an
  equilateral triangle, and sets made of a base set with its rotations by 90°, 180° and 270° about
  the centre of the grid — with ``set_bandwidth(h / σ)``; the kernel covariance is then ``h² I``,
  which :func:`kde_density` checks (``COV_RTOL``). Second reference, for any data: the isotropic
  Gaussian sum ``Σ w exp(−|s − p|² / 2h²) / (2π h²)`` written out (:func:`hand_density`).
- ``method="exact"`` against both: ``EXACT_RTOL`` = 1e-9 (rounding only).
- ``method="binned"`` against the references on the points moved to the centre of their cell
  (computed here from the grid convention): the same sum except the points more than 4h away along
  an axis, each at most exp(−8) of its kernel's peak: ``|Δ| ≤ TRUNCATION · peak`` with
  ``TRUNCATION = exp(−8)`` and ``peak = 10⁶ Σw / (2π h²)``.
- ``method="binned"`` against ``gaussian_kde`` on the points themselves: each point moves by at
  most ``a`` = half a cell along each axis, which multiplies its term at offset ``u`` by a factor
  within ``exp(±(a(|u_x| + |u_y|) + a²) / h²)``; :func:`binning_bound` sums that per cell (with
  the whole term for points that may be cut off). Binned results must lie within it.
- Integral: ``Σ density · size² / 10⁶ = Σw`` within ``INTEGRAL_TOL`` = 1e-3 on a grid reaching
  5h beyond the points with ``h ≥ cell_size``: the kernel's reach of at least 3.5h per axis loses
  at most 4 (1 − Φ(3.5)) ≈ 9.3e-4 of the mass, the sum over centres instead of the integral
  (Poisson summation) at most about 4 exp(−2π²) ≈ 1e-8.
- Bandwidth rules: hand-computed values (``EXACT_RTOL``) and ``√(trace(gaussian_kde(...)
  .covariance) / 2)`` with scipy's own Scott and Silverman factors, with weights too.
"""

import numpy as np
import pytest
from scipy import stats

from safetystats.errors import SafetystatsError
from safetystats.spatial import DensityResult, bandwidth, kernel_density
from safetystats.spatial import density as density_module

EXACT_RTOL = 1e-9
COV_RTOL = 1e-12
TRUNCATION = np.exp(-8.0)
INTEGRAL_TOL = 1e-3

BOUNDS = (0.0, 0.0, 1000.0, 1000.0)  # a square grid centred on the rotation centre (500, 500)
SIZE = 20.0


# ----------------------------------------------------------------------------- references


def centres(bounds, size):
    """Cell centres (X, Y as rows × cols) of the grid convention: row 0 the southernmost."""
    x0, y0, x1, y1 = bounds
    cols = int(np.ceil((x1 - x0) / size))
    rows = int(np.ceil((y1 - y0) / size))
    xc = x0 + (np.arange(cols) + 0.5) * size
    yc = y0 + (np.arange(rows) + 0.5) * size
    return np.meshgrid(xc, yc)


def snapped(px, py, bounds, size):
    """The points moved to the centre of the cell that holds them."""
    x0, y0 = bounds[0], bounds[1]
    return (
        x0 + (np.floor((px - x0) / size) + 0.5) * size,
        y0 + (np.floor((py - y0) / size) + 0.5) * size,
    )


def hand_density(px, py, w, h, X, Y):
    """10⁶ Σ_i w_i exp(−|s − p_i|² / 2h²) / (2π h²), per km², at the centres X, Y."""
    w = np.ones(len(px)) if w is None else np.asarray(w, float)
    out = np.zeros(X.shape)
    for xi, yi, wi in zip(px, py, w):
        out += wi * np.exp(-((X - xi) ** 2 + (Y - yi) ** 2) / (2 * h * h)) / (2 * np.pi * h * h)
    return out * 1e6


def kde_density(px, py, w, h, X, Y):
    """``scipy.stats.gaussian_kde`` with kernel covariance h² I, per km² (× Σw × 10⁶)."""
    data = np.vstack([px, py])
    kde = stats.gaussian_kde(data, weights=w)
    cov = np.cov(data, aweights=w)
    # only for sets with isotropic covariance (var x = var y, cov xy = 0)
    assert abs(cov[0, 1]) <= COV_RTOL * cov[0, 0]
    assert abs(cov[0, 0] - cov[1, 1]) <= COV_RTOL * cov[0, 0]
    sigma = np.sqrt((cov[0, 0] + cov[1, 1]) / 2)
    kde.set_bandwidth(h / sigma)
    np.testing.assert_allclose(kde.covariance, h * h * np.eye(2), rtol=0, atol=COV_RTOL * h * h)
    total = len(px) if w is None else float(np.sum(w))
    return kde(np.vstack([X.ravel(), Y.ravel()])).reshape(X.shape) * total * 1e6


def binning_bound(px, py, w, h, size, X, Y):
    """Per cell: the most moving each point by ≤ size/2 per axis (and the cut at 4h) can change."""
    w = np.ones(len(px)) if w is None else np.asarray(w, float)
    a = size / 2
    ux = np.abs(X.ravel()[:, None] - np.asarray(px)[None, :])
    uy = np.abs(Y.ravel()[:, None] - np.asarray(py)[None, :])
    k = np.exp(-(ux**2 + uy**2) / (2 * h * h)) / (2 * np.pi * h * h)
    factor = np.expm1((a * (ux + uy) + a * a) / (h * h))
    maybe_cut = np.maximum(ux, uy) > 4 * h - a  # may be beyond the kernel's reach after moving
    term = k * np.where(maybe_cut, np.maximum(factor, 1.0), factor)
    return (term @ w).reshape(X.shape) * 1e6


def rotations(px, py, centre=(500.0, 500.0)):
    """The points and their rotations by 90°, 180°, 270° about ``centre``: covariance σ² I."""
    cx, cy = centre
    xs, ys = [np.asarray(px, float)], [np.asarray(py, float)]
    for _ in range(3):
        x, y = xs[-1], ys[-1]
        xs.append(cx - (y - cy))
        ys.append(cy + (x - cx))
    return np.concatenate(xs), np.concatenate(ys)


def triangle():
    theta = np.deg2rad([90.0, 210.0, 330.0])
    return 500 + 150 * np.cos(theta), 500 + 150 * np.sin(theta)


def ties():
    """20 points, 5 places (rotated), with repeated coordinates: 2 × 3 duplicates per rotation."""
    bx = [130.0, 130.0, 355.0, 355.0, 355.0]
    by = [222.0, 222.0, 405.0, 405.0, 405.0]
    return rotations(bx, by)


def cluster():
    """400 points: 60 uniform and 40 in a cluster (sd 40 m) per rotation."""
    rng = np.random.default_rng(7)
    bx = np.concatenate([rng.uniform(0, 1000, 60), rng.normal(300, 40, 40)])
    by = np.concatenate([rng.uniform(0, 1000, 60), rng.normal(700, 40, 40)])
    return rotations(np.clip(bx, 1, 999), np.clip(by, 1, 999))


def peak(w, n, h):
    total = n if w is None else float(np.sum(w))
    return 1e6 * total / (2 * np.pi * h * h)


DATA = {  # name: (points, weights); all of them have covariance σ² I
    "three points": (triangle, None),
    "20 points with ties": (ties, None),
    "cluster and background": (cluster, None),
    "weights": (ties, np.tile([1.0, 3.0, 0.0, 2.0, 0.5], 4)),
}


# ----------------------------------------------------------------------------- the estimate


@pytest.mark.parametrize("name", list(DATA))
def test_exact_matches_gaussian_kde_and_the_written_sum(name):
    make, w = DATA[name]
    px, py = make()
    res = kernel_density(px, py, cell_size=SIZE, bounds=BOUNDS, weights=w, method="exact")
    assert isinstance(res, DensityResult) and res.method == "exact"
    assert res.rule == "scott" and res.bandwidth == pytest.approx(
        bandwidth(px, py, weights=w), rel=EXACT_RTOL
    )
    X, Y = centres(BOUNDS, SIZE)
    assert res.shape == X.shape == (50, 50)
    np.testing.assert_allclose(res.centres()[0], X[0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(res.centres()[1], Y[:, 0], rtol=0, atol=1e-9)
    h = res.bandwidth
    np.testing.assert_allclose(res.density, kde_density(px, py, w, h, X, Y), rtol=EXACT_RTOL)
    np.testing.assert_allclose(res.density, hand_density(px, py, w, h, X, Y), rtol=EXACT_RTOL)


@pytest.mark.parametrize("name", list(DATA))
def test_binned_is_the_sum_over_points_moved_to_their_cell_centres(name):
    make, w = DATA[name]
    px, py = make()
    res = kernel_density(px, py, cell_size=SIZE, bounds=BOUNDS, weights=w, method="binned")
    assert res.method == "binned"
    h = res.bandwidth
    X, Y = centres(BOUNDS, SIZE)
    sx, sy = snapped(px, py, BOUNDS, SIZE)
    refs = [hand_density(sx, sy, w, h, X, Y)]
    if make is not triangle:  # rotation sets stay rotation sets when moved to the centres
        refs.append(kde_density(sx, sy, w, h, X, Y))
    for ref in refs:
        tol = TRUNCATION * peak(w, len(px), h) + EXACT_RTOL * ref
        assert (np.abs(res.density - ref) <= tol).all()


@pytest.mark.parametrize("name", list(DATA))
def test_binned_within_the_binning_bound_of_gaussian_kde(name):
    make, w = DATA[name]
    px, py = make()
    res = kernel_density(px, py, cell_size=SIZE, bounds=BOUNDS, weights=w, method="binned")
    h = res.bandwidth
    X, Y = centres(BOUNDS, SIZE)
    ref = kde_density(px, py, w, h, X, Y)
    bound = binning_bound(px, py, w, h, SIZE, X, Y)
    assert (np.abs(res.density - ref) <= bound + EXACT_RTOL * ref).all()
    # the bound is a real constraint where the density is: a few size/h at the densest cell
    top = np.unravel_index(np.argmax(ref), ref.shape)
    assert bound[top] / ref[top] <= 5 * SIZE / h


def test_binned_long_kernel_fft_path():
    px, py = cluster()
    h = 20 * SIZE  # 2 · 80 + 1 = 161 taps: the overlap-add FFT path
    assert 2 * int(4 * h / SIZE) + 1 > density_module.DIRECT_TAPS
    res = kernel_density(px, py, cell_size=SIZE, bounds=BOUNDS, bandwidth=h, method="binned")
    X, Y = centres(BOUNDS, SIZE)
    sx, sy = snapped(px, py, BOUNDS, SIZE)
    ref = kde_density(sx, sy, None, h, X, Y)
    tol = TRUNCATION * peak(None, len(px), h) + EXACT_RTOL * ref
    assert (np.abs(res.density - ref) <= tol).all()
    assert (res.density >= 0).all()


def test_auto_is_exact_for_small_inputs_and_binned_beyond(monkeypatch):
    px, py = ties()
    assert kernel_density(px, py, cell_size=SIZE, bounds=BOUNDS).method == "exact"
    monkeypatch.setattr(density_module, "EXACT_WORK", 20 * 2500 - 1)
    assert kernel_density(px, py, cell_size=SIZE, bounds=BOUNDS).method == "binned"


@pytest.mark.parametrize("method", ["exact", "binned"])
def test_integral_is_the_number_of_events_on_a_wide_grid(method):
    px, py = cluster()
    w = np.random.default_rng(3).integers(0, 4, px.size).astype(float)
    for weights, total in ((None, px.size), (w, w.sum())):
        h = bandwidth(px, py, weights=weights)
        size = min(SIZE, h)
        wide = (px.min() - 5 * h, py.min() - 5 * h, px.max() + 5 * h, py.max() + 5 * h)
        res = kernel_density(px, py, cell_size=size, bounds=wide, weights=weights, method=method)
        integral = res.density.sum() * size * size / 1e6
        assert integral == pytest.approx(total, rel=INTEGRAL_TOL)


def test_one_point_with_a_fixed_bandwidth_and_dropped_points():
    res = kernel_density([510.0], [490.0], cell_size=SIZE, bounds=BOUNDS, bandwidth=100)
    X, Y = centres(BOUNDS, SIZE)
    assert res.rule == "fixed" and res.bandwidth == 100.0 and res.n_points == 1
    np.testing.assert_allclose(
        res.density, hand_density([510.0], [490.0], None, 100.0, X, Y), rtol=EXACT_RTOL
    )
    # points outside bounds are dropped and counted; the rest is the density of the inside ones
    px, py = cluster()
    inner = (200.0, 200.0, 800.0, 800.0)
    keep = (px >= 200) & (px <= 800) & (py >= 200) & (py <= 800)
    res = kernel_density(px, py, cell_size=SIZE, bounds=inner, bandwidth=60.0)
    assert res.dropped == int((~keep).sum()) > 0 and res.n_points == int(keep.sum())
    assert res.origin == (200.0, 200.0) and res.shape == (30, 30)
    X, Y = centres(inner, SIZE)
    np.testing.assert_allclose(
        res.density, hand_density(px[keep], py[keep], None, 60.0, X, Y), rtol=EXACT_RTOL
    )
    # the rule is computed from the points used
    ruled = kernel_density(px, py, cell_size=SIZE, bounds=inner)
    assert ruled.bandwidth == pytest.approx(bandwidth(px[keep], py[keep]), rel=EXACT_RTOL)


# ----------------------------------------------------------------------------- bandwidth


def test_bandwidth_rules_hand_computed():
    x = [0.0, 4.0, 0.0, 4.0]
    y = [0.0, 0.0, 2.0, 2.0]
    # var x = 16/3, var y = 4/3 (ddof=1): σ² = (16/3 + 4/3) / 2 = 10/3; n = 4, d = 2
    scott = 4 ** (-1 / 6) * np.sqrt(10 / 3)
    silverman = (4 * (2 + 2) / 4) ** (-1 / (2 + 4)) * np.sqrt(10 / 3)
    assert scott == pytest.approx(1.4490922732840223, rel=EXACT_RTOL)
    assert bandwidth(x, y) == pytest.approx(scott, rel=EXACT_RTOL)
    assert bandwidth(x, y, "silverman") == pytest.approx(silverman, rel=EXACT_RTOL)
    assert silverman == pytest.approx(scott, rel=EXACT_RTOL)  # (d + 2) / 4 = 1 in the plane
    # weights 1, 1, 2, 0: the weightless point is left out; n_eff = 16 / 6 = 8/3
    w = [1.0, 1.0, 2.0, 0.0]
    # weighted means x̄ = 1, ȳ = 1; Σw(x − x̄)² = 1 + 9 + 2 = 12, Σw(y − ȳ)² = 1 + 1 + 2 = 4
    # denominators Σw − Σw²/Σw = 4 − 6/4 = 2.5: var x = 4.8, var y = 1.6, σ² = 3.2
    weighted = (8 / 3) ** (-1 / 6) * np.sqrt(3.2)
    assert bandwidth(x, y, weights=w) == pytest.approx(weighted, rel=EXACT_RTOL)
    assert bandwidth(x, y, 250) == 250.0 and bandwidth(x, y, 12.5) == 12.5


@pytest.mark.parametrize("rule", ["scott", "silverman"])
def test_bandwidth_rules_match_gaussian_kde(rule):
    rng = np.random.default_rng(11)
    x = rng.normal(0, 300, 57)
    y = 0.4 * x + rng.normal(0, 80, 57)  # anisotropic and correlated
    x[:5] = x[5]  # ties
    w = rng.integers(0, 5, 57).astype(float)
    for weights in (None, w):
        kde = stats.gaussian_kde(np.vstack([x, y]), bw_method=rule, weights=weights)
        expected = np.sqrt(np.trace(kde.covariance) / 2)
        assert bandwidth(x, y, rule, weights=weights) == pytest.approx(expected, rel=EXACT_RTOL)


# ----------------------------------------------------------------------------- refusals


def code_of(call):
    with pytest.raises(SafetystatsError) as info:
        call()
    return info.value


def test_refusals_carry_their_codes():
    px, py = ties()
    kd = kernel_density
    assert code_of(lambda: kd([], [], cell_size=10)).code == "spatial.empty"
    outside = (2000.0, 2000.0, 3000.0, 3000.0)
    assert code_of(lambda: kd(px, py, cell_size=10, bounds=outside)).code == "spatial.empty"
    zero = np.zeros(px.size)
    assert code_of(lambda: kd(px, py, cell_size=10, weights=zero)).code == "spatial.empty"
    nan_x = px.copy()
    nan_x[3] = np.nan
    assert code_of(lambda: kd(nan_x, py, cell_size=10)).code == "spatial.points"
    err = code_of(lambda: kd(px, py, cell_size=1, bounds=(0, 0, 10_000, 10_000), max_cells=1e6))
    assert err.code == "spatial.too_many_cells"
    assert err.params["rows"] == err.params["cols"] == 10_000 and err.params["maximum"] == 10**6
    assert err.params["cells"] == 10**8 and err.params["slices"] == 1
    for size in (0, -5, np.nan, "10"):
        assert code_of(lambda s=size: kd(px, py, cell_size=s)).code == "spatial.cell_size"
    for bounds in ((0, 0, 10), (10, 0, 0, 10), (0, 0, np.inf, 10)):
        err = code_of(lambda b=bounds: kd(px, py, cell_size=10, bounds=b))
        assert err.code == "spatial.bounds"
    assert code_of(lambda: kd(px, py, cell_size=10, weights=[1, 2])).code == "input.length"
    negative = np.ones(px.size)
    negative[0] = -1
    assert code_of(lambda: kd(px, py, cell_size=10, weights=negative)).code == "input.out_of_range"
    assert code_of(lambda: kd(px, py, cell_size=10, method="fft")).code == "input.choice"


@pytest.mark.parametrize(
    "x, y", [([500.0], [500.0]), ([500.0, 500.0, 500.0], [20.0, 20.0, 20.0])], ids=["one", "same"]
)
@pytest.mark.parametrize("rule", ["scott", "silverman"])
def test_a_rule_needs_spread_points(x, y, rule):
    for call in (
        lambda: kernel_density(x, y, cell_size=10, bounds=BOUNDS, bandwidth=rule),
        lambda: bandwidth(x, y, rule),
    ):
        err = code_of(call)
        assert err.code == "spatial.bandwidth"
        assert err.params == {"rule": rule, "n": len(x)}
        assert "spread" in str(err) and "fixed bandwidth" in str(err)
    # a fixed bandwidth works for them
    res = kernel_density(x, y, cell_size=10, bounds=BOUNDS, bandwidth=50.0)
    assert res.density.max() > 0 and res.n_points == len(x)
    # all the weight on one of several places is no spread either
    err = code_of(lambda: bandwidth([0.0, 10.0], [0.0, 10.0], rule, weights=[0.0, 2.0]))
    assert err.code == "spatial.bandwidth"


def test_bad_bandwidths():
    px, py = ties()
    for bad in (0, -100.0, np.inf, np.nan):
        for call in (
            lambda b=bad: bandwidth(px, py, b),
            lambda b=bad: kernel_density(px, py, cell_size=10, bandwidth=b),
        ):
            err = code_of(call)
            assert err.code == "input.out_of_range" and err.params["name"] == "bandwidth"
    for bad in ("normal_reference", True, None):
        for call in (
            lambda b=bad: bandwidth(px, py, b),
            lambda b=bad: kernel_density(px, py, cell_size=10, bandwidth=b),
        ):
            assert code_of(call).code == "input.choice"
