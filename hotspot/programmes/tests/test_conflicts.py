"""Two people open the same programme, goal or minutes form and both save: the second gets a conflict
message in Danish and does not overwrite the first (optimistic locking, as for action plans and tasks)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from hotspot.accounts.models import Membership, Role, User
from hotspot.programmes import forms
from hotspot.programmes.models import Goal, Meeting, Programme

CONFLICT_DA = "En anden gemte dette, mens du redigerede"


def _opened(client, url, form):
    """What a browser would send back from the form ``url`` unchanged: its initial values, and the
    hidden version read from the page the user opened."""
    page = client.get(url)
    assert page.status_code == 200
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if isinstance(value, (list, tuple)):
            data[name] = [str(v) for v in value]
        else:
            data[name] = "on" if value is True else str(value)
    match = re.search(r'name="version" value="(\d+)"', page.content.decode())
    if match:
        data["version"] = match.group(1)
    return data


@pytest.fixture
def second_coordinator(demo_municipality):
    user = User.objects.create_user("coordinator2", password="x-password-123")
    Membership.objects.create(user=user, municipality=demo_municipality, role=Role.COORDINATOR)
    return user


def _cases(demo_municipality):
    programme = Programme.objects.filter(municipality=demo_municipality).first()
    goal = Goal.objects.filter(programme__municipality=demo_municipality).first()
    meeting = Meeting.objects.filter(group__programme__municipality=demo_municipality).first()
    return {
        "programme": (
            programme,
            reverse("programmes:edit", args=[programme.pk]),
            lambda: forms.ProgrammeForm(instance=programme, municipality=demo_municipality),
            "purpose_short",
        ),
        "goal": (
            goal,
            reverse("programmes:goal_edit", args=[goal.pk]),
            lambda: forms.GoalForm(instance=goal, programme=goal.programme),
            "title",
        ),
        "minutes": (
            meeting,
            reverse("programmes:meeting_edit", args=[meeting.pk]),
            lambda: forms.MinutesForm(instance=meeting),
            "minutes",
        ),
    }


@pytest.mark.parametrize("case", ["programme", "goal", "minutes"])
def test_second_save_gets_a_conflict_and_does_not_overwrite(
    case, coordinator, second_coordinator, demo_municipality
):
    obj, url, make_form, field = _cases(demo_municipality)[case]
    first, second = Client(), Client()  # no language cookie: Danish, the default
    first.force_login(coordinator)
    second.force_login(second_coordinator)
    data_first = _opened(first, url, make_form())
    data_second = _opened(second, url, make_form())

    data_first[field] = "Gemt af den første"
    saved = first.post(url, data_first)
    assert saved.status_code == 302, saved.content.decode()[:2000]

    data_second[field] = "Gemt af den anden"
    refused = second.post(url, data_second)
    assert refused.status_code == 409
    page = refused.content.decode()
    assert CONFLICT_DA in page
    assert "Gemt af den første" in page  # what the other person saved is shown
    assert "Gemt af den anden" in page  # and this user's input is kept in the form
    obj.refresh_from_db()
    assert getattr(obj, field) == "Gemt af den første"

    # Saving again from the form as now shown (the stored version) is accepted.
    data_second["version"] = re.search(r'name="version" value="(\d+)"', page).group(1)
    again = second.post(url, data_second)
    assert again.status_code == 302
    obj.refresh_from_db()
    assert getattr(obj, field) == "Gemt af den anden"


@pytest.mark.parametrize("case", ["programme", "goal", "minutes"])
def test_saving_an_unchanged_form_writes_nothing(case, coordinator, demo_municipality):
    """No new version (which would turn a colleague's open form into a conflict) and no audit row."""
    from hotspot.audit.models import AuditEvent

    obj, url, make_form, _field = _cases(demo_municipality)[case]
    client = Client()
    client.force_login(coordinator)
    data = _opened(client, url, make_form())
    version = type(obj).objects.get(pk=obj.pk).version
    rows = AuditEvent.objects.count()
    assert client.post(url, data).status_code == 302
    assert type(obj).objects.get(pk=obj.pk).version == version
    assert AuditEvent.objects.count() == rows
