"""ORM → arrays for the spatial methods: the located crime reports of a run's study extent.

The study extent of an area is the rectangle around the area and its surroundings
(``hotspot.areas.geo.BUFFER_METRES``) — "inside and around" — snapped outwards to whole cells of the
run's size, so that runs with one cell size share one grid and a cell means the same place in each;
every located report in that rectangle counts, so a cell outside the area's outline is observed, not
zero. The extent of the whole municipality is its outline (the area of kind municipality), else the
rectangle around all its areas. Reports without coordinates and located reports outside the rectangle
are counted and stated, never silently lost.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from hotspot.areas.geo import BUFFER_METRES
from hotspot.areas.models import Area, AreaKind
from hotspot.incidents.models import CrimeReport


class SpatialInputError(ValueError):
    """The run cannot be computed from these inputs; the message says why, for the user."""


def max_cells() -> int:
    """The largest grid (or space-time cube) a run may create (setting ``SPATIAL_MAX_CELLS``)."""
    return int(getattr(settings, "SPATIAL_MAX_CELLS", 2_000_000))


@dataclass(frozen=True)
class Grid:
    """Cells of ``size`` metres from the lower left corner ``(x0, y0)``; row 0 is the southernmost
    (the convention of ``safetystats.spatial.space_time_cube``)."""

    x0: float
    y0: float
    size: float
    rows: int
    cols: int

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x0 + self.cols * self.size, self.y0 + self.rows * self.size)

    def cell_of(self, x: float, y: float) -> tuple[int, int] | None:
        c = math.floor((x - self.x0) / self.size)
        r = math.floor((y - self.y0) / self.size)
        return (r, c) if 0 <= r < self.rows and 0 <= c < self.cols else None

    def centre(self, r: int, c: int) -> tuple[float, float]:
        return (self.x0 + (c + 0.5) * self.size, self.y0 + (r + 0.5) * self.size)

    def box(self, r: int, c: int):
        x, y = self.x0 + c * self.size, self.y0 + r * self.size
        return shapely.box(x, y, x + self.size, y + self.size)

    def as_dict(self) -> dict:
        return {
            "x0": self.x0,
            "y0": self.y0,
            "size": self.size,
            "rows": self.rows,
            "cols": self.cols,
        }

    @classmethod
    def of(cls, d: dict) -> Grid:
        return cls(float(d["x0"]), float(d["y0"]), float(d["size"]), int(d["rows"]), int(d["cols"]))


def grid_for(bounds, size: float) -> Grid:
    """The grid of whole cells covering ``bounds``, its corner on a multiple of ``size``; refuses a
    grid of more than :func:`max_cells` cells, naming the numbers."""
    xmin, ymin, xmax, ymax = bounds
    x0, y0 = math.floor(xmin / size) * size, math.floor(ymin / size) * size
    cols = max(1, math.ceil((xmax - x0) / size))
    rows = max(1, math.ceil((ymax - y0) / size))
    if rows * cols > max_cells():
        raise SpatialInputError(
            _(
                "A cell size of %(size)s m gives %(rows)s × %(cols)s = %(cells)s cells, more than "
                "the %(maximum)s allowed. Choose larger cells or a smaller area."
            )
            % {
                "size": f"{size:g}",
                "rows": rows,
                "cols": cols,
                "cells": f"{rows * cols:,}".replace(",", "."),
                "maximum": f"{max_cells():,}".replace(",", "."),
            }
        )
    return Grid(float(x0), float(y0), float(size), rows, cols)


@dataclass(frozen=True)
class Points:
    """The located reports a run analyses: ``x``, ``y`` (EPSG:25832 metres) and ``t`` (days since
    the period's first day, a fraction for the time of day), with what was left out and why."""

    x: np.ndarray
    y: np.ndarray
    t: np.ndarray
    grid: Grid
    outline: object  # the area's shapely polygon (None: the whole municipality)
    without_coordinates: int
    outside: int
    days: int

    @property
    def n(self) -> int:
        return int(self.x.size)

    def inputs_hash(self, method: str, parameters: dict) -> str:
        h = hashlib.sha256()
        h.update(repr((method, sorted(parameters.items()), self.grid.as_dict())).encode())
        order = np.lexsort((self.t, self.y, self.x))
        for a in (self.x, self.y, self.t):
            h.update(np.ascontiguousarray(a[order], dtype="<f8").tobytes())
        return h.hexdigest()


def study_bounds(municipality, area) -> tuple[tuple[float, float, float, float], object]:
    """(bounds, outline) of a run's study extent (see the module's docstring)."""
    if area is not None:
        outline = area.polygon
        if outline is None or outline.is_empty:
            raise SpatialInputError(
                _("The area %(area)s has no outline, so its reports cannot be placed on a grid.")
                % {"area": area.name}
            )
        return outline.buffer(BUFFER_METRES).bounds, outline
    whole = (
        Area.objects.filter(
            municipality=municipality, kind=AreaKind.MUNICIPALITY, geometry__isnull=False
        )
        .order_by("pk")
        .first()
    )
    if whole is not None and whole.polygon is not None and not whole.polygon.is_empty:
        return whole.polygon.bounds, whole.polygon
    box = Area.objects.filter(municipality=municipality, geometry__isnull=False).aggregate(
        Min("min_x"), Min("min_y"), Max("max_x"), Max("max_y")
    )
    if box["min_x__min"] is None:
        raise SpatialInputError(
            _("The municipality has no areas with outlines yet: import the areas first.")
        )
    return (box["min_x__min"], box["min_y__min"], box["max_x__max"], box["max_y__max"]), None


def period_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def load_points(run) -> Points:
    """The located reports of ``run`` (a :class:`~hotspot.spatial.models.SpatialRun`)."""
    bounds, outline = study_bounds(run.municipality, run.area)
    grid = grid_for(bounds, float(run.cell_size))
    start = period_start(run.first_day)
    end = period_start(run.last_day + dt.timedelta(days=1))
    reports = CrimeReport.objects.filter(
        municipality=run.municipality, occurred_at__gte=start, occurred_at__lt=end
    )
    if run.offence_groups:
        reports = reports.filter(offence__group__in=run.offence_groups)
    located = reports.filter(x__isnull=False, y__isnull=False)
    without = reports.count() - located.count()
    xmin, ymin, xmax, ymax = grid.bounds
    rows = list(located.order_by().values_list("x", "y", "occurred_at").iterator(chunk_size=20_000))
    x = np.fromiter((r[0] for r in rows), float, len(rows))
    y = np.fromiter((r[1] for r in rows), float, len(rows))
    t = np.fromiter(((r[2] - start).total_seconds() / 86400.0 for r in rows), float, len(rows))
    inside = (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
    return Points(
        x=x[inside],
        y=y[inside],
        t=t[inside],
        grid=grid,
        outline=outline,
        without_coordinates=without,
        outside=int((~inside).sum()),
        days=(run.last_day - run.first_day).days + 1,
    )


def inside_mask(grid: Grid, outline) -> np.ndarray:
    """rows × cols: whether each cell's centre lies in ``outline`` (all cells without one)."""
    if outline is None:
        return np.ones((grid.rows, grid.cols), dtype=bool)
    cx = grid.x0 + (np.arange(grid.cols) + 0.5) * grid.size
    cy = grid.y0 + (np.arange(grid.rows) + 0.5) * grid.size
    xx, yy = np.meshgrid(cx, cy)
    return shapely.contains_xy(outline, xx, yy)
