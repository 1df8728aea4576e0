"""Overblik shows the roles of the micro-strategy how many listed cases lack this week's follow-up: a
count and a link, never a person; partners and the board see nothing of it."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from hotspot.casework import actions
from hotspot.casework.models import CaseKind, LegalBasis, ListKind, PriorityList
from hotspot.programmes.models import Programme

pytestmark = pytest.mark.django_db


def _first(municipality):
    """The oldest programme: the demo's running one has lists and cases (and due follow-ups) of its
    own, which the tests count from."""
    return Programme.objects.filter(municipality=municipality).order_by("pk").first()


def _listed_case(programme, user, alias):
    youths = PriorityList.objects.create(programme=programme, kind=ListKind.YOUTHS, places=3)
    case = actions.create_case(
        programme,
        cpr="010203-1234",
        alias=alias,
        kind=CaseKind.YOUTH,
        legal_basis=LegalBasis.SSP_115,
        actor=user,
    )
    actions.enter_list(
        youths, case, entered_on=timezone.localdate(), reason="bekymring", actor=user
    )
    return case


def test_a_listed_case_without_this_weeks_follow_up_is_counted_on_the_overview(
    client, coordinator, demo_municipality
):
    from hotspot.casework.pages import overdue_count

    programmes = Programme.objects.filter(municipality=demo_municipality)
    before = overdue_count(programmes)  # the demo's running programme has some due this week
    _listed_case(_first(demo_municipality), coordinator, alias="Ung Overblik")
    client.force_login(coordinator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "da"  # the app's tests run in English
    page = client.get(reverse("home"))
    assert page.context["casework_due"] == before + 1
    text = page.content.decode()
    assert f"{before + 1} sager på prioritetslisterne mangler opfølgning i denne uge." in text
    assert reverse("casework:overdue") in text
    assert "Ung Overblik" not in text  # a count and a link, no person on the Overblik


@pytest.mark.parametrize("role", ["partner", "board", "analyst"])
def test_roles_without_person_data_see_no_casework_on_the_overview(
    client, member, coordinator, demo_municipality, role
):
    _listed_case(_first(demo_municipality), coordinator, alias="Ung Skjult")
    client.force_login(member(role))
    page = client.get(reverse("home"))
    assert "casework_due" not in page.context
    assert 'id="casework-due"' not in page.content.decode()


def test_the_overview_count_is_the_length_of_the_due_list(coordinator, demo_municipality):
    from hotspot.casework.pages import overdue_cases, overdue_count

    programmes = Programme.objects.filter(municipality=demo_municipality)
    before = overdue_count(programmes)
    _listed_case(_first(demo_municipality), coordinator, alias="Ung Tal")
    assert overdue_count(programmes) == len(overdue_cases(programmes)) == before + 1
