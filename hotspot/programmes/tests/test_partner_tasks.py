"""Partners report their own work (issue 19, part 1): a member whose membership names an organisation
sees the tasks that organisation owns and reports on them (status, note, counts); the coordinator sees
the reports of the last week on the programme page. Anything else is refused: another organisation's
task 403 (audited), another municipality's 404, a GET 405."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from hotspot.accounts.models import Membership
from hotspot.audit.models import Action, AuditEvent
from hotspot.programmes import actions, pages
from hotspot.programmes.access import organisation_owns, owned_tasks
from hotspot.programmes.models import (
    ActionPlan,
    Initiative,
    Programme,
    Task,
    TaskStatus,
    TaskUpdate,
)
from hotspot.programmes.tests.access import make_programme

D = dt.date
ORG_A = "Boligforeningen 3B"
ORG_B = "Frivillige Natteravne"


def _membership(user, municipality):
    return Membership.objects.get(user=user, municipality=municipality)


def _set_organisation(user, municipality, organisation):
    Membership.objects.filter(user=user, municipality=municipality).update(
        organisation=organisation
    )


@pytest.fixture
def world(demo_municipality, other_municipality, member):
    """Two programmes of Demokommune with a task of organisation A (by its initiative) and one of B,
    a task of A in the second programme, and a task in Lillekommune; the partner is a member for A."""
    first = make_programme(demo_municipality)
    second_programme = Programme.objects.create(
        municipality=demo_municipality,
        name="Andet program",
        start=D(2012, 1, 1),
        end=D(2015, 12, 31),
    )
    second = {
        "programme": second_programme,
        "plan": ActionPlan.objects.create(
            programme=second_programme, title="Plan", start=D(2012, 1, 1), end=D(2012, 12, 31)
        ),
    }
    foreign = make_programme(other_municipality)

    def task(objs, owner, title):
        initiative = Initiative.objects.create(
            programme=objs["programme"], name=f"Indsats {title}", owner=owner, level="neighbourhood"
        )
        return Task.objects.create(
            programme=objs["programme"],
            plan=objs["plan"],
            initiative=initiative,
            title=title,
            due=D(2030, 1, 1),
        )

    _set_organisation(member("partner"), demo_municipality, ORG_A)
    return {
        "programme": first["programme"],
        "a": task(first, ORG_A, "Tryghedsvandring i 3B"),
        "b": task(first, ORG_B, "Natteravne fredag"),
        "a_second": task(second, ORG_A, "Belysning i 3B"),
        "b_second": task(second, ORG_B, "Natteravne lørdag"),
        "foreign": task(foreign, ORG_A, "Lillekommunes opgave"),
    }


def _report(client, task, **data):
    payload = {"status": "in_progress", "note": "", "activities": "", "participants": ""}
    payload.update(data)
    return client.post(reverse("programmes:task_progress", args=[task.pk]), payload)


def _denials(task):
    return AuditEvent.objects.filter(
        action=Action.ACCESS_DENIED, object_type="programmes.task", object_id=str(task.pk)
    )


# --- the rule ---------------------------------------------------------------------------------------


def test_an_organisation_owns_a_task_by_initiative_owner_name_or_assigned_member(
    world, member, demo_municipality, coordinator
):
    partner = _membership(member("partner"), demo_municipality)
    assert organisation_owns(partner, world["a"])
    assert not organisation_owns(partner, world["b"])
    # names compare trimmed and case-insensitively, Danish letters included
    partner.organisation = "  BOLIGFORENINGEN 3b "
    assert organisation_owns(partner, world["a"])
    world["b"].initiative.owner = "Ærø Boligselskab"
    partner.organisation = "ærø boligselskab"
    assert organisation_owns(partner, world["b"])
    # by the task's owner without a user account
    partner.organisation = ORG_A
    loose = Task.objects.create(
        programme=world["programme"], title="Uden indsats", due=D(2030, 1, 1), owner_name=ORG_A
    )
    assert organisation_owns(partner, loose)
    # by the member it is assigned to: the coordinator's membership names the organisation
    assigned = Task.objects.create(
        programme=world["programme"], title="Tildelt", due=D(2030, 1, 1), owner=coordinator
    )
    assert not organisation_owns(partner, assigned)
    _set_organisation(coordinator, demo_municipality, ORG_A)
    assert organisation_owns(partner, assigned)


def test_a_member_without_an_organisation_or_of_another_municipality_owns_nothing(
    world, member, demo_municipality
):
    partner = _membership(member("partner"), demo_municipality)
    assert not organisation_owns(partner, world["foreign"])  # A's name, Lillekommune's task
    partner.organisation = "   "
    assert not organisation_owns(partner, world["a"])
    assert owned_tasks(partner) == []
    world["a"].owner_name = ""  # an empty organisation never matches an empty owner
    assert not organisation_owns(partner, world["a"])
    assert not organisation_owns(None, world["a"])


def test_owned_tasks_span_the_programmes_of_the_municipality_only(world, member, demo_municipality):
    partner = _membership(member("partner"), demo_municipality)
    assert {t.pk for t in owned_tasks(partner)} == {world["a"].pk, world["a_second"].pk}


# --- a partner reports --------------------------------------------------------------------------------


def test_partner_reports_on_its_task_and_the_coordinator_sees_it(
    client, world, member, coordinator
):
    task = world["a"]
    version = task.version
    client.force_login(member("partner"))
    page = client.get(reverse("programmes:my_organisation"))
    assert page.status_code == 200
    body = page.content.decode()
    assert f'id="progress-{task.pk}"' in body and f'id="progress-{world["a_second"].pk}"' in body
    assert "Natteravne" not in body  # B's tasks: neither their titles nor their forms

    response = _report(
        client, task, status="done", note="Tryghedsvandring holdt med 14 beboere", activities="2",
        participants="14",
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == reverse("programmes:my_organisation") + f"#task-{task.pk}"
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.done_on == timezone.localdate()
    assert task.version == version + 1
    update = task.updates.get()
    assert (update.status, update.note, update.activities, update.participants) == (
        "done",
        "Tryghedsvandring holdt med 14 beboere",
        2,
        14,
    )
    assert update.organisation == ORG_A and update.by == member("partner")
    created = AuditEvent.objects.get(
        action=Action.CREATE, object_type="programmes.taskupdate", object_id=str(update.pk)
    )
    assert created.actor == member("partner")
    assert created.fields == sorted(
        ["activities", "by", "note", "organisation", "participants", "status", "task"]
    )
    changed = AuditEvent.objects.get(
        action=Action.UPDATE, object_type="programmes.task", object_id=str(task.pk)
    )
    assert changed.fields == ["done_on", "status"]
    # the partner's page shows the last report
    assert (
        "Tryghedsvandring holdt med 14 beboere"
        in client.get(reverse("programmes:my_organisation")).content.decode()
    )

    assert pages.recent_updates(world["programme"]) == [update]
    client.force_login(coordinator)
    detail = client.get(world["programme"].get_absolute_url()).content.decode()
    assert 'id="recent-updates"' in detail
    assert "Tryghedsvandring holdt med 14 beboere" in detail and ORG_A in detail


def test_the_recent_list_holds_the_last_seven_days_of_this_programme_only(
    world, member, demo_municipality
):
    partner_user = member("partner")
    partner = _membership(partner_user, demo_municipality)
    old = actions.report_progress(
        world["a"], membership=partner, user=partner_user, status="in_progress", note="gammel"
    )
    new = actions.report_progress(
        world["a"], membership=partner, user=partner_user, status="in_progress", note="ny"
    )
    other = actions.report_progress(
        world["a_second"], membership=partner, user=partner_user, status="done", note="andet"
    )
    TaskUpdate.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=7, minutes=1)
    )
    assert pages.recent_updates(world["programme"]) == [new]
    assert pages.recent_updates(world["programme"], days=8) == [new, old]
    assert other not in pages.recent_updates(world["programme"], days=8)
    # the first report changed the status (one audited change of the task); the second, with the
    # same status, wrote its report but no change of the task
    assert (
        AuditEvent.objects.filter(
            action=Action.UPDATE, object_type="programmes.task", object_id=str(world["a"].pk)
        ).count()
        == 1
    )
    assert world["a"].updates.count() == 2


def test_the_programme_page_shows_the_recent_list_to_the_coordinator_only(
    client, world, member, coordinator
):
    client.force_login(coordinator)
    assert (
        'id="recent-updates"' in client.get(world["programme"].get_absolute_url()).content.decode()
    )
    for role in ("partner", "board"):
        client.force_login(member(role))
        detail = client.get(world["programme"].get_absolute_url())
        assert detail.status_code == 200
        assert 'id="recent-updates"' not in detail.content.decode(), role


def test_overblik_counts_the_last_weeks_reports_per_programme_for_the_coordinator(
    client, world, member, demo_municipality, coordinator
):
    partner_user = member("partner")
    partner = _membership(partner_user, demo_municipality)
    for note in ("en", "to"):
        actions.report_progress(
            world["a"], membership=partner, user=partner_user, status="in_progress", note=note
        )
    old = actions.report_progress(
        world["a_second"], membership=partner, user=partner_user, status="done"
    )
    TaskUpdate.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    assert pages.recent_update_counts([world["programme"], old.task.programme]) == {
        world["programme"].pk: 2
    }
    client.force_login(coordinator)
    home = client.get(reverse("home")).content.decode()
    assert 'id="overview-recent-updates"' in home
    assert f'href="{world["programme"].get_absolute_url()}#recent-updates"' in home
    assert "2 progress reports from partners" in home
    client.force_login(partner_user)
    assert 'id="overview-recent-updates"' not in client.get(reverse("home")).content.decode()


# --- what is refused ------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["b", "b_second"])
def test_another_organisations_task_is_403_audited_and_unchanged(client, world, member, key):
    task = world[key]
    client.force_login(member("partner"))
    response = _report(client, task, status="done", note="ikke vores")
    assert response.status_code == 403
    task.refresh_from_db()
    assert (task.status, task.version) == (TaskStatus.OPEN, 1)
    assert not task.updates.exists()
    denial = _denials(task).get()
    assert denial.actor == member("partner") and denial.municipality_id == (
        task.programme.municipality_id
    )
    assert "ikke vores" not in str(denial.fields)  # field names only, never the input


def test_another_municipalitys_task_is_404_and_unchanged(client, world, member):
    task = world["foreign"]
    client.force_login(member("partner"))
    assert _report(client, task, status="done", note="x").status_code == 404
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and not task.updates.exists()


def test_a_get_on_the_progress_url_is_405(client, world, member):
    client.force_login(member("partner"))
    response = client.get(reverse("programmes:task_progress", args=[world["a"].pk]))
    assert response.status_code == 405


def test_bad_input_is_400_with_the_errors_and_saves_nothing(client, world, member):
    task = world["a"]
    client.force_login(member("partner"))
    for data in (
        {"activities": "-1"},
        {"participants": "many"},
        {"status": "cancelled"},
        {"note": "x" * 501},
    ):
        response = _report(client, task, **data)
        assert response.status_code == 400, data
        assert 'role="alert"' in response.content.decode(), data
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and not task.updates.exists()


def test_bad_input_on_another_organisations_task_is_refused_before_it_is_checked(
    client, world, member
):
    client.force_login(member("partner"))
    assert _report(client, world["b"], activities="-1").status_code == 403
    assert _denials(world["b"]).count() == 1


def test_a_member_without_an_organisation_is_told_and_refused(
    client, world, member, demo_municipality
):
    _set_organisation(member("partner"), demo_municipality, "")
    client.force_login(member("partner"))
    page = client.get(reverse("programmes:my_organisation"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="no-organisation"' in body and "progress-" not in body
    assert _report(client, world["a"], note="x").status_code == 403
    assert _denials(world["a"]).count() == 1


def test_the_action_refuses_and_audits_without_the_view(world, member, demo_municipality):
    from django.core.exceptions import PermissionDenied

    user = member("partner")
    with pytest.raises(PermissionDenied):
        actions.report_progress(
            world["b"], membership=_membership(user, demo_municipality), user=user, status="done"
        )
    assert _denials(world["b"]).count() == 1
    with pytest.raises(ValueError, match="status"):
        actions.report_progress(
            world["a"], membership=_membership(user, demo_municipality), user=user, status="gone"
        )


# --- other roles get what the rule gives them -------------------------------------------------------------


def test_a_caseworker_of_the_organisation_reports_and_a_board_member_of_another_does_not(
    client, world, member, demo_municipality
):
    _set_organisation(member("caseworker"), demo_municipality, ORG_B)
    client.force_login(member("caseworker"))
    assert {r["task"].pk for r in pages.my_organisation(member("caseworker"), demo_municipality)[
        "rows"
    ]} == {world["b"].pk, world["b_second"].pk}  # fmt: skip
    assert _report(client, world["b"], note="SSP var med").status_code == 302
    assert world["b"].updates.get().organisation == ORG_B
    assert _report(client, world["a"], note="x").status_code == 403

    # the demo board member's membership names "Demo", which owns none of these tasks
    client.force_login(member("board"))
    assert _report(client, world["a"], note="x").status_code == 403
    page = client.get(reverse("programmes:my_organisation")).content.decode()
    assert f'id="progress-{world["a"].pk}"' not in page
