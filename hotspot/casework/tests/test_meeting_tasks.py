"""A concern meeting's decision becomes a task of one of the programme's action plans (issue 15, part
5): linked to the meeting, audited, and never with a CPR number in its text."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from hotspot.audit.models import Action, AuditEvent
from hotspot.casework import actions, pseudonym
from hotspot.casework.models import Case, CaseKind, ConcernMeeting, LegalBasis, MeetingTask
from hotspot.programmes.models import ActionPlan, Programme, Task


@pytest.fixture
def meeting(demo_municipality):
    programme = Programme.objects.create(
        municipality=demo_municipality,
        name="Møde-til-opgave",
        start=dt.date(2025, 1, 1),
        end=dt.date(2027, 12, 31),
    )
    case = Case.objects.create(
        programme=programme,
        kind=CaseKind.YOUTH,
        person_key="d" * 64,
        alias="Ung D",
        legal_basis=LegalBasis.SSP_115,
    )
    meeting = ConcernMeeting.objects.create(
        programme=programme,
        date=dt.date(2026, 3, 2),
        participants=["SSP", "Skole"],
        decisions="Fritidsjob til Ung D inden april\nMøde med forældrene",
    )
    meeting.cases.set([case])
    meeting.plan = ActionPlan.objects.create(
        programme=programme,
        title="Handleplan 2026",
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
    )
    return meeting


CPRS = ["0101001234", "010100-1234", "010100 1234"]


@pytest.mark.parametrize("text", ["", "Opgave 2026-03-02", "Tlf. 12345678", "Sag 12345678901"])
def test_contains_cpr_is_false_for_ordinary_text(text):
    assert not pseudonym.contains_cpr(text)


@pytest.mark.parametrize("cpr", CPRS)
def test_contains_cpr_finds_every_spelling(cpr):
    assert pseudonym.contains_cpr(f"Ring om {cpr} i morgen")


def test_a_decision_becomes_a_task_linked_to_the_meeting(login, meeting, coordinator):
    client = login(coordinator)
    url = reverse("casework:meeting_task_new", args=[meeting.pk])
    page = client.get(url).content.decode()
    assert "Fritidsjob til Ung D inden april" in page  # the first decision is offered as the task
    response = client.post(
        url,
        {
            "plan": meeting.plan.pk,
            "title": "Fritidsjob til Ung D inden april",
            "owner_name": "SSP",
            "due": "2026-04-01",
        },
    )
    assert response.status_code == 302
    task = Task.objects.get(plan=meeting.plan)
    assert (task.title, task.owner_name, task.due, task.programme_id) == (
        "Fritidsjob til Ung D inden april",
        "SSP",
        dt.date(2026, 4, 1),
        meeting.programme_id,
    )
    assert MeetingTask.objects.get(task=task).meeting == meeting
    row = AuditEvent.objects.latest("pk")
    assert (row.action, row.object_type, row.object_id) == (
        Action.CREATE,
        "programmes.task",
        str(task.pk),
    )
    assert "concern_meeting" in row.fields and row.purpose == "casework"
    # the meetings page shows the task under its meeting
    page = client.get(reverse("casework:meetings", args=[meeting.programme_id])).content.decode()
    assert "Handleplan 2026" in page and meeting.plan.get_absolute_url() in page


@pytest.mark.parametrize("cpr", CPRS)
def test_a_task_with_a_cpr_number_is_refused(login, meeting, coordinator, cpr):
    client = login(coordinator)
    response = client.post(
        reverse("casework:meeting_task_new", args=[meeting.pk]),
        {"plan": meeting.plan.pk, "title": f"Hjemmebesøg {cpr}", "due": "2026-04-01"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "name a case by its alias only" in page
    assert not Task.objects.filter(plan=meeting.plan).exists()
    with pytest.raises(ValidationError) as exc:
        actions.meeting_task(
            meeting,
            plan=meeting.plan,
            title="Hjemmebesøg",
            owner_name=f"Kontakt {cpr}",
            due=dt.date(2026, 4, 1),
            actor=coordinator,
        )
    assert "owner_name" in exc.value.message_dict
    assert not MeetingTask.objects.exists()


def test_a_plan_of_another_programme_is_refused(meeting, coordinator, demo_municipality):
    other = Programme.objects.create(
        municipality=demo_municipality,
        name="Andet",
        start=dt.date(2025, 1, 1),
        end=dt.date(2027, 12, 31),
    )
    plan = ActionPlan.objects.create(
        programme=other, title="Fremmed plan", start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31)
    )
    with pytest.raises(ValidationError) as exc:
        actions.meeting_task(
            meeting, plan=plan, title="Opgave", due=dt.date(2026, 4, 1), actor=coordinator
        )
    assert "plan" in exc.value.message_dict
    assert not Task.objects.filter(plan=plan).exists()


@pytest.mark.parametrize("role", ["caseworker", "police", "partner"])
def test_only_those_who_change_programmes_make_tasks(login, member, meeting, role):
    response = login(member(role)).post(
        reverse("casework:meeting_task_new", args=[meeting.pk]),
        {"plan": meeting.plan.pk, "title": "Opgave", "due": "2026-04-01"},
    )
    assert response.status_code == 403
    assert not Task.objects.filter(plan=meeting.plan).exists()


def test_the_make_task_link_is_shown_to_programme_editors_only(login, member, meeting, coordinator):
    url = reverse("casework:meetings", args=[meeting.programme_id])
    link = reverse("casework:meeting_task_new", args=[meeting.pk])
    assert link in login(coordinator).get(url).content.decode()
    assert link not in login(member("caseworker")).get(url).content.decode()
