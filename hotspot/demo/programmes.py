"""The demo programmes: one per 2010 hotspot of the demo city (ended), and one running now.

Demo content, not a state change of the programmes app (``hotspot/programmes/actions.py`` holds those):
purposes, challenges, initiatives, an action plan with tasks, goals, theories of change, budget, groups
and meetings, built from the demo city's truth (``DemoCity.truth``). ``make_demo_programmes`` runs it,
and ``make_demo_city`` runs that.

The demo's clock: the 2010 programmes ran 2010-07-01 to 2014-12-31 and have *ended*: every task was done
by then and every meeting lies in the past, so Overblik shows nothing of them. The running programme (the
late hotspot's second period, from 1 July of the city's last data year until 2027) is dated relative to
the day the demo is loaded (``timezone.localdate()``): a few tasks due in the coming weeks, one a few
days overdue, meetings in the coming weeks.
"""

import dataclasses
import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone, translation

import democity
from hotspot.areas.inputs import population_by_year, rate_per_1000, reports_by_year
from hotspot.areas.models import Area
from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose
from hotspot.demo.models import DemoCity
from hotspot.indicators.models import Indicator, IndicatorValue
from hotspot.programmes.inputs import agenda_for
from hotspot.programmes.models import (
    ActionPlan,
    BudgetLine,
    Challenge,
    ChangeNode,
    CoreArea,
    CoreAreaWeight,
    Decision,
    FocusArea,
    Funder,
    Goal,
    GoalValue,
    Grant,
    Group,
    GroupMember,
    Initiative,
    Meeting,
    Programme,
    ProgrammeStatus,
    Spend,
    Task,
    TaskStatus,
    TheoryOfChange,
)

DEMO_START, DEMO_END = dt.date(2010, 7, 1), dt.date(2014, 12, 31)
# The running programme ends at the end of this year (or a year after loading, should that be later).
RUNNING_END = dt.date(2027, 12, 31)
YOUTHS = "Unge mænd 15-24 år i den kriminelle risikozone"
# The housing company: it owns two initiatives, and the demo partner's membership names it, so that the
# partner reports on the tasks of those initiatives (DEMO_TASK_INITIATIVES).
HOUSING_COMPANY = "Boligselskabet (demo)"
# (name, owner, core area codes, level, target group, size, evidence, source, new)
DEMO_INITIATIVES = [
    (
        "SSP-samarbejdet",
        "Demokommune, SSP",
        ["1a"],
        "family",
        YOUTHS,
        60,
        "promising",
        "SSP-evaluering 2009 (demo)",
        False,
    ),
    (
        "Klubtilbud for 13-17-årige",
        "Fritidsklubben (demo)",
        ["1a", "1c"],
        "family",
        "Børn og unge 13-17 år",
        120,
        "none",
        "",
        False,
    ),
    (
        "Mikrostrategi: de 10 mest udsatte familier",
        "Hotspotsekretariatet",
        ["1b"],
        "family",
        "De 10 mest udsatte familier",
        10,
        "promising",
        "Rotterdam hotspot (demo)",
        True,
    ),
    (
        "Mentorordning",
        "Jobcenter Demokommune",
        ["1b", "4"],
        "family",
        YOUTHS,
        25,
        "effective",
        "Mentorordninger, review 2008 (demo)",
        True,
    ),
    (
        "Gadeplansmedarbejdere",
        "Demokommune, SSP",
        ["1a"],
        "neighbourhood",
        YOUTHS,
        40,
        "none",
        "",
        False,
    ),
    (
        "Nærpoliti og synlig tilstedeværelse",
        "Politiet",
        ["2"],
        "neighbourhood",
        None,
        None,
        "promising",
        "Hot spots policing, Braga 2012 (demo)",
        True,
    ),
    (
        "Boligsocial helhedsplan",
        HOUSING_COMPANY,
        ["3", "6"],
        "neighbourhood",
        None,
        None,
        "none",
        "",
        False,
    ),
    (
        "Belysning og tryghedsvandringer",
        HOUSING_COMPANY,
        ["1c", "3"],
        "neighbourhood",
        None,
        None,
        "promising",
        "Situationel forebyggelse (demo)",
        True,
    ),
    ("Lektiecafé", "Frivillige (demo)", ["5"], "family", "Børn 6-12 år", 35, "none", "", False),
    ("Natteravne", "Frivillige (demo)", ["5"], "neighbourhood", None, None, "none", "", False),
]
# Tasks (by title, in every demo plan) that carry out an initiative.
DEMO_TASK_INITIATIVES = {
    "Tryghedsvandring med beboere og boligselskab": "Belysning og tryghedsvandringer",
    "Bedre belysning på stierne": "Belysning og tryghedsvandringer",
    "Belysningsplan for stierne vedtaget": "Belysning og tryghedsvandringer",
}
DEMO_FOCUS = [
    "Styrket samordning af den kriminalpræventive indsats",
    "Børn og unge med uroskabende adfærd og inklusion",
    "Sammenhængskraft i lokalområdet",
]
# (focus area number, title, due, done, owned by the coordinator) of the 2010 plan. The programmes have
# ended: a task not done by its due date was done later, and every one by the end of the programme.
DEMO_TASKS = [
    (1, "Fast ugentligt koordinationsmøde med politi og SSP", dt.date(2010, 8, 31), True, False),
    (1, "Fælles opfølgning på politiets indberetninger", dt.date(2010, 10, 31), True, True),
    (1, "Kortlægning af alle indsatser i området", dt.date(2010, 9, 30), True, True),
    (1, "Aftale om datadeling med politiet", dt.date(2011, 2, 28), False, True),
    (2, "Forældrekontrakter for de 10 mest udsatte unge", dt.date(2010, 12, 31), True, False),
    (2, "Fritidsjob til 20 unge", dt.date(2011, 5, 31), False, False),
    (2, "Klubtilbud åbent fredag aften", dt.date(2011, 3, 31), False, True),
    (3, "Tryghedsvandring med beboere og boligselskab", dt.date(2010, 11, 30), False, False),
    (3, "Bedre belysning på stierne", dt.date(2011, 4, 30), False, False),
    (3, "Nabofest og beboermøde på blokniveau", dt.date(2011, 6, 15), False, True),
]
# Days a historic task that was late took beyond its due date.
LATE_BY = dt.timedelta(days=45)
# The running programme's plan: (focus area, title, days after the start (done tasks) or from the load
# date (the rest), status, owned by the coordinator).
RUNNING_DONE = [
    (1, "Fast ugentligt koordinationsmøde med politi og SSP", 45, False),
    (1, "Kortlægning af alle indsatser i området", 90, True),
    (3, "Tryghedsvandring med beboere og boligselskab", 120, False),
    (2, "Forældrekontrakter for de mest udsatte unge", 180, False),
    (3, "Belysningsplan for stierne vedtaget", 270, False),
]
RUNNING_OPEN = [
    (1, "Aftale om datadeling med politiet", -4, TaskStatus.IN_PROGRESS, True),
    (2, "Fritidsjob til 20 unge", 9, TaskStatus.IN_PROGRESS, False),
    (2, "Klubtilbud åbent fredag aften", 16, TaskStatus.OPEN, True),
    (3, "Bedre belysning på stierne", 23, TaskStatus.OPEN, False),
    (3, "Nabofest og beboermøde på blokniveau", 45, TaskStatus.OPEN, True),
    (1, "Fælles opfølgning på politiets indberetninger", 90, TaskStatus.OPEN, False),
]


@dataclasses.dataclass
class Timeline:
    """When a demo programme runs and what of it lies in the past on the day the demo is loaded."""

    start: dt.date
    end: dt.date
    status: str
    baseline_year: int
    plan_title: str
    plan_end: dt.date
    # (focus area number, title, due, status, done on, owned by the coordinator)
    tasks: list
    # the board's meetings after the first: (date, minutes); those on or after ``today`` are to come
    board_meetings: list
    # the programme group's meetings: (date, minutes)
    group_meetings: list
    # (date, value) of the own-count goal "young people in jobs"
    job_values: list
    today: dt.date
    period: str  # "2010-2014"


def historic_timeline(start: dt.date, today: dt.date) -> Timeline:
    tasks = []
    for number, title, due, done, mine in DEMO_TASKS:
        done_on = due - dt.timedelta(days=3) if done else min(due + LATE_BY, DEMO_END)
        tasks.append((number, title, due, TaskStatus.DONE, done_on, mine))
    return Timeline(
        start=start,
        end=DEMO_END,
        status=ProgrammeStatus.ENDED,
        baseline_year=start.year - 1,
        plan_title=f"Handlingsplan {start.year}/{start.year + 1 - 2000:02d}",
        plan_end=dt.date(start.year + 1, 6, 30),
        tasks=tasks,
        board_meetings=[
            (dt.date(2012, 6, 14), "Midtvejsstatus og justering af indsatserne (demo)."),
            (dt.date(2014, 11, 20), "Slutstatus; indsatserne overgår til drift (demo)."),
        ],
        group_meetings=[(dt.date(2014, 10, 30), "Afrapportering til boardet forberedt (demo).")],
        job_values=[
            (dt.date(y, 12, 31), v) for y, v in ((2011, 8), (2012, 10), (2013, 12), (2014, 14))
        ],
        today=today,
        period=f"{start.year}-{DEMO_END.year}",
    )


def running_timeline(start: dt.date, today: dt.date) -> Timeline:
    """The running programme's dates: fixed from ``start``, or relative to ``today`` (the load date)."""
    end = max(RUNNING_END, dt.date(today.year + 1, 12, 31))
    last_past = max(today - dt.timedelta(days=14), start + dt.timedelta(days=1))
    tasks = []
    for number, title, days, mine in RUNNING_DONE:
        due = min(start + dt.timedelta(days=days), last_past)
        tasks.append((number, title, due, TaskStatus.DONE, due - dt.timedelta(days=2), mine))
    for number, title, days, status, mine in RUNNING_OPEN:
        tasks.append((number, title, today + dt.timedelta(days=days), status, None, mine))
    # The board meets every 13 weeks from the first meeting; the next one is in the coming weeks.
    first = start + dt.timedelta(days=75)
    board = []
    day = first + dt.timedelta(weeks=13)
    while day < today - dt.timedelta(days=7):
        board.append((day, "Status på handlingsplanen og målene drøftet (demo)."))
        day += dt.timedelta(weeks=13)
    board.append((today + dt.timedelta(days=12), ""))
    group = [
        (today - dt.timedelta(days=18), "Opgaverne for de kommende uger fordelt (demo)."),
        (today + dt.timedelta(days=5), ""),
    ]
    jobs = [
        (d, v) for d, v in ((dt.date(start.year, 12, 31), 9), (today - dt.timedelta(days=30), 14))
    ]
    return Timeline(
        start=start,
        end=end,
        status=ProgrammeStatus.RUNNING,
        baseline_year=start.year - 1,
        plan_title=f"Handlingsplan {start.year}-{end.year}",
        plan_end=end,
        tasks=tasks,
        board_meetings=board,
        group_meetings=group,
        job_values=[(d, v) for d, v in jobs if start < d < today],
        today=today,
        period=f"{start.year}-{end.year}",
    )


def _demo_goals(programme, plan, area, timeline: Timeline):
    ids = area.tiling_descendant_ids()
    population = population_by_year(ids)
    reports = reports_by_year(ids)
    base = timeline.baseline_year

    def rate(year, key):
        return rate_per_1000(
            reports.get(year, {}).get(key, 0), sum(population.get(year, {}).values())
        )

    goals = []
    cd = rate(base, "citizen_directed")
    if cd:
        goals.append(
            dict(
                title="Færre borgervendte anmeldelser",
                kind="effect",
                measure="reports_citizen_directed",
                baseline_value=round(cd, 1),
                target_value=round(cd * 0.75, 1),
                unit="pr. 1.000",
            )
        )
    total = rate(base, "total")
    if total:
        goals.append(
            dict(
                title="Færre anmeldelser i alt",
                kind="effect",
                measure="reports_total",
                baseline_value=round(total, 1),
                target_value=round(total * 0.8, 1),
                unit="pr. 1.000",
            )
        )
    indicator = Indicator.objects.filter(code="outside_labour_education").first()
    value = (
        IndicatorValue.objects.filter(indicator=indicator, area_id__in=ids, year=base)
        .values_list("value", flat=True)
        .first()
        if indicator
        else None
    )
    if value is not None:
        goals.append(
            dict(
                title="Flere i arbejde eller uddannelse",
                kind="result",
                measure="indicator",
                indicator=indicator,
                baseline_value=round(value, 1),
                target_value=round(value - 4, 1),
                unit="%",
            )
        )
    result = []
    for spec in goals:
        result.append(
            Goal.objects.create(
                programme=programme,
                baseline_date=dt.date(base, 12, 31),
                deadline=timeline.end,
                **spec,
            )
        )
    jobs = Goal.objects.create(
        programme=programme,
        title="Unge i fritidsjob",
        kind="result",
        measure="own",
        baseline_value=5,
        baseline_date=timeline.start,
        target_value=40,
        deadline=timeline.end,
        unit="unge",
    )
    for date, value in timeline.job_values:
        GoalValue.objects.create(goal=jobs, date=date, value=value)
    tasks = Goal.objects.create(
        programme=programme,
        title="Handlingsplanens opgaver udført",
        kind="activity",
        measure="tasks_done",
        action_plan=plan,
        baseline_value=0,
        baseline_date=timeline.start,
        target_value=len(timeline.tasks),
        deadline=plan.end,
        unit="opgaver",
    )
    return result + [jobs, tasks]


def _hotspot_area(municipality, code):
    area = Area.objects.filter(municipality=municipality, code=f"HS-{code}").first()
    return area, (area.name.removeprefix("Hotspot ").strip() if area else "")


@transaction.atomic
def build_demo_programmes(municipality, *, coordinator=None, today=None) -> list:
    """The demo programmes: the two 2010 hotspots' (ended) and the late hotspot's running one.

    Idempotent: a programme whose name exists in the municipality is left as it is. ``today`` (the load
    date, ``timezone.localdate()`` by default) dates the running programme.
    """
    today = today or timezone.localdate()
    demo = DemoCity.objects.filter(municipality=municipality).first()
    truth = (demo.truth or {}) if demo else {}
    start = dt.date.fromisoformat(truth.get("hotspot_start") or DEMO_START.isoformat())
    created = []
    for n, code in enumerate(truth.get("hotspots") or []):
        area, estate = _hotspot_area(municipality, code)
        if area is None:
            continue
        timeline = historic_timeline(start, today)
        name = f"Hotspot {estate} {timeline.period}"
        if Programme.objects.filter(municipality=municipality, name=name).exists():
            continue
        created.append(
            _build_one(
                municipality, area, estate, name, timeline, coordinator, complete_board=(n == 0)
            )
        )
    running = build_running_programme(municipality, coordinator=coordinator, today=today)
    if running is not None:
        created.append(running)
    return created


def _running_start(municipality=None) -> dt.date:
    """1 July of the demo city's last data year (``democity.YEARS``: 2025)."""
    return dt.date(max(democity.YEARS), 7, 1)


def running_programme(municipality):
    """The demo's running programme: the late hotspot's, from 1 July of the last data year (or None)."""
    area = _late_hotspot_area(municipality)
    if area is None:
        return None
    return Programme.objects.filter(
        municipality=municipality, areas=area, start=_running_start(municipality)
    ).first()


def _late_hotspot_area(municipality):
    demo = DemoCity.objects.filter(municipality=municipality).first()
    code = (demo.truth or {}).get("late_hotspot") if demo else None
    return _hotspot_area(municipality, code)[0] if code else None


def build_running_programme(municipality, *, coordinator=None, today=None):
    """The programme running now, in the late hotspot (its second period). None if it exists already
    (found by area and start, so a later load does not add another) or the city has no late hotspot."""
    today = today or timezone.localdate()
    area = _late_hotspot_area(municipality)
    if area is None or running_programme(municipality) is not None:
        return None
    estate = area.name.removeprefix("Hotspot ").strip()
    timeline = running_timeline(_running_start(municipality), today)
    name = f"Hotspot {estate} {timeline.period}"
    return _build_one(municipality, area, estate, name, timeline, coordinator, complete_board=True)


def _agenda(meeting, group, previous, cache):
    """The meeting's agenda as ``create_meeting`` drafts it (``agenda_for``), stored in Danish, the
    demo's language. The draft depends only on the programme's scorecard and whether there was an
    earlier meeting, which no demo meeting changes: it is worked out once for each (``cache``)."""
    key = previous is None
    if key not in cache:
        with translation.override("da"):
            cache[key] = agenda_for(group, previous=previous)
    meeting.agenda, meeting.bands = cache[key]
    meeting.save()


def _build_one(municipality, area, estate, name, timeline, coordinator, *, complete_board):
    start, end, today = timeline.start, timeline.end, timeline.today
    programme = Programme.objects.create(
        municipality=municipality,
        name=name,
        start=start,
        end=end,
        status=timeline.status,
        approved_on=start - dt.timedelta(days=30),
        approved_by="Byrådet (demo)",
        purpose_short=(
            f"At genskabe oplevelsen af tryghed i {estate} gennem synlig tilstedeværelse og "
            "konkret handling og reducere den faktuelle kriminalitet i området."
        ),
        purpose_long=(
            f"At understøtte udviklingen af {estate}s selvbærende evne og styrke borgerne i at tage "
            "hånd om eget liv og familie, herunder fremme tilknytningen til arbejdsmarked og "
            "uddannelse."
        ),
    )
    programme.areas.add(area)
    challenges = [
        Challenge.objects.create(programme=programme, number=i, title=t)
        for i, t in enumerate(
            [
                "Høj oplevelse af utryghed",
                "Høj kriminalitet",
                "Kriminalitetstruede børn og unge",
                "Forældre, der ikke magter deres børn og unge",
            ],
            start=1,
        )
    ]
    core = {ca.code: ca for ca in CoreArea.objects.for_municipality(municipality)}
    weights = {
        "1a": (3, 2),
        "1b": (3, 0),
        "1c": (0, 2),
        "2": (1, 3),
        "3": (1, 3),
        "4": (2, 2),
        "5": (1, 2),
        "6": (0, 2),
    }
    for code, (family, neighbourhood) in weights.items():
        if code in core:
            CoreAreaWeight.objects.create(
                programme=programme, core_area=core[code], level="family", weight=family
            )
            CoreAreaWeight.objects.create(
                programme=programme,
                core_area=core[code],
                level="neighbourhood",
                weight=neighbourhood,
            )
    kommune, _ = Funder.objects.get_or_create(municipality=municipality, name=municipality.name)
    ministry, _ = Funder.objects.get_or_create(
        municipality=municipality, name="Ministeriet for By, Bolig og Landdistrikter"
    )
    fond, _ = Funder.objects.get_or_create(municipality=municipality, name="Lokal fond (demo)")
    initiatives = {}
    for name_, owner, codes, level, group, size, evidence, source, new in DEMO_INITIATIVES:
        i = Initiative.objects.create(
            programme=programme,
            name=name_,
            owner=owner,
            level=level,
            target_group=group or "",
            target_group_size=size,
            evidence=evidence,
            evidence_source=source,
            is_new=new,
            start=start if new else None,
            end=end if new else None,
            contact="hotspot@demokommune.invalid" if new else "",
        )
        i.core_areas.set([core[c] for c in codes if c in core])
        i.funders.set([kommune, ministry] if new else [kommune])
        initiatives[name_] = i
    plan = ActionPlan.objects.create(
        programme=programme,
        title=f"{timeline.plan_title} – {estate}",
        area=area,
        start=start,
        end=timeline.plan_end,
        notes="Udarbejdet med programgruppen (demo).",
    )
    focus = [
        FocusArea.objects.create(plan=plan, number=i, title=t)
        for i, t in enumerate(DEMO_FOCUS, start=1)
    ]
    focus[0].initiatives.set(
        [initiatives["SSP-samarbejdet"], initiatives["Nærpoliti og synlig tilstedeværelse"]]
    )
    focus[1].initiatives.set(
        [initiatives["Klubtilbud for 13-17-årige"], initiatives["Mentorordning"]]
    )
    focus[2].initiatives.set([initiatives["Boligsocial helhedsplan"], initiatives["Natteravne"]])
    for number, title, due, status, done_on, mine in timeline.tasks:
        Task.objects.create(
            programme=programme,
            plan=plan,
            focus_area=focus[number - 1],
            initiative=initiatives.get(DEMO_TASK_INITIATIVES.get(title, "")),
            title=title,
            due=due,
            status=status,
            done_on=done_on,
            owner=coordinator if mine else None,
            owner_name="" if mine else "Programgruppen",
        )
    goals = _demo_goals(programme, plan, area, timeline)
    goals[0].initiatives.set([initiatives["Nærpoliti og synlig tilstedeværelse"]])
    # Theory of change for challenge 3 (youths at risk) and 1 (felt safety).
    theory = TheoryOfChange.objects.create(programme=programme, challenge=challenges[2])
    a1 = ChangeNode.objects.create(
        theory=theory, kind="activity", text="Ugentlig opfølgning på de 10 mest udsatte unge"
    )
    a2 = ChangeNode.objects.create(
        theory=theory, kind="activity", text="Fritidsjob og mentorer til unge i risikozonen"
    )
    r1 = ChangeNode.objects.create(
        theory=theory, kind="result", text="Flere unge i fritidsjob, skole og klub"
    )
    e1 = ChangeNode.objects.create(
        theory=theory, kind="effect", text="Færre sigtelser og anmeldelser i området"
    )
    a1.leads_to.set([r1])
    a2.leads_to.set([r1])
    r1.leads_to.set([e1])
    a1.initiatives.set([initiatives["Mikrostrategi: de 10 mest udsatte familier"]])
    a2.initiatives.set([initiatives["Mentorordning"]])
    r1.goals.set([g for g in goals if g.measure == "own"])
    e1.goals.set([g for g in goals if g.kind == "effect"])
    theory1 = TheoryOfChange.objects.create(programme=programme, challenge=challenges[0])
    b1 = ChangeNode.objects.create(
        theory=theory1, kind="activity", text="Synligt nærpoliti og natteravne på faste tider"
    )
    b2 = ChangeNode.objects.create(
        theory=theory1, kind="activity", text="Bedre belysning og tryghedsvandringer"
    )
    c1 = ChangeNode.objects.create(
        theory=theory1, kind="result", text="Beboerne færdes mere ude om aftenen"
    )
    d1 = ChangeNode.objects.create(theory=theory1, kind="effect", text="Større oplevet tryghed")
    b1.leads_to.set([c1])
    b2.leads_to.set([c1])
    c1.leads_to.set([d1])
    # Budget: the Nørrebro split (17.5 m municipality, 10.5 m ministry for two hotspots) per hotspot.
    g_k = Grant.objects.create(
        programme=programme,
        funder=kommune,
        title="Kommunal bevilling",
        amount=Decimal("8750000"),
        start=start,
        end=end,
    )
    g_m = Grant.objects.create(
        programme=programme,
        funder=ministry,
        title="Puljemidler",
        amount=Decimal("5250000"),
        start=start,
        end=end,
        earmark="Nye indsatser og sekretariat",
    )
    g_f = Grant.objects.create(
        programme=programme,
        funder=fond,
        title="Sommeraktiviteter",
        amount=Decimal("200000"),
        start=start,
        end=dt.date(start.year + 1, 12, 31),
        earmark="Aktiviteter for unge",
    )
    for year in range(start.year, end.year + 1):
        share = Decimal("0.5") if year == start.year else Decimal(1)
        BudgetLine.objects.create(
            programme=programme, grant=g_k, year=year, amount=Decimal("1800000") * share
        )
        BudgetLine.objects.create(
            programme=programme,
            grant=g_m,
            year=year,
            initiative=initiatives["Mentorordning"],
            amount=Decimal("1100000") * share,
        )
        # Spend is booked mid-December, for the years that have had their December by now.
        spent_on = dt.date(year, 12, 15)
        if spent_on < min(today, end):
            Spend.objects.create(
                programme=programme,
                grant=g_k,
                date=spent_on,
                amount=Decimal("1750000") * share,
                description="Sekretariat",
            )
            Spend.objects.create(
                programme=programme,
                grant=g_m,
                date=spent_on,
                initiative=initiatives["Mentorordning"],
                amount=Decimal("1000000") * share,
                description="Mentorer",
            )
    summer = dt.date(start.year + 1, 8, 1)
    if summer < today:
        Spend.objects.create(
            programme=programme,
            grant=g_f,
            date=summer,
            initiative=initiatives["Klubtilbud for 13-17-årige"],
            amount=Decimal("230000"),
            description="Sommerlejr og klubaftener",
        )
    # Groups: the board (one member per core area, except a gap in the second programme).
    board = Group.objects.create(programme=programme, kind="board", name=f"Hotspotboard {estate}")
    members = [
        ("1a", "Skoleleder (demo)", "Demo Skole"),
        ("2", "Politikommissær (demo)", "Politiet"),
        ("3", "Boligsocial leder (demo)", "Boligselskabet"),
        ("4", "Formand, handelsstandsforeningen (demo)", "Handelsstandsforeningen"),
        ("5", "Formand, idrætsforeningen (demo)", "Idrætsforeningen"),
        ("6", "Formand, afdelingsbestyrelsen (demo)", "Afdelingsbestyrelsen"),
    ]
    for code, person, org in members:
        if code == "4" and not complete_board:
            continue
        GroupMember.objects.create(group=board, name=person, organisation=org, core_area=core[code])
    pg = Group.objects.create(
        programme=programme, kind="programme_group", name=f"Programgruppe {estate}"
    )
    for person, org in (
        ("SSP-konsulent (demo)", "SSP"),
        ("Klubleder (demo)", "Fritidsklubben"),
        ("Boligsocial medarbejder (demo)", "Boligselskabet"),
    ):
        GroupMember.objects.create(group=pg, name=person, organisation=org)
    first = Meeting.objects.create(
        group=board,
        date=start + dt.timedelta(days=76),
        place="Beboerhuset",
        minutes="Handlingsplanen drøftet (demo).",
    )
    agendas = {}
    _agenda(first, board, None, agendas)
    Decision.objects.create(
        meeting=first, kind="decision", text=f"Boardet godkender {timeline.plan_title.lower()}"
    )
    item = Decision.objects.create(
        meeting=first,
        kind="action",
        text="Politiet og SSP aftaler fælles opfølgning på indberetninger",
    )
    Task.objects.create(
        programme=programme,
        plan=plan,
        focus_area=focus[0],
        title=item.text,
        due=first.date + dt.timedelta(days=47),
        decision=item,
        owner_name="Politiet",
        status=TaskStatus.DONE,
        done_on=first.date + dt.timedelta(days=35),
    )
    # The activity target counts every task of the plan, the meeting's action item included.
    Goal.objects.filter(programme=programme, measure="tasks_done").update(
        target_value=plan.tasks.count()
    )
    for group, meetings, previous in (
        (board, timeline.board_meetings, first),
        (pg, timeline.group_meetings, None),
    ):
        for date, minutes in meetings:
            meeting = Meeting.objects.create(
                group=group, date=date, place="Beboerhuset", minutes=minutes
            )
            _agenda(meeting, group, previous, agendas)
            previous = meeting
    record(
        Action.CREATE,
        municipality=municipality,
        obj=programme,
        purpose=Purpose.DEMO,
        fields=["programme", "initiatives", "goals", "plan", "budget", "groups"],
        username="make_demo_programmes",
    )
    return programme
