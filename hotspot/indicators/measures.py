"""The measures layer: what every figure the platform computes per area and year is, and one builder
of the area × year panel that the safety index, the effect studies and the programme goals read.

A *measure* has one code, label, unit, direction, denominator and small-cell rule (:class:`Measure`,
:func:`catalogue`):

- ``reports_<group>``, ``reports_total``, ``reports_citizen_directed``, ``reports_serious``: reports
  located in the area per 1,000 residents (``ReportCount`` / ``Population``, METHODS.md §1); small
  counts follow the stored disclosure plan (``areas.inputs.disclosure_plan``);
- ``youth_charged``: distinct persons aged 10–17 (:data:`YOUTH_AGES`) charged, counted where they live,
  per 1,000 residents aged 10–17 (``safetystats.rates.charge_rates`` with ``YOUTH_BAND``); small below
  five persons;
- ``survey_*``: weighted shares (%) of one answer category of a survey item with its coding
  (:data:`SURVEY_ITEMS`; "unsafe" is ``safetystats.survey.SAFETY_CODING``, answers 5–7, and nothing
  else); cells with fewer than ``survey_min_n`` respondents are suppressed;
- ``reg_<code>``: register indicators of the catalogue, as delivered (a unit of several areas takes
  their population-weighted mean);
- ``safety_index``: the score of a safety-index run (built by ``evaluations`` from the run; listed here
  so that every outcome and goal is a code of this catalogue);
- measures of the apps above this layer, added with :func:`register_measure` (a ``Measure`` and a
  builder of its values; e.g. casework's ``followup_completion`` and ``followup_median_days``, from its
  ``AppConfig.ready``): listed after the safety index and built by ``build_panel`` like the rest. They
  measure the platform's own work, not an area's safety, so no safety index uses them.

:func:`build_panel` builds values, numerators, denominators, the years a municipality has data of each
kind and the small-cell flags for any set of *units* (an area, or a study area made of tiling areas)
and years. Missing is never zero: a rate without residents, a year without reports or charges in the
municipality, a suppressed survey cell and a register value not delivered are NaN.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from django.db.models import Sum
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext_lazy as _

from hotspot import disclosure
from hotspot.areas.models import YOUTH_BANDS, Population
from hotspot.incidents.inputs import report_count_rows
from hotspot.incidents.models import Charge, OffenceGroup, ReportCount
from hotspot.indicators.models import Direction, Indicator, IndicatorValue
from hotspot.surveys.inputs import tally_sums
from safetystats import rates as sr
from safetystats import survey as ss

#: Youth: ages 10–17, the one definition (the population bands are ``areas.models.YOUTH_BANDS``).
YOUTH_AGES: tuple[int, int] = sr.YOUTH_BAND["10-17"]
#: Survey measures: code -> (survey item, coding, category counted).
SURVEY_ITEMS = {
    "survey_unsafe": ("safety", ss.SAFETY_CODING, "unsafe"),
    "survey_unsafe_evening": ("unsafe_evening", {"yes": (1,), "no": (0,)}, "yes"),
    "survey_problem_vandalism": (
        "problem_vandalism",
        {"problem": (3, 4), "no_problem": (1, 2)},
        "problem",
    ),
    "survey_problem_drugs": ("problem_drugs", {"problem": (3, 4), "no_problem": (1, 2)}, "problem"),
    "survey_problem_harassment": (
        "problem_harassment",
        {"problem": (3, 4), "no_problem": (1, 2)},
        "problem",
    ),
}
#: Report measures: code -> the column of ``ReportCount`` (or "group") and the disclosure plan's name.
REPORT_MEASURES = {
    "reports_total": "reports",
    "reports_citizen_directed": "citizen_directed",
    "reports_serious": "serious",
    **{f"reports_{g}": str(g) for g, _label in OffenceGroup.choices},
}
#: Offence groups in the default index set (all but "other").
REPORT_GROUPS = [g for g, _label in OffenceGroup.choices if g != OffenceGroup.OTHER]
SAFETY_INDEX = "safety_index"


@dataclass(frozen=True)
class Measure:
    code: str
    label: str
    unit: str
    direction: str | None  # "good", "bad" or None (must be chosen)
    pillar: str
    theme: str
    default: bool  # part of the default set of an index preset
    denominator: str = ""  # "residents", "youths", "respondents" or "" (a value as delivered)
    small_cells: str = ""  # "plan" (disclosure plan), "count" (1–4 persons), "respondents" or ""

    @property
    def in_index(self) -> bool:
        """Whether a safety-index definition may use it (the score itself may not, nor a registered
        measure of the platform's own work)."""
        return self.code not in (SAFETY_INDEX, "reports_total") and self.code not in _REGISTERED


@dataclass(frozen=True)
class BuiltMeasure:
    """What the builder of a registered measure returns: arrays of (units, years), in the order of the
    units and years it was given."""

    values: np.ndarray  # NaN = missing
    counts: np.ndarray  # numerator
    denominators: np.ndarray
    small: np.ndarray | None = None  # the measure's small-cell rule says hide; None: nothing hidden
    known_years: frozenset[int] | None = None  # years the municipality has data; None: every year


#: A registered measure's builder: (units {key: area ids}, years, municipality_id=…) -> BuiltMeasure.
Builder = Callable[..., BuiltMeasure]
#: code -> (measure, builder), filled by register_measure.
_REGISTERED: dict[str, tuple[Measure, Builder]] = {}


def register_measure(measure: Measure, builder: Builder) -> None:
    """Add ``measure`` to the catalogue, built by ``builder(units, years, *, municipality_id)`` (units
    as :func:`build_panel` takes them, years a tuple of ints), which returns a :class:`BuiltMeasure`.

    For the apps above this layer, which this module must not import: they register from their
    ``AppConfig.ready``. Registering a code again replaces it; a code of the built-in catalogue is
    refused."""
    if _builtin_code(measure.code) or measure.code == SAFETY_INDEX:
        raise ValueError(f"register_measure: {measure.code!r} is a built-in measure's code")
    _REGISTERED[measure.code] = (measure, builder)


def catalogue(*, with_registers: bool = True) -> dict[str, Measure]:
    """Every measure, in a fixed order: reports, youth charges, survey items, register indicators."""
    per_1000 = _("per 1,000")
    out: dict[str, Measure] = {}
    for g, label in OffenceGroup.choices:
        out[f"reports_{g}"] = Measure(
            f"reports_{g}",
            _("Reports per 1,000 residents: %(group)s") % {"group": label},
            per_1000,
            "bad",
            "objective",
            str(g),
            g in REPORT_GROUPS,
            "residents",
            "plan",
        )
    out["reports_citizen_directed"] = Measure(
        "reports_citizen_directed",
        _("Citizen-directed reports per 1,000 residents"),
        per_1000,
        "bad",
        "objective",
        "citizen_directed",
        False,
        "residents",
        "plan",
    )
    out["reports_serious"] = Measure(
        "reports_serious",
        _("Serious and person-dangerous reports per 1,000 residents"),
        per_1000,
        "bad",
        "objective",
        "serious",
        False,
        "residents",
        "plan",
    )
    out["youth_charged"] = Measure(
        "youth_charged",
        _("Charged youths 10–17 per 1,000 residents 10–17 (by residence)"),
        per_1000,
        "bad",
        "objective",
        "youth",
        True,
        "youths",
        "count",
    )
    out["reports_total"] = Measure(
        "reports_total",
        _("Crime reports per 1,000 residents (all offences)"),
        per_1000,
        "bad",
        "objective",
        "all",
        False,
        "residents",
        "plan",
    )
    survey_labels = {
        "survey_unsafe": _("Residents who feel unsafe in their neighbourhood (answers 5–7)"),
        "survey_unsafe_evening": _("Residents who feel unsafe alone in the evening"),
        "survey_problem_vandalism": _("Residents who see vandalism as a problem"),
        "survey_problem_drugs": _("Residents who see drugs as a problem"),
        "survey_problem_harassment": _("Residents who see harassment and threats as a problem"),
    }
    for code, label in survey_labels.items():
        out[code] = Measure(
            code,
            label,
            "%",
            "bad",
            "subjective",
            "felt_safety" if code in ("survey_unsafe", "survey_unsafe_evening") else "problems",
            True,
            "respondents",
            "respondents",
        )
    out[SAFETY_INDEX] = Measure(
        SAFETY_INDEX,
        _("Safety index score (a chosen index definition version)"),
        _("score"),
        None,
        "",
        "index",
        False,
    )
    for code, (measure, _builder) in _REGISTERED.items():
        out[code] = measure
    if with_registers:
        direction = {Direction.HIGHER_IS_BETTER: "good", Direction.HIGHER_IS_WORSE: "bad"}
        for ind in Indicator.objects.order_by("code"):
            d = direction.get(ind.direction)
            out[f"reg_{ind.code}"] = Measure(
                f"reg_{ind.code}",
                ind.name,
                ind.unit,
                d,
                "socio_economic",
                "registers",
                d is not None,
            )
    return out


@dataclass(frozen=True)
class MeasurePanel:
    """Measures per unit and year; arrays are (units, years, codes) unless said otherwise."""

    keys: tuple  # the units' keys, in the order given
    years: tuple[int, ...]
    codes: tuple[str, ...]
    values: np.ndarray  # rate per 1,000, share in %, or the register value; NaN = missing
    counts: np.ndarray  # numerator: reports, distinct youths, weighted answers in the category
    denominators: np.ndarray  # residents, residents 10–17, weighted answers in the coding
    known: np.ndarray  # (years, codes): the municipality has data of the measure's kind that year
    small: (
        np.ndarray
    )  # the measure's small-cell rule says hide (plan, 1–4 persons, few respondents)

    def index(self, code: str) -> int:
        return self.codes.index(code)


def _unit_rows(units: Mapping) -> tuple[list, dict[int, list[int]]]:
    keys = list(units)
    of_area: dict[int, list[int]] = defaultdict(list)
    for u, key in enumerate(keys):
        for area_id in units[key]:
            of_area[int(area_id)].append(u)
    return keys, of_area


def build_panel(
    units: Mapping[object, Sequence[int]],
    years: Sequence[int],
    codes: Sequence[str],
    *,
    municipality_id: int,
    survey_min_n: int = 20,
    flags: bool = True,
    plan: dict | None = None,
    progress=None,
) -> MeasurePanel:
    """The panel of ``codes`` for ``units`` ({key: ids of the areas whose stored rows it sums}) and
    ``years``. An area may belong to several units; a person charged in two areas of one unit counts
    once.

    ``flags`` (default) also reads which years the municipality has data of each kind (``known``;
    without it every year is known) and the stored small-cell plan of report counts, for units whose
    key is an area id (without it no report count is flagged; the other rules follow from the panel).
    ``plan`` is that plan when the caller already read it (``areas.inputs.disclosure_plan``), so that
    several panels of one page read it once. ``progress`` (a function of the share done, 0–1) is told
    after each kind of measure, for a long computation's progress bar.
    """
    step = progress or (lambda share: None)
    codes = tuple(codes)
    years = tuple(int(y) for y in years)
    unknown = [c for c in codes if not _known_code(c)]
    if unknown:
        raise ValueError(f"unknown measures: {', '.join(unknown)}")
    keys, of_area = _unit_rows(units)
    areas = sorted(of_area)
    y_index = {y: j for j, y in enumerate(years)}
    shape = (len(keys), len(years), len(codes))
    values = np.full(shape, np.nan)
    counts = np.full(shape, np.nan)
    denominators = np.full(shape, np.nan)
    known = np.ones((len(years), len(codes)), dtype=bool)
    small = np.zeros(shape, dtype=bool)
    col = {c: k for k, c in enumerate(codes)}

    def add(target, area_id, j, value):
        for u in of_area.get(area_id, ()):
            target[u, j] += value

    residents = np.zeros(shape[:2])
    youths = np.zeros(shape[:2])
    residents_by_area: dict[tuple[int, int], float] = defaultdict(float)
    if areas and years:
        for area_id, year, band, n in (
            Population.objects.filter(area_id__in=areas, year__in=years)
            .values_list("area_id", "year", "age_band")
            .annotate(n=Sum("count"))
            .order_by()
        ):
            j = y_index[year]
            add(residents, area_id, j, n)
            residents_by_area[area_id, year] += n
            if band in YOUTH_BANDS:
                add(youths, area_id, j, n)

    step(0.2)
    wanted = [c for c in codes if c in REPORT_MEASURES]
    if wanted:
        _reports(wanted, col, areas, of_area, y_index, municipality_id, residents, values, counts)
        denominators[:, :, [col[c] for c in wanted]] = residents[:, :, None]
    if wanted and flags:
        report_years = set(
            ReportCount.objects.filter(area__municipality_id=municipality_id)
            .values_list("year", flat=True)
            .distinct()
        )
        for c in wanted:
            known[:, col[c]] = [y in report_years for y in years]
        if plan is None:
            from hotspot.areas.inputs import disclosure_plan  # the plan is the areas' (one home)

            plan = disclosure_plan(municipality_id, list(years))
        measure_of = {REPORT_MEASURES[c]: c for c in wanted}
        u_of_key = {k: u for u, k in enumerate(keys)}
        for j, year in enumerate(years):
            for (area_id, measure), _mark in plan.get(year, {}).items():
                c = measure_of.get(measure)
                if c is not None and area_id in u_of_key:
                    small[u_of_key[area_id], j, col[c]] = True

    step(0.5)
    if "youth_charged" in col:
        k = col["youth_charged"]
        count, rate = _youth(keys, of_area, areas, y_index, years, municipality_id, youths)
        values[:, :, k], counts[:, :, k], denominators[:, :, k] = rate, count, youths
        small[:, :, k] = disclosure.is_small_array(count)
        if flags:
            charge_years = set(
                Charge.objects.filter(municipality_id=municipality_id)
                .annotate(y=ExtractYear("charged_on"))
                .values_list("y", flat=True)
                .distinct()
            )
            known[:, k] = [y in charge_years for y in years]

    step(0.7)
    wanted = [c for c in codes if c in SURVEY_ITEMS]
    if wanted:
        _survey(wanted, col, units, y_index, survey_min_n, values, counts, denominators, small)

    step(0.85)
    wanted = {c[4:]: c for c in codes if c.startswith("reg_")}
    if wanted:
        _registers(wanted, col, of_area, areas, y_index, residents_by_area, values)

    step(0.95)
    for c in codes:
        if c in _REGISTERED:
            k = col[c]
            built = _REGISTERED[c][1](units, years, municipality_id=municipality_id)
            values[:, :, k], counts[:, :, k] = built.values, built.counts
            denominators[:, :, k] = built.denominators
            if built.small is not None:
                small[:, :, k] = built.small
            if flags and built.known_years is not None:
                known[:, k] = [y in built.known_years for y in years]
    step(1.0)

    return MeasurePanel(
        keys=tuple(keys),
        years=years,
        codes=codes,
        values=values,
        counts=counts,
        denominators=denominators,
        known=known,
        small=small,
    )


def _builtin_code(code: str) -> bool:
    return (
        code in REPORT_MEASURES
        or code in SURVEY_ITEMS
        or code == "youth_charged"
        or code.startswith("reg_")
    )


def _known_code(code: str) -> bool:
    return _builtin_code(code) or code in _REGISTERED


def _reports(wanted, col, areas, of_area, y_index, municipality_id, residents, values, counts):
    for c in wanted:
        counts[:, :, col[c]] = 0.0
    group_code = {str(g): f"reports_{g}" for g, _label in OffenceGroup.choices}
    for area_id, year, group, n, cd, serious in report_count_rows(areas, list(y_index)):
        j = y_index[year]
        for c, v in (
            (group_code.get(group), n),
            ("reports_total", n),
            ("reports_citizen_directed", cd),
            ("reports_serious", serious),
        ):
            if c in col:
                for u in of_area.get(area_id, ()):
                    counts[u, j, col[c]] += v
    for c in wanted:
        values[:, :, col[c]] = sr.rate(counts[:, :, col[c]], residents).rate


def _youth(keys, of_area, areas, y_index, years, municipality_id, youths):
    rows = list(
        Charge.objects.filter(municipality_id=municipality_id, area_id__in=areas)
        .annotate(y=ExtractYear("charged_on"))
        .values_list("area_id", "y", "person_key", "age")
    )
    unit, year, person, age = [], [], [], []
    for area_id, y, p, a in rows:
        if y in y_index:
            for u in of_area.get(area_id, ()):
                unit.append(u)
                year.append(y)
                person.append(p)
                age.append(a)
    br = sr.charge_rates(
        np.array(unit, dtype=float),
        np.array(year, dtype=float),
        np.array(person, dtype=object),
        np.array(age, dtype=float),
        youths[:, :, None],
        areas=np.arange(len(keys)),
        years=np.array(years),
        bands=sr.YOUTH_BAND,
    )
    return br.count[:, :, 0].astype(float), br.rate[:, :, 0]


def _survey(wanted, col, units, y_index, min_n, values, counts, denominators, small):
    """Shares of the survey tally through its one reader (``surveys.inputs.tally_sums``), suppressed
    below ``min_n`` respondents; numerator and denominator are the weighted answers in the category
    and in the coding (``safetystats.survey.weighted_share``, METHODS.md §3)."""
    for c in wanted:
        k = col[c]
        item, coding, category = SURVEY_ITEMS[c]
        sums = tally_sums(units, list(y_index), item, coding, category)
        shares = sums.shares(min_n=min_n)
        counts[:, :, k] = sums.hit
        denominators[:, :, k] = sums.sw
        values[:, :, k] = 100.0 * shares["share"]
        small[:, :, k] = shares["suppressed"]


def _registers(wanted, col, of_area, areas, y_index, residents_by_area, values):
    """Register values as delivered; a unit of several areas takes the mean over those with a value,
    weighted by their residents (equal weights where no area has residents that year)."""
    cells = defaultdict(list)  # (unit, year, code) -> [(value, residents)]
    for area_id, year, code, value in IndicatorValue.objects.filter(
        area_id__in=areas, indicator__code__in=list(wanted), year__in=list(y_index)
    ).values_list("area_id", "year", "indicator__code", "value"):
        if value is None:
            continue
        for u in of_area.get(area_id, ()):
            cells[u, y_index[year], col[wanted[code]]].append(
                (value, residents_by_area.get((area_id, year), 0))
            )
    for (u, j, k), pairs in cells.items():
        v = np.array([p[0] for p in pairs], dtype=float)
        w = np.array([p[1] for p in pairs], dtype=float)
        values[u, j, k] = (
            v[0] if len(v) == 1 else float(np.average(v, weights=w if w.sum() > 0 else None))
        )
