"""Role x URL rows for the programmes app, collected by hotspot/accounts/tests/test_access.py.

Reading pages need view_aggregates (every member; the outsider gets 404 on Demokommune's objects);
editing pages need manage_programmes (the coordinator; everyone else 403). POST-only views answer 405 to
a GET from someone who may use them.
"""

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from hotspot.accounts.tests.table import ALL, PROGRAMME_EDITORS, only

D = dt.date


def make_programme(municipality):
    """A small programme with one of everything, in ``municipality``; returns a dict of its objects."""
    from hotspot.areas.models import Area, AreaKind
    from hotspot.programmes import models as m

    area = Area.objects.filter(municipality=municipality, kind=AreaKind.HOUSING).first()
    p = m.Programme.objects.create(
        municipality=municipality, name="Testprogram", start=D(2010, 7, 1), end=D(2014, 12, 31)
    )
    p.areas.add(area)
    challenge = m.Challenge.objects.create(programme=p, number=1, title="Høj kriminalitet")
    initiative = m.Initiative.objects.create(
        programme=p, name="SSP", owner="Kommunen", level="family"
    )
    plan = m.ActionPlan.objects.create(
        programme=p, title="Handlingsplan", start=D(2010, 7, 1), end=D(2011, 6, 30)
    )
    goal = m.Goal.objects.create(
        programme=p,
        title="Fritidsjob",
        kind="result",
        measure="own",
        baseline_value=5,
        baseline_date=D(2010, 7, 1),
        target_value=40,
        deadline=D(2014, 12, 31),
    )
    # created directly (not through actions.add_place): the table only needs a place to address
    centre = area.polygon.centroid if area.polygon is not None else None
    place = m.Place.objects.create(
        programme=p,
        name="Stien ved skolen",
        kind="physical",
        x=centre.x if centre else 0.0,
        y=centre.y if centre else 0.0,
    )
    task = m.Task.objects.create(
        programme=p, plan=plan, title="Opgave", due=D(2011, 1, 1), place=place
    )
    theory = m.TheoryOfChange.objects.create(programme=p, challenge=challenge)
    node = m.ChangeNode.objects.create(theory=theory, kind="activity", text="Aktivitet")
    group = m.Group.objects.create(programme=p, kind="board", name="Board")
    meeting = m.Meeting.objects.create(group=group, date=D(2011, 1, 15))
    decision = m.Decision.objects.create(meeting=meeting, kind="action", text="Gør noget")
    funder = m.Funder.objects.create(municipality=municipality, name="Fond")
    grant = m.Grant.objects.create(
        programme=p,
        funder=funder,
        title="Bevilling",
        amount=Decimal(1000),
        start=D(2010, 7, 1),
        end=D(2014, 12, 31),
    )
    return {
        "programme": p,
        "challenge": challenge,
        "initiative": initiative,
        "plan": plan,
        "goal": goal,
        "task": task,
        "place": place,
        "node": node,
        "group": group,
        "meeting": meeting,
        "decision": decision,
        "grant": grant,
    }


def _url(name, key, *, foreign=False):
    def build(own, other):
        objects = make_programme(other if foreign else own)
        return reverse(f"programmes:{name}", args=[objects[key].pk])

    return build


def _approval_url(own, other):
    """A stored approval step of a programme of Demokommune (the read-only page of its snapshot)."""
    from hotspot.programmes.models import Approval

    programme = make_programme(own)["programme"]
    step = Approval.objects.create(
        programme=programme, version=1, decision="submitted", snapshot={"kind": "programme"}
    )
    return reverse("programmes:approval_detail", args=[programme.pk, step.pk])


VIEW = {**ALL, "outsider": 404}
EDIT = only(PROGRAMME_EDITORS, outsider=404)
FOREIGN_VIEW = {**dict.fromkeys(ALL, 404), "outsider": 200}
# POST-only: a GET is 405 for everyone (who may POST is tested in test_programmes.py).
POST_ONLY = {**ALL, **dict.fromkeys(ALL, 405)}

_READ = {
    "detail": "programme",
    "matrix": "programme",
    "theory": "programme",
    "goals": "programme",
    "goal": "goal",
    "plans": "programme",
    "plan": "plan",
    "places": "programme",
    "budget": "programme",
    "groups": "programme",
    "meeting": "meeting",
    "approval": "programme",
    "report": "programme",
    "report_pdf": "programme",
    "tables_xlsx": "programme",
}
_EDIT = {
    "edit": "programme",
    "challenge_new": "programme",
    "weights": "programme",
    "initiative_new": "programme",
    "initiative_edit": "initiative",
    "initiative_delete": "initiative",
    "node_new": "challenge",
    "node_edit": "node",
    "goal_new": "programme",
    "goal_edit": "goal",
    "goal_value_new": "goal",
    "plan_new": "programme",
    "plan_edit": "plan",
    "focus_new": "plan",
    "task_new": "plan",
    "task_edit": "task",
    "place_new": "programme",
    "funder_new": "programme",
    "grant_new": "programme",
    "budget_line_new": "programme",
    "spend_new": "programme",
    "group_new": "programme",
    "member_new": "group",
    "meeting_new": "group",
    "meeting_edit": "meeting",
    "decision_new": "meeting",
    "decision_task": "decision",
}

TABLE: dict = {
    "programmes:list": ("none", ALL, 302),
    "programmes:core_areas": ("none", ALL, 302),
    "programmes:my_tasks": ("none", ALL, 302),
    "programmes:new": ("none", only(PROGRAMME_EDITORS, outsider=200), 302),
    "programmes:core_area_new": ("none", only(PROGRAMME_EDITORS, outsider=200), 302),
    "programmes:overdue": ("none", only(PROGRAMME_EDITORS, outsider=200), 302),
    "programmes:task_status": (_url("task_status", "task"), POST_ONLY, 405),
    # every member may open it (a membership without an organisation is told it owns no task); who may
    # report on which task is the ownership rule's, tested in test_partner_tasks.py
    "programmes:my_organisation": ("none", ALL, 302),
    "programmes:task_progress": (_url("task_progress", "task"), POST_ONLY, 405),
    "programmes:place_delete": (_url("place_delete", "place"), POST_ONLY, 405),
    # who may submit and decide (the coordinator; partner and board 403) is tested in test_approval.py
    "programmes:approval_submit": (_url("approval_submit", "programme"), POST_ONLY, 405),
    "programmes:approval_decide": (_url("approval_decide", "programme"), POST_ONLY, 405),
    "programmes:approval_detail": (_approval_url, VIEW, 302),
}
for _name, _key in _READ.items():
    TABLE[f"programmes:{_name}"] = (_url(_name, _key), VIEW, 302)
for _name, _key in _EDIT.items():
    TABLE[f"programmes:{_name}"] = (_url(_name, _key), EDIT, 302)
# Lillekommune's programme: every Demokommune member gets 404, its own coordinator sees it.
TABLE["programmes:detail#foreign"] = (_url("detail", "programme", foreign=True), FOREIGN_VIEW, 302)
# Editing: roles without manage_programmes are stopped (403) before the object is looked up.
TABLE["programmes:plan_edit#foreign"] = (
    _url("plan_edit", "plan", foreign=True),
    {**only(PROGRAMME_EDITORS, outsider=200), "coordinator": 404},
    302,
)
