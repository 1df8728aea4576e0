"""Benchmark of the spatial hot spots (issue 16, "Speed"), against esda in the same run.

1. A 316 × 316 queen grid (99,856 cells) of Poisson counts: Gi* analytic z, ours by box sums
   (grid path) and by the sparse product (general path), vs ``esda.G_Local(star=True,
   transform="B", permutations=0)``; then 999 conditional permutations, ours vs esda's (numba,
   all cores; its compilation is warmed up first and not timed). Medians of a few runs; the
   ratio is esda's time / ours (targets: ≥ 20 analytic, ≥ 5 with permutations). The weights are
   built once, outside the timings, for both.
2. A 2,000 × 2,150 grid (4.3 million cells, a national 100 m grid): analytic grid-path Gi*, its
   time (target ≤ 5 s) and peak memory (tracemalloc, target ≤ 2 GB).
3. Emerging hot spots on 52 weekly slices of the 316 × 316 grid (50 m cells, 5.2 million cells in
   all) from 400,000 random points with a planted cluster that grows through the year:
   ``space_time_cube`` and ``emerging_hotspots`` timed (target ≤ 30 s).
4. Kernel density of 100,000 points on the 316 × 316 grid (binned path) against
   ``scipy.stats.gaussian_kde`` evaluated at 2,000 random cell centres; the reference's time is
   scaled to the whole grid (× cells / 2,000). The points are a base set and its rotations by 90°,
   180°, 270° about the grid centre, so their covariance is σ² I and ``gaussian_kde`` with
   ``set_bandwidth(h / σ)`` has our isotropic kernel h² I.

Agreement is asserted (not speed), so ``make bench`` fails on a wrong answer: z within 1e-9 of
esda on both paths, permutation p within Monte Carlo error of esda's for ≥ 95 % of the cells
(``ties="esda"``, esda's folding; the library's default folding differs on tied counts, see
docs/methods/spatial.md); the planted cluster's centre is a hot category with a rising trend; the
density within the binning bound of ``gaussian_kde`` at every one of the 2,000 centres (the bound
of docs/methods/spatial.md, "Kernel density": each point moves by at most half a cell per axis) and
within exp(−8) of the kernel's peak of ``gaussian_kde`` on the points moved to their cell centres.

Run: ``python bench/spatial.py`` (about 2–3 minutes on 2 cores, most of it esda's; parts 3 and 4
add well under a minute).
"""

from __future__ import annotations

import pathlib
import resource
import statistics
import sys
import time
import tracemalloc
import warnings

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from safetystats.spatial import (  # noqa: E402
    emerging_hotspots,
    gi_star,
    gi_star_grid,
    grid_weights,
    kernel_density,
    space_time_cube,
)

SIDE = 316
BIG = (2000, 2150)
PERMS = 999
TARGET_ANALYTIC = 20.0
TARGET_PERMUTATIONS = 5.0
TARGET_BIG_S = 5.0
TARGET_BIG_BYTES = 2 * 1024**3
Z_TOLERANCE = 1e-9
MC_SHARE = 0.95
CELL = 50.0  # metres: the 316 × 316 grid is 15.8 km square
SLICES = 52
EH_POINTS = 400_000
EH_CLUSTER = 40_000
TARGET_EMERGING_S = 30.0
KD_POINTS = 100_000  # 25,000 and their three rotations
KD_CENTRES = 2_000
FLOAT_RTOL = 1e-9
TRUNCATION = np.exp(-8.0)  # the binned kernel is cut at 4 h


def timed(f, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def counts(shape, seed):
    rng = np.random.default_rng(seed)
    y = rng.poisson(1.0, shape).astype(float)
    r, c = shape
    for i, j in rng.integers(0, min(r, c) - 10, (12, 2)):  # a few planted hot blocks
        y[i : i + 6, j : j + 6] += rng.poisson(2.0, (6, 6))
    return y


def grid_316() -> None:
    warnings.filterwarnings("ignore")  # esda's deprecation notes
    import esda
    import libpysal

    y = counts((SIDE, SIDE), 0)
    n = y.size
    w = grid_weights((SIDE, SIDE), contiguity="queen")
    lw = libpysal.weights.lat2W(SIDE, SIDE, rook=False)
    print(f"grid {SIDE} x {SIDE} queen ({n:,} cells), Poisson counts, median of runs")

    t_esda, ref = timed(
        lambda: esda.G_Local(y.ravel(), lw, transform="B", star=True, permutations=0), 3
    )
    t_grid, ours = timed(lambda: gi_star(y, w, permutations=None), 5)
    t_sparse, general = timed(lambda: gi_star(y.ravel(), w, permutations=None, method="sparse"), 5)
    dz_grid = float(np.abs(ours.z.ravel() - ref.Zs).max())
    dz_sparse = float(np.abs(general.z - ref.Zs).max())
    print(f"  esda G_Local analytic      {t_esda:8.3f} s")
    print(
        f"  ours grid path (box sums)  {t_grid:8.4f} s   ratio {t_esda / t_grid:8.1f}   "
        f"target >= {TARGET_ANALYTIC:.0f}   max |dz| {dz_grid:.1e}"
    )
    print(
        f"  ours general path (sparse) {t_sparse:8.4f} s   ratio {t_esda / t_sparse:8.1f}   "
        f"target >= {TARGET_ANALYTIC:.0f}   max |dz| {dz_sparse:.1e}"
    )
    assert dz_grid <= Z_TOLERANCE and dz_sparse <= Z_TOLERANCE, (dz_grid, dz_sparse)

    # permutations: warm up esda's numba compilation on a small grid first
    small = libpysal.weights.lat2W(10, 10, rook=False)
    esda.G_Local(y[:10, :10].ravel(), small, transform="B", star=True, permutations=9, seed=1)
    seeds = iter(range(100))
    t_esda_p, ref_p = timed(
        lambda: esda.G_Local(
            y.ravel(), lw, transform="B", star=True, permutations=PERMS, seed=next(seeds)
        ),
        2,
    )
    t_ours_p, ours_p = timed(
        lambda: gi_star(y, w, permutations=PERMS, rng=next(seeds), ties="esda"), 3
    )
    t_both, _ = timed(lambda: gi_star(y, w, permutations=PERMS, rng=next(seeds)), 3)
    t_sparse_p, sparse_p = timed(
        lambda: gi_star(y.ravel(), w, permutations=PERMS, rng=next(seeds), method="sparse"), 3
    )
    p_ref = ref_p.p_sim
    bound = 3 * np.sqrt(2 * p_ref * (1 - p_ref) / PERMS) + 1 / 1000
    share = float(np.mean(np.abs(ours_p.p_sim.ravel() - p_ref) <= bound))
    print(f"  esda G_Local {PERMS} permutations (numba) {t_esda_p:8.3f} s")
    print(
        f"  ours {PERMS} permutations (grid)         {t_ours_p:8.3f} s   ratio "
        f"{t_esda_p / t_ours_p:6.1f}   target >= {TARGET_PERMUTATIONS:.0f}   "
        f"p within MC error of esda: {share:.1%} of cells"
    )
    print(
        f"  ours {PERMS} permutations, ties='both'   {t_both:8.3f} s   ratio "
        f"{t_esda_p / t_both:6.1f}"
    )
    print(
        f"  ours {PERMS} permutations (sparse path)  {t_sparse_p:8.3f} s   ratio "
        f"{t_esda_p / t_sparse_p:6.1f}"
    )
    assert share >= MC_SHARE, share
    assert sparse_p.p_sim.shape == (n,)


def grid_big() -> None:
    y = np.random.default_rng(1).poisson(0.2, BIG).astype(float)
    cells = y.size
    gi_star_grid(y[:50, :50])  # warm up
    t_big, res = timed(lambda: gi_star_grid(y), 3)
    tracemalloc.start()
    gi_star_grid(y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"grid {BIG[0]:,} x {BIG[1]:,} queen ({cells:,} cells), analytic grid-path Gi*")
    print(
        f"  median {t_big:6.2f} s   target {TARGET_BIG_S:.0f} s   ratio {t_big / TARGET_BIG_S:.2f}"
    )
    print(
        f"  peak memory of the call {peak / 1024**2:7.0f} MiB (tracemalloc; the input itself "
        f"{y.nbytes / 1024**2:.0f} MiB)   target {TARGET_BIG_BYTES / 1024**3:.0f} GiB   "
        f"process max RSS {rss / 1024**2:.0f} MiB (esda's run above included)"
    )
    # a spot check against the sparse path on a corner (the grid path is tested in full)
    corner = y[:300, :300]
    sub = gi_star(corner, grid_weights(corner.shape), permutations=None, method="sparse")
    mine = gi_star_grid(corner)
    assert np.abs(sub.z - mine.z).max() <= 1e-12
    assert np.isfinite(res.z).all() and peak <= TARGET_BIG_BYTES


def emerging_316() -> None:
    rng = np.random.default_rng(5)
    side = SIDE * CELL
    n_bg = EH_POINTS - EH_CLUSTER
    centre = (0.3 * side, 0.7 * side)
    x = np.concatenate([rng.uniform(0, side, n_bg), rng.normal(centre[0], 250, EH_CLUSTER)])
    y = np.concatenate([rng.uniform(0, side, n_bg), rng.normal(centre[1], 250, EH_CLUSTER)])
    # background uniform over the year; the cluster's rate grows linearly through it
    t = np.concatenate(
        [rng.uniform(0, 7 * SLICES, n_bg), 7 * SLICES * np.sqrt(rng.uniform(0, 1, EH_CLUSTER))]
    )
    bounds = (0.0, 0.0, side, side)
    t_cube, cube = timed(
        lambda: space_time_cube(
            x, y, t, cell_size=CELL, time_step=7, bounds=bounds, origin=(0.0, 0.0, 0.0)
        ),
        3,
    )
    assert cube.shape == (SLICES, SIDE, SIDE), cube.shape
    emerging_hotspots(cube.counts[:3, :20, :20])  # warm up
    t_eh, res = timed(lambda: emerging_hotspots(cube), 3)
    cells = SIDE * SIDE
    print(
        f"emerging hot spots: {SLICES} weekly slices of {SIDE} x {SIDE} ({cells:,} cells, "
        f"{SLICES * cells:,} in all), {EH_POINTS:,} points, median of 3 runs"
    )
    print(f"  space_time_cube       {t_cube:8.3f} s")
    print(
        f"  emerging_hotspots     {t_eh:8.3f} s   target <= {TARGET_EMERGING_S:.0f} s   ratio "
        f"{t_eh / TARGET_EMERGING_S:.2f}"
    )
    r, c = int(centre[1] // CELL), int(centre[0] // CELL)
    hot = res.category[r, c]
    kinds, numbers = np.unique(res.category[res.category != "no_pattern"], return_counts=True)
    print(
        f"  planted cluster centre: {hot}, trend z {res.trend_z[r, c]:.1f}; cells with a pattern: "
        + ", ".join(f"{k} {v:,}" for k, v in zip(kinds, numbers))
    )
    assert hot.endswith("_hot") and res.trend_z[r, c] > 0 and res.trend_p[r, c] <= 0.05, hot
    assert t_eh <= TARGET_EMERGING_S, t_eh


def binning_bound(px, py, h, size, sx, sy, chunk=40):
    """Per centre: the most moving each point by ≤ size/2 per axis (and the cut at 4 h) changes
    the density (per km²); the formula of docs/methods/spatial.md and the tests."""
    a = size / 2
    out = np.empty(sx.size)
    for lo in range(0, sx.size, chunk):
        ux = np.abs(sx[lo : lo + chunk, None] - px[None, :])
        uy = np.abs(sy[lo : lo + chunk, None] - py[None, :])
        k = np.exp(-(ux**2 + uy**2) / (2 * h * h)) / (2 * np.pi * h * h)
        factor = np.expm1((a * (ux + uy) + a * a) / (h * h))
        cut = np.maximum(ux, uy) > 4 * h - a
        out[lo : lo + chunk] = (k * np.where(cut, np.maximum(factor, 1.0), factor)).sum(axis=1)
    return out * 1e6


def isotropic_kde(px, py, h):
    from scipy import stats

    data = np.vstack([px, py])
    cov = np.cov(data)
    sigma = np.sqrt((cov[0, 0] + cov[1, 1]) / 2)
    kde = stats.gaussian_kde(data, bw_method=h / sigma)
    assert np.allclose(kde.covariance, h * h * np.eye(2), rtol=0, atol=1e-12 * h * h)
    return kde


def density_316() -> None:
    rng = np.random.default_rng(6)
    side = SIDE * CELL
    m = KD_POINTS // 4
    bx = np.concatenate([rng.uniform(0, side, m - m // 5), rng.normal(0.3 * side, 400, m // 5)])
    by = np.concatenate([rng.uniform(0, side, m - m // 5), rng.normal(0.6 * side, 400, m // 5)])
    bx, by = np.clip(bx, 0, side), np.clip(by, 0, side)
    xs, ys = [bx], [by]
    for _ in range(3):  # rotations about the grid centre: covariance σ² I (gaussian_kde's kernel)
        xs.append(side - ys[-1])
        ys.append(xs[-2].copy())
    px, py = np.concatenate(xs), np.concatenate(ys)
    bounds = (0.0, 0.0, side, side)
    kernel_density(px[:1000], py[:1000], cell_size=CELL, bounds=bounds, method="binned")
    t_ours, res = timed(lambda: kernel_density(px, py, cell_size=CELL, bounds=bounds), 5)
    assert res.method == "binned" and res.shape == (SIDE, SIDE) and res.n_points == px.size
    h = res.bandwidth
    cells = SIDE * SIDE
    pick = rng.choice(cells, KD_CENTRES, replace=False)
    rr, cc = np.divmod(pick, SIDE)
    sx, sy = (cc + 0.5) * CELL, (rr + 0.5) * CELL
    kde = isotropic_kde(px, py, h)
    t_kde, ref = timed(lambda: kde(np.vstack([sx, sy])) * px.size * 1e6, 2)
    full = t_kde * cells / KD_CENTRES
    ours = res.density[rr, cc]
    print(
        f"kernel density: {px.size:,} points on {SIDE} x {SIDE} ({cells:,} cells of {CELL:.0f} m), "
        f"Scott h = {h:.0f} m (cell / h = {CELL / h:.3f}), median of runs"
    )
    print(f"  ours (binned, separable Gaussian)      {t_ours:8.4f} s")
    print(
        f"  scipy gaussian_kde at {KD_CENTRES:,} centres      {t_kde:8.3f} s   scaled to the whole "
        f"grid (x {cells / KD_CENTRES:.1f}) {full:7.1f} s   ratio {full / t_ours:8.0f}"
    )
    bound = binning_bound(px, py, h, CELL, sx, sy)
    diff = np.abs(ours - ref)
    within = diff <= bound + FLOAT_RTOL * ref
    print(
        f"  vs gaussian_kde at the {KD_CENTRES:,} centres: max relative difference "
        f"{(diff / ref).max():.1e} (median {np.median(diff / ref):.1e}); binning bound "
        f"(relative) median {np.median(bound / ref):.1e}, max {(bound / ref).max():.1e}; "
        f"within the bound at {within.mean():.1%} of the centres"
    )
    # the same points moved to the centre of their cell: only the cut at 4 h differs
    snap_x = (np.clip(np.floor(px / CELL), 0, SIDE - 1) + 0.5) * CELL
    snap_y = (np.clip(np.floor(py / CELL), 0, SIDE - 1) + 0.5) * CELL
    snap_ref = isotropic_kde(snap_x, snap_y, h)(np.vstack([sx, sy])) * px.size * 1e6
    peak = 1e6 * px.size / (2 * np.pi * h * h)
    snap_diff = np.abs(ours - snap_ref)
    print(
        f"  vs gaussian_kde on the points moved to their cell centres: max |difference| / kernel "
        f"peak {snap_diff.max() / peak:.1e} (bound exp(-8) = {TRUNCATION:.1e}), max relative "
        f"{(snap_diff / snap_ref).max():.1e}"
    )
    assert within.all(), (diff / bound).max()
    assert (snap_diff <= TRUNCATION * peak + FLOAT_RTOL * snap_ref).all()


if __name__ == "__main__":
    grid_316()
    grid_big()
    emerging_316()
    density_316()
