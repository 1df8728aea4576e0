"""The programme pages' context, called without the client on the demo programmes (Demokommune)."""

import inspect
import io

import pytest

from hotspot.programmes import inputs, pages
from hotspot.programmes.models import Meeting, Programme, ProgrammeStatus, TaskStatus

SHEETS = [
    "Scorecard",
    "Initiatives",
    "Action plans",
    "Budget per funder",
    "Grants",
    "Budget per initiative",
]


@pytest.fixture
def programmes(demo_municipality):
    """The demo's two 2010 programmes (ended in 2014), in the order they were made."""
    found = list(
        Programme.objects.filter(
            municipality=demo_municipality, status=ProgrammeStatus.ENDED
        ).order_by("pk")
    )
    assert len(found) == 2
    return found


@pytest.fixture
def running(demo_municipality):
    """The demo's programme running now (the late hotspot's, dated from the day the demo was built)."""
    found = list(
        Programme.objects.filter(municipality=demo_municipality).exclude(
            status=ProgrammeStatus.ENDED
        )
    )
    assert len(found) == 1
    return found


def test_page_functions_never_see_the_request():
    for name, func in inspect.getmembers(pages, inspect.isfunction):
        if func.__module__ == pages.__name__:
            assert "request" not in inspect.signature(func).parameters, name


def test_overview_for_the_coordinator_and_for_a_partner(coordinator, partner, programmes, running):
    municipality = programmes[0].municipality
    mine = pages.overview_context(coordinator, municipality)["programme_overview"]
    theirs = pages.overview_context(partner, municipality)["programme_overview"]
    # Overblik shows the running programme; the ended 2010 ones are not on it (issue 14 item 10).
    bands = {p.pk: inputs.summary_band(inputs.scorecard(p)) for p in running}
    for ctx in (mine, theirs):
        assert {r["programme"].pk: r["band"] for r in ctx["rows"]} == bands
        for row in ctx["rows"]:
            assert sum(row["counts"].values()) == row["programme"].goals.count()
    assert mine["manages"] and not theirs["manages"]
    assert {t.pk for t in mine["overdue"]} == {
        t.pk for t in inputs.overdue_tasks(running) if t.programme_id in bands
    }
    assert mine["overdue"] and mine["mine"]
    # Overdue by days, not years; the next meetings are the running programme's, in the coming weeks.
    today = inputs.today()
    assert all(0 < (today - t.due).days <= 14 for t in mine["overdue"])
    assert mine["meetings"] and all(
        m.group.programme_id == running[0].pk and 0 <= (m.date - today).days <= 28
        for m in mine["meetings"]
    )
    assert all(t.owner_id == coordinator.pk for t in mine["mine"])
    assert all(t.status != TaskStatus.DONE for t in mine["mine"])
    assert "meetings" in mine
    assert not {"overdue", "mine", "meetings"} & set(theirs)


def test_overview_for_someone_outside_the_municipality(outsider, programmes):
    municipality = programmes[0].municipality
    assert pages.overview_context(outsider, municipality) == {"programme_overview": None}
    assert pages.overview_context(outsider, None) == {"programme_overview": None}


def test_report_context(coordinator, programmes):
    first, second = programmes
    ctx = pages.report_context(first, coordinator)
    statuses = inputs.scorecard(first)
    assert ctx["programme"] == first
    assert [s.goal.pk for s in ctx["statuses"]] == [s.goal.pk for s in statuses]
    assert [s.band for s in ctx["statuses"]] == [s.band for s in statuses]
    assert ctx["summary"] == inputs.summary_band(statuses)
    assert ctx["counts"] == inputs.band_counts(statuses)
    assert [s for s, _chart in ctx["charts"]] == ctx["statuses"]
    for status, chart in ctx["charts"]:
        assert len(chart["points"]) == len(status.series)
    assert [c for c, _layout in ctx["graphs"]] == list(first.challenges.all())
    assert {cell.level for _ca, cells in ctx["matrix"]["rows"] for cell in cells} == {
        level for level, _label in ctx["matrix"]["levels"]
    }
    for row in ctx["plans"]:
        tasks = list(row["plan"].tasks.all())
        assert row["total"] == len(tasks)
        assert row["done"] == sum(t.status == TaskStatus.DONE for t in tasks)
    assert sum(row["overdue"] for row in ctx["plans"]) == len(inputs.overdue_tasks([first]))
    assert ctx["budget"]["totals"] == inputs.budget(first)["totals"]
    assert ctx["today"] == inputs.today()
    # the demo's first programme has a complete board, the second does not
    assert ctx["board"]["ok"] and not pages.report_context(second, coordinator)["board"]["ok"]


def test_workbook_holds_the_report_tables(coordinator, programmes):
    from openpyxl import load_workbook

    programme = programmes[0]
    data, sheets = pages.tables_xlsx(programme, coordinator)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == SHEETS and sheets == len(SHEETS)
    scorecard = book["Scorecard"]
    assert [c.value for c in scorecard[1]][:2] == ["Goal", "Kind"]
    assert all(c.font.bold for c in scorecard[1])
    statuses = inputs.scorecard(programme)
    rows = list(scorecard.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(statuses)
    for row, status in zip(rows, statuses):
        assert row[0] == status.goal.title
        assert row[5] == status.current
        assert row[7] == status.goal.target_value
        assert row[9] == status.progress_percent
        assert row[10] == str(status.band_label)
    money = inputs.budget(programme)
    funders = list(book["Budget per funder"].iter_rows(min_row=2, values_only=True))
    assert sum(r[1] for r in funders) == pytest.approx(float(money["totals"]["granted"]))
    assert len(list(book["Grants"].iter_rows(min_row=2))) == len(money["grants"])
    matrix = pages.matrix(programme)
    cells = sum(len(cells) for _ca, cells in matrix["rows"])
    assert len(list(book["Initiatives"].iter_rows(min_row=2))) == cells


def test_goal_plan_and_meeting_pages(coordinator, programmes):
    programme = programmes[0]
    goals = pages.goals(programme)
    assert sum(len(items) for _kind, _label, items in goals["by_kind"]) == programme.goals.count()
    goal = programme.goals.order_by("pk").first()
    detail = pages.goal_detail(goal)
    assert detail["chart"]["values"] == [v for _d, v in detail["status"].series]
    assert detail["chart"]["deadline"] == goal.deadline.isoformat()
    plan = programme.plans.first()
    tasks = pages.plan_detail(plan)
    shown = [t for _f, items in tasks["focus"] for t in items] + tasks["loose"]
    assert sorted(t.pk for t in shown) == sorted(plan.tasks.values_list("pk", flat=True))
    rows = {r["plan"].pk: r for r in pages.plans(programme)["rows"]}
    assert rows[plan.pk]["total"] == len(shown)
    listed = pages.programme_list(coordinator, programme.municipality)
    everyone = Programme.objects.filter(municipality=programme.municipality)
    assert {r["programme"].pk for r in listed} == set(everyone.values_list("pk", flat=True))
    meeting = Meeting.objects.filter(group__programme=programme, decisions__isnull=False).first()
    decisions = list(meeting.decisions.all())
    rows = pages.meeting_rows(meeting)
    assert [d for d, _task in rows] == decisions
    for decision, task in rows:
        assert task is None or task.decision_id == decision.pk
    mine = pages.my_tasks(coordinator, programme.municipality)["tasks"]
    assert mine and all(t.owner_id == coordinator.pk for t in mine)
