"""ORM -> arrays: the aggregated figures that area pages, maps and Overblik show."""

from collections import defaultdict

from django.db.models import Max, Sum

from hotspot.areas.models import AGE_BANDS, Area, AreaKind, Population
from hotspot.incidents.models import OffenceGroup, ReportCount


def population_by_year(area_ids) -> dict[int, dict[str, int]]:
    """{year: {age_band: residents}} summed over the given tiling areas and both sexes."""
    result: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(AGE_BANDS, 0))
    rows = (
        Population.objects.filter(area_id__in=area_ids)
        .values("year", "age_band")
        .annotate(n=Sum("count"))
        .order_by()
    )
    for r in rows:
        result[r["year"]][r["age_band"]] = r["n"]
    return dict(sorted(result.items()))


def reports_by_year(area_ids) -> dict[int, dict[str, int]]:
    """{year: {group: reports, "citizen_directed": n, "serious": n, "total": n}}."""
    groups = [g for g, _ in OffenceGroup.choices]
    result: dict[int, dict[str, int]] = {}
    rows = (
        ReportCount.objects.filter(area_id__in=area_ids)
        .values("year", "group")
        .annotate(n=Sum("reports"), cd=Sum("citizen_directed"), s=Sum("serious"))
        .order_by()
    )
    for r in rows:
        row = result.setdefault(
            r["year"], {**dict.fromkeys(groups, 0), "citizen_directed": 0, "serious": 0, "total": 0}
        )
        row[r["group"]] += r["n"]
        row["citizen_directed"] += r["cd"]
        row["serious"] += r["s"]
        row["total"] += r["n"]
    return dict(sorted(result.items()))


def rate_per_1000(count: int | None, residents: int | None) -> float | None:
    """METHODS.md §1: 1000 * count / residents; None (not 0) when there are no residents."""
    if count is None or not residents:
        return None
    return 1000.0 * count / residents


def latest_year(municipality) -> int | None:
    return ReportCount.objects.filter(area__municipality=municipality).aggregate(y=Max("year"))["y"]


def area_table(municipality, year: int | None = None) -> list[dict]:
    """One row per area: residents, reports and rate in ``year`` (default: the latest year with reports).

    Parent areas (district, municipality) and hotspot/control areas sum their tiling areas.
    """
    year = year or latest_year(municipality)
    areas = list(Area.objects.filter(municipality=municipality).select_related("parent"))
    residents = dict(
        Population.objects.filter(area__municipality=municipality, year=year)
        .values("area_id")
        .annotate(n=Sum("count"))
        .values_list("area_id", "n")
    )
    counts = {
        r["area_id"]: r
        for r in ReportCount.objects.filter(area__municipality=municipality, year=year)
        .values("area_id")
        .annotate(n=Sum("reports"), cd=Sum("citizen_directed"), s=Sum("serious"))
    }
    children: dict[int | None, list[Area]] = defaultdict(list)
    for a in areas:
        children[a.parent_id].append(a)
    memo: dict[int, tuple[int, int, int, int]] = {}

    def totals(area: Area) -> tuple[int, int, int, int]:
        if area.pk in memo:
            return memo[area.pk]
        if area.kind in (AreaKind.RODE, AreaKind.HOUSING):
            c = counts.get(area.pk, {})
            t = (residents.get(area.pk, 0), c.get("n", 0), c.get("cd", 0), c.get("s", 0))
        elif area.kind in (AreaKind.HOTSPOT, AreaKind.CONTROL) and area.parent_id:
            t = totals(area.parent)
        else:
            parts = [
                totals(ch)
                for ch in children[area.pk]
                if ch.kind not in (AreaKind.HOTSPOT, AreaKind.CONTROL)
            ]
            t = tuple(sum(p[i] for p in parts) for i in range(4)) if parts else (0, 0, 0, 0)
        memo[area.pk] = t
        return t

    rows = []
    for a in areas:
        pop, reports, cd, serious = totals(a)
        rows.append(
            {
                "area": a,
                "year": year,
                "residents": pop,
                "reports": reports,
                "citizen_directed": cd,
                "serious": serious,
                "rate": rate_per_1000(reports, pop),
                "citizen_directed_rate": rate_per_1000(cd, pop),
            }
        )
    return rows


def municipality_overview(municipality) -> dict:
    if municipality is None:
        return {}
    top = Area.objects.filter(municipality=municipality, kind=AreaKind.MUNICIPALITY).first()
    year = latest_year(municipality)
    table = area_table(municipality, year) if year else []
    whole = next((r for r in table if top and r["area"].pk == top.pk), None)
    worst = sorted(
        (
            r
            for r in table
            if r["area"].kind in (AreaKind.RODE, AreaKind.HOUSING) and r["rate"] is not None
        ),
        key=lambda r: -r["rate"],
    )[:5]
    return {
        "year": year,
        "whole": whole,
        "worst": worst,
        "area_count": len(table),
        "top_area": top,
    }


def survey_unsafe_by_year(area_ids, *, min_n: int = 20) -> list[dict]:
    """Weighted share answering 5-7 ("unsafe") on the 7-point safety item per survey year, with the
    Wilson interval on the effective n (METHODS.md §3); years with fewer than ``min_n`` answers are
    suppressed, never shown as 0."""
    from hotspot.surveys.models import SurveyResponse
    from safetystats.survey import grouped_shares

    rows = list(
        SurveyResponse.objects.filter(area_id__in=area_ids)
        .values_list("wave__year", "weight", "answers__safety")
        .order_by()
    )
    rows = [r for r in rows if r[2] is not None]
    if not rows:
        return []
    years, weights, answers = (list(col) for col in zip(*rows))
    result = grouped_shares(
        [int(a) for a in answers],
        [float(w) for w in weights],
        by=[int(y) for y in years],
        min_n=min_n,
    )
    out = []
    for k, year in enumerate(result.keys[0].tolist()):
        suppressed = bool(result.suppressed[k])
        out.append(
            {
                "year": int(year),
                "n": int(result.n[k]),
                "suppressed": suppressed,
                "share": None if suppressed else 100 * float(result.share[k]),
                "low": None if suppressed else 100 * float(result.low[k]),
                "high": None if suppressed else 100 * float(result.high[k]),
            }
        )
    return out
