"""Casework, second slice of issue 15: denied access is audited (part 7), aggregates for partners and
the board (part 7), the data protection officer's per-subject extract (part 7) and retention (part 8).
Each test fails when its rule is removed."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse

from hotspot.audit.models import Action, AuditEvent, Purpose
from hotspot.casework import actions, pages
from hotspot.casework.models import (
    Agreement,
    Case,
    CaseKind,
    CaseLink,
    CaseworkSettings,
    FollowUp,
    LegalBasis,
    ListEntry,
    ListKind,
    PriorityList,
    week_of,
)
from hotspot.disclosure import SUPPRESSED, WITHHELD
from hotspot.programmes.models import Programme

CPR = "010203-1234"
CPR_DIGITS = "0102031234"


@pytest.fixture
def programme(demo_municipality):
    return Programme.objects.filter(municipality=demo_municipality).order_by("pk").first()


@pytest.fixture
def youths(programme):
    return PriorityList.objects.create(programme=programme, kind=ListKind.YOUTHS, places=10)


def _case(programme, user, n=0, *, cpr=None, alias=None):
    return actions.create_case(
        programme,
        cpr=cpr or f"01020312{n:02d}",
        alias=alias or f"Ung {n}",
        kind=CaseKind.YOUTH,
        legal_basis=LegalBasis.SSP_115,
        actor=user,
    )


def _enter(plist, case, user, on):
    return actions.enter_list(plist, case, entered_on=on, reason="Sigtet", actor=user)


def _follow(case, user, week):
    return actions.record_follow_up(
        case, week=week, status="on_track", responsible_agency="ssp", actor=user
    )


def _last_audit_id():
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# --- denied access --------------------------------------------------------------------------------------


def test_another_municipalitys_id_is_404_and_an_access_denied_row(
    login, coordinator, outsider, programme, youths, demo_municipality
):
    case = _case(programme, coordinator, alias="Ung Hemmelig")
    entry = _enter(youths, case, coordinator, dt.date(2025, 1, 6))
    client = login(outsider)
    since = _last_audit_id()
    for url, model in (
        (reverse("casework:case", args=[case.pk]), "casework.case"),
        (reverse("casework:followup_new", args=[case.pk]), "casework.case"),
        (reverse("casework:entry_end", args=[entry.pk]), "casework.listentry"),
        (reverse("casework:programme", args=[programme.pk]), "programmes.programme"),
    ):
        assert client.get(url).status_code == 404, url
        denied = AuditEvent.objects.filter(pk__gt=since, action=Action.ACCESS_DENIED).latest("pk")
        assert (denied.object_type, denied.purpose) == (model, Purpose.CASEWORK)
        assert denied.actor == outsider and denied.fields == [] and denied.count is None
        # For the object's municipality: its data protection officer sees the attempt.
        assert denied.municipality == demo_municipality
        since = denied.pk
    assert (
        AuditEvent.objects.filter(
            action=Action.ACCESS_DENIED, object_type="casework.case", object_id=str(case.pk)
        ).count()
        == 2
    )
    rows = AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor=outsider)
    assert not any("Hemmelig" in f"{r.object_type} {r.object_id} {r.fields}" for r in rows)


def test_a_nonexistent_id_is_404_and_audited_for_the_users_municipality(
    login, outsider, other_municipality
):
    since = _last_audit_id()
    assert login(outsider).get(reverse("casework:case", args=[99999999])).status_code == 404
    denied = AuditEvent.objects.get(pk__gt=since, action=Action.ACCESS_DENIED)
    assert (denied.object_type, denied.object_id) == ("casework.case", "99999999")
    assert denied.municipality == other_municipality


def test_an_allowed_read_writes_no_denied_row(login, coordinator, programme):
    case = _case(programme, coordinator)
    since = _last_audit_id()
    assert login(coordinator).get(case.get_absolute_url()).status_code == 200
    assert not AuditEvent.objects.filter(pk__gt=since, action=Action.ACCESS_DENIED).exists()


# --- aggregates for partners and the board ----------------------------------------------------------


def test_the_weekly_summary_counts_and_hides_small_counts(programme, youths, coordinator):
    now = dt.datetime(2025, 6, 12, 10, 0, tzinfo=dt.UTC)  # a Thursday
    this_week = week_of(now)  # Monday 9 June 2025
    cases = [_case(programme, coordinator, n) for n in range(8)]
    for case in cases[:7]:
        _enter(youths, case, coordinator, dt.date(2025, 1, 6))
    # The eighth left before the twelve weeks began: never counted.
    old = _enter(youths, cases[7], coordinator, dt.date(2025, 1, 6))
    actions.leave_list(old, left_on=dt.date(2025, 2, 3), reason="Flyttet", actor=coordinator)
    for case in cases[:5]:
        _follow(case, coordinator, this_week)
    for case in cases[:7]:
        _follow(case, coordinator, this_week - dt.timedelta(weeks=1))
    summary = pages.weekly_summary(programme, now)
    rows = summary["rows"]
    assert len(rows) == pages.SUMMARY_WEEKS == 12
    assert rows[-1]["monday"] == this_week and rows[0]["monday"] == dt.date(2025, 3, 24)
    assert (rows[-1]["year"], rows[-1]["number"]) == (2025, 24)
    # This week: 7 on the lists, 5 followed up, 2 overdue. The 2 is hidden ("<5"), and so is the 5,
    # since 7 - 5 would give the 2 away.
    assert rows[-1]["on_list"] == 7
    assert rows[-1]["overdue"] is SUPPRESSED
    assert rows[-1]["followed_up"] is WITHHELD
    # Last week: every case followed up; zero is shown.
    assert (rows[-2]["on_list"], rows[-2]["followed_up"], rows[-2]["overdue"]) == (7, 7, 0)
    # Earlier weeks: nobody followed up.
    assert (rows[0]["on_list"], rows[0]["followed_up"], rows[0]["overdue"]) == (7, 0, 7)
    assert summary["note"]


def test_a_case_counts_from_the_week_it_enters_to_the_week_it_leaves(
    programme, youths, coordinator
):
    now = dt.date(2025, 6, 12)
    cases = [_case(programme, coordinator, n) for n in range(6)]
    for case in cases[:5]:
        _enter(youths, case, coordinator, dt.date(2025, 1, 6))
    late = _enter(youths, cases[5], coordinator, dt.date(2025, 6, 1))  # a Sunday: week 22
    actions.leave_list(late, left_on=dt.date(2025, 6, 2), reason="Ud", actor=coordinator)  # week 23
    by_week = {r["monday"]: r["on_list"] for r in pages.weekly_summary(programme, now)["rows"]}
    assert by_week[dt.date(2025, 5, 19)] == 5
    assert by_week[dt.date(2025, 5, 26)] == 6
    assert by_week[dt.date(2025, 6, 2)] == 6
    assert by_week[dt.date(2025, 6, 9)] == 5


@pytest.mark.parametrize("role", ["partner", "board"])
def test_partner_and_board_see_the_summary_without_aliases_and_no_case(
    login, member, role, programme, youths, coordinator
):
    cases = [_case(programme, coordinator, n, alias=f"Ung Alias{n}") for n in range(3)]
    for case in cases:
        _enter(youths, case, coordinator, dt.date(2024, 1, 1))
    client = login(member(role))
    since = _last_audit_id()
    response = client.get(reverse("casework:summary", args=[programme.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Alias" not in page
    table = page.split('id="summary"')[1].split("</table>")[0]
    assert table.count("&lt;5") == 2 * pages.SUMMARY_WEEKS  # 3 on the lists, 3 overdue, every week
    assert 'id="disclosure-note"' in page
    assert not AuditEvent.objects.filter(pk__gt=since, action=Action.READ_PERSON).exists()
    for url in (
        reverse("casework:case", args=[cases[0].pk]),
        reverse("casework:programme", args=[programme.pk]),
        reverse("casework:overdue"),
        reverse("casework:subject_extract"),
    ):
        assert client.get(url).status_code == 403, url


# --- the data protection officer's per-subject extract ---------------------------------------------------


def test_the_dpo_extract_lists_every_audit_row_about_the_persons_cases_without_staff_names(
    login, member, coordinator, outsider, programme, youths
):
    case = _case(programme, coordinator, cpr=CPR, alias="Ung Emne")
    other = _case(programme, coordinator, 7)
    _enter(youths, case, coordinator, dt.date(2025, 1, 6))
    _follow(case, coordinator, dt.date(2025, 1, 6))
    Agreement.objects.create(
        case=case, kind="youth", start=dt.date(2025, 1, 6), review_on=dt.date(2025, 3, 3)
    )
    actions.link_cases(case, other, "sibling", actor=coordinator)
    login(member("caseworker")).get(case.get_absolute_url())
    login(member("police")).get(other.get_absolute_url())  # about the other person only
    login(outsider).get(case.get_absolute_url())  # denied
    dpo = member("dpo")
    client = login(dpo)
    since = _last_audit_id()
    response = client.post(reverse("casework:subject_extract"), {"cpr": CPR})
    page = response.content.decode()
    assert response.status_code == 200
    rows = response.context["rows"]
    # The create of the case, the list entry, the follow-up, the link, the caseworker's read and the
    # outsider's denied attempt: (the agreement was made outside the actions, so nothing is logged).
    assert [(r["action"], str(r["record"])) for r in rows] == [
        ("Created", "case"),
        ("Created", "list entry"),
        ("Created", "follow-up"),
        ("Created", "case link"),
        ("Read person data", "case"),
        ("Access denied", "case"),
    ]
    assert {str(r["purpose"]) for r in rows} == {"Casework and follow-up"}
    assert all(set(r) == {"at", "action", "record", "purpose"} for r in rows)
    table = page.split('id="extract-rows"')[1].split("</table>")[0]
    for name in ("caseworker", "coordinator", "police", "outsider", "Ung Emne"):
        assert name not in table
    assert CPR not in page and CPR_DIGITS not in page
    extract = AuditEvent.objects.get(pk__gt=since)
    assert (extract.action, extract.purpose) == (Action.SEARCH_PERSON, Purpose.OVERSIGHT)
    assert extract.fields == ["person_key"] and extract.count == 1 and extract.actor == dpo
    assert CPR_DIGITS not in f"{extract.object_type} {extract.object_id} {extract.fields}"


def test_the_extract_of_an_unknown_person_is_empty_and_still_audited(login, member):
    since = _last_audit_id()
    response = login(member("dpo")).post(reverse("casework:subject_extract"), {"cpr": CPR})
    assert response.context["rows"] == [] and response.context["found"] == 0
    assert "Nothing is logged about this person." in response.content.decode()
    assert AuditEvent.objects.get(pk__gt=since, action=Action.SEARCH_PERSON).count == 0


@pytest.mark.parametrize("role", ["coordinator", "caseworker", "partner", "board", "outsider"])
def test_only_the_dpo_makes_an_extract(login, member, role):
    since = _last_audit_id()
    response = login(member(role)).post(reverse("casework:subject_extract"), {"cpr": CPR})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(pk__gt=since, purpose=Purpose.OVERSIGHT).exists()


def test_a_malformed_cpr_in_the_extract_is_refused_and_not_echoed(login, member):
    response = login(member("dpo")).post(reverse("casework:subject_extract"), {"cpr": "12345"})
    page = response.content.decode()
    assert response.status_code == 200 and "10 digits" in page
    assert 'value="12345"' not in page and response.context["rows"] is None


# --- retention -----------------------------------------------------------------------------------------


def test_months_before_keeps_to_the_calendar():
    assert actions.months_before(dt.date(2026, 6, 1), 12) == dt.date(2025, 6, 1)
    assert actions.months_before(dt.date(2024, 3, 31), 1) == dt.date(2024, 2, 29)
    assert actions.months_before(dt.date(2025, 1, 15), 13) == dt.date(2023, 12, 15)


def test_the_purge_removes_due_cases_only_and_audits_the_count(
    programme, youths, coordinator, demo_municipality
):
    today = dt.date(2026, 6, 1)  # 12 months back: 1 June 2025
    due, recent, on_list, back_again, new, old_unlisted = (
        _case(programme, coordinator, n) for n in range(6)
    )
    gone = _enter(youths, due, coordinator, dt.date(2024, 1, 1))
    actions.leave_list(gone, left_on=dt.date(2025, 5, 31), reason="Ud", actor=coordinator)
    _follow(due, coordinator, dt.date(2024, 1, 1))
    Agreement.objects.create(
        case=due, kind="youth", start=dt.date(2024, 1, 1), review_on=dt.date(2024, 3, 1)
    )
    actions.link_cases(due, recent, "sibling", actor=coordinator)
    left = _enter(youths, recent, coordinator, dt.date(2024, 1, 1))
    actions.leave_list(left, left_on=dt.date(2025, 6, 1), reason="Ud", actor=coordinator)
    _enter(youths, on_list, coordinator, dt.date(2020, 1, 6))
    first = _enter(youths, back_again, coordinator, dt.date(2020, 1, 6))
    actions.leave_list(first, left_on=dt.date(2020, 6, 1), reason="Ud", actor=coordinator)
    _enter(youths, back_again, coordinator, dt.date(2026, 1, 5))
    Case.objects.filter(pk=old_unlisted.pk).update(
        created_at=dt.datetime(2025, 5, 30, tzinfo=dt.UTC)
    )
    since = _last_audit_id()

    assert actions.purge_due(today) == {demo_municipality.pk: 2}
    kept = set(Case.objects.filter(programme=programme).values_list("pk", flat=True))
    assert kept == {recent.pk, on_list.pk, back_again.pk, new.pk}
    assert not ListEntry.objects.filter(case_id=due.pk).exists()
    assert not FollowUp.objects.filter(case_id=due.pk).exists()
    assert not Agreement.objects.filter(case_id=due.pk).exists()
    assert not CaseLink.objects.filter(from_case_id=due.pk).exists()
    purge = AuditEvent.objects.get(pk__gt=since)
    assert (purge.action, purge.purpose, purge.count) == (Action.DELETE, Purpose.CASEWORK, 2)
    assert (purge.object_type, purge.object_id, purge.fields) == ("casework.case", "", [])
    assert purge.municipality == demo_municipality and purge.actor is None

    # Idempotent: nothing more is due, nothing more is written.
    assert actions.purge_due(today) == {}
    assert AuditEvent.objects.filter(pk__gt=since).count() == 1
    # The boundary: a day later, the case that left on 1 June 2025 is due too.
    assert actions.purge_due(dt.date(2026, 6, 2)) == {demo_municipality.pk: 1}
    assert not Case.objects.filter(pk=recent.pk).exists()


def test_the_retention_period_is_the_municipalitys(programme, youths, coordinator):
    case = _case(programme, coordinator)
    entry = _enter(youths, case, coordinator, dt.date(2024, 1, 1))
    actions.leave_list(entry, left_on=dt.date(2025, 1, 6), reason="Ud", actor=coordinator)
    CaseworkSettings.objects.create(municipality=programme.municipality, retention_months=24)
    assert actions.purge_due(dt.date(2026, 6, 1)) == {}
    assert Case.objects.filter(pk=case.pk).exists()
    CaseworkSettings.objects.filter(municipality=programme.municipality).update(retention_months=6)
    assert actions.purge_due(dt.date(2026, 6, 1)) == {programme.municipality_id: 1}


def test_the_purge_command(programme, youths, coordinator, capsys):
    case = _case(programme, coordinator)
    entry = _enter(youths, case, coordinator, dt.date(2024, 1, 1))
    actions.leave_list(entry, left_on=dt.date(2024, 2, 5), reason="Ud", actor=coordinator)
    call_command("purge_casework", today="2026-06-01")
    assert "Purged 1 case past retention in 1 municipality." in capsys.readouterr().out
    assert not Case.objects.filter(pk=case.pk).exists()
    call_command("purge_casework", today="2026-06-01")
    assert "Purged 0 cases" in capsys.readouterr().out
