"""The follow-up queue (issue 15, part 4): police reports and notifications with a deadline, an owning
agency and a response; each rule with a test that fails when the rule is removed."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from hotspot.areas.models import Area, AreaKind
from hotspot.audit.models import Action, AuditEvent
from hotspot.casework import actions, pages
from hotspot.casework.models import (
    DANISH_TIME,
    Case,
    CaseKind,
    FollowUpItem,
    FollowUpRule,
    LegalBasis,
    SourceKind,
)
from hotspot.incidents.models import CrimeReport, OffenceGroup
from hotspot.programmes.models import Programme

GROUPS = [OffenceGroup.VIOLENCE, OffenceGroup.ROBBERY, OffenceGroup.THREATS]


def _pick_areas(municipality):
    """A police area (rode, tiling itself) and a hotspot area (its figures are its parent's) of the
    municipality, with reports in both."""
    reported = CrimeReport.objects.filter(municipality=municipality).values("area_id")
    rode = Area.objects.filter(
        municipality=municipality, kind=AreaKind.RODE, pk__in=reported
    ).first()
    hotspot = (
        Area.objects.filter(
            municipality=municipality, kind=AreaKind.HOTSPOT, parent__pk__in=reported
        )
        .exclude(parent=rode)
        .first()
    )
    return rode, hotspot


@pytest.fixture
def setup(demo_municipality):
    rode, hotspot = _pick_areas(demo_municipality)
    assert rode is not None and hotspot is not None
    in_areas = CrimeReport.objects.filter(area__in=[rode, hotspot.parent]).order_by("occurred_at")
    # start the programme at the middle report, so that reports on both sides of the start exist
    middle = in_areas[in_areas.count() // 2].occurred_at.astimezone(DANISH_TIME).date()
    programme = Programme.objects.create(
        municipality=demo_municipality, name="Kø-program", start=middle, end=dt.date(2030, 12, 31)
    )
    programme.areas.set([rode, hotspot])
    rule = FollowUpRule.objects.create(
        programme=programme, offence_groups=GROUPS, response_days=7, owning_agency="SSP"
    )
    return {"programme": programme, "rule": rule, "rode": rode, "hotspot": hotspot}


def _expected(setup):
    """Written here, apart from actions.queue_reports: the reports lying in the rode or in the area
    the hotspot covers, of one of the rule's groups, from the start's Danish midnight on."""
    programme = setup["programme"]
    since = dt.datetime.combine(programme.start, dt.time(), tzinfo=DANISH_TIME)
    return set(
        CrimeReport.objects.filter(
            area_id__in=[setup["rode"].pk, setup["hotspot"].parent_id],
            offence__group__in=GROUPS,
            occurred_at__gte=since,
        ).values_list("pk", flat=True)
    )


def test_generation_takes_exactly_the_rule_s_reports(setup, coordinator):
    programme = setup["programme"]
    expected = _expected(setup)
    in_areas = CrimeReport.objects.filter(area__in=[setup["rode"], setup["hotspot"].parent])
    # the test means something: some reports are left out by the group, some by the start
    assert expected
    assert in_areas.exclude(offence__group__in=GROUPS).exists()
    since = dt.datetime.combine(programme.start, dt.time(), tzinfo=DANISH_TIME)
    assert in_areas.filter(offence__group__in=GROUPS, occurred_at__lt=since).exists()

    added = actions.generate_queue(programme, today=dt.date(2026, 3, 2), actor=coordinator)

    items = FollowUpItem.objects.filter(programme=programme)
    assert added == len(expected) == items.count()
    assert set(items.values_list("crime_report_id", flat=True)) == expected
    assert set(items.values_list("source", "deadline", "owning_agency")) == {
        (SourceKind.POLICE_REPORT, dt.date(2026, 3, 9), "SSP")
    }
    row = AuditEvent.objects.filter(object_type="casework.followupitem").latest("pk")
    assert (row.action, row.count) == (Action.CREATE, len(expected))


def test_generating_twice_adds_no_duplicates(setup, coordinator):
    programme = setup["programme"]
    first = actions.generate_queue(programme, actor=coordinator)
    rows = AuditEvent.objects.count()
    assert actions.generate_queue(programme, actor=coordinator) == 0
    assert FollowUpItem.objects.filter(programme=programme).count() == first
    assert AuditEvent.objects.count() == rows  # nothing added, nothing audited
    report = FollowUpItem.objects.filter(programme=programme).first().crime_report
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpItem.objects.create(
            programme=programme,
            source=SourceKind.POLICE_REPORT,
            crime_report=report,
            deadline=dt.date(2026, 1, 1),
        )


def test_without_offence_groups_nothing_enters(setup, coordinator):
    FollowUpRule.objects.filter(pk=setup["rule"].pk).update(offence_groups=[])
    assert actions.generate_queue(setup["programme"], actor=coordinator) == 0


def _notification(programme, sent_on, **extra):
    return FollowUpItem.objects.create(
        programme=programme,
        source=SourceKind.NOTIFICATION,
        sent_on=sent_on,
        sent_by_agency="Skole",
        deadline=sent_on + dt.timedelta(days=7),
        **extra,
    )


def test_an_item_is_overdue_exactly_after_its_deadline(setup):
    programme = setup["programme"]
    today = dt.date(2026, 3, 10)
    on_the_day = _notification(programme, today - dt.timedelta(days=7))
    a_day_late = _notification(programme, today - dt.timedelta(days=8))
    flags = {r["item"].pk: r["overdue"] for r in pages.queue(programme, today)["rows"]}
    assert flags == {on_the_day.pk: False, a_day_late.pk: True}
    assert pages.queue(programme, today)["overdue_count"] == 1
    assert pages.queue(programme, today + dt.timedelta(days=1))["overdue_count"] == 2


def test_completion_rate_and_median_response_time(setup):
    programme = setup["programme"]
    sent = dt.date(2026, 2, 2)
    for days in (2, 5, 9):
        _notification(programme, sent, responded_on=sent + dt.timedelta(days=days), response="ok")
    _notification(programme, sent)  # open
    # a police report item counts from the Danish day it entered the queue
    report = CrimeReport.objects.filter(area=setup["rode"]).first()
    item = FollowUpItem.objects.create(
        programme=programme,
        source=SourceKind.POLICE_REPORT,
        crime_report=report,
        deadline=dt.date(2026, 3, 8),
        responded_on=dt.date(2026, 3, 5),
        response="Talt med familien",
    )
    # 23:30 UTC on 28 February is 1 March in Denmark
    FollowUpItem.objects.filter(pk=item.pk).update(
        created_at=dt.datetime(2026, 2, 28, 23, 30, tzinfo=dt.UTC)
    )
    context = pages.queue(programme, dt.date(2026, 3, 10))
    assert (context["total"], context["answered"]) == (5, 4)
    assert context["completion_rate"] == pytest.approx(0.8)
    assert context["median_days"] == 4.5  # 2, 4, 5, 9
    assert [r["item"].responded_on for r in context["rows"]] == [None]
    assert pages.queue_stats([]) == {
        "total": 0,
        "answered": 0,
        "completion_rate": None,
        "median_days": None,
    }


@pytest.fixture
def case(setup):
    return Case.objects.create(
        programme=setup["programme"],
        kind=CaseKind.YOUTH,
        person_key="1" * 64,
        alias="Ung K",
        legal_basis=LegalBasis.SSP_115,
    )


def test_a_notification_about_a_case_without_basis_is_refused(setup, case, coordinator):
    programme = setup["programme"]
    with pytest.raises(ValidationError) as exc:
        actions.record_notification(
            programme,
            sent_on=dt.date(2026, 3, 2),
            sent_by_agency="Skole",
            case=case,
            actor=coordinator,
        )
    assert "legal_basis" in exc.value.message_dict
    with pytest.raises(ValidationError):
        actions.record_notification(
            programme,
            sent_on=dt.date(2026, 3, 2),
            sent_by_agency="Skole",
            case=case,
            legal_basis=LegalBasis.CONSENT,
            actor=coordinator,
        )
    assert not FollowUpItem.objects.filter(programme=programme).exists()
    # and the database refuses it too
    with pytest.raises(IntegrityError), transaction.atomic():
        _notification(programme, dt.date(2026, 3, 2), case=case)
    # with a basis it is recorded, with the rule's deadline and agency
    item = actions.record_notification(
        programme,
        sent_on=dt.date(2026, 3, 2),
        sent_by_agency="Skole",
        case=case,
        legal_basis=LegalBasis.CHILDREN_ACT,
        actor=coordinator,
    )
    assert (item.deadline, item.owning_agency) == (dt.date(2026, 3, 9), "SSP")
    row = AuditEvent.objects.latest("pk")
    assert (row.action, row.object_type, row.object_id) == (
        Action.CREATE,
        "casework.followupitem",
        str(item.pk),
    )


def test_a_notification_without_a_case_needs_no_basis(setup, coordinator):
    item = actions.record_notification(
        setup["programme"], sent_on=dt.date(2026, 3, 2), sent_by_agency="Klub", actor=coordinator
    )
    assert item.legal_basis == ""


def test_the_notification_form_refuses_a_case_without_basis(login, setup, case, coordinator):
    programme = setup["programme"]
    response = login(coordinator).post(
        reverse("casework:notification_new", args=[programme.pk]),
        {"sent_on": "2026-03-02", "sent_by_agency": "Skole", "case": case.pk},
    )
    assert response.status_code == 200
    assert "needs a legal basis" in response.content.decode()
    assert not FollowUpItem.objects.filter(programme=programme).exists()


def test_the_queue_page_fetches_reports_and_is_an_audited_read(login, setup, coordinator):
    programme = setup["programme"]
    client = login(coordinator)
    url = reverse("casework:queue", args=[programme.pk])
    response = client.post(url)
    assert response.status_code == 302
    assert FollowUpItem.objects.filter(programme=programme).count() == len(_expected(setup))
    before = AuditEvent.objects.latest("pk").pk
    response = client.get(url)
    assert response.status_code == 200
    assert "Fetch new reports" in response.content.decode()
    row = AuditEvent.objects.get(pk__gt=before)
    assert (row.action, row.object_id) == (Action.READ_PERSON, str(programme.pk))


@pytest.mark.parametrize("role", ["partner", "board"])
def test_partner_and_board_cannot_fetch_or_respond(login, member, setup, role):
    programme = setup["programme"]
    item = _notification(programme, dt.date(2026, 3, 2))
    client = login(member(role))
    assert client.post(reverse("casework:queue", args=[programme.pk])).status_code == 403
    response = client.post(
        reverse("casework:item_respond", args=[item.pk]),
        {"responded_on": "2026-03-03", "response": "ok"},
    )
    assert response.status_code == 403
    assert FollowUpItem.objects.filter(programme=programme).count() == 1
    item.refresh_from_db()
    assert item.responded_on is None


def test_responding_records_and_audits_the_answer(login, setup, coordinator):
    item = _notification(setup["programme"], dt.date(2026, 3, 2))
    client = login(coordinator)
    url = reverse("casework:item_respond", args=[item.pk])
    response = client.post(url, {"responded_on": "2026-03-01", "response": "for tidligt"})
    assert response.status_code == 200  # before the notification was sent
    response = client.post(url, {"responded_on": "2026-03-04", "response": "Møde holdt"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.responded_on, item.response) == (dt.date(2026, 3, 4), "Møde holdt")
    row = AuditEvent.objects.latest("pk")
    assert (row.action, row.object_id, row.fields) == (
        Action.UPDATE,
        str(item.pk),
        ["responded_on", "response"],
    )


def test_the_rule_form_saves_the_groups(login, setup, coordinator):
    programme = setup["programme"]
    response = login(coordinator).post(
        reverse("casework:rule_edit", args=[programme.pk]),
        {"offence_groups": ["burglary", "theft"], "response_days": "3", "owning_agency": "Politi"},
    )
    assert response.status_code == 302
    rule = FollowUpRule.objects.get(programme=programme)
    assert (rule.offence_groups, rule.response_days, rule.owning_agency) == (
        ["burglary", "theft"],
        3,
        "Politi",
    )


def test_another_municipality_s_item_is_404_with_a_denied_row(login, outsider, setup):
    item = _notification(setup["programme"], dt.date(2026, 3, 2))
    response = login(outsider).get(reverse("casework:item_respond", args=[item.pk]))
    assert response.status_code == 404
    row = AuditEvent.objects.latest("pk")
    assert (row.action, row.object_type, row.object_id) == (
        Action.ACCESS_DENIED,
        "casework.followupitem",
        str(item.pk),
    )


def test_a_rolled_back_report_leaves_its_follow_up_and_the_rollback_set_based(
    login, setup, coordinator
):
    """Rolling back an import deletes its reports in one statement (no per-row cascade: the item's
    link has no database constraint); the follow-up work stays and the queue says the report went."""
    from django.db.models.deletion import Collector

    from hotspot.incidents.models import CrimeReport

    programme = setup["programme"]
    actions.generate_queue(programme, actor=coordinator)
    item = FollowUpItem.objects.filter(programme=programme, crime_report__isnull=False).first()
    reports = CrimeReport.objects.filter(pk=item.crime_report_id)
    assert Collector(using="default").can_fast_delete(reports)
    reports.delete()
    item.refresh_from_db()  # still there
    page = login(coordinator).get(reverse("casework:queue", args=[programme.pk]))
    assert page.status_code == 200
    assert "The police report was removed (its import was rolled back)." in page.content.decode()


def test_fetching_new_reports_is_the_task_worker_s_work(login, setup, coordinator, monkeypatch):
    """The page's POST only enqueues the fetch: nothing is added inside the request."""
    from types import SimpleNamespace

    from hotspot.casework import tasks

    enqueued = []
    real = tasks.generate_queue_task
    monkeypatch.setattr(
        tasks, "generate_queue_task", SimpleNamespace(enqueue=lambda *a: enqueued.append(a))
    )
    programme = setup["programme"]
    response = login(coordinator).post(reverse("casework:queue", args=[programme.pk]))
    assert response.status_code == 302
    assert enqueued == [(programme.pk, coordinator.pk)]
    assert not FollowUpItem.objects.filter(programme=programme).exists()
    assert real.call(programme.pk, coordinator.pk) == len(_expected(setup))


def test_the_rule_takes_only_reports_with_a_suspect_in_its_age_band(setup, coordinator):
    """Issue 15 part 4: the rule's suspect age band (SSP: children and youths 10-17). A report whose
    suspect's age is unknown is left out once a band is set; without a band every report counts."""
    programme, rule = setup["programme"], setup["rule"]
    expected = sorted(_expected(setup))
    assert len(expected) >= 4
    young, old, edge, unknown = expected[:4]
    CrimeReport.objects.filter(pk=young).update(suspect_age=15)
    CrimeReport.objects.filter(pk=old).update(suspect_age=34)
    CrimeReport.objects.filter(pk=edge).update(suspect_age=17)  # both ends are in the band
    rule.suspect_age_min, rule.suspect_age_max = 10, 17
    rule.save()
    actions.generate_queue(programme, today=dt.date(2026, 3, 2), actor=coordinator)
    taken = set(
        FollowUpItem.objects.filter(programme=programme).values_list("crime_report_id", flat=True)
    )
    assert taken == {young, edge}
    assert unknown not in taken and old not in taken


def test_the_rule_form_refuses_a_band_upside_down(setup):
    from hotspot.casework.forms import FollowUpRuleForm

    form = FollowUpRuleForm(
        {
            "offence_groups": GROUPS,
            "suspect_age_min": 18,
            "suspect_age_max": 12,
            "response_days": 7,
            "owning_agency": "SSP",
        },
        instance=setup["rule"],
    )
    assert not form.is_valid()
    assert "suspect_age_max" in form.errors


def test_reports_after_the_programme_s_end_stay_out_of_its_queue(setup, coordinator):
    programme = setup["programme"]
    expected = _expected(setup)
    last = CrimeReport.objects.filter(pk__in=expected).order_by("-occurred_at").first()
    programme.end = last.occurred_at.astimezone(DANISH_TIME).date() - dt.timedelta(days=1)
    programme.save()
    actions.generate_queue(programme, today=dt.date(2026, 3, 2), actor=coordinator)
    taken = set(
        FollowUpItem.objects.filter(programme=programme).values_list("crime_report_id", flat=True)
    )
    assert last.pk not in taken and taken < expected
