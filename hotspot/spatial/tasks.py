"""Spatial runs in the task worker: the located reports (``inputs``) through ``safetystats.spatial``.

``compute(points, method, parameters)`` returns the run's ``figures`` (JSON): the grid, what was left out,
and per method the cells or tables the page shows (``pages``). Cells are stored compactly as rows of
``figures["columns"]``; only the cells that say something are kept (a count, a significant bin, a
category), the rest of the grid is implied by its shape.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import numpy as np
from django_tasks import task

from hotspot import disclosure
from hotspot.indicators.library_messages import error_details, stored_message
from hotspot.spatial.inputs import (
    Grid,
    Points,
    SpatialInputError,
    inside_mask,
    load_points,
    max_cells,
)
from hotspot.spatial.models import Method, SpatialRun
from safetystats import spatial as sp
from safetystats.errors import SafetystatsError

logger = logging.getLogger(__name__)

#: The parameters of each method, with their defaults (the form offers them; ``parameters`` stores them).
DEFAULTS = {
    Method.GI_STAR: {"contiguity": "queen", "permutations": 999, "fdr": False},
    Method.LOCAL_MORAN: {"contiguity": "queen", "permutations": 999, "fdr": False, "alpha": 0.05},
    Method.EMERGING: {"contiguity": "queen", "time_step": 7, "alpha": 0.05, "fdr": False},
    Method.DENSITY: {"bandwidth": "scott"},
    Method.NEAR_REPEAT: {
        "distance_step": 100,
        "distance_bands": 4,
        "time_step": 7,
        "time_bands": 4,
        "permutations": 999,
    },
    Method.CONCENTRATION: {"top": [0.05, 0.10], "n_boot": 999},
}


def parameters_for(method: str, given: dict | None = None) -> dict:
    """The method's defaults overlaid with ``given`` (unknown keys dropped)."""
    out = dict(DEFAULTS[Method(method)])
    out.update({k: v for k, v in (given or {}).items() if k in out or k == "seed"})
    return out


def _r(v, digits=4):
    v = float(v)
    return round(v, digits) if np.isfinite(v) else None


def _counts(points: Points) -> np.ndarray:
    """rows × cols counts on the run's grid (one slice of the space-time cube)."""
    g = points.grid
    if points.n == 0:
        return np.zeros((g.rows, g.cols))
    cube = sp.space_time_cube(
        points.x,
        points.y,
        points.t,
        cell_size=g.size,
        time_step=max(points.days, float(points.t.max()) + 1),
        origin=(g.x0, g.y0, min(0.0, float(points.t.min()))),
        bounds=g.bounds,
        max_cells=max_cells(),
    )
    return cube.counts[0].astype(float)


def _base(points: Points, counts: np.ndarray | None) -> dict:
    g = points.grid
    out = {
        "grid": g.as_dict(),
        "points": points.n,
        "without_coordinates": points.without_coordinates,
        "outside": points.outside,
        "min_cell": disclosure.min_cell(),
    }
    if counts is not None:
        out["few"] = int(disclosure.is_small_array(counts).sum())
        out["cells_with_events"] = int((counts > 0).sum())
    return out


def _gi_star(points, params, progress) -> dict:
    counts = _counts(points)
    inside = inside_mask(points.grid, points.outline)
    progress(30)
    res = sp.gi_star_grid(
        counts,
        contiguity=params["contiguity"],
        permutations=params["permutations"] or None,
        rng=params["seed"],
    )
    progress(80)
    bins = res.bins(fdr=bool(params["fdr"]))
    p = res.p_norm if res.p_sim is None else np.minimum(1.0, 2.0 * res.p_sim)
    keep = np.argwhere((counts > 0) | (bins != 0))
    cells = [
        [int(r), int(c), int(counts[r, c]), int(inside[r, c]), _r(res.z[r, c], 3),
         _r(p[r, c]), int(bins[r, c])]
        for r, c in keep
    ]  # fmt: skip
    summary = {str(b): int((bins == b).sum()) for b in (3, 2, 1, -1, -2, -3)}
    return {
        **_base(points, counts),
        "columns": ["row", "col", "count", "inside", "z", "p", "bin"],
        "cells": cells,
        "summary": summary,
        "p_kind": "norm" if res.p_sim is None else "sim",
    }


def _local_moran(points, params, progress) -> dict:
    counts = _counts(points)
    inside = inside_mask(points.grid, points.outline)
    progress(30)
    res = sp.local_moran(
        counts.ravel(),
        sp.grid_weights(counts.shape, contiguity=params["contiguity"], row_standardise=True),
        permutations=params["permutations"] or 999,
        rng=params["seed"],
    )
    progress(80)
    labels = res.labels(alpha=float(params["alpha"]), fdr=bool(params["fdr"])).reshape(counts.shape)
    p = res.p_sim.reshape(counts.shape)
    keep = np.argwhere((counts > 0) | (labels != ""))
    cells = [
        [int(r), int(c), int(counts[r, c]), int(inside[r, c]), _r(p[r, c]), str(labels[r, c])]
        for r, c in keep
    ]
    summary = {q: int((labels == q).sum()) for q in ("HH", "LH", "LL", "HL")}
    return {
        **_base(points, counts),
        "columns": ["row", "col", "count", "inside", "p", "label"],
        "cells": cells,
        "summary": summary,
    }


def _emerging(points, params, progress) -> dict:
    g = points.grid
    step = float(params["time_step"])
    slices = int(np.ceil(points.days / step))
    if points.n == 0:
        raise SpatialInputError(stored_message("spatial.empty"))
    cube = sp.space_time_cube(
        points.x,
        points.y,
        points.t,
        cell_size=g.size,
        time_step=step,
        origin=(g.x0, g.y0, 0.0),
        bounds=g.bounds,
        max_cells=max_cells(),
    )
    counts = cube.counts
    if counts.shape[0] < slices:  # no event in the last slices: they are observed, with zeros
        pad = np.zeros((slices - counts.shape[0], g.rows, g.cols), dtype=counts.dtype)
        counts = np.concatenate([counts, pad])
    counts = counts[:slices]
    progress(30)
    res = sp.emerging_hotspots(
        counts, contiguity=params["contiguity"], alpha=float(params["alpha"]),
        use_fdr=bool(params["fdr"]),
    )  # fmt: skip
    progress(85)
    total = counts.sum(axis=0)
    inside = inside_mask(g, points.outline)
    category = res.category
    keep = np.argwhere((total > 0) | (category != "no_pattern"))
    cells = [
        [int(r), int(c), int(total[r, c]), int(inside[r, c]), str(category[r, c]),
         _r(res.trend_z[r, c], 3), _r(res.trend_p[r, c])]
        for r, c in keep
    ]  # fmt: skip
    keys, n = np.unique(category, return_counts=True)
    return {
        **_base(points, total),
        "columns": ["row", "col", "count", "inside", "category", "trend_z", "trend_p"],
        "cells": cells,
        "slices": int(slices),
        "time_step": step,
        "constant_slices": [int(k) for k in res.constant_slices],
        "summary": {str(k): int(v) for k, v in zip(keys, n, strict=True)},
    }


def _density(points, params, progress) -> dict:
    g = points.grid
    bandwidth = params["bandwidth"]
    try:
        bandwidth = float(bandwidth)
    except (TypeError, ValueError):
        pass
    res = sp.kernel_density(
        points.x, points.y, cell_size=g.size, bounds=g.bounds, bandwidth=bandwidth,
        max_cells=max_cells(),
    )  # fmt: skip
    progress(80)
    d = np.asarray(res.density)[: g.rows, : g.cols]
    top = float(d.max()) if d.size else 0.0
    inside = inside_mask(g, points.outline)
    keep = np.argwhere(d >= top * 0.01) if top > 0 else np.zeros((0, 2), dtype=int)
    cells = [[int(r), int(c), _r(d[r, c], 2), int(inside[r, c])] for r, c in keep]
    return {
        **_base(points, None),
        "columns": ["row", "col", "density", "inside"],
        "cells": cells,
        "bandwidth": _r(res.bandwidth, 1),
        "rule": res.rule,
        "max_density": _r(top, 2),
    }


def _near_repeat(points, params, progress) -> dict:
    de = [float(params["distance_step"]) * k for k in range(int(params["distance_bands"]) + 1)]
    te = [float(params["time_step"]) * k for k in range(int(params["time_bands"]) + 1)]
    res = sp.knox(
        points.x, points.y, points.t, distance_bands=de, time_bands=te,
        permutations=int(params["permutations"]) or 999, rng=params["seed"],
    )  # fmt: skip
    progress(90)
    rows = [
        {
            "distance": [de[i], de[i + 1]],
            "cells": [
                {
                    "time": [te[j], te[j + 1]],
                    "observed": int(res.observed[i, j]),
                    "expected": _r(res.expected[i, j], 2),
                    "ratio": _r(res.ratio[i, j], 2),
                    "p": _r(res.p[i, j]),
                }
                for j in range(len(te) - 1)
            ],
        }
        for i in range(len(de) - 1)
    ]
    return {**_base(points, None), "knox": rows, "permutations": res.permutations}


def _concentration(points, params, progress) -> dict:
    counts = _counts(points)
    inside = inside_mask(points.grid, points.outline)
    places = counts[inside]
    progress(30)
    res = sp.concentration(
        places, top=tuple(params["top"]), n_boot=int(params["n_boot"]), rng=params["seed"]
    )
    progress(90)
    lx, ly = res.lorenz
    pick = np.unique(np.linspace(0, len(lx) - 1, min(len(lx), 101)).round().astype(int))
    return {
        **_base(points, counts),
        "places": res.n_places,
        "crimes": int(res.n_crimes),
        "gini": _r(res.gini),
        "gini_interval": [_r(v) for v in res.gini_interval],
        "generalized_gini": _r(res.generalized_gini),
        "generalized_gini_interval": [_r(v) for v in res.generalized_gini_interval],
        "top": [
            {
                "fraction": q,
                "share": _r(res.top[q]),
                "interval": [_r(v) for v in res.top_interval[q]],
            }
            for q in res.top
        ],
        "lorenz": [[_r(lx[i]), _r(ly[i])] for i in pick],
        "level": res.level,
    }


COMPUTE = {
    Method.GI_STAR: _gi_star,
    Method.LOCAL_MORAN: _local_moran,
    Method.EMERGING: _emerging,
    Method.DENSITY: _density,
    Method.NEAR_REPEAT: _near_repeat,
    Method.CONCENTRATION: _concentration,
}


#: how many cells a coarse cell merges along each side, tried in turn (the last is used even if it still
#: holds small counts, which are then withheld)
COARSE_FACTORS = (2, 4, 8, 16)


def coarse_points(points: Points) -> Points:
    """The points on the coarsest-needed grid: cells merged ``f × f`` for the smallest ``f`` of
    :data:`COARSE_FACTORS` where no cell holds a small count (``disclosure``)."""
    g = points.grid
    for f in COARSE_FACTORS:
        grid = Grid(g.x0, g.y0, g.size * f, -(-g.rows // f), -(-g.cols // f))
        coarse = replace(points, grid=grid)
        if not disclosure.is_small_array(_counts(coarse)).any():
            break
    return coarse


def compute(points: Points, method: str, parameters: dict, progress=lambda pct: None) -> dict:
    """The figures of one run (see the module's docstring); a grid with small counts also gets the
    figures of a coarser grid without them (``figures["coarse"]``) for readers without raw-data
    rights. A density surface shows no counts and needs none."""
    figures = COMPUTE[Method(method)](points, parameters, progress)
    if method in (Method.GI_STAR, Method.LOCAL_MORAN, Method.EMERGING) and figures.get("few"):
        coarse = coarse_points(points)
        try:
            figures["coarse"] = COMPUTE[Method(method)](coarse, parameters, lambda pct: None)
        except SafetystatsError:
            # too few coarse cells to analyse: readers without raw-data rights see no cells
            figures["coarse"] = {
                **_base(coarse, None),
                "columns": figures["columns"],
                "cells": [],
                "withheld": True,
            }
        figures["coarse"]["factor"] = int(coarse.grid.size // points.grid.size)
    return figures


@task()
def run_spatial_task(run_id: int) -> str:
    """Background task (``manage.py db_worker``): compute a queued spatial run and store it."""
    from hotspot.computations import set_progress, start
    from hotspot.spatial.actions import fail_run, finish_run

    run = SpatialRun.objects.select_related("municipality", "area").get(pk=run_id)
    started = time.perf_counter()
    start(run, progress=5)
    try:
        points = load_points(run)
        set_progress(run, 15)
        figures = compute(points, run.method, run.parameters, lambda p: set_progress(run, p))
    except SpatialInputError as exc:
        fail_run(run, str(exc), seconds=time.perf_counter() - started)
        return "failed"
    except SafetystatsError as exc:
        details = error_details(exc)
        fail_run(
            run,
            stored_message(details),
            seconds=time.perf_counter() - started,
            figures={"error": details},
        )
        return "failed"
    except (ValueError, ArithmeticError, np.linalg.LinAlgError, MemoryError) as exc:
        logger.exception("spatial run %s failed", run_id)
        details = {**error_details(exc)}
        fail_run(
            run,
            stored_message(details),
            seconds=time.perf_counter() - started,
            figures={"error": details},
        )
        return "failed"
    finish_run(
        run,
        figures=figures,
        inputs_hash=points.inputs_hash(run.method, run.parameters),
        seconds=time.perf_counter() - started,
    )
    return "done"
