"""The demo programmes: one per 2010 hotspot of the demo city, with everything a running programme has.

Demo content, not a state change of the programmes app (``hotspot/programmes/actions.py`` holds those):
purposes, challenges, initiatives, an action plan with tasks, goals, theories of change, budget, groups
and meetings, built from the demo city's truth (``DemoCity.truth["hotspots"]``). ``make_demo_programmes``
runs it, and ``make_demo_city`` runs that.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

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
YOUTHS = "Unge mænd 15-24 år i den kriminelle risikozone"
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
        "Boligselskabet (demo)",
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
        "Boligselskabet (demo)",
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
DEMO_FOCUS = [
    "Styrket samordning af den kriminalpræventive indsats",
    "Børn og unge med uroskabende adfærd og inklusion",
    "Sammenhængskraft i lokalområdet",
]
# (focus area number, title, due, done, owned by the coordinator)
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


def _demo_goals(programme, plan, area):
    ids = area.tiling_descendant_ids()
    population = population_by_year(ids)
    reports = reports_by_year(ids)

    def rate(year, key):
        return rate_per_1000(
            reports.get(year, {}).get(key, 0), sum(population.get(year, {}).values())
        )

    goals = []
    cd = rate(2009, "citizen_directed")
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
    total = rate(2009, "total")
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
        IndicatorValue.objects.filter(indicator=indicator, area_id__in=ids, year=2009)
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
                programme=programme, baseline_date=dt.date(2009, 12, 31), deadline=DEMO_END, **spec
            )
        )
    jobs = Goal.objects.create(
        programme=programme,
        title="Unge i fritidsjob",
        kind="result",
        measure="own",
        baseline_value=5,
        baseline_date=DEMO_START,
        target_value=40,
        deadline=DEMO_END,
        unit="unge",
    )
    for year, value in ((2011, 8), (2012, 10), (2013, 12), (2014, 14)):
        GoalValue.objects.create(goal=jobs, date=dt.date(year, 12, 31), value=value)
    tasks = Goal.objects.create(
        programme=programme,
        title="Handlingsplanens opgaver udført",
        kind="activity",
        measure="tasks_done",
        action_plan=plan,
        baseline_value=0,
        baseline_date=DEMO_START,
        target_value=len(DEMO_TASKS),
        deadline=plan.end,
        unit="opgaver",
    )
    return result + [jobs, tasks]


@transaction.atomic
def build_demo_programmes(municipality, *, coordinator=None) -> list:
    """The two demo programmes for the demo city's 2010 hotspots (from the seeds' structure).

    Idempotent: a programme whose name exists in the municipality is left as it is.
    """
    demo = DemoCity.objects.filter(municipality=municipality).first()
    codes = (demo.truth.get("hotspots") or []) if demo else []
    start = (demo.truth.get("hotspot_start") if demo else None) or DEMO_START.isoformat()
    created = []
    for n, code in enumerate(codes):
        area = Area.objects.filter(municipality=municipality, code=f"HS-{code}").first()
        if area is None:
            continue
        estate = area.name.removeprefix("Hotspot ").strip()
        name = f"Hotspot {estate} 2010-2014"
        if Programme.objects.filter(municipality=municipality, name=name).exists():
            continue
        created.append(
            _build_one(
                municipality,
                area,
                estate,
                name,
                dt.date.fromisoformat(start),
                coordinator,
                complete_board=(n == 0),
            )
        )
    return created


def _build_one(municipality, area, estate, name, start, coordinator, *, complete_board):
    programme = Programme.objects.create(
        municipality=municipality,
        name=name,
        start=start,
        end=DEMO_END,
        status=ProgrammeStatus.RUNNING,
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
            end=DEMO_END if new else None,
            contact="hotspot@demokommune.invalid" if new else "",
        )
        i.core_areas.set([core[c] for c in codes if c in core])
        i.funders.set([kommune, ministry] if new else [kommune])
        initiatives[name_] = i
    plan = ActionPlan.objects.create(
        programme=programme,
        title=f"Handlingsplan 2010/11 – {estate}",
        area=area,
        start=start,
        end=dt.date(start.year + 1, 6, 30),
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
    for number, title, due, done, mine in DEMO_TASKS:
        Task.objects.create(
            programme=programme,
            plan=plan,
            focus_area=focus[number - 1],
            title=title,
            due=due,
            status=TaskStatus.DONE if done else TaskStatus.OPEN,
            done_on=due - dt.timedelta(days=3) if done else None,
            owner=coordinator if mine else None,
            owner_name="" if mine else "Programgruppen",
        )
    goals = _demo_goals(programme, plan, area)
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
        end=DEMO_END,
    )
    g_m = Grant.objects.create(
        programme=programme,
        funder=ministry,
        title="Puljemidler",
        amount=Decimal("5250000"),
        start=start,
        end=DEMO_END,
        earmark="Nye indsatser og sekretariat",
    )
    g_f = Grant.objects.create(
        programme=programme,
        funder=fond,
        title="Sommeraktiviteter",
        amount=Decimal("200000"),
        start=start,
        end=dt.date(2011, 12, 31),
        earmark="Aktiviteter for unge",
    )
    for year in range(start.year, DEMO_END.year + 1):
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
        if year <= DEMO_END.year - 1:
            Spend.objects.create(
                programme=programme,
                grant=g_k,
                date=dt.date(year, 12, 15),
                amount=Decimal("1750000") * share,
                description="Sekretariat",
            )
            Spend.objects.create(
                programme=programme,
                grant=g_m,
                date=dt.date(year, 12, 15),
                initiative=initiatives["Mentorordning"],
                amount=Decimal("1000000") * share,
                description="Mentorer",
            )
    Spend.objects.create(
        programme=programme,
        grant=g_f,
        date=dt.date(2011, 8, 1),
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
        date=dt.date(start.year, 9, 15),
        place="Beboerhuset",
        minutes="Handlingsplanen drøftet (demo).",
    )
    first.agenda, first.bands = agenda_for(board, previous=None)
    first.save()
    Decision.objects.create(
        meeting=first, kind="decision", text="Boardet godkender handlingsplanen 2010/11"
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
        due=dt.date(start.year, 11, 1),
        decision=item,
        owner_name="Politiet",
        status=TaskStatus.DONE,
        done_on=dt.date(start.year, 10, 20),
    )
    # The activity target counts every task of the plan, the meeting's action item included.
    Goal.objects.filter(programme=programme, measure="tasks_done").update(
        target_value=plan.tasks.count()
    )
    upcoming = Meeting.objects.create(
        group=board, date=timezone.localdate() + dt.timedelta(days=21), place="Beboerhuset"
    )
    upcoming.agenda, upcoming.bands = agenda_for(board, previous=first)
    upcoming.save()
    record(
        Action.CREATE,
        municipality=municipality,
        obj=programme,
        purpose=Purpose.DEMO,
        fields=["programme", "initiatives", "goals", "plan", "budget", "groups"],
        username="make_demo_programmes",
    )
    return programme
