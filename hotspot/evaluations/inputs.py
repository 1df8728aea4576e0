"""ORM -> arrays: the area x year panel of a study, the control pool and the matching features.

Counts travel with their rates: every panel cell keeps the count and the population it was computed from,
so the Poisson models see counts with a log-population offset and the tables and exports show both.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from hotspot.areas.models import (
    TILING_KINDS,
    Area,
    AreaKind,
    tiling_map_for,
)
from hotspot.evaluations.models import COUNT_OUTCOMES, SCORE_OUTCOMES, Outcome
from hotspot.incidents.models import CrimeReport
from hotspot.indicators import measures

PER = 1000.0
#: The spelling the outcome had in an inputs hash before the outcomes took the catalogue's codes
#: (migration evaluations 0006): a stored result's hash stays the hash of the same figures.
_HASH_SPELLING = {
    Outcome.REPORTS: "reports",
    Outcome.REPORTS_CITIZEN: "reports_citizen",
    Outcome.YOUTH_CHARGES: "youth_charges",
}


class StudyInputError(ValueError):
    """A study that cannot be computed as defined; the message is translated and meant for the user."""


def first_treated_year(start) -> int:
    """First full calendar year of the effort: a start on 1 January counts that year, any later start
    makes the start year a partial (pre) year. The demo's 1 July 2010 start -> 2011."""
    return start.year if (start.month, start.day) == (1, 1) else start.year + 1


@dataclass
class PanelArea:
    area: Area
    treated: bool
    start: object = None  # date, treated areas only
    tiling: tuple[int, ...] = ()

    @property
    def first_treated(self) -> int | None:
        return first_treated_year(self.start) if self.treated and self.start else None


@dataclass
class Panel:
    """Areas (rows) x years (columns); ``present`` marks cells with data (the survey skips years)."""

    outcome: str
    areas: list[PanelArea]
    years: list[int]
    counts: np.ndarray
    population: np.ndarray
    present: np.ndarray
    #: where the figures come from when it is not the raw data (the safety index: its run and version)
    source: dict = field(default_factory=dict)
    value: np.ndarray = field(init=False)

    def __post_init__(self):
        if self.outcome in SCORE_OUTCOMES:
            # a score is its own value; a missing score stays missing (NaN), never zero
            self.value = np.where(self.present, self.counts, np.nan)
            return
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = 100.0 if self.outcome == Outcome.SURVEY_UNSAFE else PER
            self.value = np.where(self.population > 0, scale * self.counts / self.population, 0.0)

    @property
    def codes(self) -> list[str]:
        return [a.area.code for a in self.areas]

    @property
    def treated_mask(self) -> np.ndarray:
        return np.array([a.treated for a in self.areas])

    def first_treated(self) -> np.ndarray:
        return np.array(
            [np.nan if a.first_treated is None else float(a.first_treated) for a in self.areas]
        )

    def long(self) -> dict[str, np.ndarray]:
        """One row per present (area, year): the arrays ``safetystats.evaluation`` takes."""
        ai, yi = np.nonzero(self.present)
        ft = self.first_treated()[ai]
        year = np.array(self.years, dtype=float)[yi]
        return {
            "area": np.array(self.codes, dtype=object)[ai].astype(str),
            "year": year,
            "counts": self.counts[ai, yi],
            "population": self.population[ai, yi],
            "value": self.value[ai, yi],
            "first_treated": ft,
            "treatment": (~np.isnan(ft) & (year >= np.nan_to_num(ft, nan=np.inf))).astype(float),
        }

    def inputs_hash(self) -> str:
        """SHA-256 of the exact figures the methods see (areas, roles, starts, years, counts, population)."""
        payload = {
            "outcome": _HASH_SPELLING.get(self.outcome, str(self.outcome)),
            "areas": [[a.area.code, a.treated, a.first_treated] for a in self.areas],
            "years": self.years,
            "counts": self.counts.tolist(),
            "population": self.population.tolist(),
            "present": self.present.astype(int).tolist(),
        }
        if self.source:
            payload["source"] = self.source
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()


# ------------------------------------------------------------------------------------------------
# Which areas


def tilings(areas) -> dict[int, tuple[int, ...]]:
    """``{area id: sorted ids of the tiling areas it covers}`` (``Area.tiling_descendant_ids``) with
    one query per municipality, not one per overlay area."""
    maps: dict[int, dict] = {}
    out = {}
    for a in areas:
        if a.kind in TILING_KINDS:
            out[a.pk] = (a.pk,)
            continue
        if a.municipality_id not in maps:
            maps[a.municipality_id] = tiling_map_for(a.municipality_id)
        out[a.pk] = tuple(sorted(maps[a.municipality_id][a.pk]))
    return out


def control_pool(municipality, treated: list[Area]) -> list[Area]:
    """Areas that can serve as controls: control and housing areas that share no territory with a
    hotspot (any hotspot, also later ones) or with each other (a control area over an estate replaces
    the estate)."""
    hotspots = list(Area.objects.filter(municipality=municipality, kind=AreaKind.HOTSPOT))
    candidates = list(
        Area.objects.filter(
            municipality=municipality, kind__in=(AreaKind.CONTROL, AreaKind.HOUSING)
        ).select_related("parent")
    )
    tiles_of = tilings([*hotspots, *treated, *candidates])
    hotspot_tiles: set[int] = set()
    for a in [*hotspots, *treated]:
        hotspot_tiles.update(tiles_of[a.pk])
    pool, seen = [], set()
    # control areas first, so that they win over the estate they cover
    for a in sorted(candidates, key=lambda a: (a.kind != AreaKind.CONTROL, a.code)):
        tiles = tiles_of[a.pk]
        if not tiles or hotspot_tiles.intersection(tiles) or tiles in seen:
            continue
        seen.add(tiles)
        pool.append(a)
    return sorted(pool, key=lambda a: a.code)


# ------------------------------------------------------------------------------------------------
# The panel


def latest_index_run(version):
    """The latest successful run of an index definition version (None if it has none)."""
    from hotspot.indices.inputs import latest_run

    return latest_run(version)


def _index_scores(panel_areas, years, index_version):
    """Safety index scores of the latest successful run of ``index_version`` for the study areas.

    A study area made of several tiling areas gets the population-weighted mean of their scores, and
    only when every one of them has a score that year; anything else is missing (``present`` False).
    """
    from hotspot.indices.inputs import unit_scores

    if index_version is None:
        raise StudyInputError(
            _("Choose the index definition version whose scores are the outcome of the study.")
        )
    run = latest_index_run(index_version)
    if run is None:
        raise StudyInputError(
            _(
                "The index %(version)s has no successful run yet: compute it under Safety index "
                "first."
            )
            % {"version": str(index_version)}
        )
    # the index's one rule for an area it did not score itself (indices.inputs.unit_scores)
    values, present = unit_scores(run, {i: pa.area for i, pa in enumerate(panel_areas)}, years)
    counts = np.nan_to_num(values)
    source = {
        "index_run": run.pk,
        "index_version": index_version.pk,
        "index_label": str(index_version),
        "inputs_hash": run.inputs_hash,
    }
    return counts, present.astype(float), present, source


def build_panel(
    panel_areas: list[PanelArea],
    outcome: str,
    first_year: int,
    last_year: int,
    *,
    index_version=None,
) -> Panel:
    years = list(range(int(first_year), int(last_year) + 1))
    shape = (len(panel_areas), len(years))
    counts = np.zeros(shape)
    present = np.ones(shape, dtype=bool)
    source = {}
    if outcome == Outcome.SAFETY_INDEX:
        # population 1 in every scored cell: the methods' "counts / population" is the score itself
        counts, population, present, source = _index_scores(panel_areas, years, index_version)
    elif outcome in measures.catalogue(with_registers=False):
        # the measures layer: the same reports, distinct youths and survey coding as every page
        panel = measures.build_panel(
            dict(enumerate(pa.tiling for pa in panel_areas)),
            years,
            [str(outcome)],
            municipality_id=panel_areas[0].area.municipality_id if panel_areas else 0,
            flags=False,  # a study shows its own cells (check_panel); published figures: _disclosed
        )
        counts = np.nan_to_num(panel.counts[:, :, 0])
        population = np.nan_to_num(panel.denominators[:, :, 0])
        if outcome == Outcome.SURVEY_UNSAFE:
            present = population > 0
    else:
        raise StudyInputError(_("Unknown outcome: %(outcome)s") % {"outcome": outcome})
    return Panel(outcome, panel_areas, years, counts, population, present, source)


def study_panel_areas(study) -> list[PanelArea]:
    rows = list(
        study.study_areas.select_related("area", "area__parent").order_by("-role", "area__code")
    )
    tiles_of = tilings([sa.area for sa in rows])
    return [PanelArea(sa.area, sa.role == "treated", sa.start, tiles_of[sa.area_id]) for sa in rows]


def study_panel(study) -> Panel:
    return build_panel(
        study_panel_areas(study),
        study.outcome,
        study.first_year,
        study.last_year,
        index_version=study.index_version,
    )


def check_panel(panel: Panel) -> list[str]:
    """The bad inputs the issue lists, as clear sentences (raised before any method runs).

    Returns non-fatal caveats; raises ``StudyInputError`` for what makes the study impossible.
    """
    treated = [a for a in panel.areas if a.treated]
    controls = [a for a in panel.areas if not a.treated]
    if not treated:
        raise StudyInputError(_("The study has no treated (hotspot) areas."))
    if not controls:
        raise StudyInputError(
            _("The study has no control areas: add comparable areas without a hotspot.")
        )
    codes_t = {a.area.pk for a in treated}
    both = [a.area.code for a in controls if a.area.pk in codes_t]
    tiles_t = set().union(*(a.tiling for a in treated))
    both += [a.area.code for a in controls if tiles_t.intersection(a.tiling)]
    if both:
        raise StudyInputError(
            _(
                "A treated area cannot also be a control area: %(areas)s share territory with a hotspot."
            )
            % {"areas": ", ".join(sorted(set(both)))}
        )
    for a in treated:
        if a.start is None:
            raise StudyInputError(
                _("The treated area %(area)s has no start date.") % {"area": a.area.code}
            )
        if a.first_treated <= panel.years[0]:
            raise StudyInputError(
                _(
                    "The treated area %(area)s has no pre-period: its effort counts from %(year)s, "
                    "but the study starts in %(first)s. Start the study at least one year earlier."
                )
                % {"area": a.area.code, "year": a.first_treated, "first": panel.years[0]}
            )
        if a.first_treated > panel.years[-1]:
            raise StudyInputError(
                _(
                    "The treated area %(area)s has no post-period: its effort counts from %(year)s, "
                    "after the study's last year %(last)s."
                )
                % {"area": a.area.code, "year": a.first_treated, "last": panel.years[-1]}
            )
    if panel.outcome in COUNT_OUTCOMES:
        zero = np.argwhere(panel.population <= 0)
        if zero.size:
            i, j = zero[0]
            raise StudyInputError(
                _(
                    "Area %(area)s has no residents in %(year)s, so it has no rate that year "
                    "(%(n)s area-years without residents). Shorten the period or remove the area."
                )
                % {"area": panel.areas[i].area.code, "year": panel.years[j], "n": len(zero)}
            )
    elif panel.outcome in SCORE_OUTCOMES:
        check_scores(panel)
    else:
        missing = [a.area.code for i, a in enumerate(panel.areas) if not panel.present[i].any()]
        if missing:
            raise StudyInputError(
                _("No survey answers at all for %(areas)s.") % {"areas": ", ".join(missing)}
            )
    if panel.outcome in SCORE_OUTCOMES:
        return []
    if not np.any(panel.counts[panel.present] > 0):
        raise StudyInputError(
            _(
                "The outcome is zero in every area and year: there is nothing to compare. "
                "Choose another outcome or check the data."
            )
        )
    return []


def check_scores(panel: Panel) -> None:
    """Index scores: every area needs scores, a hotspot both before and after its start, and the scores
    must vary. Single missing area-years are allowed; the result reports them (``missing_scores``)."""
    label = panel.source.get("index_label", "")
    none = [a.area.code for i, a in enumerate(panel.areas) if not panel.present[i].any()]
    if none:
        raise StudyInputError(
            _(
                "The index %(version)s has no score for %(areas)s in %(first)s–%(last)s (the area is "
                "not among the index's areas, or has no data). Remove the area or choose another "
                "index version."
            )
            % {
                "version": label,
                "areas": ", ".join(none),
                "first": panel.years[0],
                "last": panel.years[-1],
            }
        )
    years = np.array(panel.years)
    for i, a in enumerate(panel.areas):
        if not a.treated or a.first_treated is None:
            continue
        before = panel.present[i] & (years < a.first_treated)
        after = panel.present[i] & (years >= a.first_treated)
        if not before.any():
            message = _(
                "The index %(version)s has no score for the hotspot %(area)s before its start "
                "(%(year)s): the effect cannot be measured."
            )
        elif not after.any():
            message = _(
                "The index %(version)s has no score for the hotspot %(area)s from its start "
                "(%(year)s) on: the effect cannot be measured."
            )
        else:
            continue
        raise StudyInputError(
            message % {"version": label, "area": a.area.code, "year": a.first_treated}
        )
    if np.ptp(panel.counts[panel.present]) == 0:
        raise StudyInputError(
            _("The index score is the same in every area and year: there is nothing to compare.")
        )


def missing_cells(panel: Panel) -> list[str]:
    """'CODE year' of every area-year without a value (the index: no score), for the caveat."""
    return [f"{panel.areas[i].area.code} {panel.years[j]}" for i, j in np.argwhere(~panel.present)]


# ------------------------------------------------------------------------------------------------
# Matching features (pre-period rates and criteria variables)


def matching_features(panel: Panel, pre_until: int) -> tuple[np.ndarray, list[str]]:
    """Per area: mean pre-period rate, pre-period trend (per year) and mean register indicators."""
    from hotspot.indicators.models import IndicatorValue

    years = np.array(panel.years)
    pre = years < pre_until
    if pre.sum() < 2:
        raise StudyInputError(
            _("At least two years before the start are needed to suggest control areas.")
        )
    rate = np.where(panel.present, panel.value, np.nan)[:, pre]
    mean = np.nanmean(rate, axis=1)
    x = years[pre] - years[pre].mean()
    slope = np.array(
        [
            np.nansum(x * (r - np.nanmean(r))) / np.sum(x * x) if np.isfinite(r).any() else 0.0
            for r in rate
        ]
    )
    cols = [mean, slope]
    names = [_("pre-period rate"), _("pre-period trend per year")]
    if panel.outcome in SCORE_OUTCOMES:
        names[0] = _("pre-period mean score")
    tiles = sorted({t for a in panel.areas for t in a.tiling})
    values = defaultdict(lambda: defaultdict(list))
    names_by_code = {}
    for code, name_da, name_en, area_id, value in (
        IndicatorValue.objects.filter(
            area_id__in=tiles, year__in=years[pre].tolist(), value__isnull=False
        )
        .values_list(
            "indicator__code", "indicator__name_da", "indicator__name_en", "area_id", "value"
        )
        .order_by()
    ):
        values[code][area_id].append(value)
        names_by_code[code] = name_en if (get_language() or "da").startswith("en") else name_da
    for code in sorted(values):
        per_area = values[code]
        col = []
        for a in panel.areas:
            vals = [v for t in a.tiling for v in per_area.get(t, [])]
            col.append(np.mean(vals) if vals else np.nan)
        col = np.array(col)
        if np.isfinite(col).all() and np.ptp(col) > 0:
            cols.append(col)
            names.append(names_by_code[code])
    return np.column_stack(cols), names


# ------------------------------------------------------------------------------------------------
# Displacement: counts in the target, a buffer ring around it, and the control areas


def ring_geometry(area: Area, width_m: float):
    """The buffer ring: the hotspot polygon grown by ``width_m`` metres, minus the hotspot itself."""
    poly = area.polygon
    if poly is None:
        return None
    return shapely.difference(poly.buffer(width_m), poly)


def report_filter(outcome: str) -> Q:
    if outcome == Outcome.REPORTS_CITIZEN:
        return Q(offence__citizen_directed=True)
    if outcome == Outcome.REPORTS_SERIOUS:
        return Q(offence__serious=True)
    return Q()


def reports_in_geometry(municipality, geom, outcome: str, years: list[int]) -> np.ndarray:
    """Reports per year whose x/y lie inside ``geom`` (bounding box in the database, then shapely)."""
    minx, miny, maxx, maxy = geom.bounds
    rows = np.array(
        list(
            CrimeReport.objects.filter(
                report_filter(outcome),
                municipality=municipality,
                x__gte=minx,
                x__lte=maxx,
                y__gte=miny,
                y__lte=maxy,
                occurred_at__year__gte=years[0],
                occurred_at__year__lte=years[-1],
            )
            .values_list("x", "y", "occurred_at__year")
            .order_by()
        ),
        dtype=float,
    ).reshape(-1, 3)
    out = np.zeros(len(years))
    if rows.size:
        inside = shapely.contains_xy(geom, rows[:, 0], rows[:, 1])
        yrs = rows[inside, 2].astype(int) - years[0]
        np.add.at(out, yrs, 1)
    return out
