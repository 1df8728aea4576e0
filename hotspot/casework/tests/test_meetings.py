"""Concern meetings (issue 15, part 5): agencies, the cases discussed by alias, decisions; audited."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from hotspot.audit.models import Action, AuditEvent
from hotspot.casework import actions, pages
from hotspot.casework.models import Case, CaseKind, ConcernMeeting, LegalBasis
from hotspot.programmes.models import Programme


@pytest.fixture
def programme(demo_municipality):
    return Programme.objects.create(
        municipality=demo_municipality,
        name="Møde-program",
        start=dt.date(2025, 1, 1),
        end=dt.date(2027, 12, 31),
    )


def _case(programme, alias, key):
    return Case.objects.create(
        programme=programme,
        kind=CaseKind.YOUTH,
        person_key=key * 64,
        alias=alias,
        legal_basis=LegalBasis.SSP_115,
        social_note="Socialfaglig note",
    )


def test_a_meeting_is_recorded_and_listed_by_alias(login, programme, coordinator):
    a, b = _case(programme, "Ung A", "a"), _case(programme, "Ung B", "b")
    client = login(coordinator)
    response = client.post(
        reverse("casework:meeting_new", args=[programme.pk]),
        {
            "date": "2026-03-02",
            "participants": "SSP\nSkole\n\nPoliti",
            "cases": [a.pk],
            "decisions": "Hjemmebesøg inden fredag",
        },
    )
    assert response.status_code == 302
    meeting = ConcernMeeting.objects.get(programme=programme)
    assert meeting.participants == ["SSP", "Skole", "Politi"]
    assert list(meeting.cases.all()) == [a]
    row = AuditEvent.objects.latest("pk")
    assert (row.action, row.object_type, row.object_id) == (
        Action.CREATE,
        "casework.concernmeeting",
        str(meeting.pk),
    )
    response = client.get(reverse("casework:meetings", args=[programme.pk]))
    page = response.content.decode()
    assert "Ung A" in page and "Ung B" not in page and "Hjemmebesøg inden fredag" in page
    assert "Socialfaglig note" not in page and b.person_key not in page
    row = AuditEvent.objects.latest("pk")
    assert (row.action, row.object_id, row.count) == (Action.READ_PERSON, str(programme.pk), 1)


def test_a_meeting_takes_only_the_programme_s_cases(programme, coordinator, demo_municipality):
    other = Programme.objects.create(
        municipality=demo_municipality,
        name="Andet",
        start=dt.date(2025, 1, 1),
        end=dt.date(2027, 12, 31),
    )
    foreign = _case(other, "Ung X", "c")
    with pytest.raises(ValidationError):
        actions.record_meeting(
            programme,
            date=dt.date(2026, 3, 2),
            participants=["SSP"],
            cases=[foreign],
            actor=coordinator,
        )
    with pytest.raises(ValidationError):
        actions.record_meeting(
            programme, date=dt.date(2026, 3, 2), participants=[" "], actor=coordinator
        )
    assert not ConcernMeeting.objects.filter(programme=programme).exists()


def test_the_subject_extract_finds_the_meetings_of_a_case(programme, coordinator):
    a = _case(programme, "Ung A", "a")
    meeting = actions.record_meeting(
        programme, date=dt.date(2026, 3, 2), participants=["SSP"], cases=[a], actor=coordinator
    )
    records = dict(pages._records_of([a]))
    assert records[ConcernMeeting] == [meeting.pk]
