"""What the area pages show: an area's population, crime trend and felt safety by year, with the
small-cell rule applied for the roles that see aggregates only."""

from hotspot import disclosure
from hotspot.areas.inputs import (
    disclosure_plan,
    population_by_year,
    rates_per_1000,
    reports_by_year,
    survey_unsafe_by_year,
)
from hotspot.areas.models import AGE_BANDS
from hotspot.incidents.models import OffenceGroup

#: Figures of the apps above this one shown beside the area's own (the municipality and Denmark as a
#: whole, from Statistics Denmark): registered with :func:`register_comparison` from the app's
#: ``AppConfig.ready``, as measures are registered with the measures layer; this app imports none.
_COMPARISON = []


def register_comparison(builder) -> None:
    """``builder(area, years, raw=…)`` -> the rows of the area page's comparison table."""
    _COMPARISON[:] = [builder]


def area_detail(area, *, raw: bool, can_raw: bool) -> dict:
    """The area page: ``raw`` is whether the reader sees counts under the small-cell rule's threshold,
    ``can_raw`` whether they may download the incident-level reports."""
    ids = area.tiling_descendant_ids()
    population = population_by_year(ids)
    reports = reports_by_year(ids)
    groups = OffenceGroup.choices
    years = sorted(set(population) | set(reports))
    residents = [sum(population.get(y, {}).values()) for y in years]
    totals = [reports.get(y, {}).get("total", 0) for y in years]
    cds = [reports.get(y, {}).get("citizen_directed", 0) for y in years]
    rates = rates_per_1000(totals, residents)
    cd_rates = rates_per_1000(cds, residents)
    plan = {} if raw else disclosure_plan(area.municipality_id)

    def shown(year, measure, value):
        return plan.get(year, {}).get((area.pk, measure), value)

    trend = [
        {
            "year": year,
            "residents": residents[k] or None,
            "total": shown(year, "reports", totals[k]),
            "rate": disclosure.rate_of(shown(year, "reports", totals[k]), rates[k]),
            "citizen_directed_rate": disclosure.rate_of(
                shown(year, "citizen_directed", cds[k]), cd_rates[k]
            ),
            "groups": [shown(year, g, reports.get(year, {}).get(g, 0)) for g, _label in groups],
        }
        for k, year in enumerate(years)
    ]
    survey = survey_unsafe_by_year(ids)
    chart = _chart(years, population, trend, groups, survey)
    return {
        "area": area,
        "children": area.children.order_by("kind", "code"),
        "trend": trend,
        "population": [
            (y, [population[y].get(b, 0) for b in AGE_BANDS], sum(population[y].values()))
            for y in population
        ],
        "age_bands": AGE_BANDS,
        "groups": groups,
        "chart": chart,
        "survey": survey,
        "can_raw": can_raw,
        "disclosure_note": None if raw else disclosure.note(),
        "comparison": _COMPARISON[0](area, years, raw=raw) if _COMPARISON else [],
    }


def _chart(years, population, trend, groups, survey) -> dict:
    """The figures the page's charts draw (each chart has a table with the same figures)."""
    chart = {
        "years": years,
        "population": {
            "labels": list(AGE_BANDS),
            "series": [[population.get(y, {}).get(b, 0) for y in years] for b in AGE_BANDS],
        },
        "reports": {
            "labels": [str(label) for _g, label in groups],
            "series": [
                [disclosure.js(row["groups"][k]) for row in trend] for k in range(len(groups))
            ],
        },
        "rate": [row["rate"] for row in trend],
    }
    chart["survey"] = {
        "years": [s["year"] for s in survey],
        "share": [s["share"] for s in survey],
        "low": [s["low"] for s in survey],
        "high": [s["high"] for s in survey],
    }
    return chart
