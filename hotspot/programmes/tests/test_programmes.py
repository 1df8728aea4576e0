import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from hotspot.audit.models import AuditEvent
from hotspot.programmes import inputs, pages
from hotspot.programmes.models import (
    ActionPlan,
    CoreArea,
    Goal,
    GoalValue,
    GroupMember,
    Initiative,
    Programme,
    ProgrammeStatus,
    Spend,
    Task,
    TaskStatus,
)
from hotspot.programmes.tests.access import make_programme

D = dt.date


@pytest.fixture
def objs(demo_municipality):
    return make_programme(demo_municipality)


def _audit(obj):
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


# --- catalogue ---------------------------------------------------------------------------------------


def test_default_catalogue_is_the_2008_framework(db):
    default = CoreArea.objects.filter(municipality__isnull=True)
    assert list(default.values_list("code", flat=True)) == [
        "1a",
        "1b",
        "1c",
        "2",
        "3",
        "4",
        "5",
        "6",
    ]
    assert default.get(code="1a").name_da == "SSP/børn og unge"
    assert set(default.values_list("pillar", flat=True)) == {"1", "2", "3", "4", "5", "6"}
    micro = default.get(code="1b").elements.values_list("text_da", flat=True)
    assert any("10 mest udsatte familier" in t for t in micro)


def test_municipality_extends_catalogue_for_itself_only(
    login, coordinator, demo_municipality, other_municipality
):
    client = login(coordinator)
    data = {"code": "7", "pillar": "7", "name_da": "Skoler", "name_en": "Schools", "order": 9}
    assert client.post(reverse("programmes:core_area_new"), data).status_code == 302
    assert CoreArea.objects.for_municipality(demo_municipality).filter(code="7").exists()
    assert not CoreArea.objects.for_municipality(other_municipality).filter(code="7").exists()
    # A code of the default catalogue is refused, not a 500.
    again = client.post(reverse("programmes:core_area_new"), {**data, "code": "1a"})
    assert again.status_code == 200 and "code" in again.context["form"].errors


# --- progress ----------------------------------------------------------------------------------------


def test_progress_formula_methods_7():
    assert inputs.progress(150, baseline=200, target=100) == pytest.approx(0.5)
    assert inputs.progress(20, baseline=10, target=30) == pytest.approx(0.5)
    assert inputs.progress(250, baseline=200, target=100) == pytest.approx(-0.5)
    with pytest.raises(ValueError, match="differ"):
        inputs.progress(1, baseline=2, target=2)


@pytest.mark.parametrize(
    "progress,expected,band",
    [
        (1.2, 0.5, "green"),
        (0.5, 0.5, "green"),
        (0.3, 0.5, "amber"),
        (0.2, 0.5, "red"),
        (-0.1, 0.5, "red"),
        (0.0, 0.05, "green"),
        (-0.1, 0.05, "amber"),
        (None, 0.5, "none"),
    ],
)
def test_bands(progress, expected, band):
    assert inputs.band(progress, expected) == band


def test_goal_status_from_stored_values(objs):
    goal = objs["goal"]  # own count: 5 -> 40 from 2010-07-01 to 2014-12-31
    assert inputs.goal_status(goal).band == "none"
    GoalValue.objects.create(goal=goal, date=D(2012, 12, 31), value=22.5)
    status = inputs.goal_status(goal, as_of=D(2020, 1, 1))
    assert status.current == 22.5
    assert status.progress == pytest.approx(0.5)
    assert status.expected == pytest.approx((D(2012, 12, 31) - D(2010, 7, 1)).days / 1644)
    assert status.band == "amber"  # 0.5 progress after superseded ~55 % of the period


def test_crime_goal_reads_report_counts(objs):
    goal = Goal.objects.create(
        programme=objs["programme"],
        title="Færre anmeldelser",
        kind="effect",
        measure="reports_citizen_directed",
        baseline_value=100,
        baseline_date=D(2009, 12, 31),
        target_value=50,
        deadline=D(2014, 12, 31),
    )
    series = inputs.goal_series(goal)
    years = [d.year for d, _v in series]
    assert 2009 in years and 2014 in years
    assert all(v >= 0 for _d, v in series)
    assert inputs.goal_status(goal).current_date == D(2014, 12, 31)
    # 2014 by hand from the stored rows of the programme's (housing) area: 1000 * reports / residents.
    from django.db.models import Sum

    from hotspot.areas.models import Population
    from hotspot.incidents.models import ReportCount

    area = objs["programme"].areas.get()
    reports = ReportCount.objects.filter(area=area, year=2014).aggregate(n=Sum("citizen_directed"))
    residents = Population.objects.filter(area=area, year=2014).aggregate(n=Sum("count"))
    assert dict(series)[D(2014, 12, 31)] == round(1000 * reports["n"] / residents["n"], 2)


def test_a_goal_without_an_area_reads_all_of_the_programmes_areas(objs):
    """Not the first area only: a programme of two areas measures its goals over both, each once."""
    from django.db.models import Sum

    from hotspot.areas.models import Area, Population
    from hotspot.incidents.models import ReportCount

    programme = objs["programme"]
    first = programme.areas.get()
    second = (
        Area.objects.filter(municipality=programme.municipality, kind=first.kind)
        .exclude(pk=first.pk)
        .order_by("code")
        .first()
    )
    programme.areas.add(second)
    goal = Goal.objects.create(
        programme=programme,
        title="Færre anmeldelser i begge områder",
        kind="effect",
        measure="reports_total",
        baseline_value=100,
        baseline_date=D(2009, 12, 31),
        target_value=50,
        deadline=D(2014, 12, 31),
    )
    both = [first.pk, second.pk]
    reports = ReportCount.objects.filter(area_id__in=both, year=2014).aggregate(n=Sum("reports"))
    residents = Population.objects.filter(area_id__in=both, year=2014).aggregate(n=Sum("count"))
    series = dict(inputs.goal_series(goal))
    assert series[D(2014, 12, 31)] == round(1000 * reports["n"] / residents["n"], 2)
    assert sorted(inputs.goal_unit(goal)[1]) == sorted(both)


# --- bad input: never a 500 --------------------------------------------------------------------------


def _goal_data(**kw):
    data = {
        "title": "Mål",
        "kind": "result",
        "measure": "own",
        "baseline_value": "5",
        "baseline_date": "2011-01-01",
        "target_value": "40",
        "deadline": "2014-12-31",
    }
    data.update(kw)
    return data


def test_target_deadline_before_baseline_is_refused(login, coordinator, objs):
    url = reverse("programmes:goal_new", args=[objs["programme"].pk])
    response = login(coordinator).post(url, _goal_data(deadline="2010-01-01"))
    assert response.status_code == 200
    assert "deadline" in response.context["form"].errors
    assert not Goal.objects.filter(title="Mål").exists()


def test_goal_without_indicator_is_refused(login, coordinator, objs):
    url = reverse("programmes:goal_new", args=[objs["programme"].pk])
    response = login(coordinator).post(url, _goal_data(measure="indicator"))
    assert response.status_code == 200
    assert "indicator" in response.context["form"].errors
    response = login(coordinator).post(url, _goal_data(measure="tasks_done"))
    assert "action_plan" in response.context["form"].errors


def test_goal_created_with_audit(login, coordinator, objs):
    url = reverse("programmes:goal_new", args=[objs["programme"].pk])
    response = login(coordinator).post(url, _goal_data())
    goal = Goal.objects.get(title="Mål")
    assert response.status_code == 302 and response["Location"] == goal.get_absolute_url()
    event = _audit(goal).get()
    assert event.action == "create" and "baseline_value" in event.fields
    assert "5" not in event.fields  # names, never values


@pytest.mark.parametrize(
    "url_name,data",
    [
        (
            "grant_new",
            {"title": "X", "amount": "-5", "start": "2011-01-01", "end": "2012-01-01"},
        ),
        ("budget_line_new", {"year": "2011", "amount": "-1"}),
        ("spend_new", {"date": "2011-01-01", "amount": "-100"}),
    ],
)
def test_negative_amounts_are_refused(login, coordinator, objs, url_name, data):
    grant = objs["grant"]
    data = {**data, "grant": grant.pk, "funder": grant.funder_id}
    response = login(coordinator).post(
        reverse(f"programmes:{url_name}", args=[objs["programme"].pk]), data
    )
    assert response.status_code == 200
    assert "amount" in response.context["form"].errors


def test_spend_over_a_grant_is_allowed_and_flagged(login, coordinator, objs):
    grant = objs["grant"]  # 1,000 DKK
    client = login(coordinator)
    data = {"grant": grant.pk, "date": "2011-05-01", "amount": "1500"}
    response = client.post(reverse("programmes:spend_new", args=[objs["programme"].pk]), data)
    assert response.status_code == 302
    assert Spend.objects.filter(grant=grant).count() == 1
    row = inputs.budget(objs["programme"])["grants"][0]
    assert row["over"] and row["left"] == Decimal(-500)
    page = client.get(reverse("programmes:budget", args=[objs["programme"].pk]))
    assert b'data-over="1"' in page.content and b'id="budget-warnings"' in page.content


def test_grant_ending_with_money_left_is_warned(objs):
    grant = objs["grant"]
    grant.end = D(2012, 1, 1)
    grant.save()
    Spend.objects.create(programme=grant.programme, grant=grant, date=D(2011, 1, 1), amount=100)
    warning = inputs.budget(objs["programme"])["warnings"]
    assert [w["grant"] for w in warning] == [grant]
    assert warning[0]["ends_with_money_left"] and not warning[0]["over"]


def test_plan_vs_spend_per_funder_and_initiative(objs):
    from hotspot.programmes.models import BudgetLine

    p, grant, ini = objs["programme"], objs["grant"], objs["initiative"]
    BudgetLine.objects.create(programme=p, grant=grant, initiative=ini, year=2011, amount=600)
    Spend.objects.create(programme=p, grant=grant, initiative=ini, date=D(2011, 3, 1), amount=250)
    money = inputs.budget(p)
    assert money["funders"][0]["planned"] == 600 and money["funders"][0]["spent"] == 250
    assert money["initiatives"] == [{"initiative": ini, "planned": 600, "spent": 250}]


def test_budget_sums_per_grant_initiative_and_unassigned(objs):
    """Each row counted once, in its own grant and its own initiative (or unassigned); figures by hand."""
    from hotspot.programmes.models import BudgetLine, Grant

    p, grant, ini = objs["programme"], objs["grant"], objs["initiative"]
    second = Grant.objects.create(
        programme=p,
        funder=grant.funder,
        title="Anden",
        amount=Decimal(500),
        start=D(2010, 7, 1),
        end=D(2014, 12, 31),
    )
    for g, i, amount in [(grant, ini, 100), (grant, None, 30), (second, ini, 7), (second, None, 2)]:
        BudgetLine.objects.create(programme=p, grant=g, initiative=i, year=2011, amount=amount)
        Spend.objects.create(programme=p, grant=g, initiative=i, date=D(2011, 3, 1), amount=amount)
    money = inputs.budget(p)
    by_grant = {r["grant"]: (r["planned"], r["spent"], r["left"]) for r in money["grants"]}
    assert by_grant == {grant: (130, 130, 870), second: (9, 9, 491)}
    assert money["initiatives"] == [{"initiative": ini, "planned": 107, "spent": 107}]
    assert money["unassigned"] == {"planned": 32, "spent": 32}
    assert money["totals"] == {"granted": 1500, "planned": 139, "spent": 139}
    assert money["funders"][0]["granted"] == 1500


def _queries(func):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        func()
    return len(captured.captured_queries)


def test_programme_pages_do_not_query_per_row(demo_municipality, coordinator):
    """Budget, scorecard, theory and Overblik read rows in a fixed number of queries (no N+1): adding
    grants, lines, goals, steps and tasks does not add queries."""
    from django.template.loader import render_to_string

    from hotspot.programmes.models import BudgetLine, ChangeNode, Grant, TheoryOfChange

    call_command("make_demo_programmes", verbosity=0)
    p = Programme.objects.filter(municipality=demo_municipality).order_by("pk").first()

    def overview():
        ctx = pages.overview_context(coordinator, demo_municipality)
        render_to_string("programmes/overview_fragment.html", ctx)

    def counts():
        return {
            "budget": _queries(lambda: inputs.budget(p)),
            "scorecard": _queries(lambda: inputs.scorecard(p)),
            "theory": _queries(lambda: pages.theory_layouts(p)),
            "overview": _queries(overview),
        }

    counts()  # warm the per-process caches (content types, the tiling map)
    before = counts()
    assert before["budget"] == 6
    grant = p.grants.first()
    extra = Grant.objects.create(
        programme=p, funder=grant.funder, title="Ekstra", amount=1, start=grant.start, end=grant.end
    )
    for g in (grant, extra):
        BudgetLine.objects.create(programme=p, grant=g, year=2011, amount=1)
        Spend.objects.create(programme=p, grant=g, date=D(2011, 3, 1), amount=1)
    for g in list(p.goals.exclude(measure="tasks_done")):
        g.pk = None
        g.title += " (kopi)"
        g.save()
    theory = TheoryOfChange.objects.filter(programme=p).first()
    ChangeNode.objects.create(theory=theory, kind="result", text="Endnu et skridt")
    for t in Task.objects.filter(programme=p)[:3]:
        t.pk, t.owner, t.due = None, coordinator, D(2011, 1, 1)
        t.save()
    assert counts() == before


# --- optimistic locking ------------------------------------------------------------------------------


def test_two_people_editing_one_action_plan(client, coordinator, objs, django_user_model):
    plan = objs["plan"]
    url = reverse("programmes:plan_edit", args=[plan.pk])
    base = {"title": plan.title, "start": "2010-07-01", "end": "2011-06-30", "version": "1"}
    client.force_login(coordinator)
    first = client.post(url, {**base, "notes": "Første udgave"})
    assert first.status_code == 302
    # The second person opened the form at version 1 too and now saves.
    second = client.post(url, {**base, "notes": "Anden udgave", "title": "Ny titel"})
    assert second.status_code == 409
    assert b'id="conflict"' in second.content
    form = second.context["form"]
    assert form["notes"].value() == "Anden udgave"  # nothing the second person typed is lost
    assert form["version"].value() == 2  # saving again deliberately overwrites
    plan.refresh_from_db()
    assert plan.notes == "Første udgave" and plan.version == 2
    third = client.post(url, {**base, "version": "2", "notes": "Anden udgave"})
    assert third.status_code == 302
    plan.refresh_from_db()
    assert plan.notes == "Anden udgave" and plan.version == 3


def test_conflict_box_names_linked_objects_not_their_ids(client, coordinator, objs):
    """What the other person saved is shown as people read it: area, focus area, initiative, owner and
    status by name, never a database id or an internal code."""
    from hotspot.programmes.models import FocusArea

    plan, task, area = objs["plan"], objs["task"], objs["programme"].areas.get()
    focus = FocusArea.objects.create(plan=plan, number=1, title="Tryghed i gaderne")
    coordinator.first_name, coordinator.last_name = "Karen", "Koordinator"
    coordinator.save()
    client.force_login(coordinator)
    plan_url = reverse("programmes:plan_edit", args=[plan.pk])
    plan_data = {"title": plan.title, "start": "2010-07-01", "end": "2011-06-30", "version": "1"}
    assert client.post(plan_url, {**plan_data, "area": area.pk}).status_code == 302
    second = client.post(plan_url, {**plan_data, "notes": "Anden udgave"})
    assert second.status_code == 409
    box = second.content.decode().split('id="conflict"')[1].split("</dl>")[0]
    assert f"<dd>{area}</dd>" in box
    assert f"<dd>{area.pk}</dd>" not in box

    task_url = reverse("programmes:task_edit", args=[task.pk])
    task_data = {"title": task.title, "due": "2011-01-01", "version": "1"}
    first = {
        **task_data,
        "focus_area": focus.pk,
        "initiative": objs["initiative"].pk,
        "owner": coordinator.pk,
        "status": "in_progress",
    }
    assert client.post(task_url, first).status_code == 302
    second = client.post(task_url, {**task_data, "status": "open"})
    assert second.status_code == 409
    box = second.content.decode().split('id="conflict"')[1].split("</dl>")[0]
    for shown in ("Tryghed i gaderne", "SSP", "Karen Koordinator", "In progress"):
        assert f"<dd>{shown}</dd>" in box, shown
    for hidden in (focus.pk, objs["initiative"].pk, coordinator.pk, "in_progress"):
        assert f"<dd>{hidden}</dd>" not in box, hidden


def test_stale_task_status_is_refused_with_a_message(login, coordinator, objs):
    task = objs["task"]
    client = login(coordinator)
    url = reverse("programmes:task_status", args=[task.pk])
    assert client.post(url, {"status": "in_progress", "version": "1"}).status_code == 302
    response = client.post(url, {"status": "done", "version": "1"}, follow=True)
    task.refresh_from_db()
    assert task.status == "in_progress" and task.version == 2
    assert any(m.level_tag == "error" for m in response.context["messages"])


# --- initiatives -------------------------------------------------------------------------------------


def test_single_checkbox_is_drawn_and_saved(login, coordinator, objs):
    """A lone checkbox ("new with the programme") gets the design system's class: without it the
    native box has appearance none and no size, so nobody sees it."""
    client = login(coordinator)
    p = objs["programme"]
    url = reverse("programmes:initiative_new", args=[p.pk])
    page = client.get(url).content.decode()
    assert 'class="form-checkbox" name="is_new" id="id_is_new">' in page
    core = CoreArea.objects.get(code="2", municipality__isnull=True)
    data = {
        "name": "Ny indsats",
        "owner": "Kommunen",
        "core_areas": [core.pk],
        "level": "family",
        "evidence": "none",
    }
    assert client.post(url, {**data, "is_new": "on"}).status_code == 302
    assert Initiative.objects.get(programme=p, name="Ny indsats").is_new
    edit = client.get(
        reverse("programmes:initiative_edit", args=[p.initiatives.get(name="Ny indsats").pk])
    )
    assert 'id="id_is_new" checked>' in edit.content.decode()


def test_deleting_an_initiative_that_goals_depend_on_is_refused(login, coordinator, objs):
    ini, goal = objs["initiative"], objs["goal"]
    goal.initiatives.add(ini)
    client = login(coordinator)
    url = reverse("programmes:initiative_delete", args=[ini.pk])
    page = client.get(url)
    assert b'id="dependants"' in page.content and goal.title.encode() in page.content
    response = client.post(url)
    assert response.status_code == 409
    assert Initiative.objects.filter(pk=ini.pk).exists()
    goal.initiatives.clear()
    response = client.post(url)
    assert response.status_code == 302
    assert not Initiative.objects.filter(pk=ini.pk).exists()
    assert AuditEvent.objects.filter(
        object_type="programmes.initiative", object_id=str(ini.pk), action="delete"
    ).exists()


def test_matrix_shows_gaps_clusters_and_competing_target_groups(objs):
    p = objs["programme"]
    ssp = CoreArea.objects.get(municipality__isnull=True, code="1a")
    police = CoreArea.objects.get(municipality__isnull=True, code="2")
    from hotspot.programmes.models import CoreAreaWeight

    CoreAreaWeight.objects.create(programme=p, core_area=police, level="neighbourhood", weight=3)
    for name in ("A", "B", "C"):
        i = Initiative.objects.create(
            programme=p, name=name, owner="X", level="family", target_group="Unge mænd  15-24"
        )
        i.core_areas.add(ssp)
    m = pages.matrix(p)
    assert [(c.core_area.code, c.level) for c in m["gaps"]] == [("2", "neighbourhood")]
    assert [(c.core_area.code, c.level) for c in m["clusters"]] == [("1a", "family")]
    assert len(m["competing"]) == 1 and len(m["competing"][0]["initiatives"]) == 3


# --- tasks, board, meetings --------------------------------------------------------------------------


def test_marking_a_task_done_moves_the_activity_goal(login, coordinator, objs):
    plan = objs["plan"]
    p = objs["programme"]
    for i in range(3):
        Task.objects.create(programme=p, plan=plan, title=f"t{i}", due=D(2011, 1, 1))
    goal = Goal.objects.create(
        programme=p,
        title="Opgaver",
        kind="activity",
        measure="tasks_done",
        action_plan=plan,
        baseline_value=0,
        baseline_date=D(2010, 7, 1),
        target_value=4,
        deadline=D(2011, 6, 30),
    )
    assert inputs.goal_status(goal).band == "red"
    client = login(coordinator)
    for t in Task.objects.filter(plan=plan)[:2]:
        client.post(
            reverse("programmes:task_status", args=[t.pk]), {"status": "done", "version": "1"}
        )
    status = inputs.goal_status(goal)
    assert status.current == 2 and status.band == "amber"
    done = Task.objects.filter(plan=plan, status=TaskStatus.DONE).first()
    assert done.done_on is not None
    assert _audit(done).get().fields == ["done_on", "status"]


def test_task_status_access(client, member, outsider, objs):
    task = objs["task"]
    url = reverse("programmes:task_status", args=[task.pk])
    client.force_login(member("board"))
    assert client.post(url, {"status": "done", "version": "1"}).status_code == 403
    client.force_login(outsider)
    assert client.post(url, {"status": "done", "version": "1"}).status_code == 404
    # The person a task is assigned to may mark it, whatever their role.
    task.owner = member("partner")
    task.save()
    client.force_login(member("partner"))
    assert client.post(url, {"status": "done", "version": "1"}).status_code == 302
    task.refresh_from_db()
    assert task.status == "done"
    mine = client.get(reverse("programmes:my_tasks"))
    assert task.title.encode() not in mine.content  # done: off the "assigned to me" list


def test_board_composition_rule(objs):
    p, board = objs["programme"], objs["group"]
    check = pages.board_check(p)
    assert check["has_board"] and not check["ok"]
    assert [ca.pillar for ca in check["missing"]] == ["1", "2", "3", "4", "5", "6"]
    for code in ("1b", "2", "3", "4", "5", "6"):
        ca = CoreArea.objects.get(municipality__isnull=True, code=code)
        GroupMember.objects.create(group=board, name=f"m{code}", core_area=ca)
    assert pages.board_check(p)["ok"]
    ca = CoreArea.objects.get(municipality__isnull=True, code="1a")
    GroupMember.objects.create(group=board, name="extra", core_area=ca)
    check = pages.board_check(p)
    assert not check["ok"] and check["several"][0][0].pillar == "1"


def test_meeting_agenda_prefilled_and_action_item_becomes_task(login, coordinator, objs):
    goal, group = objs["goal"], objs["group"]
    client = login(coordinator)
    url = reverse("programmes:meeting_new", args=[group.pk])
    client.post(url, {"date": "2011-03-01", "place": "Huset", "agenda": ""})
    first = group.meetings.get(date=D(2011, 3, 1))
    assert "Opgave" in first.agenda  # the overdue task
    assert goal.title not in first.agenda  # no data yet: its band has not changed
    GoalValue.objects.create(goal=goal, date=D(2011, 12, 31), value=39)
    client.post(url, {"date": "2012-03-01", "agenda": ""})
    second = group.meetings.get(date=D(2012, 3, 1))
    assert second.bands[str(goal.pk)] != first.bands[str(goal.pk)]
    assert goal.title in second.agenda
    decision = objs["decision"]
    response = client.post(
        reverse("programmes:decision_task", args=[decision.pk]),
        {"plan": objs["plan"].pk, "owner": coordinator.pk, "due": "2011-04-01"},
    )
    assert response.status_code == 302
    task = Task.objects.get(decision=decision)
    assert task.owner == coordinator and task.title == decision.text
    assert task in inputs.overdue_tasks([objs["programme"]])


# --- reports, overview, demo -------------------------------------------------------------------------


def test_board_member_sees_the_report_pdf_and_xlsx(login, member, objs):
    from openpyxl import load_workbook

    client = login(member("board"))
    p = objs["programme"]
    assert client.get(reverse("programmes:report", args=[p.pk])).status_code == 200
    pdf = client.get(reverse("programmes:report_pdf", args=[p.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = client.get(reverse("programmes:tables_xlsx", args=[p.pk]))
    book = load_workbook(io.BytesIO(xlsx.content))
    assert len(book.sheetnames) == 6
    assert book.worksheets[0]["A2"].value == objs["goal"].title
    fields = {row[1] for row in book["Initiatives"].iter_rows(min_row=2, values_only=True)}
    assert fields == {"Family and individual", "Neighbourhood"}  # labels, not internal codes
    assert _audit(p).filter(action="export").count() == 2
    # Read-only: no edit links for the board.
    page = client.get(reverse("programmes:goals", args=[p.pk]))
    assert b'id="add-goal"' not in page.content


def test_overview_context(coordinator, member, objs, demo_municipality):
    ctx = pages.overview_context(coordinator, demo_municipality)["programme_overview"]
    assert objs["programme"] in [r["programme"] for r in ctx["rows"]]
    assert objs["task"] in ctx["overdue"]
    board = pages.overview_context(member("board"), demo_municipality)["programme_overview"]
    assert board["rows"] and "overdue" not in board and not board["manages"]
    from django.template.loader import render_to_string

    html = render_to_string("programmes/overview_fragment.html", {"programme_overview": ctx})
    assert 'id="overview-overdue"' in html


def test_demo_programmes_are_idempotent(demo_municipality, coordinator):
    call_command("make_demo_programmes", verbosity=0)
    call_command("make_demo_programmes", verbosity=0)
    programmes = Programme.objects.filter(municipality=demo_municipality)
    assert programmes.count() == 3
    today = inputs.today()
    for p in programmes:
        assert p.areas.get().code.startswith("HS-")
        assert p.challenges.count() == 4
        plan = p.plans.get()
        assert plan.focus_areas.count() == 3
        statuses = inputs.scorecard(p)
        assert {s.goal.kind for s in statuses} == {"activity", "result", "effect"}
        assert Task.objects.filter(programme=p, owner=coordinator).exists()
    # The 2010 programmes have ended (issue 14 item 10): every task done by the end, no meeting to come.
    ended = programmes.filter(status=ProgrammeStatus.ENDED).order_by("pk")
    assert [p.end for p in ended] == [D(2014, 12, 31)] * 2
    for p in ended:
        assert not inputs.overdue_tasks([p]) and not p.tasks.open().exists()
        assert not p.tasks.filter(done_on__gt=p.end).exists()
        assert not inputs.next_meetings([p])
        assert "red" in {s.band for s in inputs.scorecard(p)}
    boards = [pages.board_check(p)["ok"] for p in ended]
    assert boards == [True, False]
    # One programme runs now: started in the last data year, open tasks due in the coming weeks, one
    # a few days overdue, its next meetings in the coming weeks.
    running = programmes.get(status=ProgrammeStatus.RUNNING)
    assert running.start == D(2025, 7, 1) and running.end >= D(2027, 12, 31)
    overdue = inputs.overdue_tasks([running])
    assert len(overdue) == 1 and 0 < (today - overdue[0].due).days <= 14
    assert running.tasks.open().filter(due__gte=today, due__lte=today + dt.timedelta(weeks=4))
    meetings = inputs.next_meetings([running])
    assert meetings and (meetings[0].date - today).days <= 28


def test_coordinator_sets_up_a_programme_through_the_pages(login, coordinator, demo_municipality):
    from hotspot.areas.models import Area

    client = login(coordinator)
    area = Area.objects.get(municipality=demo_municipality, code__startswith="HS-D08")
    response = client.post(
        reverse("programmes:new"),
        {
            "name": "Ny",
            "areas": [area.pk],
            "start": "2015-01-01",
            "end": "2014-01-01",
            "status": "draft",
        },
    )
    assert "end" in response.context["form"].errors
    response = client.post(
        reverse("programmes:new"),
        {
            "name": "Ny",
            "areas": [area.pk],
            "start": "2015-01-01",
            "end": "2018-12-31",
            "status": "draft",
        },
    )
    p = Programme.objects.get(name="Ny")
    assert p.municipality == demo_municipality
    client.post(reverse("programmes:challenge_new", args=[p.pk]), {"number": 1, "title": "U"})
    weights = {
        f"w_{ca.pk}_{lvl}": 2
        for ca in CoreArea.objects.for_municipality(demo_municipality)
        for lvl in ("family", "neighbourhood")
    }
    assert client.post(reverse("programmes:weights", args=[p.pk]), weights).status_code == 302
    assert p.weights.count() == 16
    response = client.post(
        reverse("programmes:plan_new", args=[p.pk]),
        {
            "title": "Plan 2015",
            "start": "2015-01-01",
            "end": "2015-12-31",
            "focus_areas": "A\nB\nC",
        },
    )
    plan = ActionPlan.objects.get(programme=p)
    assert list(plan.focus_areas.values_list("title", flat=True)) == ["A", "B", "C"]
    for name in ("detail", "matrix", "theory", "goals", "plans", "budget", "groups", "report"):
        assert client.get(reverse(f"programmes:{name}", args=[p.pk])).status_code == 200


def test_deleting_a_programme_takes_everything_with_it(objs):
    from hotspot.programmes.models import BudgetLine

    p = objs["programme"]
    BudgetLine.objects.create(
        programme=p, grant=objs["grant"], initiative=objs["initiative"], year=2011, amount=1
    )
    objs["goal"].initiatives.add(objs["initiative"])
    p.delete()
    assert not Initiative.objects.filter(pk=objs["initiative"].pk).exists()


def test_a_goal_on_the_safety_index_with_yearly_milestones(login, coordinator, objs):
    """The programme's baseline safety-index score and its yearly development as a goal: the scores
    of the index's latest run for the programme's area, compared year by year with milestones."""
    from hotspot.indices.inputs import latest_run
    from hotspot.indices.models import SafetyIndex, SafetyScore

    programme = objs["programme"]
    index = SafetyIndex.objects.filter(municipality=programme.municipality).first()
    run = latest_run(index.current)
    area = programme.areas.get()
    scores = dict(
        SafetyScore.objects.filter(run=run, area=area, score__isnull=False).values_list(
            "year", "score"
        )
    )
    assert len(scores) >= 3
    url = reverse("programmes:goal_new", args=[programme.pk])
    client = login(coordinator)
    # without the index: refused with the field named
    response = client.post(url, _goal_data(title="Tryghed", measure="safety_index"))
    assert response.status_code == 200 and "index" in response.context["form"].errors
    # a bad milestone line is named, nothing saved
    bad = client.post(
        url,
        _goal_data(
            title="Tryghed", measure="safety_index", index=index.pk, milestones="2012: 101\n2013 x"
        ),
    )
    errors = bad.context["form"].errors["milestones"]
    assert any("2013 x" in e and "Line 2" in e for e in errors)
    outside = client.post(
        url,
        _goal_data(title="Tryghed", measure="safety_index", index=index.pk, milestones="2030: 1"),
    )
    assert "between the baseline year and the deadline" in str(outside.context["form"].errors)
    assert not Goal.objects.filter(title="Tryghed").exists()
    years = sorted(y for y in scores if 2011 < y <= 2014)
    first, last = years[0], years[-1]
    target = scores[last] + 5
    ok = client.post(
        url,
        _goal_data(
            title="Tryghed",
            kind="effect",
            measure="safety_index",
            index=index.pk,
            baseline_value=str(scores[2011] if 2011 in scores else scores[first] - 1),
            target_value=str(target),
            milestones=f"{first}: {scores[first]:.2f}".replace(".", ",") + f"\n{last}: {target}",
        ),
    )
    assert ok.status_code == 302
    goal = Goal.objects.get(title="Tryghed")
    assert [(m.year, m.target_value) for m in goal.milestones.all()] == [
        (first, pytest.approx(scores[first], abs=0.005)),
        (last, target),
    ]
    series = dict(inputs.goal_series(goal))
    for y in years:
        assert series[D(y, 12, 31)] == round(scores[y], 2)
    status = inputs.goal_status(goal, as_of=D(2014, 12, 31))
    assert status.milestone == target and status.current == round(scores[last], 2)
    page = client.get(goal.get_absolute_url()).content.decode()
    assert 'id="goal-milestones"' in page and index.name in page
    # the edit form shows the milestones as typed (Danish decimal comma in Danish)
    edit = client.get(reverse("programmes:goal_edit", args=[goal.pk]))
    assert str(first) in edit.context["form"]["milestones"].value()
