"""What the Statistics Denmark page shows (the configured tables, their last fetches, the stored
figures), and Statbank's figures beside an area's own on the area page (:func:`comparison`)."""

from collections import defaultdict

import numpy as np

from hotspot.imports import statbank as statbank_sync
from hotspot.indicators import measures, statbank
from hotspot.indicators.models import Indicator, IndicatorValue, NationalValue


def statbank_page(municipality, user) -> dict:
    """The Statistics Denmark page: the configured tables with the last fetch of each, the recent
    fetches, the figures stored for the municipality and Denmark, and whether a fetch is under way."""
    from hotspot.accounts.roles import Capability

    Batch = statbank_sync.batch_model()
    batches = list(
        Batch.objects.visible_to(user, Capability.IMPORT_DATA)
        .in_municipality(municipality)
        .filter(kind=statbank_sync.KIND)
        .select_related("created_by")[:30]
    )
    tables = []
    for spec in statbank_sync.TABLES:
        last = next(
            (b for b in batches if spec.table in (b.parameters or {}).get("tables", [])), None
        )
        tables.append(
            {
                "spec": spec,
                "choices": spec.choices(),
                "measures": [m for m in statbank_sync.MEASURES if spec.table in m.tables],
                "last": last,
            }
        )
    area = statbank_sync.municipality_area(municipality)
    return {
        "municipality": municipality,
        "area": area,
        "tables": tables,
        "batches": batches[:10],
        "running": statbank_sync.running_fetch(municipality),
        "figures": stored_figures(area),
        "licence": statbank.LICENCE,
    }


def stored_figures(area, *, last: int = 6) -> list[dict]:
    """Per Statbank measure: (year, the municipality's value, Denmark's value) of its ``last`` years
    stored; nothing without the municipality's area."""
    if area is None:
        return []
    codes = list(statbank_sync.MEASURE_BY_CODE)
    local, national = defaultdict(dict), defaultdict(dict)
    for code, year, value in IndicatorValue.objects.filter(
        area=area, indicator__code__in=codes
    ).values_list("indicator__code", "year", "value"):
        local[code][year] = value
    for code, year, value in NationalValue.objects.filter(indicator__code__in=codes).values_list(
        "indicator__code", "year", "value"
    ):
        national[code][year] = value
    out = []
    for m in statbank_sync.MEASURES:
        years = sorted(set(local[m.code]) | set(national[m.code]))[-last:]
        if years:
            rows = [(y, local[m.code].get(y), national[m.code].get(y)) for y in years]
            out.append({"measure": m, "rows": rows})
    return out


def comparison(area, years, *, raw: bool = True, own: bool = True) -> list[dict]:
    """Per measure fetched from Statistics Denmark: the area's own value, the municipality's and
    Denmark's, for those of ``years`` that the municipality or Denmark has a value of.

    The area's own figure is the panel's (``measures.build_panel``: reports located in the area per
    1,000 residents, and its residents); a measure the panel has no area figure of (charges of all
    ages) shows none. ``raw`` False hides the area's rate where the small-cell plan says so. ->
    ``[{"measure", "name", "unit", "digits", "rows": [{"year", "area", "municipality",
    "denmark"}]}]``; empty when nothing was fetched. ``own`` False leaves the area's own figures out
    (``"area"`` None): a caller that has them already (a goal's series) saves the panel."""
    years = sorted({int(y) for y in years})
    codes = list(statbank_sync.MEASURE_BY_CODE)
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=codes)} if years else {}
    if not indicators:
        return []
    local, national = defaultdict(dict), defaultdict(dict)
    home = statbank_sync.municipality_area(area.municipality)
    if home is not None:
        for code, year, value in IndicatorValue.objects.filter(
            area=home, indicator__code__in=codes, year__in=years
        ).values_list("indicator__code", "year", "value"):
            local[code][year] = value
    for code, year, value in NationalValue.objects.filter(
        indicator__code__in=codes, year__in=years
    ).values_list("indicator__code", "year", "value"):
        national[code][year] = value
    shown = [y for y in years if any(y in local[c] or y in national[c] for c in codes)]
    if not shown:
        return []
    own = _own_figures(area, shown, raw=raw) if own else {}
    out = []
    for m in statbank_sync.MEASURES:
        if m.code not in indicators or not (local[m.code] or national[m.code]):
            continue
        rows = [
            {
                "year": y,
                "area": own.get(m.own, {}).get(y),
                "municipality": local[m.code].get(y),
                "denmark": national[m.code].get(y),
            }
            for y in shown
            if y in local[m.code] or y in national[m.code]
        ]
        out.append(
            {
                "measure": m.code,
                "name": indicators[m.code].name,
                "unit": indicators[m.code].unit,
                "digits": m.digits,
                "has_own": bool(m.own),
                "rows": rows,
            }
        )
    return out


def _own_figures(area, years, *, raw: bool) -> dict[str, dict[int, float]]:
    """{"reports_total": {year: rate}, "residents": {year: residents}} of ``area`` from the panel;
    a year without residents or report data, or hidden by the small-cell plan, has none."""
    panel = measures.build_panel(
        {area.pk: area.tiling_descendant_ids()},
        years,
        ["reports_total"],
        municipality_id=area.municipality_id,
    )
    rates, residents = {}, {}
    for j, year in enumerate(panel.years):
        value = panel.values[0, j, 0]
        den = panel.denominators[0, j, 0]
        if den and not np.isnan(den):
            residents[year] = float(den)
        if panel.known[j, 0] and not np.isnan(value) and (raw or not panel.small[0, j, 0]):
            rates[year] = float(value)
    return {"reports_total": rates, "residents": residents}


def show_on_area_page() -> None:
    """Put :func:`comparison` beside the area's own figures on the area page: the areas app sits
    below this one and must not import it, so this app registers it (``IndicatorsConfig.ready``)."""
    from hotspot.areas.pages import register_comparison

    register_comparison(comparison)
