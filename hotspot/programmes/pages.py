"""Programme pages: the context of every page, the drawings, the report and its workbook.

Page functions take model objects, the municipality and the user and return what a template shows.
They never see the request, so a test calls them without the client; the views (``views.py``) fetch
through the access helpers, call these and render. The figures they show come from ``inputs``.
"""

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Prefetch, prefetch_related_objects
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from hotspot.accounts.roles import Capability
from hotspot.areas.geo import BUFFER_METRES
from hotspot.downloads import xlsx_cell
from hotspot.programmes import access, actions, inputs
from hotspot.programmes.forms import TaskProgressForm
from hotspot.programmes.inputs import (
    GoalStatus,
    band_counts,
    budget,
    core_areas_for,
    next_meetings,
    overdue_tasks,
    scorecard,
    summary_band,
)
from hotspot.programmes.models import (
    ApprovalDecision,
    ChangeNode,
    CoreArea,
    CoreAreaWeight,
    GroupKind,
    GroupMember,
    Level,
    Measure,
    Programme,
    ProgrammeStatus,
    TargetKind,
    Task,
    TaskStatus,
    TaskUpdate,
)

VIEW = Capability.VIEW_AGGREGATES
MANAGE = Capability.MANAGE_PROGRAMMES


def can_manage(user, programme) -> bool:
    membership = user.membership_for(programme.municipality_id)
    return membership is not None and membership.can(MANAGE)


# --- forms -----------------------------------------------------------------------------------------


def _stored_value(instance, name):
    """What ``instance`` holds in field ``name``, as a person reads it: the chosen label, the linked
    object's name (a user's full name), never a raw code or database id."""
    from django.contrib.auth import get_user_model

    try:
        field = instance._meta.get_field(name)
    except FieldDoesNotExist:
        return getattr(instance, name, None)
    if field.many_to_many:
        return ", ".join(str(o) for o in getattr(instance, name).all())
    if field.is_relation:
        obj = getattr(instance, name)
        if isinstance(obj, get_user_model()):
            return obj.get_full_name() or obj.get_username()
        return obj
    if field.choices:
        return getattr(instance, f"get_{name}_display")()
    return getattr(instance, name)


def conflict_rows(form, conflict):
    """(label, stored value) for each visible field of the form, from the version saved meanwhile.

    Read afresh from the database: validating the form that keeps this user's input has copied that
    input onto ``conflict``.
    """
    if conflict is None:
        return []
    stored = type(conflict)._default_manager.get(pk=conflict.pk)
    return [(field.label, _stored_value(stored, field.name)) for field in form.visible_fields()]


# --- programmes ------------------------------------------------------------------------------------


def programme_list(user, municipality) -> list[dict]:
    """Each programme the user sees in the municipality, with its scorecard colour."""
    programmes = (
        Programme.objects.visible_to(user).in_municipality(municipality).prefetch_related("areas")
    )
    rows = []
    for p in programmes:
        statuses = scorecard(p)
        rows.append({"programme": p, "band": summary_band(statuses)})
    return rows


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


# --- goals -----------------------------------------------------------------------------------------


def goals(programme: Programme) -> dict:
    """The scorecard by kind of target, the band counts and the programme's colour."""
    statuses = scorecard(programme)
    by_kind = [
        (kind, label, [s for s in statuses if s.goal.kind == kind])
        for kind, label in TargetKind.choices
    ]
    return {
        "by_kind": by_kind,
        "counts": band_counts(statuses),
        "summary": summary_band(statuses),
        "band_labels": inputs.BAND_LABELS,
    }


def goal_detail(goal) -> dict:
    """The goal's status and its series for the page's chart."""
    status = inputs.goal_status(goal)
    chart = {
        "labels": [d.isoformat() for d, _v in status.series],
        "values": [v for _d, v in status.series],
        "baseline": goal.baseline_value,
        "baseline_date": goal.baseline_date.isoformat(),
        "target": goal.target_value,
        "deadline": goal.deadline.isoformat(),
    }
    by_year = {d.year: v for d, v in status.series}
    towards = 1 if goal.target_value > goal.baseline_value else -1
    milestones = [
        {
            "year": m.year,
            "target": m.target_value,
            "value": by_year.get(m.year),
            "reached": m.year in by_year and towards * (by_year[m.year] - m.target_value) >= 0,
        }
        for m in goal.milestones.all()
    ]
    return {
        "status": status,
        "chart": chart,
        "milestones": milestones,
        "beside": _beside(goal, by_year),
    }


#: Goal measures that Statistics Denmark has a municipal and national figure of (imports.statbank).
_BESIDE = {Measure.REPORT_RATE: "dst_reports_per_1000"}


def _beside(goal, by_year: dict) -> dict | None:
    """The goal's yearly values beside the municipality's and Denmark's (the 2015 evaluation compared
    the hotspots with both), where Statistics Denmark has the measure and it was fetched."""
    from hotspot.imports.statbank_pages import comparison

    code = _BESIDE.get(goal.measure)
    area = goal.area or goal.programme.areas.order_by("code").first()
    if code is None or area is None or not by_year:
        return None
    for m in comparison(area, list(by_year), own=False):
        if m["measure"] == code:
            rows = [
                {
                    **{k: r[k] for k in ("year", "municipality", "denmark")},
                    "goal": by_year[r["year"]],
                }
                for r in m["rows"]
            ]
            return {"name": m["name"], "unit": m["unit"], "digits": m["digits"], "rows": rows}
    return None


# --- action plans and tasks ------------------------------------------------------------------------


def _plan_rows(plans, now: dt.date) -> list[dict]:
    """Each plan with its number of tasks, those done and those overdue on ``now``."""
    rows = []
    for plan in plans:
        tasks = list(plan.tasks.all())
        rows.append(
            {
                "plan": plan,
                "total": len(tasks),
                "done": sum(t.status == TaskStatus.DONE for t in tasks),
                "overdue": sum(t.status != TaskStatus.DONE and t.due < now for t in tasks),
            }
        )
    return rows


def plans(programme: Programme) -> dict:
    return {
        "rows": _plan_rows(programme.plans.prefetch_related("tasks"), inputs.today()),
        "overdue": overdue_tasks([programme]),
    }


def plan_detail(plan) -> dict:
    """The plan's tasks by focus area, and those without one."""
    tasks = plan.tasks.select_related("owner", "focus_area", "initiative", "place")
    focus = [(f, [t for t in tasks if t.focus_area_id == f.pk]) for f in plan.focus_areas.all()]
    loose = [t for t in tasks if t.focus_area_id is None]
    return {
        "plan": plan,
        "focus": focus,
        "loose": loose,
        "today": inputs.today(),
        "statuses": TaskStatus.choices,
    }


def my_tasks(user, municipality) -> dict:
    tasks = (
        Task.objects.visible_to(user)
        .in_municipality(municipality)
        .filter(owner=user)
        .open()
        .select_related("programme", "plan", "owner", "place")
    )
    return {"tasks": tasks, "today": inputs.today()}


def overdue(user, municipality) -> dict:
    """The overdue tasks of the programmes the user manages in the municipality."""
    programmes = Programme.objects.visible_to(user, MANAGE).in_municipality(municipality)
    return {"tasks": overdue_tasks(programmes), "today": inputs.today()}


# --- partners report their own work -----------------------------------------------------------------


def my_organisation(user, municipality, *, bound=None) -> dict:
    """ "My organisation's tasks": the tasks of the municipality (every programme) the organisation of the
    user's membership owns (``access.owned_tasks``), each with its last report and a form for the next
    one; and the organisation's initiatives. ``bound`` is a form posted for one task that did not
    validate ({task id: form}), shown with its errors. Owners are shown by organisation, never by
    person."""
    membership = None if municipality is None else user.membership_for(municipality.pk)
    organisation = (membership.organisation.strip() if membership else "") or ""
    tasks = access.owned_tasks(membership)
    prefetch_related_objects(tasks, "updates")
    bound = bound or {}
    rows = []
    for task in tasks:
        form = bound.get(task.pk) or TaskProgressForm(initial={"status": task.status})
        form.auto_id = f"id_%s_{task.pk}"
        updates = list(task.updates.all())
        rows.append({"task": task, "form": form, "last": updates[0] if updates else None})
    return {
        "organisation": organisation,
        "rows": rows,
        "initiatives": access.owned_initiatives(membership),
        "today": inputs.today(),
    }


def recent_update_counts(programmes, days: int = 7) -> dict[int, int]:
    """{programme id: number of progress reports of the last ``days`` days} (Overblik)."""
    since = timezone.now() - dt.timedelta(days=days)
    rows = (
        TaskUpdate.objects.filter(task__programme__in=list(programmes), created_at__gte=since)
        .order_by()
        .values_list("task__programme")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


def recent_updates(programme: Programme, days: int = 7) -> list[TaskUpdate]:
    """The progress reports on the programme's tasks of the last ``days`` days, newest first: which
    organisation, which task, the status set, the note, the counts and when."""
    since = timezone.now() - dt.timedelta(days=days)
    return list(
        TaskUpdate.objects.filter(task__programme=programme, created_at__gte=since).select_related(
            "task", "task__plan"
        )
    )


# --- council approval ------------------------------------------------------------------------------


def approval(programme: Programme) -> dict:
    """The approval page: for the programme and each of its plans the version now, the step that
    awaits a decision, the latest approval and what changed since; and the history of every step."""
    subjects = [(None, programme)] + [(p, p) for p in programme.plans.order_by("start", "pk")]
    rows = []
    for plan, subject in subjects:
        latest = actions.latest_step(programme, plan)
        pending = latest is not None and latest.decision == ApprovalDecision.SUBMITTED
        approved = actions.latest_approved(programme, plan)
        rows.append(
            {
                "plan": plan,
                "subject": subject,
                "version": subject.version,
                "latest": latest,
                "pending": pending,
                "approved": approved,
                "frozen": approved is not None and approved.version == subject.version,
                "can_submit": latest is None or (not pending and latest.version != subject.version),
                "changes": actions.changes_since_approval(programme, plan) if approved else [],
            }
        )
    history = programme.approvals.select_related("plan", "created_by").order_by(
        "-created_at", "-pk"
    )
    return {"subjects": rows, "history": history}


def refusal(exc) -> dict:
    """What the approval page shows of an ``actions.ApprovalRefused``: the sentence and the link."""
    return {"message": str(exc), "url": exc.url, "link_text": exc.link_text}


_SNAPSHOT_DATES = ("start", "end", "due", "baseline_date", "deadline")


def snapshot_for_reading(snapshot: dict) -> dict:
    """A stored snapshot as the read-only page shows it: ISO dates as dates, a field's code as its
    label (the snapshot itself keeps codes and ISO dates)."""

    def read(item):
        out = dict(item)
        for key in _SNAPSHOT_DATES:
            if isinstance(out.get(key), str):
                try:
                    out[key] = dt.date.fromisoformat(out[key])
                except ValueError:
                    pass
        if "level" in out:
            out["level"] = dict(Level.choices).get(out["level"], out["level"])
        return out

    shown = read(snapshot or {})
    for key in ("challenges", "initiatives", "goals", "focus_areas", "tasks"):
        if key in shown:
            shown[key] = [read(item) for item in shown[key]]
    return shown


def approval_notice(programme: Programme, plan=None) -> str:
    """What the edit form of a programme (or plan) says when its current version went to the council:
    saving makes a new draft, and the submitted or approved version stays in the approval record."""
    subject = plan if plan is not None else programme
    latest = actions.latest_step(programme, plan)
    if latest is None or latest.version != subject.version:
        return ""
    values = {
        "date": formats.date_format(latest.decided_on or latest.created_at.date()),
        "case": latest.case_number,
        "version": subject.version + 1,
    }
    if latest.decision == ApprovalDecision.APPROVED:
        text = _(
            "Approved on %(date)s (case %(case)s). Saving makes a new draft (version %(version)s); "
            "the approved version stays in the approval record."
        )
    elif latest.decision == ApprovalDecision.SUBMITTED:
        text = _(
            "Submitted to the council on %(date)s. Saving makes a new draft (version %(version)s); "
            "the submitted version stays in the approval record."
        )
    else:
        text = _(
            "Sent back by the council on %(date)s. Saving makes a new draft (version %(version)s), "
            "which can be submitted again."
        )
    return text % values


# --- places ----------------------------------------------------------------------------------------


def places(programme: Programme) -> dict:
    """The programme's places, each with the tasks that name it (two queries however many)."""
    tasks = Task.objects.select_related("plan").order_by("due", "pk")
    return {"places": list(programme.places.prefetch_related(Prefetch("tasks", queryset=tasks)))}


def place_form(programme: Programme) -> dict:
    """What the add form's map draws: the programme's areas (their ids in the areas GeoJSON) and the
    distance from them within which a place may lie."""
    return {
        "area_ids": ",".join(str(pk) for pk in programme.areas.values_list("pk", flat=True)),
        "buffer_metres": BUFFER_METRES,
    }


# --- meetings --------------------------------------------------------------------------------------


def meeting_rows(meeting) -> list[tuple]:
    """(decision, the task made of it or None) for each decision of the meeting."""
    decisions = meeting.decisions.all()
    tasks = {t.decision_id: t for t in Task.objects.filter(decision__in=decisions)}
    return [(d, tasks.get(d.pk)) for d in decisions]


# --- Overblik ---------------------------------------------------------------------------------------


def overview_context(user, municipality) -> dict:
    """Context for ``programmes/overview_fragment.html`` on Overblik.

    Coordinators (manage_programmes) get their programmes with the scorecard colour, overdue tasks, their
    own open tasks and the next meetings; everyone else with view_aggregates (board, partners) gets the
    programmes' scorecard colours and the report links only.
    """
    membership = None if municipality is None else user.membership_for(municipality.pk)
    if membership is None or not membership.can(Capability.VIEW_AGGREGATES):
        return {"programme_overview": None}
    programmes = list(
        Programme.objects.visible_to(user)
        .in_municipality(municipality)
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
            Task.objects.filter(programme__in=programmes, owner=user)
            .open()
            .select_related("programme", "plan", "owner", "place")
        )
        context["meetings"] = next_meetings(programmes)
        reported = recent_update_counts(programmes)
        context["recent"] = [(p, reported[p.pk]) for p in programmes if reported.get(p.pk)]
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


# --- reports ---------------------------------------------------------------------------------------


def report_context(programme: Programme, user) -> dict:
    """Everything the programme report shows (the page, the PDF and the workbook).

    ``user`` is the reader; the report is the same for every role that may open it (view_aggregates),
    so nothing depends on it yet.
    """
    statuses = scorecard(programme)
    now = inputs.today()
    return {
        "programme": programme,
        "challenges": programme.challenges.all(),
        "matrix": matrix(programme),
        "statuses": statuses,
        "charts": [(s, chart_geometry(s)) for s in statuses],
        "counts": band_counts(statuses),
        "summary": summary_band(statuses),
        "graphs": theory_layouts(programme),
        "plans": _plan_rows(programme.plans.prefetch_related("tasks", "focus_areas"), now),
        "budget": budget(programme),
        "board": board_check(programme),
        "today": now,
        "approval": actions.latest_approved(programme),
        "changes": actions.changes_since_approval(programme),
        "baseline_scores": inputs.baseline_index_scores(programme),
        "sections": report_sections(programme),
    }


#: Sections of the apps above this one shown at the end of the programme report (an evaluation
#: study's result sentence): registered with :func:`register_report_section` from the app's
#: ``AppConfig.ready``; this app imports none of them.
_REPORT_SECTIONS = []


def register_report_section(builder) -> None:
    """``builder(programme)`` -> ``None`` or a dict with the ``template`` that shows it (given the dict
    as ``section``) and what that template needs."""
    if builder not in _REPORT_SECTIONS:
        _REPORT_SECTIONS.append(builder)


def report_sections(programme: Programme) -> list[dict]:
    return [s for s in (build(programme) for build in _REPORT_SECTIONS) if s]


def tables_xlsx(programme: Programme, user) -> tuple[bytes, int]:
    """The report's tables as XLSX bytes, and the number of sheets."""
    book = workbook(report_context(programme, user))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), len(book.sheetnames)


def workbook(context):
    """Every table of the programme report as one sheet each (plain values, Danish-readable headers)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    _sheet(book, _("Scorecard"), *_scorecard_table(context["statuses"]))
    _sheet(book, _("Initiatives"), *_initiatives_table(context["matrix"]))
    _sheet(book, _("Action plans"), *_plans_table(context["plans"]))
    for title, header, rows in _budget_tables(context["budget"]):
        _sheet(book, title, header, rows)
    return book


def _sheet(book, title, header, rows):
    """A sheet of ``book``: a bold header, the rows, and columns as wide as their text (10-60)."""
    from openpyxl.styles import Font

    ws = book.create_sheet(title[:31])
    ws.append([xlsx_cell(str(h)) for h in header])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([xlsx_cell(v) for v in row])
    for column in ws.columns:
        width = max(len(str(c.value or "")) for c in column)
        ws.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))


def _scorecard_table(statuses) -> tuple[list, list]:
    header = [
        _("Goal"),
        _("Kind"),
        _("Measured by"),
        _("Baseline"),
        _("Baseline date"),
        _("Current"),
        _("Date"),
        _("Target"),
        _("Deadline"),
        _("Progress (%)"),
        _("Status"),
    ]
    rows = [
        [
            s.goal.title,
            s.goal.get_kind_display(),
            s.goal.get_measure_display(),
            s.goal.baseline_value,
            s.goal.baseline_date,
            s.current,
            s.current_date,
            s.goal.target_value,
            s.goal.deadline,
            s.progress_percent,
            s.band_label,
        ]
        for s in statuses
    ]
    return header, rows


def _initiatives_table(matrix) -> tuple[list, list]:
    header = [_("Core area"), _("Field"), _("Weight"), _("Initiatives")]
    rows = [
        [
            f"{ca.code} {ca.name}",
            Level(cell.level).label,
            cell.weight,
            "; ".join(i.name for i in cell.initiatives),
        ]
        for ca, cells in matrix["rows"]
        for cell in cells
    ]
    return header, rows


def _plans_table(plans) -> tuple[list, list]:
    header = [_("Action plan"), _("Start"), _("End"), _("Tasks"), _("Done"), _("Overdue")]
    rows = [
        [p["plan"].title, p["plan"].start, p["plan"].end, p["total"], p["done"], p["overdue"]]
        for p in plans
    ]
    return header, rows


def _budget_tables(money) -> list[tuple[str, list, list]]:
    """(title, header, rows) of the budget's sheets: per funder, the grants, per initiative."""
    funders = [
        [f["funder"].name, float(f["granted"]), float(f["planned"]), float(f["spent"])]
        for f in money["funders"]
    ]
    grants = [
        [
            g["grant"].funder.name,
            g["grant"].title,
            g["grant"].start,
            g["grant"].end,
            float(g["grant"].amount),
            float(g["planned"]),
            float(g["spent"]),
            float(g["left"]),
        ]
        for g in money["grants"]
    ]
    initiatives = [
        [r["initiative"].name, float(r["planned"]), float(r["spent"])] for r in money["initiatives"]
    ]
    return [
        (
            _("Budget per funder"),
            [_("Funder"), _("Granted"), _("Planned"), _("Spent")],
            funders,
        ),
        (
            _("Grants"),
            [
                _("Funder"),
                _("Grant"),
                _("Start"),
                _("End"),
                _("Granted"),
                _("Planned"),
                _("Spent"),
                _("Left"),
            ],
            grants,
        ),
        (_("Budget per initiative"), [_("Initiative"), _("Planned"), _("Spent")], initiatives),
    ]
