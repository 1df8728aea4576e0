"""ORM -> arrays: the aggregated figures that area pages, maps and Overblik show."""

import datetime as dt
import hashlib
from collections import defaultdict

import numpy as np
from django.db.models import Max, Sum
from django.utils import timezone

from hotspot import disclosure
from hotspot.areas.models import AGE_BANDS, Area, AreaKind, DisclosurePlan, Population, tiling_map
from hotspot.incidents.models import OffenceGroup, ReportCount
from safetystats.rates import rate


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
    """{year: {group: reports, "citizen_directed": n, "serious": n, "total": n}} summed over the
    given tiling areas (``incidents.inputs.report_count_rows``, the one reader of the counts)."""
    from hotspot.incidents.inputs import report_count_rows

    groups = [g for g, _ in OffenceGroup.choices]
    result: dict[int, dict[str, int]] = {}
    for _area, year, group, n, cd, serious in report_count_rows(area_ids):
        row = result.setdefault(
            year, {**dict.fromkeys(groups, 0), "citizen_directed": 0, "serious": 0, "total": 0}
        )
        row[group] += n
        row["citizen_directed"] += cd
        row["serious"] += serious
        row["total"] += n
    return dict(sorted(result.items()))


def rates_per_1000(counts, residents) -> list[float | None]:
    """METHODS.md §1 via :func:`safetystats.rates.rate`; None (shown as "–", never 0) without residents."""
    result = rate(counts, residents).rate
    return [None if np.isnan(v) else float(v) for v in result]


def rate_per_1000(count: int | None, residents: int | None) -> float | None:
    """One rate: :func:`rates_per_1000` of a single count (None when the count is missing)."""
    return None if count is None else rates_per_1000([count], [residents or 0])[0]


def latest_year(municipality) -> int | None:
    """The year the area figures show: the latest *complete* year with crime reports and population.

    Reports arrive weekly and population once a year, so the current calendar year is never taken (it is
    partial: :func:`partial_year` shows it as year to date), nor a year without population (its rates
    would all be "–"). Without any population, the latest complete year with reports.
    """
    current = timezone.localdate().year
    report_years = set(
        ReportCount.objects.filter(area__municipality=municipality, year__lt=current)
        .values_list("year", flat=True)
        .distinct()
    )
    if not report_years:
        return None
    population_years = set(
        Population.objects.filter(area__municipality=municipality, year__in=report_years)
        .values_list("year", flat=True)
        .distinct()
    )
    return max(population_years or report_years)


def partial_year(municipality, *, raw: bool = False) -> dict | None:
    """The current year so far: reports from 1 January to the latest report, against the same days of
    last year (year to date). None when no report of the current year has been imported."""
    from hotspot.incidents.models import CrimeReport

    today = timezone.localdate()
    reports = CrimeReport.objects.filter(municipality=municipality)
    start = dt.datetime.combine(
        dt.date(today.year, 1, 1), dt.time(), tzinfo=timezone.get_current_timezone()
    )
    last = reports.filter(occurred_at__gte=start).aggregate(last=Max("occurred_at"))["last"]
    if last is None:
        return None
    through = timezone.localtime(last).date()
    end = dt.datetime.combine(through + dt.timedelta(days=1), dt.time(), tzinfo=start.tzinfo)
    this_year = reports.filter(occurred_at__gte=start, occurred_at__lt=end).count()
    last_start = start.replace(year=today.year - 1)
    try:
        last_through = through.replace(year=today.year - 1)
    except ValueError:  # through 29 February: last year's days end on the 28th
        last_through = through.replace(year=today.year - 1, day=28)
    last_end = dt.datetime.combine(
        last_through + dt.timedelta(days=1), dt.time(), tzinfo=start.tzinfo
    )
    last_year = reports.filter(occurred_at__gte=last_start, occurred_at__lt=last_end).count()
    change = None if not last_year else 100.0 * (this_year - last_year) / last_year
    return {
        "year": today.year,
        "through": through,
        "reports": disclosure.count(this_year, raw=raw),
        "reports_last_year": disclosure.count(last_year, raw=raw),
        "change": change
        if raw or not (disclosure.is_small(this_year) or disclosure.is_small(last_year))
        else None,
    }


def area_table(municipality, year: int | None = None, *, raw: bool = False) -> list[dict]:
    """One row per area: residents, reports and rate in ``year`` (default: the latest year with reports).

    Parent areas (district, municipality) and hotspot/control areas sum their tiling areas. Unless
    ``raw`` (the viewer holds ``view_raw_data``), small counts and their rates are hidden by
    :mod:`hotspot.disclosure`, and the children of each parent are protected against
    recovery by subtraction from the parent's total.
    """
    year = year or latest_year(municipality)
    areas = list(Area.objects.filter(municipality=municipality).select_related("parent"))
    if not areas:
        return []
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
    members = tiling_map((a.pk, a.parent_id, a.kind) for a in areas)
    cols = ("n", "cd", "s")
    sums = np.array(
        [
            [sum(residents.get(m, 0) for m in members[a.pk])]
            + [sum(counts.get(m, {}).get(c, 0) for m in members[a.pk]) for c in cols]
            for a in areas
        ],
        dtype=np.int64,
    ).reshape(len(areas), 4)
    rates = rates_per_1000(sums[:, 1], sums[:, 0])
    cd_rates = rates_per_1000(sums[:, 2], sums[:, 0])
    rows = [
        {
            "area": a,
            "year": year,
            "residents": int(pop),
            "reports": int(reports),
            "citizen_directed": int(cd),
            "serious": int(serious),
            "rate": rates[k],
            "citizen_directed_rate": cd_rates[k],
        }
        for k, (a, (pop, reports, cd, serious)) in enumerate(zip(areas, sums))
    ]
    if raw:
        return rows
    return _disclosed(
        rows, disclosure_plan(getattr(municipality, "pk", municipality), [year]).get(year, {})
    )


_RATE_OF = {"reports": "rate", "citizen_directed": "citizen_directed_rate", "serious": None}
# Measures of a year's reports per area that pages show, and the two they imply but never show.
SHOWN_MEASURES = ("reports", "citizen_directed", "serious")
_IMPLIED = ("not_citizen_directed", "not_serious")


def disclosure_plan(
    municipality_id, years=None
) -> dict[int, dict[tuple[int, str], disclosure.Suppressed]]:
    """{year: {(area id, measure): SUPPRESSED | WITHHELD}}: the one plan of hidden report counts that
    every page, map, export and index of the municipality applies for roles without raw-data rights.

    Measures are ``reports`` (all), each offence group, ``citizen_directed`` and ``serious``. The cells
    are tied by sums — every district, municipality, hotspot and control area is the sum of its tiling
    areas, a year's reports the sum of its offence groups and of citizen-directed and other reports —
    and :func:`hotspot.disclosure.protect` hides small counts and whatever else a reader
    would need to work them out from any page. ``years`` limits the plan to those years (default: all).
    Each year's plan is stored (:class:`~hotspot.areas.models.DisclosurePlan`) with a digest of
    its counts and the areas; the task worker works it out after every import
    (:func:`hotspot.imports.tasks.refresh_figures_task`), and a page works out only a year
    whose counts changed since.
    """

    areas = list(
        Area.objects.filter(municipality_id=municipality_id)
        .order_by("pk")
        .values_list("pk", "parent_id", "kind")
    )
    counts = ReportCount.objects.filter(area__municipality_id=municipality_id)
    if years is not None:
        counts = counts.filter(year__in=list(years))
    by_year: dict[int, list] = defaultdict(list)
    for row in (
        counts.values_list("year", "area_id", "group")
        .annotate(n=Sum("reports"), cd=Sum("citizen_directed"), s=Sum("serious"))
        .order_by("year", "area_id", "group")
    ):
        by_year[row[0]].append(row[1:])
    stored = {
        p.year: p
        for p in DisclosurePlan.objects.filter(
            municipality_id=municipality_id, year__in=list(by_year)
        )
    }
    members = tiling_map(areas)
    plan = {}
    for year, rows in by_year.items():
        # Only areas with reports that year take part, each with its tiling areas that have them: an
        # area without reports (a new one, say) shows zeros, which give nothing away or change nothing.
        active = {row[0] for row in rows}
        linked = {pk: [t for t in members[pk] if t in active] for pk, _p, _k in areas}
        linked = {pk: ts for pk, ts in linked.items() if ts}
        # An area made of the same tiling areas as an earlier one (a hotspot drawn as a police area)
        # shows the same counts: it takes that area's marks and adds nothing to work out.
        first: dict[tuple, int] = {}
        same_as = {}
        for pk in sorted(linked, key=lambda pk: (linked[pk] != [pk], pk)):  # tiling areas first
            key = tuple(sorted(linked[pk]))
            if key in first:
                same_as[pk] = first[key]
            else:
                first[key] = pk
        linked = {pk: ts for pk, ts in linked.items() if pk not in same_as}
        digest = hashlib.sha256(
            repr((disclosure.min_cell(), sorted(linked.items()), rows)).encode()
        ).hexdigest()
        saved = stored.get(year)
        if saved is not None and saved.digest == digest:
            plan[year] = {
                (area_id, measure): disclosure.SUPPRESSED if mark == "<" else disclosure.WITHHELD
                for area_id, measure, mark in saved.cells
            }
        else:
            plan[year] = _plan_of_year(linked, rows)
            cells = [
                [area_id, measure, "<" if mark is disclosure.SUPPRESSED else "."]
                for (area_id, measure), mark in sorted(plan[year].items())
            ]
            DisclosurePlan.objects.update_or_create(
                municipality_id=municipality_id,
                year=year,
                defaults={"digest": digest, "cells": cells},
            )
        by_area = defaultdict(list)
        for (area_id, measure), mark in plan[year].items():
            by_area[area_id].append((measure, mark))
        for pk, canonical in same_as.items():
            for measure, mark in by_area.get(canonical, ()):
                plan[year][pk, measure] = mark
    return plan


_GROUPS = [g for g, _ in OffenceGroup.choices]
_MEASURES = (*SHOWN_MEASURES, *_GROUPS, *_IMPLIED)


def _constraints(members: dict[int, list[int]]):
    """The sums tying the cells of the areas in ``members`` ({area id: its tiling areas}) together."""
    constraints = []
    for pk, leaves in members.items():
        cell = {m: (pk, m) for m in _MEASURES}
        constraints.append((cell["reports"], [cell[g] for g in _GROUPS]))
        constraints.append(
            (cell["reports"], [cell["citizen_directed"], cell["not_citizen_directed"]])
        )
        constraints.append((cell["reports"], [cell["serious"], cell["not_serious"]]))
        if leaves != [pk]:
            for m in _MEASURES:
                constraints.append((cell[m], [(leaf, m) for leaf in leaves]))
    return constraints


def _plan_of_year(members: dict[int, list[int]], rows) -> dict:
    leaf: dict = defaultdict(int)
    for area_id, group, n, cd, serious in rows:
        leaf[area_id, group] += n
        leaf[area_id, "reports"] += n
        leaf[area_id, "citizen_directed"] += cd
        leaf[area_id, "not_citizen_directed"] += n - cd
        leaf[area_id, "serious"] += serious
        leaf[area_id, "not_serious"] += n - serious
    values = {
        (pk, m): sum(leaf.get((t, m), 0) for t in leaves)
        for pk, leaves in members.items()
        for m in _MEASURES
    }
    unpublished = {(pk, m) for pk in members for m in _IMPLIED}
    hidden = disclosure.protect(values, _constraints(members), unpublished=unpublished)
    return {c: mark for c, mark in hidden.items() if c not in unpublished}


def _disclosed(rows: list[dict], hidden: dict) -> list[dict]:
    """The area table for a viewer without raw-data rights: the cells of :func:`disclosure_plan`
    replaced by their marker, and the rates computed from them hidden too."""
    out = []
    for r in rows:
        r = dict(r)
        for c, rate_key in _RATE_OF.items():
            mark = hidden.get((r["area"].pk, c))
            if mark is not None:
                r[c] = mark
                if rate_key:
                    r[rate_key] = None
        out.append(r)
    return out


def municipality_overview(municipality, *, raw: bool = False) -> dict:
    if municipality is None:
        return {}
    year = latest_year(municipality)
    table = area_table(municipality, year, raw=raw) if year else []
    whole = next((r for r in table if r["area"].kind == AreaKind.MUNICIPALITY), None)
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
        "partial": partial_year(municipality, raw=raw),
        "whole": whole,
        "worst": worst,
        "area_count": len(table),
    }


def survey_unsafe_by_year(area_ids, *, min_n: int = 20) -> list[dict]:
    """Weighted share answering 5-7 ("unsafe") on the 7-point safety item per survey year, with the
    Wilson interval on the effective n (METHODS.md §3); years with fewer than ``min_n`` answers are
    suppressed, never shown as 0.

    Read from the survey tally through its one reader (``surveys.inputs``: a few rows per area and
    year instead of every answer; a district or the whole municipality is tens of thousands of
    answers); a test checks the result against ``weighted_share`` on the raw answers.
    """
    from hotspot.surveys.inputs import share_rows, tally_sums
    from safetystats.survey import SAFETY_CODING

    sums = tally_sums({0: list(area_ids)}, None, "safety", SAFETY_CODING, "unsafe")
    return share_rows(sums, 0, min_n=min_n)
