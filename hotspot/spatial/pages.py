"""What the spatial pages, the map, the CSV and the selection dossier show of a run (no ``request``).

Small numbers: a cell with fewer events than the small-cell rule's threshold (``disclosure``) is marked
"few" for everyone; a reader without raw-data rights (a partner, a board member) sees the map of the
coarser grid the worker computed for them (``figures["coarse"]``: cells merged until none holds a
small count) and never a count below the threshold.
"""

from __future__ import annotations

import json

import numpy as np
import shapely
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from hotspot import disclosure
from hotspot.areas.geo import BUFFER_METRES, feature_collection_of, to_wgs84
from hotspot.incidents.models import OffenceGroup
from hotspot.indicators.library_messages import stored_message
from hotspot.spatial.inputs import Grid
from hotspot.spatial.models import GRID_METHODS, Method, SpatialRun

# --- legends: what a class means, in plain words, and its colour ------------------------------------
# Gi* confidence bins as ArcGIS's Hot Spot Analysis reports and colours them.
BINS = {
    3: (gettext_lazy("Hot spot, confidence 99 %"), "#d62f27"),
    2: (gettext_lazy("Hot spot, confidence 95 %"), "#ed7551"),
    1: (gettext_lazy("Hot spot, confidence 90 %"), "#fab984"),
    0: (gettext_lazy("Not significant"), "#eeeeee"),
    -1: (gettext_lazy("Cold spot, confidence 90 %"), "#c0ccbe"),
    -2: (gettext_lazy("Cold spot, confidence 95 %"), "#849eba"),
    -3: (gettext_lazy("Cold spot, confidence 99 %"), "#4575b5"),
}
# Local Moran's I cluster map as GeoDa colours it.
QUADRANTS = {
    "HH": (gettext_lazy("Many reports among many (cluster)"), "#d7191c"),
    "HL": (gettext_lazy("Many reports among few (outlier)"), "#fdae61"),
    "LH": (gettext_lazy("Few reports among many (outlier)"), "#abd9e9"),
    "LL": (gettext_lazy("Few reports among few (cluster)"), "#2c7bb6"),
    "": (gettext_lazy("Not significant"), "#eeeeee"),
}
# Emerging hot spots: the categories of safetystats.spatial.CATEGORIES, each with a plain definition.
EMERGING = {
    "new_hot": (gettext_lazy("New hot spot"), gettext_lazy("Hot in the last period, never before."), "#ffd400"),
    "consecutive_hot": (gettext_lazy("Consecutive hot spot"), gettext_lazy("Hot in an unbroken run of the last periods, never before that."), "#ffaa00"),
    "intensifying_hot": (gettext_lazy("Intensifying hot spot"), gettext_lazy("Hot in nearly every period, and getting hotter."), "#b30000"),
    "persistent_hot": (gettext_lazy("Persistent hot spot"), gettext_lazy("Hot in nearly every period, without a trend."), "#e34a33"),
    "diminishing_hot": (gettext_lazy("Diminishing hot spot"), gettext_lazy("Hot in nearly every period, but cooling down."), "#fc8d59"),
    "sporadic_hot": (gettext_lazy("Sporadic hot spot"), gettext_lazy("Hot in the last period, on and off before, never cold."), "#fdcc8a"),
    "oscillating_hot": (gettext_lazy("Oscillating hot spot"), gettext_lazy("Hot in the last period, cold in some earlier one."), "#f6a5c0"),
    "historical_hot": (gettext_lazy("Historical hot spot"), gettext_lazy("Hot in nearly every period, but not in the last."), "#c994c7"),
    "new_cold": (gettext_lazy("New cold spot"), gettext_lazy("Cold in the last period, never before."), "#c6dbef"),
    "consecutive_cold": (gettext_lazy("Consecutive cold spot"), gettext_lazy("Cold in an unbroken run of the last periods, never before that."), "#9ecae1"),
    "intensifying_cold": (gettext_lazy("Intensifying cold spot"), gettext_lazy("Cold in nearly every period, and getting colder."), "#08306b"),
    "persistent_cold": (gettext_lazy("Persistent cold spot"), gettext_lazy("Cold in nearly every period, without a trend."), "#2171b5"),
    "diminishing_cold": (gettext_lazy("Diminishing cold spot"), gettext_lazy("Cold in nearly every period, but warming up."), "#6baed6"),
    "sporadic_cold": (gettext_lazy("Sporadic cold spot"), gettext_lazy("Cold in the last period, on and off before, never hot."), "#deebf7"),
    "oscillating_cold": (gettext_lazy("Oscillating cold spot"), gettext_lazy("Cold in the last period, hot in some earlier one."), "#a6bddb"),
    "historical_cold": (gettext_lazy("Historical cold spot"), gettext_lazy("Cold in nearly every period, but not in the last."), "#67a9cf"),
    "no_pattern": (gettext_lazy("No pattern"), gettext_lazy("None of the above."), "#eeeeee"),
}  # fmt: skip
#: Density classes (ColorBrewer YlOrRd, as the areas map): shares of the highest density.
DENSITY_CLASSES = (
    (0.8, "#bd0026"),
    (0.6, "#f03b20"),
    (0.4, "#fd8d3c"),
    (0.2, "#fecc5c"),
    (0.0, "#ffffb2"),
)
CELL_KINDS = {
    Method.GI_STAR: "bin",
    Method.LOCAL_MORAN: "label",
    Method.EMERGING: "category",
    Method.DENSITY: "density",
}
STATUS_WORDS = {
    "queued": pgettext_lazy("spatial run", "Waiting for the task worker"),
    "running": pgettext_lazy("spatial run", "Being computed"),
    "done": pgettext_lazy("spatial run", "Done"),
    "failed": pgettext_lazy("spatial run", "Could not be computed"),
}


def _density_class(value: float, top: float) -> tuple[str, str]:
    share = value / top if top else 0.0
    for k, (lo, colour) in enumerate(DENSITY_CLASSES):
        if share >= lo:
            hi = 100 if k == 0 else int(DENSITY_CLASSES[k - 1][0] * 100)
            return f"{int(lo * 100)}–{hi} %", colour
    return "0 %", DENSITY_CLASSES[-1][1]


def class_of(method: str, cell: dict, figures: dict) -> tuple[str, str, str]:
    """(class key, label, colour) of one cell as the map and the table show it."""
    if method == Method.GI_STAR:
        label, colour = BINS[int(cell["bin"])]
        return str(cell["bin"]), str(label), colour
    if method == Method.LOCAL_MORAN:
        label, colour = QUADRANTS[cell["label"]]
        return cell["label"] or "ns", str(label), colour
    if method == Method.EMERGING:
        label, _definition, colour = EMERGING[cell["category"]]
        return cell["category"], str(label), colour
    label, colour = _density_class(float(cell["density"]), float(figures.get("max_density") or 0))
    return label, label, colour


def legend(method: str, figures: dict) -> list[dict]:
    """The legend of a run's map: each class with its colour, definition and number of cells."""
    summary = figures.get("summary", {})
    if method == Method.GI_STAR:
        return [
            {"key": str(b), "label": str(lbl), "colour": c, "cells": summary.get(str(b))}
            for b, (lbl, c) in BINS.items()
            if b != 0
        ]
    if method == Method.LOCAL_MORAN:
        return [
            {"key": q, "label": str(lbl), "colour": c, "cells": summary.get(q)}
            for q, (lbl, c) in QUADRANTS.items()
            if q
        ]
    if method == Method.EMERGING:
        return [
            {
                "key": k,
                "label": str(lbl),
                "definition": str(d),
                "colour": c,
                "cells": summary.get(k),
            }
            for k, (lbl, d, c) in EMERGING.items()
            if k != "no_pattern" and summary.get(k)
        ]
    if method == Method.DENSITY:
        return [
            {"key": k, "label": _density_class(lo + 0.01, 1.0)[0], "colour": c}
            for k, (lo, c) in enumerate(DENSITY_CLASSES)
        ]
    return []


def shown_figures(run: SpatialRun, *, raw: bool) -> dict:
    """The figures the reader may see: the coarse grid's for a reader without raw-data rights when
    the fine grid holds small counts."""
    figures = run.figures or {}
    if not raw and figures.get("coarse"):
        return {**figures["coarse"], "coarsened": True}
    return figures


def cells(run: SpatialRun, *, raw: bool) -> list[dict]:
    """The stored cells of a grid run as dicts, with their class, place and what the reader may see."""
    figures = shown_figures(run, raw=raw)
    if run.method not in GRID_METHODS or "cells" not in figures:
        return []
    grid = Grid.of(figures["grid"])
    columns = figures["columns"]
    out = []
    for row in figures["cells"]:
        cell = dict(zip(columns, row, strict=True))
        key, label, colour = class_of(run.method, cell, figures)
        x, y = grid.centre(cell["row"], cell["col"])
        count = cell.get("count")
        cell.update(
            {
                "key": key,
                "label": label,
                "colour": colour,
                "x": round(x),
                "y": round(y),
                "few": count is not None and bool(disclosure.is_small(count)),
                "shown_count": None if count is None else disclosure.count(count, raw=raw),
            }
        )
        out.append(cell)
    return out


def _significant(run, cell) -> bool:
    if run.method == Method.GI_STAR:
        return int(cell["bin"]) != 0
    if run.method == Method.LOCAL_MORAN:
        return bool(cell["label"])
    if run.method == Method.EMERGING:
        return cell["category"] != "no_pattern"
    return True


def table_rows(run: SpatialRun, *, raw: bool, limit: int | None = None) -> list[dict]:
    """The map's cells as the table shows them: significant ones first, strongest first."""
    rows = [c for c in cells(run, raw=raw) if _significant(run, c)]
    if run.method == Method.GI_STAR:
        rows.sort(key=lambda c: (-(c["z"] or 0), c["row"], c["col"]))
    elif run.method == Method.DENSITY:
        rows.sort(key=lambda c: (-c["density"], c["row"], c["col"]))
    else:
        rows.sort(key=lambda c: (-(c.get("count") or 0), c["row"], c["col"]))
    return rows[:limit] if limit else rows


def geojson(run: SpatialRun, *, raw: bool) -> dict:
    """The run's cells as GeoJSON polygons (EPSG:4326) with their class, label and colour."""
    figures = shown_figures(run, raw=raw)
    rows = cells(run, raw=raw)
    if not rows:
        return feature_collection_of([])
    grid = Grid.of(figures["grid"])
    r = np.array([c["row"] for c in rows])
    c = np.array([c["col"] for c in rows])
    x0 = grid.x0 + c * grid.size
    y0 = grid.y0 + r * grid.size
    boxes = to_wgs84(shapely.box(x0, y0, x0 + grid.size, y0 + grid.size))
    features = []
    for cell, geom in zip(rows, shapely.to_geojson(boxes), strict=True):
        props = {
            "key": cell["key"],
            "label": cell["label"],
            "colour": cell["colour"],
            "count": disclosure.js(cell["shown_count"]),
            "few": cell["few"],
            "inside": bool(cell.get("inside")),
        }
        if "z" in cell:
            props["z"] = cell["z"]
        features.append(
            {
                "type": "Feature",
                "id": f"{cell['row']}-{cell['col']}",
                "geometry": json.loads(geom),
                "properties": props,
            }
        )
    out = feature_collection_of(features)
    if run.area_id and run.area.polygon is not None:
        out["outline"] = json.loads(shapely.to_geojson(to_wgs84(run.area.polygon)))
    return out


def offence_words(run: SpatialRun) -> str:
    if not run.offence_groups:
        return _("all offences")
    labels = dict(OffenceGroup.choices)
    return ", ".join(str(labels.get(g, g)) for g in run.offence_groups)


def parameter_rows(run: SpatialRun) -> list[tuple[str, str]]:
    """The run's parameters in words, for the page, the map caption and the CSV's method sheet."""
    p = run.parameters or {}
    rows = [
        (_("Analysis"), run.get_method_display()),
        (_("Area"), run.area.name if run.area_id else _("the whole municipality")),
        (
            _("Period"),
            f"{run.first_day:%d.%m.%Y}–{run.last_day:%d.%m.%Y}",
        ),
        (_("Offences"), offence_words(run)),
    ]
    if run.method in GRID_METHODS or run.method == Method.CONCENTRATION:
        rows.append((_("Cell size"), f"{run.cell_size} m"))
    if "contiguity" in p:
        rows.append(
            (
                _("Neighbours"),
                _("the 8 surrounding cells (queen)")
                if p["contiguity"] == "queen"
                else _("the 4 cells sharing a side (rook)"),
            )
        )
    if p.get("permutations") and run.method != Method.EMERGING:
        rows.append((_("Permutations"), str(p["permutations"])))
    if "fdr" in p:
        rows.append(
            (
                _("Correction for many cells"),
                _("false discovery rate (Benjamini–Hochberg)") if p["fdr"] else _("none"),
            )
        )
    if run.method == Method.EMERGING:
        rows.append((_("Time step"), _("%(days)s days") % {"days": p.get("time_step")}))
    if run.method == Method.DENSITY:
        bw = (run.figures or {}).get("bandwidth")
        rule = p.get("bandwidth")
        words = (
            _("Scott's rule")
            if rule == "scott"
            else _("Silverman's rule")
            if rule == "silverman"
            else _("fixed")
        )
        rows.append((_("Bandwidth"), f"{words}" + (f" ({bw:g} m)" if bw else "")))
    if run.method == Method.NEAR_REPEAT:
        rows.append(
            (
                _("Distance bands"),
                _("%(n)s of %(m)s m") % {"n": p["distance_bands"], "m": p["distance_step"]},
            )
        )
        rows.append(
            (
                _("Time bands"),
                _("%(n)s of %(d)s days") % {"n": p["time_bands"], "d": p["time_step"]},
            )
        )
    return rows


def source_sentence(run: SpatialRun, figures: dict) -> str:
    """What every map and table states: the data source, the period and what was left out."""
    return _(
        "Source: police reports located by coordinates (EPSG:25832), %(period)s, %(offences)s. "
        "%(points)s reports on the grid; %(without)s without coordinates and %(outside)s outside "
        "the grid are not included. The grid covers the area and %(buffer)s m around it."
    ) % {
        "period": f"{run.first_day:%d.%m.%Y}–{run.last_day:%d.%m.%Y}",
        "offences": offence_words(run),
        "points": figures.get("points", 0),
        "without": figures.get("without_coordinates", 0),
        "outside": figures.get("outside", 0),
        "buffer": BUFFER_METRES if run.area_id else 0,
    }


def run_error(run: SpatialRun) -> str:
    """Why a failed run has no result, in the reader's language."""
    details = (run.figures or {}).get("error")
    return stored_message(details) if details else run.error


def run_detail(run: SpatialRun, *, raw: bool, can_create: bool, programmes=()) -> dict:
    figures = shown_figures(run, raw=raw)
    done = run.status == SpatialRun.Status.DONE
    context = {
        "run": run,
        "running": run.status in (SpatialRun.Status.QUEUED, SpatialRun.Status.RUNNING),
        "status_words": STATUS_WORDS.get(run.status, run.status),
        "error": run_error(run) if run.status == SpatialRun.Status.FAILED else "",
        "parameters": parameter_rows(run),
        "figures": figures,
        "is_grid": run.method in GRID_METHODS,
        "can_create": can_create,
        "programmes": list(programmes),
        "coarsened": bool(figures.get("coarsened")),
        "min_cell": disclosure.min_cell(),
        "raw": raw,
    }
    if done:
        context["source"] = source_sentence(run, figures)
        context["legend"] = legend(run.method, figures)
        rows = table_rows(run, raw=raw)  # built once: the table shows the first 100
        context["rows"] = rows[:100]
        context["n_rows"] = len(rows)
        if run.method == Method.NEAR_REPEAT:
            context["knox"] = knox_rows(figures, raw=raw)
        if run.method == Method.CONCENTRATION:
            context["lorenz_svg"] = lorenz_svg(figures)
            context["top"] = [
                {
                    "pct": round(100 * t["fraction"]),
                    "share": 100 * t["share"],
                    "low": 100 * t["interval"][0],
                    "high": 100 * t["interval"][1],
                }
                for t in figures.get("top", [])
            ]
    return context


def knox_rows(figures: dict, *, raw: bool) -> list[dict]:
    out = []
    for band in figures.get("knox", []):
        lo, hi = band["distance"]
        out.append(
            {
                "distance": f"{lo:g}–{hi - 1:g} m",
                "cells": [
                    {
                        **cell,
                        "time": f"{cell['time'][0]:g}–{cell['time'][1] - 1:g}",
                        "shown": disclosure.count(cell["observed"], raw=raw),
                        "ratio_shown": disclosure.rate(cell["ratio"], cell["observed"], raw=raw),
                        "significant": cell["p"] is not None and cell["p"] <= 0.05,
                    }
                    for cell in band["cells"]
                ],
            }
        )
    return out


def lorenz_svg(figures: dict) -> str:
    """The Lorenz curve as a small SVG (share of places → share of crimes), with the line of equality."""
    from hotspot.reports.charts import line_chart

    points = figures.get("lorenz") or []
    if not points:
        return ""
    # read at every tenth of the places, so the axis has eleven labels
    xs = list(range(0, 101, 10))
    ys = np.interp(np.array(xs) / 100, [p[0] for p in points], [p[1] for p in points])
    return line_chart(
        [(_("Share of crimes"), [round(100 * v, 1) for v in ys]), (_("Equal spread"), xs)],
        [f"{x} %" for x in xs],
        [],
        label=_("Lorenz curve: share of places (x, %) against share of crimes (y, %)"),
    )


def csv_columns(run: SpatialRun):
    """[(header, key)] of a run's cells as a CSV (every stored cell, not only significant ones)."""
    cols = [
        (_("row"), "row"),
        (_("column"), "col"),
        (_("x (EPSG:25832, cell centre)"), "x"),
        (_("y (EPSG:25832, cell centre)"), "y"),
        (_("inside the area"), lambda c: _("yes") if c.get("inside") else _("no")),
    ]
    if run.method != Method.DENSITY:
        cols.append((_("reports"), "shown_count"))
    if run.method == Method.GI_STAR:
        cols += [(_("z-score"), "z"), (_("p-value"), "p"), (_("class"), "label")]
    elif run.method == Method.LOCAL_MORAN:
        cols += [(_("p-value"), "p"), (_("class"), "label")]
    elif run.method == Method.EMERGING:
        cols += [(_("trend z"), "trend_z"), (_("trend p"), "trend_p"), (_("category"), "label")]
    else:
        cols += [(_("density (reports per km²)"), "density"), (_("class"), "label")]
    return cols


def export_table(run: SpatialRun, *, raw: bool):
    """(rows, columns) of a run's download: the cells of a grid run, the bands of the Knox test, the
    Lorenz curve of the concentration (with the figures as the method sheet says)."""
    figures = shown_figures(run, raw=raw)
    if run.method in GRID_METHODS:
        return cells(run, raw=raw), csv_columns(run)
    if run.method == Method.NEAR_REPEAT:
        rows = [
            {
                "d_lo": band["distance"][0],
                "d_hi": band["distance"][1],
                "t_lo": cell["time"][0],
                "t_hi": cell["time"][1],
                "observed": disclosure.count(cell["observed"], raw=raw),
                "expected": cell["expected"],
                "ratio": disclosure.rate(cell["ratio"], cell["observed"], raw=raw),
                "p": cell["p"],
            }
            for band in figures.get("knox", [])
            for cell in band["cells"]
        ]
        return rows, [
            (_("distance from (m)"), "d_lo"),
            (_("distance to (m, not included)"), "d_hi"),
            (_("days from"), "t_lo"),
            (_("days to (not included)"), "t_hi"),
            (_("observed pairs"), "observed"),
            (_("expected pairs"), "expected"),
            (_("ratio"), "ratio"),
            (_("p-value"), "p"),
        ]
    rows = [{"places": p[0], "crimes": p[1]} for p in figures.get("lorenz", [])]
    return rows, [(_("share of places"), "places"), (_("share of crimes"), "crimes")]


def run_list(runs, *, can_create: bool) -> dict:
    return {
        "runs": [{"run": r, "status_words": STATUS_WORDS.get(r.status, r.status)} for r in runs],
        "can_create": can_create,
    }


# --- the selection dossier's section --------------------------------------------------------------
def hot_cells_near(run: SpatialRun, outline) -> dict:
    """Hot and cold cells (Gi*, 90 % or more) of ``run`` whose centre lies in ``outline`` and in the
    ring of ``BUFFER_METRES`` around it."""
    figures = run.figures or {}
    if "cells" not in figures:
        return {"inside": {}, "around": {}}
    grid = Grid.of(figures["grid"])
    ring = outline.buffer(BUFFER_METRES).difference(outline)
    cols = figures["columns"]
    out = {"inside": {"hot": 0, "hot99": 0, "cold": 0}, "around": {"hot": 0, "hot99": 0, "cold": 0}}
    rows = [dict(zip(cols, r, strict=True)) for r in figures["cells"] if r[cols.index("bin")] != 0]
    if not rows:
        return out
    xs = np.array([grid.centre(c["row"], c["col"])[0] for c in rows])
    ys = np.array([grid.centre(c["row"], c["col"])[1] for c in rows])
    inside = shapely.contains_xy(outline, xs, ys)
    around = shapely.contains_xy(ring, xs, ys)
    for cell, i, a in zip(rows, inside, around, strict=True):
        where = "inside" if i else "around" if a else None
        if where is None:
            continue
        b = int(cell["bin"])
        out[where]["hot" if b > 0 else "cold"] += 1
        out[where]["hot99"] += int(b == 3)
    return out


def newest_gi_runs(municipality, area_ids) -> dict:
    """{area id or None (the whole municipality): its newest finished Gi* run}, in two queries (one
    when there is none): the runs' ids first, then only the chosen runs with their figures."""
    chosen: dict = {}
    for pk, area_id in (
        SpatialRun.objects.in_municipality(municipality)
        .filter(method=Method.GI_STAR, status=SpatialRun.Status.DONE)
        .filter(Q(area__isnull=True) | Q(area_id__in=list(area_ids)))
        .order_by("-finished_at", "-pk")
        .values_list("pk", "area_id")
    ):
        chosen.setdefault(area_id, pk)
    if not chosen:
        return {}
    runs = SpatialRun.objects.in_bulk(list(chosen.values()))
    return {area_id: runs[pk] for area_id, pk in chosen.items()}


def dossier_hot_cells(dossier, candidates, *, raw: bool) -> dict | None:
    """The dossier's section: per candidate, the hot cells inside and around it, from the newest Gi*
    run of the candidate itself, else of the whole municipality (``None`` without any)."""
    municipality = dossier.run.version.definition.municipality_id
    runs = newest_gi_runs(municipality, [c.area_id for c in candidates])
    if not runs:
        return None
    rows = []
    for c in candidates:
        outline = c.area.polygon
        run = runs.get(c.area_id) or runs.get(None)
        if outline is None or run is None:
            rows.append({"candidate": c, "area": c.area, "run": None})
            continue
        rows.append({"candidate": c, "area": c.area, "run": run, **hot_cells_near(run, outline)})
    return {"template": "spatial/_dossier_section.html", "rows": rows, "buffer": BUFFER_METRES}


def place_source(run: SpatialRun, cell: dict) -> str:
    """Where a place saved from a cell came from, as the programme's list of places says it."""
    return _("%(label)s, cell of %(size)s m, spatial analysis %(run)s, %(period)s") % {
        "label": cell["label"],
        "size": run.cell_size,
        "run": run.pk,
        "period": f"{run.first_day:%d.%m.%Y}–{run.last_day:%d.%m.%Y}",
    }


def cell_index(value) -> int:
    """A posted row or column number (``-1`` for anything that is not one)."""
    return int(value) if str(value or "").isdigit() else -1
