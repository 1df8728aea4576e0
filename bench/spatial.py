"""Benchmark of the spatial hot spots (issue 16, "Speed"), against esda in the same run.

1. A 316 × 316 queen grid (99,856 cells) of Poisson counts: Gi* analytic z, ours by box sums
   (grid path) and by the sparse product (general path), vs ``esda.G_Local(star=True,
   transform="B", permutations=0)``; then 999 conditional permutations, ours vs esda's (numba,
   all cores; its compilation is warmed up first and not timed). Medians of a few runs; the
   ratio is esda's time / ours (targets: ≥ 20 analytic, ≥ 5 with permutations). The weights are
   built once, outside the timings, for both.
2. A 2,000 × 2,150 grid (4.3 million cells, a national 100 m grid): analytic grid-path Gi*, its
   time (target ≤ 5 s) and peak memory (tracemalloc, target ≤ 2 GB).

Agreement is asserted (not speed), so ``make bench`` fails on a wrong answer: z within 1e-9 of
esda on both paths, permutation p within Monte Carlo error of esda's for ≥ 95 % of the cells
(``ties="esda"``, esda's folding; the library's default folding differs on tied counts, see
docs/methods/spatial.md).

Run: ``python bench/spatial.py`` (about 2–3 minutes on 2 cores, most of it esda's).
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

from safetystats.spatial import gi_star, gi_star_grid, grid_weights  # noqa: E402

SIDE = 316
BIG = (2000, 2150)
PERMS = 999
TARGET_ANALYTIC = 20.0
TARGET_PERMUTATIONS = 5.0
TARGET_BIG_S = 5.0
TARGET_BIG_BYTES = 2 * 1024**3
Z_TOLERANCE = 1e-9
MC_SHARE = 0.95


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


if __name__ == "__main__":
    grid_316()
    grid_big()
