"""ORM -> arrays for the safety index: the (areas, years, indicators) array and the method object.

Indicators (``CATALOGUE``), all per tiling area (police rode and housing areas) and year:

- ``reports_<group>``, ``reports_citizen_directed``, ``reports_serious``: reports located in the area
  per 1,000 residents (``ReportCount`` / ``Population``, METHODS.md §1);
- ``youth_charged``: distinct persons aged 10–17 charged, counted where they live, per 1,000
  residents aged 10–17 (``safetystats.rates.charge_rates`` with ``YOUTH_BAND``);
- ``survey_*``: weighted shares (%) from the safety survey (``safetystats.survey.grouped_shares``);
  cells with fewer than ``survey_min_n`` respondents are suppressed and missing;
- ``reg_<code>``: register indicators of the ``indicators`` catalogue, as stored.

Missing is never zero: a rate without residents, a year without any reports or charges in the
municipality, a survey cell below the minimum or a wave that did not happen, and a register value not
delivered are all NaN, and the index flags the score.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from hotspot.areas.models import Area, AreaKind, Population, tiling_map_for
from hotspot.indicators import measures
from hotspot.indicators.models import IndicatorValue, NationalValue
from hotspot.surveys.inputs import share_rows, tally_sums
from safetystats import index as sx
from safetystats.criteria import AreaYear, assess, get_rules

PILLARS = ("objective", "subjective", "socio_economic")
PILLAR_LABELS = {
    "objective": _("Objective (police data)"),
    "subjective": _("Subjective (felt safety)"),
    "socio_economic": _("Socio-economic"),
}
NORMALISATION_LABELS = {
    "z": _("z-score against the reference"),
    "ratio": _("100 = reference mean"),
    "minmax": _("min–max (0–100)"),
    "rank": _("percentile rank"),
}
AREA_SETS = {
    "tiling": (AreaKind.RODE, AreaKind.HOUSING),
    "housing": (AreaKind.HOUSING,),
    "rode": (AreaKind.RODE,),
    # Copenhagen's tryghedsindeks placed its hotspots by district: a district's figures are those of
    # the tiling areas below it (areas.models.tiling_map), so any kind of area can be scored
    "district": (AreaKind.DISTRICT,),
}
AREA_SET_LABELS = {
    "tiling": _("Police areas and housing areas"),
    "housing": _("Housing areas only"),
    "rode": _("Police areas (roder) only"),
    "district": _("Districts"),
}
#: The indicators an index can use: the measures of the catalogue (``hotspot.indicators.measures``).
CatalogueEntry = measures.Measure
SURVEY_ITEMS = measures.SURVEY_ITEMS
REPORT_GROUPS = measures.REPORT_GROUPS


def catalogue() -> dict[str, measures.Measure]:
    """Every indicator an index can use, with its default direction, pillar and theme."""
    return {c: m for c, m in measures.catalogue().items() if m.in_index}


# -- the method --------------------------------------------------------------------------------------
def preset_spec(name: str, *, reference_year: int, area_set: str = "tiling", survey_min_n=20):
    """A complete, self-contained spec from a library preset and the default indicator set."""
    if name not in sx.PRESETS:
        raise ValueError(f"preset: expected one of {sorted(sx.PRESETS)}, got {name!r}")
    cfg = sx.PRESETS[name]
    scale = cfg["scale"]
    bands = cfg.get("bands")
    return {
        "preset": name,
        "note": cfg.get("note", ""),
        "indicators": [
            {"code": e.code, "direction": e.direction, "theme": e.theme, "pillar": e.pillar}
            for e in catalogue().values()
            if e.default
        ],
        "pillar_weights": dict(cfg["pillar_weights"]),
        "normalisation": cfg["normalisation"],
        "aggregation": cfg.get("aggregation", "linear"),
        "missing": cfg.get("missing", "reweight"),
        "scale": {"a": scale.a, "b": scale.b, "clip": list(scale.clip) if scale.clip else None},
        "bands": {"cuts": list(bands.cuts), "labels": list(bands.labels)} if bands else None,
        "reference_year": int(reference_year),
        "area_set": area_set,
        "survey_min_n": int(survey_min_n),
        "divergence_threshold": 1.0,
    }


def build_definition(spec: dict, years) -> sx.IndexDefinition:
    """The library's IndexDefinition for ``spec`` on the given year axis.

    Raises ValueError with a message naming the item (weights, direction, reference year, …).
    """
    years = [int(y) for y in years]
    ref = spec.get("reference_year")
    if ref is None or int(ref) not in years:
        span = f"{years[0]}–{years[-1]}" if years else _("no years")
        raise ValueError(
            _("reference year %(year)s has no data: the inputs cover %(span)s")
            % {"year": ref, "span": span}
        )
    inds = []
    for row in spec.get("indicators", []):
        w = row.get("weight")
        inds.append(
            sx.Indicator(
                name=row["code"],
                direction=row.get("direction") or None,
                theme=row["theme"],
                pillar=row["pillar"],
                weight=None if w in (None, "") else float(w),
            )
        )
    scale = spec.get("scale") or {}
    clip = scale.get("clip")
    bands = spec.get("bands")
    return sx.IndexDefinition(
        indicators=tuple(inds),
        pillar_weights={k: float(v) for k, v in spec["pillar_weights"].items()},
        normalisation=spec.get("normalisation", "z"),
        reference_year=years.index(int(ref)),
        aggregation=spec.get("aggregation", "linear"),
        scale=sx.Scale(float(scale["a"]), float(scale["b"]), tuple(clip) if clip else None)
        if scale
        else None,
        bands=sx.Bands(tuple(bands["cuts"]), tuple(bands["labels"])) if bands else None,
        missing=spec.get("missing", "reweight"),
        name=spec.get("preset") or "custom",
        note=spec.get("note", ""),
    )


def validate_spec(spec: dict) -> None:
    """Refuse a spec the library would refuse (on a dummy year axis); ValueError says why."""
    catalogue_codes = set(catalogue())
    unknown = [r["code"] for r in spec.get("indicators", []) if r["code"] not in catalogue_codes]
    if unknown:
        raise ValueError(_("unknown indicators: %(codes)s") % {"codes": ", ".join(unknown)})
    build_definition(spec, [int(spec.get("reference_year") or 0)])
    n = spec.get("survey_min_n", 20)
    if not isinstance(n, int) or n < 1:
        raise ValueError(
            _("minimum respondents: expected a whole number ≥ 1, got %(n)s") % {"n": n}
        )


# -- the inputs ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Inputs:
    values: np.ndarray  # (areas, years, indicators), NaN = missing
    area_ids: np.ndarray
    years: np.ndarray
    codes: tuple[str, ...]
    survey_min_n: int
    # True where a value is a rate of a small count (hotspot.disclosure): hidden from roles
    # without raw-data rights. None for runs stored before the mask existed (then every rate of
    # reports or charges counts as small for them). Not part of the digest: it follows from the data.
    small: np.ndarray | None = None

    def visible_values(self, *, raw: bool) -> np.ndarray:
        """``values`` as a viewer may see them: rates of small counts NaN unless ``raw``."""
        if raw:
            return self.values
        small = self.small
        if small is None:
            counted = np.array(
                [c.startswith("reports_") or c == "youth_charged" for c in self.codes]
            )
            small = np.broadcast_to(counted[None, None, :], self.values.shape)
        return np.where(small, np.nan, self.values)

    def digest(self) -> str:
        """SHA-256 of the labels and the values (NaN canonicalised), the run's inputs hash."""
        h = hashlib.sha256()
        header = {
            "areas": [int(a) for a in self.area_ids],
            "years": [int(y) for y in self.years],
            "codes": list(self.codes),
            "survey_min_n": self.survey_min_n,
        }
        h.update(json.dumps(header, sort_keys=True).encode())
        v = np.ascontiguousarray(self.values, dtype="<f8")
        h.update(np.where(np.isnan(v), np.nan, v).tobytes())
        return h.hexdigest()

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            values=self.values,
            area_ids=self.area_ids,
            years=self.years,
            codes=np.array(self.codes),
            survey_min_n=np.array(self.survey_min_n),
            **({} if self.small is None else {"small": self.small}),
        )
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Inputs:
        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as z:
            return cls(
                values=z["values"],
                area_ids=z["area_ids"],
                years=z["years"],
                codes=tuple(str(c) for c in z["codes"]),
                survey_min_n=int(z["survey_min_n"]),
                small=z["small"] if "small" in z.files else None,
            )


def scored_areas(municipality_id: int, area_set: str = "tiling"):
    kinds = AREA_SETS.get(area_set, AREA_SETS["tiling"])
    return (
        Area.objects.filter(municipality_id=municipality_id, kind__in=kinds)
        .order_by("code")
        .only("pk", "code", "name", "kind")
    )


def build_inputs(
    municipality_id: int, codes, *, area_set="tiling", survey_min_n=20, progress=None
) -> Inputs:
    """The (areas, years, indicators) array of ``codes`` for the municipality's scored areas: the
    measures panel (``hotspot.indicators.measures``) of each area on its own, over the years with
    population, a year without data of a kind in the municipality missing."""
    codes = tuple(codes)
    areas = list(scored_areas(municipality_id, area_set).values_list("pk", flat=True))
    years = sorted(
        Population.objects.filter(area__municipality_id=municipality_id)
        .values_list("year", flat=True)
        .distinct()
    )
    tiling = tiling_map_for(municipality_id)
    panel = measures.build_panel(
        {a: tiling[a] for a in areas},
        years,
        codes,
        municipality_id=municipality_id,
        survey_min_n=survey_min_n,
        progress=progress,
    )
    values = np.where(panel.known[None, :, :], panel.values, np.nan)
    # hidden as on every other page: small counts of reports and charges and what would give them away
    counted = np.array([c in measures.REPORT_MEASURES or c == "youth_charged" for c in codes])
    small = panel.small & counted[None, None, :]
    return Inputs(
        values=values,
        area_ids=np.array(areas, dtype=np.int64),
        years=np.array(years, dtype=np.int64),
        codes=codes,
        survey_min_n=int(survey_min_n),
        small=small.reshape(values.shape),
    )


def divergence(result: sx.IndexResult, definition: sx.IndexDefinition) -> np.ndarray:
    """(objective − subjective) pillar, each standardised over the reference areas in the reference
    year, so the value reads in reference SDs whatever the normalisation. Positive: residents feel
    less safe than the police figures say. NaN when either pillar is missing."""
    names = list(result.pillar_names)
    if "objective" not in names or "subjective" not in names:
        return np.full(result.score.shape, np.nan)
    ref_y = definition.reference_year
    ref_a = (
        np.arange(result.score.shape[0])
        if definition.reference_areas is None
        else np.asarray(definition.reference_areas)
    )
    parts = []
    for name in ("objective", "subjective"):
        p = result.pillars[:, :, names.index(name)]
        ref = p[ref_a, ref_y]
        sd = np.nanstd(ref) if np.isfinite(ref).any() else np.nan
        if not sd > 0:
            return np.full(result.score.shape, np.nan)
        parts.append((p - np.nanmean(ref)) / sd)
    return parts[0] - parts[1]


# -- the area profile ---------------------------------------------------------------------------------
def _tiling_ids(areas) -> dict[int, list[int]]:
    return {a.pk: a.tiling_descendant_ids() for a in areas}


def survey_shares_for_areas(areas, *, min_n: int = 20) -> dict[int, list[dict]]:
    """Area id -> per wave: the weighted unsafe share with its Wilson interval, n and n_eff
    (suppressed < min_n), of the felt-safety measures, from the survey tally (``surveys.inputs``).
    One query per measure for all the areas."""
    groups = _tiling_ids(areas)
    out: dict[int, list[dict]] = {pk: [] for pk in groups}
    for code in ("survey_unsafe", "survey_unsafe_evening"):
        item, coding, category = SURVEY_ITEMS[code]
        sums = tally_sums(groups, None, item, coding, category)
        for g, pk in enumerate(sums.keys):
            out[pk].extend(share_rows(sums, g, min_n=min_n, code=code))
    return out


def survey_shares_for_area(area, *, min_n: int = 20) -> list[dict]:
    """Per wave: the weighted unsafe share with its Wilson interval, n and n_eff (suppressed < min_n)."""
    return survey_shares_for_areas([area], min_n=min_n)[area.pk]


CRITERIA_FIELDS = {
    "outside_labour_education": "outside_share",
    "convicted": "convicted_share",
    "primary_education_only": "primary_only_share",
    "income_relative_region": "income_ratio",
    "non_western": "non_western_share",
}


def criteria_histories(areas) -> dict[int, dict[int, AreaYear]]:
    """Area id -> year -> AreaYear for the statutory criteria, from the register values and the
    population; a fixed number of queries whatever the number of areas."""
    ids = _tiling_ids(areas)
    all_ids = {i for v in ids.values() for i in v}
    # a composite area's register share is not the mean of its parts: only single tiling areas
    registers = defaultdict(lambda: defaultdict(dict))
    single = {v[0] for v in ids.values() if len(v) == 1}
    for area_id, code, year, value in IndicatorValue.objects.filter(
        area_id__in=single, indicator__code__in=list(CRITERIA_FIELDS)
    ).values_list("area_id", "indicator__code", "year", "value"):
        if value is not None:
            registers[area_id][year][CRITERIA_FIELDS[code]] = value
    residents = defaultdict(dict)
    for area_id, year, n in (
        Population.objects.filter(area_id__in=all_ids)
        .values("area_id", "year")
        .annotate(n=Sum("count"))
        .values_list("area_id", "year", "n")
    ):
        residents[area_id][year] = n
    national = None
    out = {}
    for pk, tiling in ids.items():
        fields: dict[int, dict] = defaultdict(dict)
        if len(tiling) == 1:
            for year, f in registers[tiling[0]].items():
                fields[year].update(f)
        for i in tiling:
            for year, n in residents[i].items():
                fields[year]["residents"] = fields[year].get("residents", 0) + n
        if fields and national is None:
            national = dict(
                NationalValue.objects.filter(indicator__code="convicted").values_list(
                    "year", "value"
                )
            )
        for year, value in (national or {}).items():
            if year in fields:
                fields[year]["national_convicted_share"] = value
        out[pk] = {y: AreaYear(**f) for y, f in sorted(fields.items())}
    return out


def criteria_history(area) -> dict[int, AreaYear]:
    """Year -> AreaYear for the statutory criteria, from the register values and the population."""
    return criteria_histories([area])[area.pk]


def _assess(history, year: int, rules: str):
    if not history:
        return None, None
    official = assess(history, year, rules=rules)
    if official.criteria:
        return official, official
    informative = assess(history, year, rules=replace(get_rules(rules), min_residents=0))
    return official, informative


def assess_areas(areas, year: int, rules: str = "2018") -> dict[int, tuple]:
    """Area id -> ``assess_area``'s pair, for many areas at once."""
    return {pk: _assess(h, year, rules) for pk, h in criteria_histories(areas).items()}


def assess_area(area, year: int, rules: str = "2018"):
    """The statutory assessment, and, for an area below the minimum of residents (which the rules do
    not cover), the criteria evaluated anyway so their values can be shown: ``(official, values)``."""
    return _assess(criteria_history(area), year, rules)


# -- an index's scores for any area -------------------------------------------------------------------
def latest_run(version):
    """The latest successful run of an index definition version (None if it has none)."""
    from hotspot.indices.models import IndexRun, Status

    if version is None:
        return None
    return (
        IndexRun.objects.filter(version=version, status=Status.DONE)
        .order_by("-finished_at", "-pk")
        .first()
    )


def unit_scores(run, units: dict, years) -> tuple[np.ndarray, np.ndarray]:
    """(scores, present), both (units, years), of a run for ``units`` ({key: Area}).

    An area the run scored has its own score (a district in a district-level index). Any other area
    (a hotspot, a control area, an area made of others) has the population-weighted mean of the
    scores of the scored areas that make it up — its members, or else the area it covers, or else its
    tiling areas — and only when every one of them has a score that year; anything else is missing.
    """
    from hotspot.indices.models import SafetyScore

    keys = list(units)
    years = [int(y) for y in years]
    scored = set(SafetyScore.objects.filter(run=run).values_list("area_id", flat=True).distinct())
    municipality_ids = {a.municipality_id for a in units.values()}
    tiling: dict[int, list[int]] = {}
    for m in municipality_ids:
        tiling.update(tiling_map_for(m))
    members_of: dict[int, list[int]] = defaultdict(list)  # one query for every unit's members
    for composite, member in Area.members.through.objects.filter(
        from_area_id__in=[a.pk for a in units.values()]
    ).values_list("from_area_id", "to_area_id"):
        members_of[composite].append(member)
    parts_of = {}
    for key, area in units.items():
        members = members_of.get(area.pk, [])
        for candidate in ([area.pk], members, [area.parent_id] if area.parent_id else []):
            if candidate and all(pk in scored for pk in candidate):
                parts_of[key] = candidate
                break
        else:
            parts_of[key] = tiling.get(area.pk, [])
    wanted = {pk for parts in parts_of.values() for pk in parts}
    score = {
        (a, y): float(v)
        for a, y, v in SafetyScore.objects.filter(
            run=run, area_id__in=wanted, year__in=years, score__isnull=False, no_data=False
        ).values_list("area_id", "year", "score")
        if np.isfinite(v)
    }
    # residents of each part: its tiling areas' (a district's are those below it)
    tiles = {pk: tiling.get(pk, [pk]) for pk in wanted}
    pop_tile = defaultdict(float)
    for area_id, year, n in (
        Population.objects.filter(
            area_id__in={t for ts in tiles.values() for t in ts}, year__in=years
        )
        .values_list("area_id", "year")
        .annotate(n=Sum("count"))
        .order_by()
    ):
        pop_tile[area_id, year] = float(n)
    values = np.full((len(keys), len(years)), np.nan)
    present = np.zeros((len(keys), len(years)), dtype=bool)
    for i, key in enumerate(keys):
        parts = parts_of[key]
        for j, year in enumerate(years):
            vals = [score.get((p, year)) for p in parts]
            if not vals or any(v is None for v in vals):
                continue
            w = np.array([sum(pop_tile[t, year] for t in tiles[p]) for p in parts])
            w = w if w.sum() > 0 else np.ones(len(vals))
            values[i, j] = float(np.average(vals, weights=w))
            present[i, j] = True
    return values, present
