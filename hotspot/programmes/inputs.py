"""ORM -> figures for programme pages: goal series and progress (METHODS.md §7), the scorecard, the
core areas, plan vs spend, overdue tasks, the next meetings and a meeting's draft agenda. The pages
that show them (the matrix, the board rule, the drawings, Overblik, the report) are ``pages.py``."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotspot import disclosure
from hotspot.areas.inputs import disclosure_plan
from hotspot.areas.models import Population
from hotspot.indicators import measures
from hotspot.programmes.models import (
    CoreArea,
    Goal,
    Measure,
    Meeting,
    Programme,
    Task,
    TaskStatus,
)

GREEN, AMBER, RED, NO_DATA = "green", "amber", "red", "none"
BAND_LABELS = {
    GREEN: _("On track"),
    AMBER: _("Behind"),
    RED: _("Off track"),
    NO_DATA: _("No data yet"),
}
BAND_ORDER = {RED: 0, AMBER: 1, NO_DATA: 2, GREEN: 3}


def today() -> dt.date:
    return timezone.localdate()


def _year_end(year: int) -> dt.date:
    return dt.date(year, 12, 31)


def goal_unit(goal: Goal, *, memo: dict | None = None) -> tuple[object, list[int]]:
    """(key, tiling area ids) of where the goal is measured: its own area, or else all of the
    programme's areas together (a hotspot and its composed members, each tiling area once). The key
    is the area's id when there is one area, so the area's small-cell plan applies as on its page."""
    memo = {} if memo is None else memo
    if goal.area_id is not None:
        areas = [goal.area]
    else:
        if "default_areas" not in memo:
            memo["default_areas"] = list(goal.programme.areas.order_by("code"))
        areas = memo["default_areas"]
    if not areas:
        return None, []
    key = areas[0].pk if len(areas) == 1 else ("programme", goal.programme_id)
    if ("ids", key) not in memo:
        ids: list[int] = []
        for area in areas:
            ids.extend(i for i in area.tiling_descendant_ids() if i not in ids)
        memo["ids", key] = ids
    return key, memo["ids", key]


def goal_series(goal: Goal, *, memo: dict | None = None) -> list[tuple[dt.date, float]]:
    """Stored values of the goal's measure as (date, value), oldest first.

    Yearly figures (indicators, crime reports) are dated 31 December of their year. ``memo`` lets the
    goals of one programme share the default area, the area ids and the yearly counts they read.
    """
    memo = {} if memo is None else memo
    if goal.measure == Measure.OWN:
        return [(v.date, v.value) for v in goal.values.all()]
    if goal.measure == Measure.TASKS_DONE:
        done = Task.objects.filter(plan_id=goal.action_plan_id, status=TaskStatus.DONE).count()
        return [(min(today(), goal.deadline), float(done))]
    if goal.measure == Measure.SAFETY_INDEX:
        return _index_series(goal, memo)
    unit, ids = goal_unit(goal, memo=memo)
    if not ids:
        return []
    code = str(goal.measure) if goal.measure in GOAL_MEASURES else None
    if goal.measure == Measure.INDICATOR:
        code = f"reg_{goal.indicator.code}" if goal.indicator_id else None
    if code is None:
        return []
    key = ("panel", unit, code)
    if key not in memo:
        municipality_id = goal.programme.municipality_id
        years_key = ("years", municipality_id)
        if years_key not in memo:
            memo[years_key] = _measure_years(municipality_id)
        plan_key = ("plan", municipality_id)
        if plan_key not in memo and code in measures.REPORT_MEASURES:
            memo[plan_key] = disclosure_plan(municipality_id)  # once for all goals of a page
        panel = measures.build_panel(
            {unit: ids},
            memo[years_key],
            [code],
            municipality_id=municipality_id,
            plan=memo.get(plan_key),
        )
        series = []
        for j, year in enumerate(panel.years):
            value = panel.values[0, j, 0]
            # the small-cell plan of every page: scorecards reach the board and partners, and a
            # hidden count's rate would give it away; the year shows as without data for every role
            small = panel.small[0, j, 0]
            if not isinstance(unit, int) and code in measures.REPORT_MEASURES:
                small = bool(disclosure.is_small_array(panel.counts[0, j, 0]))  # several areas
            if not panel.known[j, 0] or small or np.isnan(value):
                continue
            series.append((_year_end(year), round(float(value), 2)))
        memo[key] = series
    return memo[key]


def _index_series(goal: Goal, memo: dict) -> list[tuple[dt.date, float]]:
    """The goal's safety-index score per year: the latest successful run of the index's current
    version, for the goal's area or else the programme's areas (their mean, in years all of them
    have a score). An area the index did not score itself has the score of the areas it is made of
    (``indices.inputs.unit_scores``)."""
    from hotspot.indices.inputs import latest_run, unit_scores

    if goal.index_id is None:
        return []
    run = latest_run(goal.index.current)
    if run is None:
        return []
    areas = [goal.area] if goal.area_id else list(goal.programme.areas.order_by("code"))
    if not areas:
        return []
    years = list(run.years)
    values, present = unit_scores(run, {a.pk: a for a in areas}, years)
    series = []
    for j, year in enumerate(years):
        if present[:, j].all():
            series.append((_year_end(year), round(float(values[:, j].mean()), 2)))
    return series


def baseline_index_scores(programme: Programme) -> list[dict]:
    """The programme's baseline on the safety index: for each index its goals follow (or, without
    such a goal, each index of the municipality) that has a successful run of its current version, the
    score of each of the programme's areas in the last year of the run before the programme starts
    (``indices.inputs.unit_scores``, as a safety-index goal reads them; None where the area has no
    score that year). An index whose run has no year before the start is left out."""
    from hotspot.indices.inputs import latest_run, unit_scores
    from hotspot.indices.models import SafetyIndex

    areas = list(programme.areas.order_by("code"))
    if not areas:
        return []
    named = programme.goals.filter(measure=Measure.SAFETY_INDEX, index__isnull=False)
    indices = SafetyIndex.objects.filter(pk__in=named.values("index"))
    if not indices.exists():
        indices = SafetyIndex.objects.filter(municipality=programme.municipality)
    rows = []
    for index in indices.order_by("name", "pk"):
        run = latest_run(index.current)
        years = [
            int(y) for y in (run.years if run is not None else []) if int(y) < programme.start.year
        ]
        if not years:
            continue
        year = max(years)
        values, present = unit_scores(run, {a.pk: a for a in areas}, [year])
        scores = [
            (area, round(float(values[i, 0]), 2) if present[i, 0] else None)
            for i, area in enumerate(areas)
        ]
        rows.append({"index": index, "run": run, "year": year, "scores": scores})
    return rows


def milestone_for(goal: Goal, year: int) -> float | None:
    """The goal's milestone for ``year`` (None without one)."""
    for m in goal.milestones.all():
        if m.year == year:
            return m.target_value
    return None


#: The goal measures that are codes of the catalogue (hotspot.indicators.measures) themselves; an
#: indicator goal reads its register indicator's code, own counts and tasks are the programme's.
GOAL_MEASURES = (
    Measure.REPORT_RATE,
    Measure.CITIZEN_RATE,
    Measure.FOLLOWUP_COMPLETION,
    Measure.FOLLOWUP_DAYS,
)


def _measure_years(municipality_id: int) -> list[int]:
    """The years any yearly measure of the municipality can have: those with population."""
    return sorted(
        Population.objects.filter(area__municipality_id=municipality_id)
        .values_list("year", flat=True)
        .distinct()
    )


@dataclass
class GoalStatus:
    goal: Goal
    series: list = field(default_factory=list)
    current: float | None = None
    current_date: dt.date | None = None
    progress: float | None = None  # (x_t - x_base) / (target - x_base)
    expected: float | None = None  # share of the period from baseline to deadline that has passed
    milestone: float | None = None  # the milestone of the current value's year, when there is one
    band: str = NO_DATA

    @property
    def band_label(self):
        return BAND_LABELS[self.band]

    @property
    def progress_percent(self) -> int | None:
        return None if self.progress is None else round(100 * self.progress)

    @property
    def bar_percent(self) -> int:
        return 0 if self.progress is None else max(0, min(100, round(100 * self.progress)))


def progress(current: float, baseline: float, target: float) -> float:
    """METHODS.md §7: progress = (x_t - x_base) / (target - x_base); 1 = target met, < 0 = wrong way."""
    if target == baseline:
        raise ValueError(f"target must differ from baseline; got both {target}")
    return (current - baseline) / (target - baseline)


def band(progress_value: float | None, expected: float | None) -> str:
    """Red/amber/green: compare progress with the share of the period that has passed.

    Green: target met or at least 90 % of the progress the time elapsed calls for. Amber: at least half of
    it and not going the wrong way. Red: less, or going the wrong way. Too early to tell (under 10 % of the
    period) is green unless the goal is going the wrong way.
    """
    if progress_value is None or expected is None:
        return NO_DATA
    if progress_value >= 1:
        return GREEN
    if expected < 0.1:
        return GREEN if progress_value >= 0 else AMBER
    if progress_value >= 0.9 * expected:
        return GREEN
    if progress_value > 0 and progress_value >= 0.5 * expected:
        return AMBER
    return RED


def goal_status(
    goal: Goal, *, as_of: dt.date | None = None, memo: dict | None = None
) -> GoalStatus:
    as_of = min(as_of or today(), goal.deadline)
    series = goal_series(goal, memo=memo)
    status = GoalStatus(goal=goal, series=series)
    usable = [(d, v) for d, v in series if goal.baseline_date < d <= as_of]
    if not usable:
        return status
    status.current_date, status.current = usable[-1]
    milestone = milestone_for(goal, status.current_date.year)
    if milestone is not None:
        # the year's milestone is what the goal should have reached by now (not a straight line)
        status.milestone = milestone
        status.expected = max(0.0, progress(milestone, goal.baseline_value, goal.target_value))
    else:
        span = (goal.deadline - goal.baseline_date).days
        status.expected = max(0.0, min(1.0, (status.current_date - goal.baseline_date).days / span))
    status.progress = progress(status.current, goal.baseline_value, goal.target_value)
    status.band = band(status.progress, status.expected)
    return status


def scorecard(programme: Programme) -> list[GoalStatus]:
    """Every goal's status; the goals share their area look-ups and yearly counts (one query each)."""
    goals = programme.goals.select_related(
        "indicator", "area", "challenge", "programme", "index"
    ).prefetch_related("values", "milestones")
    memo = {}
    return [goal_status(g, memo=memo) for g in goals]


def summary_band(statuses) -> str:
    """The programme's colour: the worst band among goals with data."""
    bands = [s.band for s in statuses if s.band != NO_DATA]
    return min(bands, key=BAND_ORDER.get) if bands else NO_DATA


def band_counts(statuses) -> dict[str, int]:
    counts = dict.fromkeys((RED, AMBER, GREEN, NO_DATA), 0)
    for s in statuses:
        counts[s.band] += 1
    return counts


# --- core areas ------------------------------------------------------------------------------------


def core_areas_for(municipality):
    return CoreArea.objects.for_municipality(municipality).prefetch_related("elements")


# --- budget ----------------------------------------------------------------------------------------


def _sums_by(qs, key: str) -> dict:
    """{key value: summed amount} in one grouped query (None collects the rows without a key)."""
    return {
        row[key]: row["s"] or Decimal(0)
        for row in qs.order_by().values(key).annotate(s=Sum("amount"))
    }


def budget(programme: Programme, *, warn_days: int = 90) -> dict:
    """Granted, planned and spent per funder, per grant and per initiative; grants over budget and
    grants that end (or have ended) with money left."""
    now = today()
    zero = Decimal(0)
    planned_by_grant = _sums_by(programme.budget_lines.all(), "grant_id")
    spent_by_grant = _sums_by(programme.spend.all(), "grant_id")
    planned_by_initiative = _sums_by(programme.budget_lines.all(), "initiative_id")
    spent_by_initiative = _sums_by(programme.spend.all(), "initiative_id")
    grants = []
    for g in programme.grants.select_related("funder"):
        planned = planned_by_grant.get(g.pk, zero)
        spent = spent_by_grant.get(g.pk, zero)
        left = g.amount - spent
        grants.append(
            {
                "grant": g,
                "planned": planned,
                "spent": spent,
                "left": left,
                "over": spent > g.amount,
                "ends_with_money_left": left > 0 and g.end <= now + dt.timedelta(days=warn_days),
                "ended": g.end < now,
            }
        )
    funders = {}
    for row in grants:
        f = funders.setdefault(
            row["grant"].funder_id,
            {
                "funder": row["grant"].funder,
                "granted": Decimal(0),
                "planned": Decimal(0),
                "spent": Decimal(0),
            },
        )
        f["granted"] += row["grant"].amount
        f["planned"] += row["planned"]
        f["spent"] += row["spent"]
    initiatives = []
    for i in programme.initiatives.all():
        planned = planned_by_initiative.get(i.pk, zero)
        spent = spent_by_initiative.get(i.pk, zero)
        if planned or spent:
            initiatives.append({"initiative": i, "planned": planned, "spent": spent})
    unassigned_planned = planned_by_initiative.get(None, zero)
    unassigned_spent = spent_by_initiative.get(None, zero)
    totals = {
        "granted": sum((r["grant"].amount for r in grants), Decimal(0)),
        "planned": sum((r["planned"] for r in grants), Decimal(0)),
        "spent": sum((r["spent"] for r in grants), Decimal(0)),
    }
    return {
        "grants": grants,
        "funders": sorted(funders.values(), key=lambda f: f["funder"].name),
        "initiatives": initiatives,
        "unassigned": {"planned": unassigned_planned, "spent": unassigned_spent},
        "totals": totals,
        "warnings": [r for r in grants if r["over"] or r["ends_with_money_left"]],
    }


# --- tasks and meetings ----------------------------------------------------------------------------


def overdue_tasks(programmes) -> list[Task]:
    return list(
        Task.objects.filter(programme__in=programmes)
        .overdue(today())
        .select_related("programme", "plan", "owner", "focus_area", "place")
    )


def next_meetings(programmes, limit: int = 5) -> list[Meeting]:
    return list(
        Meeting.objects.filter(group__programme__in=programmes, date__gte=today())
        .select_related("group", "group__programme")
        .order_by("date")[:limit]
    )


def agenda_for(group, *, previous: Meeting | None) -> tuple[str, dict]:
    """A draft agenda: goals whose band changed since the previous meeting, and overdue tasks."""
    from django.utils.translation import (
        gettext,  # not an alias: makemessages only finds gettext and _
    )

    statuses = scorecard(group.programme)
    bands = {str(s.goal.pk): s.band for s in statuses}
    before = previous.bands if previous is not None else {}
    lines = [gettext("1. Approval of the agenda and of the minutes of the last meeting")]
    changed = [s for s in statuses if before.get(str(s.goal.pk), NO_DATA) != s.band]
    lines.append(gettext("2. Goals that changed band since the last meeting"))
    if changed:
        for s in changed:
            lines.append(f"   - {s.goal.title}: {BAND_LABELS[s.band]}")
    else:
        lines.append("   - " + gettext("none"))
    lines.append(gettext("3. Overdue tasks"))
    overdue = overdue_tasks([group.programme])
    if overdue:
        for t in overdue:
            owner = t.owner_label or "–"
            lines.append(f"   - {t.title} ({owner}, {t.due:%d.%m.%Y})")
    else:
        lines.append("   - " + gettext("none"))
    lines.append(gettext("4. Any other business"))
    return "\n".join(lines), bands
