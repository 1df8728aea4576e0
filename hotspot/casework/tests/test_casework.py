"""Casework rules, each with a test that fails when the rule is removed (issue 15, parts 1-3, 6, 7)."""

import datetime as dt

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from hotspot.audit.models import Action, AuditEvent, Purpose
from hotspot.casework import actions, pseudonym
from hotspot.casework.models import (
    Case,
    CaseKind,
    CaseworkSettings,
    FollowUp,
    LegalBasis,
    ListEntry,
    ListKind,
    PriorityList,
    week_of,
)
from hotspot.casework.pages import overdue_cases
from hotspot.casework.tests.conftest import NAME_KEY
from hotspot.programmes.models import Programme

CPR = "010203-1234"
CPR_DIGITS = "0102031234"
NAME = "Jens Testesen"
UTC = dt.UTC


@pytest.fixture
def programme(demo_municipality):
    return Programme.objects.filter(municipality=demo_municipality).order_by("pk").first()


@pytest.fixture
def youths(programme):
    return PriorityList.objects.create(programme=programme, kind=ListKind.YOUTHS, places=2)


def _case(programme, user, *, cpr=CPR, alias="Ung A", **extra):
    options = {"kind": CaseKind.YOUTH, "legal_basis": LegalBasis.SSP_115, **extra}
    return actions.create_case(programme, cpr=cpr, alias=alias, actor=user, **options)


def _raw_rows(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - a fixed table name
        return [" ".join(str(v) for v in row) for row in cursor.fetchall()]


def _audit_text(since):
    rows = AuditEvent.objects.filter(pk__gt=since)
    return " ".join(f"{r.object_type} {r.object_id} {r.fields} {r.actor_username}" for r in rows)


def _last_audit_id():
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# --- pseudonyms --------------------------------------------------------------------------------------


def test_same_cpr_gives_the_same_key_with_or_without_dash():
    key = pseudonym.person_key(CPR)
    assert key == pseudonym.person_key(CPR_DIGITS) == pseudonym.person_key(f" {CPR} ")
    assert len(key) == 64 and int(key, 16) >= 0
    assert CPR_DIGITS not in key
    assert pseudonym.person_key("0102031235") != key


def test_another_secret_gives_another_key(monkeypatch):
    key = pseudonym.person_key(CPR)
    monkeypatch.setenv("CASEWORK_HMAC_KEY", "another-test-only-casework-key-0123456789")
    assert pseudonym.person_key(CPR) != key


def test_the_secret_can_come_from_a_file(monkeypatch, tmp_path):
    key = pseudonym.person_key(CPR)
    secret = tmp_path / "hmac"
    secret.write_text("test-only-casework-hmac-key-0123456789abcdef\n", encoding="utf-8")
    monkeypatch.delenv("CASEWORK_HMAC_KEY")
    monkeypatch.setenv("CASEWORK_HMAC_KEY_FILE", str(secret))
    assert pseudonym.person_key(CPR) == key


def test_no_secret_stops_the_hash_when_debug_is_off(monkeypatch, settings):
    monkeypatch.delenv("CASEWORK_HMAC_KEY")
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured, match="CASEWORK_HMAC_KEY"):
        pseudonym.person_key(CPR)
    settings.DEBUG = True
    assert len(pseudonym.person_key(CPR)) == 64  # the fixed development key


def test_a_short_secret_is_refused_when_debug_is_off(monkeypatch):
    monkeypatch.setenv("CASEWORK_HMAC_KEY", "short")
    with pytest.raises(ImproperlyConfigured, match="at least 32"):
        pseudonym.person_key(CPR)


@pytest.mark.parametrize(
    "bad",
    ["", "123", "01020312345", "010203 1234", "0102-031234", "abcdefghij", "320203-1234", None],
)
def test_what_is_not_a_cpr_number_is_refused_without_echoing_it(bad):
    with pytest.raises(ValueError, match="CPR number") as caught:
        pseudonym.person_key(bad)
    if bad:
        assert bad not in str(caught.value)


def test_names_decrypt_after_key_rotation(monkeypatch):
    token = pseudonym.encrypt_name(NAME)
    assert NAME not in token
    new_key = Fernet.generate_key().decode()
    monkeypatch.setenv("CASEWORK_NAME_KEYS", f"{new_key},{NAME_KEY}")
    assert pseudonym.decrypt_name(token) == NAME  # the old key still opens it
    rotated = pseudonym.rotate(token)
    monkeypatch.setenv("CASEWORK_NAME_KEYS", new_key)  # the old key retired
    assert pseudonym.decrypt_name(rotated) == NAME
    with pytest.raises(ValueError, match="cannot be decrypted"):
        pseudonym.decrypt_name(token)


# --- cases -------------------------------------------------------------------------------------------


def test_the_database_holds_no_plaintext_name_and_it_survives_rotation(
    monkeypatch, programme, coordinator
):
    CaseworkSettings.objects.create(municipality=programme.municipality, store_names=True)
    case = _case(programme, coordinator, name=NAME)
    assert not any(NAME in row or CPR_DIGITS in row for row in _raw_rows("casework_case"))
    new_key = Fernet.generate_key().decode()
    monkeypatch.setenv("CASEWORK_NAME_KEYS", f"{new_key},{NAME_KEY}")
    assert actions.rotate_names(Case.objects.filter(pk=case.pk), actor=coordinator) == 1
    monkeypatch.setenv("CASEWORK_NAME_KEYS", new_key)
    case.refresh_from_db()
    assert pseudonym.decrypt_name(case.name_encrypted) == NAME
    assert not any(NAME in row for row in _raw_rows("casework_case"))


def test_names_are_not_stored_unless_the_municipality_turns_it_on(programme, coordinator):
    with pytest.raises(ValidationError, match="does not store names"):
        _case(programme, coordinator, name=NAME)
    assert not Case.objects.filter(programme=programme).exists()


def test_a_case_without_legal_basis_is_refused(programme, coordinator):
    with pytest.raises(ValidationError, match="legal basis"):
        _case(programme, coordinator, legal_basis="")
    with pytest.raises(ValidationError, match="date it was given"):
        _case(programme, coordinator, legal_basis=LegalBasis.CONSENT)
    assert not Case.objects.filter(programme=programme).exists()
    # The database refuses it too.
    for basis in ("", "gossip"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Case.objects.create(
                programme=programme, kind="youth", person_key="1" * 64, alias="X", legal_basis=basis
            )
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(
            programme=programme, kind="youth", person_key="1" * 64, alias="X", legal_basis="consent"
        )


def test_consent_with_its_date_is_a_basis(programme, coordinator):
    case = _case(
        programme, coordinator, legal_basis=LegalBasis.CONSENT, consent_date=dt.date(2025, 3, 1)
    )
    assert case.consent_date == dt.date(2025, 3, 1)


def test_one_case_per_person_and_programme(programme, coordinator):
    _case(programme, coordinator)
    with pytest.raises(ValidationError, match="already has a case"):
        _case(programme, coordinator, cpr=CPR_DIGITS, alias="Ung B")


def test_new_case_page_hashes_the_cpr_and_never_shows_or_stores_it(
    login, member, programme, demo_municipality
):
    client = login(member("caseworker"))
    since = _last_audit_id()
    url = reverse("casework:case_new", args=[programme.pk])
    form = {"cpr": CPR, "alias": "Ung A", "kind": "youth", "legal_basis": "", "social_note": ""}
    refused = client.post(url, form)
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    assert CPR not in refused.content.decode() and CPR_DIGITS not in refused.content.decode()
    assert not Case.objects.filter(programme=programme).exists()
    response = client.post(url, {**form, "legal_basis": LegalBasis.SSP_115})
    case = Case.objects.get(programme=programme)
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert case.person_key == pseudonym.person_key(CPR)
    assert not any(CPR_DIGITS in row for row in _raw_rows("casework_case"))
    page = client.get(case.get_absolute_url()).content.decode()
    assert CPR not in page and CPR_DIGITS not in page and case.person_key not in page
    created = AuditEvent.objects.get(
        pk__gt=since, action=Action.CREATE, object_type="casework.case"
    )
    assert created.object_id == str(case.pk) and created.purpose == Purpose.CASEWORK
    assert "person_key" in created.fields
    text = _audit_text(since)
    assert CPR_DIGITS not in text and CPR not in text


def test_a_refused_cpr_is_not_echoed(login, coordinator, programme):
    response = login(coordinator).post(
        reverse("casework:case_new", args=[programme.pk]),
        {"cpr": "12345", "alias": "A", "kind": "youth", "legal_basis": "rpl_115"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "10 digits" in page
    assert 'value="12345"' not in page


def test_partner_cannot_create_a_case(login, partner, programme):
    response = login(partner).post(
        reverse("casework:case_new", args=[programme.pk]),
        {"cpr": CPR, "alias": "A", "kind": "youth", "legal_basis": "rpl_115"},
    )
    assert response.status_code == 403
    assert not Case.objects.filter(programme=programme).exists()


# --- access and audit of reads ------------------------------------------------------------------------


def test_police_do_not_see_the_social_note(login, member, programme, coordinator):
    case = _case(programme, coordinator, social_note="Mor har fået en underretning")
    since = _last_audit_id()
    for role, sees in (("caseworker", True), ("coordinator", True), ("police", False)):
        page = login(member(role)).get(case.get_absolute_url()).content.decode()
        assert ("Mor har fået en underretning" in page) is sees, role
        assert ("Social note" in page) is sees, role
        read = AuditEvent.objects.get(pk__gt=since, actor__username=role, action=Action.READ_PERSON)
        assert read.action == Action.READ_PERSON and read.purpose == Purpose.CASEWORK
        assert (read.object_type, read.object_id) == ("casework.case", str(case.pk))
        assert ("social_note" in read.fields) is sees


def test_another_municipalitys_case_is_404(login, coordinator, outsider, programme):
    case = _case(programme, coordinator)
    assert login(outsider).get(case.get_absolute_url()).status_code == 404
    assert login(outsider).get(reverse("casework:followup_new", args=[case.pk])).status_code == 404


def test_the_list_page_is_an_audited_read(login, member, programme, youths, coordinator):
    case = _case(programme, coordinator)
    actions.enter_list(
        youths, case, entered_on=dt.date(2025, 1, 6), reason="Sigtet", actor=coordinator
    )
    since = _last_audit_id()
    page = login(member("police")).get(reverse("casework:programme", args=[programme.pk]))
    assert "Ung A" in page.content.decode()
    read = AuditEvent.objects.get(pk__gt=since, action=Action.READ_PERSON)
    assert read.count == 1
    assert (read.object_type, read.object_id) == ("programmes.programme", str(programme.pk))


def test_a_search_is_audited_with_its_criteria_and_without_the_cpr(
    login, member, programme, coordinator
):
    case = _case(programme, coordinator)
    since = _last_audit_id()
    response = login(member("caseworker")).post(reverse("casework:search"), {"cpr": CPR_DIGITS})
    page = response.content.decode()
    assert case.get_absolute_url() in page
    assert CPR_DIGITS not in page and CPR not in page
    search = AuditEvent.objects.get(pk__gt=since, action=Action.SEARCH_PERSON)
    assert search.purpose == Purpose.CASEWORK
    assert search.fields == ["person_key"] and search.count == 1
    assert CPR_DIGITS not in _audit_text(since)


def test_a_search_by_alias_stays_in_the_municipality(login, outsider, programme, coordinator):
    _case(programme, coordinator, alias="Ung Unik")
    page = login(outsider).post(reverse("casework:search"), {"alias": "Unik"}).content.decode()
    assert "Ung Unik" not in page


# --- priority lists ----------------------------------------------------------------------------------


def test_a_full_list_refuses_another_case(programme, youths, coordinator):
    cases = [
        _case(programme, coordinator, cpr=f"01020312{n:02d}", alias=f"Ung {n}") for n in range(3)
    ]
    for case in cases[:2]:
        actions.enter_list(
            youths, case, entered_on=dt.date(2025, 1, 6), reason="Sigtet", actor=coordinator
        )
    with pytest.raises(actions.ListFull, match="all 2 places are taken"):
        actions.enter_list(
            youths, cases[2], entered_on=dt.date(2025, 1, 6), reason="Sigtet", actor=coordinator
        )
    assert youths.open_entries().count() == 2


def test_the_full_list_message_is_shown(login, programme, youths, coordinator):
    cases = [
        _case(programme, coordinator, cpr=f"01020312{n:02d}", alias=f"Ung {n}") for n in range(3)
    ]
    client = login(coordinator)
    url = reverse("casework:entry_new", args=[youths.pk])
    for case in cases:
        response = client.post(
            url, {"case": case.pk, "entered_on": "2025-01-06", "entry_reason": "Sigtet"}
        )
    assert response.status_code == 200
    assert "The list is full" in response.content.decode()
    assert youths.open_entries().count() == 2


def test_leaving_keeps_the_history_and_frees_the_place(programme, youths, coordinator):
    case = _case(programme, coordinator)
    first = actions.enter_list(
        youths, case, entered_on=dt.date(2025, 1, 6), reason="Sigtet", actor=coordinator
    )
    with pytest.raises(ValidationError, match="on this list already"):
        actions.enter_list(
            youths, case, entered_on=dt.date(2025, 1, 7), reason="Igen", actor=coordinator
        )
    actions.leave_list(first, left_on=dt.date(2025, 3, 3), reason="I job", actor=coordinator)
    actions.enter_list(
        youths, case, entered_on=dt.date(2025, 6, 2), reason="Ny sigtelse", actor=coordinator
    )
    history = list(
        ListEntry.objects.filter(case=case)
        .order_by("entered_on")
        .values_list("entered_on", "left_on")
    )
    assert history == [(dt.date(2025, 1, 6), dt.date(2025, 3, 3)), (dt.date(2025, 6, 2), None)]


def test_a_list_takes_only_its_kind_of_case(programme, youths, coordinator):
    family = _case(programme, coordinator, kind=CaseKind.FAMILY)
    with pytest.raises(ValidationError, match="another kind"):
        actions.enter_list(
            youths, family, entered_on=dt.date(2025, 1, 6), reason="X", actor=coordinator
        )


# --- weekly follow-up and the overdue list ------------------------------------------------------------


def test_weeks_are_danish_across_the_autumn_dst_change():
    # 27 October 2024, the last Sunday of October: clocks go back from 03:00 CEST to 02:00 CET.
    sunday_late = dt.datetime(2024, 10, 27, 22, 30, tzinfo=UTC)  # 23:30 CET, Sunday
    monday_early = dt.datetime(2024, 10, 27, 23, 30, tzinfo=UTC)  # 00:30 CET, Monday
    assert week_of(sunday_late) == dt.date(2024, 10, 21)
    assert week_of(monday_early) == dt.date(2024, 10, 28)
    # Spring: 30 March 2025; Monday 00:30 CEST is still Sunday 22:30 in UTC.
    assert week_of(dt.datetime(2025, 3, 30, 22, 30, tzinfo=UTC)) == dt.date(2025, 3, 31)
    assert week_of(dt.datetime(2025, 3, 30, 21, 30, tzinfo=UTC)) == dt.date(2025, 3, 24)
    with pytest.raises(ValueError, match="aware"):
        week_of(dt.datetime(2024, 10, 27, 22, 30))


def test_overdue_is_flagged_exactly_when_the_danish_week_has_no_follow_up(
    programme, youths, coordinator
):
    on_list = _case(programme, coordinator, alias="Ung A")
    off_list = _case(programme, coordinator, cpr="0102031299", alias="Ung B")
    actions.enter_list(
        youths, on_list, entered_on=dt.date(2024, 10, 1), reason="Sigtet", actor=coordinator
    )
    actions.record_follow_up(
        on_list,
        week=dt.date(2024, 10, 24),
        status="on_track",
        responsible_agency="ssp",
        actor=coordinator,
    )
    programmes = Programme.objects.filter(pk=programme.pk)
    sunday_late = dt.datetime(2024, 10, 27, 22, 30, tzinfo=UTC)
    monday_early = dt.datetime(2024, 10, 27, 23, 30, tzinfo=UTC)
    assert overdue_cases(programmes, sunday_late) == []  # still the week of 21 October in Denmark
    rows = overdue_cases(programmes, monday_early)
    assert [r["case"] for r in rows] == [on_list]  # off_list is on no list: never due
    assert rows[0]["last_week"] == dt.date(2024, 10, 21)
    actions.record_follow_up(
        on_list,
        week=dt.date(2024, 11, 3),
        status="attention",
        responsible_agency="police",
        actor=coordinator,
    )
    assert overdue_cases(programmes, monday_early) == []
    assert off_list.pk not in [r["case"].pk for r in overdue_cases(programmes, monday_early)]


def test_one_follow_up_per_case_and_week(programme, coordinator):
    case = _case(programme, coordinator)
    follow_up = actions.record_follow_up(
        case,
        week=dt.date(2025, 1, 9),
        status="on_track",
        responsible_agency="ssp",
        actor=coordinator,
    )
    assert follow_up.week == dt.date(2025, 1, 6)
    with pytest.raises(ValidationError, match="already"):
        actions.record_follow_up(
            case,
            week=dt.date(2025, 1, 12),
            status="on_track",
            responsible_agency="ssp",
            actor=coordinator,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.create(
            case=case, week=dt.date(2025, 1, 6), status="on_track", responsible_agency="ssp"
        )


def test_the_follow_up_form_records_the_week_and_the_overdue_page_shows_the_case(
    login, member, programme, youths, coordinator
):
    case = _case(programme, coordinator)
    actions.enter_list(
        youths, case, entered_on=dt.date(2024, 1, 1), reason="Sigtet", actor=coordinator
    )
    client = login(member("caseworker"))
    assert case.get_absolute_url() in client.get(reverse("casework:overdue")).content.decode()
    since = _last_audit_id()
    response = client.post(
        reverse("casework:followup_new", args=[case.pk]),
        {"week": week_of().isoformat(), "status": "on_track", "responsible_agency": "school"},
    )
    assert response.status_code == 302
    assert FollowUp.objects.get(case=case).week == week_of()
    assert AuditEvent.objects.filter(
        pk__gt=since, action=Action.CREATE, object_type="casework.followup"
    ).exists()
    assert case.get_absolute_url() not in client.get(reverse("casework:overdue")).content.decode()


def test_an_agreement_is_recorded(login, programme, coordinator):
    case = _case(programme, coordinator)
    response = login(coordinator).post(
        reverse("casework:agreement_new", args=[case.pk]),
        {"kind": "parent", "start": "2025-01-06", "review_on": "2025-04-07", "status": "active"},
    )
    assert response.status_code == 302
    assert case.agreements.get().review_on == dt.date(2025, 4, 7)


def test_the_system_check_refuses_a_site_without_the_pseudonym_secret(monkeypatch, settings):
    from hotspot.casework.checks import pseudonym_secret

    settings.DEBUG = False
    monkeypatch.delenv("CASEWORK_HMAC_KEY", raising=False)
    monkeypatch.delenv("CASEWORK_HMAC_KEY_FILE", raising=False)
    errors = pseudonym_secret(None)
    assert [e.id for e in errors] == ["casework.E001"]
    assert "CASEWORK_HMAC_KEY" in errors[0].msg
    monkeypatch.setenv("CASEWORK_HMAC_KEY", "k" * 40)
    assert pseudonym_secret(None) == []


@pytest.mark.parametrize("role,shown", [("caseworker", True), ("police", True), ("partner", False)])
def test_the_menu_leads_to_casework_only_for_roles_with_person_data(client, member, role, shown):
    client.force_login(member(role))
    page = client.get(reverse("home"))
    labels = [item["label"] for item in page.context["nav_items"]]
    assert ("Casework" in labels or "Sagsarbejde" in labels) is shown
