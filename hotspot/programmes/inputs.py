"""ORM -> figures for programme pages: goal series and progress (METHODS.md §7), the scorecard, the
core-area matrix, the board rule, plan vs spend, and the coordinator's Overblik."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.db.models import Prefetch, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.roles import Capability
from hotspot.areas.inputs import disclosure_plan
from hotspot.areas.models import Population
from hotspot.indicators import measures
from hotspot.programmes.models import (
    ChangeNode,
    CoreArea,
    CoreAreaWeight,
    Goal,
    GroupKind,
    GroupMember,
    Level,
    Measure,
    Meeting,
    Programme,
    ProgrammeStatus,
    TargetKind,
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


def goal_area_ids(goal: Goal, *, memo: dict | None = None) -> list[int]:
    memo = {} if memo is None else memo
    if goal.area_id is not None:
        area = goal.area
    else:
        if "default_area" not in memo:
            memo["default_area"] = goal.programme.areas.order_by("code").first()
        area = memo["default_area"]
    if area is None:
        return []
    if ("ids", area.pk) not in memo:
        memo["ids", area.pk] = area.tiling_descendant_ids()
    return memo["ids", area.pk]


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
    ids = goal_area_ids(goal, memo=memo)
    if not ids:
        return []
    code = GOAL_MEASURES.get(goal.measure)
    if goal.measure == Measure.INDICATOR:
        code = f"reg_{goal.indicator.code}" if goal.indicator_id else None
    if code is None:
        return []
    area_id = goal.area_id or memo["default_area"].pk
    key = ("panel", area_id, code)
    if key not in memo:
        municipality_id = goal.programme.municipality_id
        years_key = ("years", municipality_id)
        if years_key not in memo:
            memo[years_key] = _measure_years(municipality_id)
        plan_key = ("plan", municipality_id)
        if plan_key not in memo and code in measures.REPORT_MEASURES:
            memo[plan_key] = disclosure_plan(municipality_id)  # once for all goals of a page
        panel = measures.build_panel(
            {area_id: ids},
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
            if not panel.known[j, 0] or panel.small[0, j, 0] or np.isnan(value):
                continue
            series.append((_year_end(year), round(float(value), 2)))
        memo[key] = series
    return memo[key]


#: The goal measures that are measures of the catalogue (hotspot.indicators.measures); an indicator
#: goal reads its register indicator, own counts and tasks are the programme's.
GOAL_MEASURES = {
    Measure.REPORT_RATE: "reports_total",
    Measure.CITIZEN_RATE: "reports_citizen_directed",
}


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
    span = (goal.deadline - goal.baseline_date).days
    status.expected = max(0.0, min(1.0, (status.current_date - goal.baseline_date).days / span))
    status.progress = progress(status.current, goal.baseline_value, goal.target_value)
    status.band = band(status.progress, status.expected)
    return status


def scorecard(programme: Programme) -> list[GoalStatus]:
    """Every goal's status; the goals share their area look-ups and yearly counts (one query each)."""
    goals = programme.goals.select_related(
        "indicator", "area", "challenge", "programme"
    ).prefetch_related("values")
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


@dataclass
class MatrixCell:
    core_area: CoreArea
    level: str
    weight: int
    initiatives: list

    @property
    def is_gap(self) -> bool:
        return not self.initiatives and self.weight >= 2

    @property
    def is_cluster(self) -> bool:
        return len(self.initiatives) >= 3


def matrix(programme: Programme) -> dict:
    """Core areas x fields: initiatives per cell, the programme's weight, clusters and gaps; and the
    target groups that several initiatives compete for (the handbook's "same small target group")."""
    weights = {
        (w.core_area_id, w.level): w.weight
        for w in CoreAreaWeight.objects.filter(programme=programme)
    }
    initiatives = list(programme.initiatives.prefetch_related("core_areas", "funders"))
    rows = []
    for ca in core_areas_for(programme.municipality):
        cells = []
        for level, _label in Level.choices:
            here = [i for i in initiatives if i.level == level and ca in list(i.core_areas.all())]
            cells.append(MatrixCell(ca, level, weights.get((ca.pk, level), 0), here))
        rows.append((ca, cells))
    groups = defaultdict(list)
    for i in initiatives:
        key = " ".join(i.target_group.lower().split())
        if key:
            groups[key].append(i)
    competing = [
        {"target_group": items[0].target_group, "initiatives": items}
        for _key, items in sorted(groups.items())
        if len(items) >= 2
    ]
    gaps = [c for _ca, cells in rows for c in cells if c.is_gap]
    clusters = [c for _ca, cells in rows for c in cells if c.is_cluster]
    return {
        "rows": rows,
        "levels": Level.choices,
        "competing": competing,
        "gaps": gaps,
        "clusters": clusters,
    }


def board_check(programme: Programme) -> dict:
    """The framework's rule: the hotspot board has one member from each core area (1a-1c count as 1)."""
    pillars = {}
    for ca in core_areas_for(programme.municipality):
        pillars.setdefault(ca.pillar, ca)
    members = Prefetch("members", queryset=GroupMember.objects.select_related("core_area"))
    boards = list(programme.groups.filter(kind=GroupKind.BOARD).prefetch_related(members))
    covered = defaultdict(list)
    for board in boards:
        for m in board.members.all():
            if m.core_area_id:
                covered[m.core_area.pillar].append(m)
    missing = [ca for pillar, ca in pillars.items() if pillar not in covered]
    several = [(pillars.get(p), members) for p, members in covered.items() if len(members) > 1]
    return {
        "has_board": bool(boards),
        "missing": missing,
        "several": several,
        "ok": bool(boards) and not missing and not several,
    }


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
        .select_related("programme", "plan", "owner", "focus_area")
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


# --- Overblik ---------------------------------------------------------------------------------------


def overview_context(request) -> dict:
    """Context for ``programmes/overview_fragment.html`` on Overblik.

    Coordinators (manage_programmes) get their programmes with the scorecard colour, overdue tasks, their
    own open tasks and the next meetings; everyone else with view_aggregates (board, partners) gets the
    programmes' scorecard colours and the report links only.
    """
    membership = getattr(request, "membership", None)
    if membership is None or not membership.can(Capability.VIEW_AGGREGATES):
        return {"programme_overview": None}
    programmes = list(
        Programme.objects.visible_to(request.user)
        .in_municipality(request.municipality)
        .exclude(status=ProgrammeStatus.ENDED)
        .prefetch_related("areas")
    )
    rows = []
    for p in programmes:
        statuses = scorecard(p)
        rows.append(
            {"programme": p, "band": summary_band(statuses), "counts": band_counts(statuses)}
        )
    manages = membership.can(Capability.MANAGE_PROGRAMMES)
    context = {"rows": rows, "manages": manages}
    if manages:
        context["overdue"] = overdue_tasks(programmes)
        context["mine"] = list(
            Task.objects.filter(programme__in=programmes, owner=request.user)
            .open()
            .select_related("programme", "plan", "owner")
        )
        context["meetings"] = next_meetings(programmes)
    return {"programme_overview": context}


# --- drawings (inline SVG on pages and in the PDF) --------------------------------------------------


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return lines or [""]


KIND_COLUMNS = (TargetKind.ACTIVITY, TargetKind.RESULT, TargetKind.EFFECT)


def _change_nodes(**filters):
    return (
        ChangeNode.objects.filter(**filters)
        .prefetch_related("leads_to", "initiatives", "goals")
        .order_by("pk")
    )


def theory_layouts(programme: Programme) -> list[tuple]:
    """(challenge, :func:`theory_layout`) for each of the programme's challenges, from one node query."""
    nodes = defaultdict(list)
    for node in _change_nodes(theory__challenge__programme=programme).select_related("theory"):
        nodes[node.theory.challenge_id].append(node)
    return [(c, theory_layout(c, nodes=nodes[c.pk])) for c in programme.challenges.all()]


def theory_layout(challenge, *, nodes=None, box_width: int = 230, column_gap: int = 70) -> dict:
    """Boxes in three columns (activities -> results -> effects) and the arrows between them."""
    if nodes is None:
        nodes = list(_change_nodes(theory__challenge=challenge))
    line_h, pad, gap, top = 15, 8, 14, 34
    boxes, heights = {}, [top] * 3
    for node in nodes:
        col = KIND_COLUMNS.index(node.kind)
        lines = _wrap(node.text, 32)
        h = pad * 2 + line_h * len(lines)
        x = 10 + col * (box_width + column_gap)
        y = heights[col]
        heights[col] += h + gap
        boxes[node.pk] = {
            "node": node,
            "x": x,
            "y": y,
            "w": box_width,
            "h": h,
            "lines": [(y + pad + line_h * (i + 1) - 4, text) for i, text in enumerate(lines)],
            "cx": x + box_width / 2,
            "tx": x + pad,
        }
    edges = []
    for node in nodes:
        a = boxes[node.pk]
        for target in node.leads_to.all():
            b = boxes.get(target.pk)
            if b is None:
                continue
            x1, y1 = a["x"] + a["w"], a["y"] + a["h"] / 2
            x2, y2 = b["x"], b["y"] + b["h"] / 2
            if x2 <= x1:  # same column or backwards: route along the left edge
                x1, x2 = a["x"], b["x"]
            mid = (x1 + x2) / 2
            edges.append(
                {
                    "d": f"M{x1:.0f},{y1:.0f} C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
                }
            )
    width = 20 + 3 * box_width + 2 * column_gap
    headers = [
        (10 + i * (box_width + column_gap) + box_width / 2, label)
        for i, label in enumerate(TargetKind.labels)
    ]
    return {
        "boxes": list(boxes.values()),
        "edges": edges,
        "width": width,
        "height": max(heights) + 10,
        "headers": headers,
        "empty": not nodes,
    }


def chart_geometry(status: GoalStatus, *, width: int = 520, height: int = 200) -> dict:
    """Coordinates of a goal's trend for an inline SVG: values, baseline marker, target line, deadline."""
    goal = status.goal
    left, right, top, bottom = 52, 14, 12, 26
    dates = [d for d, _v in status.series] + [goal.baseline_date, goal.deadline]
    values = [v for _d, v in status.series] + [goal.baseline_value, goal.target_value]
    d0, d1 = min(dates), max(dates)
    v0, v1 = min(values), max(values)
    pad = (v1 - v0) * 0.1 or 1.0
    v0, v1 = (max(0.0, v0 - pad) if v0 >= 0 else v0 - pad), v1 + pad
    span = max(1, (d1 - d0).days)

    def x(d):
        return left + (width - left - right) * (d - d0).days / span

    def y(v):
        return top + (height - top - bottom) * (1 - (v - v0) / (v1 - v0))

    points = [(round(x(d), 1), round(y(v), 1)) for d, v in status.series]
    years = sorted({d.year for d in dates})
    step = max(1, len(years) // 6)
    ticks = [
        (round(x(dt.date(yr, 1, 1)), 1), yr) for yr in years[::step] if dt.date(yr, 1, 1) >= d0
    ]
    yticks = [(round(y(v), 1), v) for v in (v0 + (v1 - v0) * f for f in (0, 0.5, 1))]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "bottom": height - bottom,
        "top": top,
        "polyline": " ".join(f"{px},{py}" for px, py in points),
        "points": points,
        "target_y": round(y(goal.target_value), 1),
        "baseline": (round(x(goal.baseline_date), 1), round(y(goal.baseline_value), 1)),
        "deadline_x": round(x(goal.deadline), 1),
        "xticks": ticks,
        "yticks": yticks,
    }
