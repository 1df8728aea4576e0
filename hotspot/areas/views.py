from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotspot import disclosure
from hotspot.accounts.access import get_for_user, require_capability
from hotspot.accounts.roles import Capability
from hotspot.areas.geo import centimetres
from hotspot.areas.inputs import (
    area_table,
    disclosure_plan,
    latest_year,
    population_by_year,
    rates_per_1000,
    reports_by_year,
    survey_unsafe_by_year,
)
from hotspot.areas.models import AGE_BANDS, Area, AreaKind
from hotspot.incidents.models import CrimeReport, OffenceGroup
from hotspot.reports.exports import export_response, stream_export_response


@require_capability(Capability.VIEW_AGGREGATES)
def area_list(request):
    kind = request.GET.get("kind", "")
    raw = disclosure.may_see_raw(request.user, request.municipality)
    year = latest_year(request.municipality)
    rows = area_table(request.municipality, year, raw=raw)
    if kind in AreaKind.values:
        rows = [r for r in rows if r["area"].kind == kind]
    return render(
        request,
        "areas/area_list.html",
        {
            "rows": rows,
            "kinds": AreaKind.choices,
            "kind": kind,
            "year": year,
            "disclosure_note": None if raw else disclosure.note(),
        },
    )


AREA_COLUMNS = [
    (gettext_lazy("Code"), "area.code"),
    (gettext_lazy("Name"), "area.name"),
    (gettext_lazy("Kind"), lambda r: r["area"].get_kind_display()),
    (gettext_lazy("Part of"), lambda r: r["area"].parent.code if r["area"].parent else ""),
    (gettext_lazy("Year"), "year"),
    (gettext_lazy("Residents"), "residents"),
    (gettext_lazy("Reports"), "reports"),
    (gettext_lazy("Reports per 1,000"), "rate"),
]


@require_capability(Capability.VIEW_AGGREGATES)
def area_list_export(request, fmt):
    """The area list (aggregates) as CSV or XLSX; audited by export_response."""
    year = latest_year(request.municipality)
    rows = [
        {**r, "year": year, "area.code": r["area"].code, "area.name": r["area"].name}
        for r in area_table(
            request.municipality,
            year,
            raw=disclosure.may_see_raw(request.user, request.municipality),
        )
    ]
    return export_response(
        request, rows, AREA_COLUMNS, f"areas-{request.municipality.code}", fmt,
        object_type="areas.area",
    )  # fmt: skip


@require_capability(Capability.VIEW_AGGREGATES)
def area_map(request):
    return render(request, "areas/area_map.html", {"year": latest_year(request.municipality)})


@require_capability(Capability.VIEW_AGGREGATES)
def area_detail(request, pk):
    area = get_for_user(Area, request.user, Capability.VIEW_AGGREGATES, pk=pk)
    raw = disclosure.may_see_raw(request.user, area.municipality_id)
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
    survey = survey_unsafe_by_year(ids)
    chart["survey"] = {
        "years": [s["year"] for s in survey],
        "share": [s["share"] for s in survey],
        "low": [s["low"] for s in survey],
        "high": [s["high"] for s in survey],
    }
    can_raw = request.user.membership_for(area.municipality_id).can(Capability.VIEW_RAW_DATA)
    return render(
        request,
        "areas/area_detail.html",
        {
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
        },
    )


@require_capability(Capability.VIEW_AGGREGATES)
def area_reports_csv(request, pk):
    """Incident-level export (raw data): roles with view_raw_data only, and audited."""
    area = get_for_user(Area, request.user, Capability.VIEW_RAW_DATA, pk=pk)
    reports = (
        CrimeReport.objects.visible_to(request.user, Capability.VIEW_RAW_DATA)
        .filter(area_id__in=area.tiling_descendant_ids())
        .select_related("offence")
        .order_by("occurred_at", "external_id")
    )
    header = [_("report id"), _("time"), _("offence code"), _("offence"), "x", "y", "crs"]
    rows = (
        [
            r.external_id,
            r.occurred_at,
            r.offence.code,
            r.offence.name,
            centimetres(r.x),
            centimetres(r.y),
            "EPSG:25832",
        ]
        for r in reports.iterator(chunk_size=5000)
    )
    return stream_export_response(
        request,
        header,
        rows,
        f"reports-{area.code}",
        count=reports.count(),
        obj=area,
        municipality=area.municipality,
    )
