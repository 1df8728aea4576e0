"""The survey tally (``SurveyTally``, ``surveys.actions.refresh_tallies``) against the raw answers."""

import pytest

from hotspot.accounts.models import Municipality
from hotspot.areas.models import Area, AreaKind
from hotspot.surveys.actions import refresh_tallies
from hotspot.surveys.models import SurveyItem, SurveyResponse, SurveyTally, SurveyWave
from hotspot.surveys.tests.reference import assert_tally_is_the_answers, stored_tally

pytestmark = pytest.mark.django_db


def test_the_demo_tally_is_its_answers(demo_municipality):
    """The demo loads its answers in bulk (not through an import) and builds the tally after."""
    assert SurveyTally.objects.filter(wave__municipality=demo_municipality).exists()
    assert_tally_is_the_answers(demo_municipality.pk)


def test_refresh_is_the_answers_and_idempotent(demo_municipality):
    refresh_tallies(demo_municipality.pk)
    assert_tally_is_the_answers(demo_municipality.pk)
    before = stored_tally(demo_municipality.pk)
    rows = refresh_tallies(demo_municipality.pk)
    assert (
        rows
        == len(before)
        == SurveyTally.objects.filter(wave__municipality=demo_municipality).count()
    )
    assert stored_tally(demo_municipality.pk) == before


def test_missing_answers_and_other_municipalities(demo_municipality):
    """A missing answer (no key, or null) is in no cell; an answer off the scale is kept as it is
    (the readers refuse or leave it out); one municipality's refresh leaves the others' rows alone."""
    area = Area.objects.filter(municipality=demo_municipality, kind=AreaKind.RODE).first()
    wave = SurveyWave.objects.create(municipality=demo_municipality, year=2032, name="test")
    for k, answers in enumerate(
        [{"safety": 7}, {"safety": None, "unsafe_evening": 1}, {}, {"safety": 9}, {"colour": 3}]
    ):
        SurveyResponse.objects.create(
            wave=wave, respondent=f"R{k}", area=area, weight=2.0 + k, answers=answers
        )
    others = {
        m.pk: stored_tally(m.pk) for m in Municipality.objects.exclude(pk=demo_municipality.pk)
    }
    refresh_tallies(demo_municipality.pk, [wave.pk])
    got = {
        (r.item.code, r.value): (r.n, r.sw, r.sw2)
        for r in SurveyTally.objects.filter(wave=wave).select_related("item")
    }
    # "colour" is no SurveyItem: never tallied
    assert got == {("safety", 7): (1, 2.0, 4.0), ("safety", 9): (1, 5.0, 25.0),
                   ("unsafe_evening", 1): (1, 3.0, 9.0)}  # fmt: skip
    assert {m: stored_tally(m) for m in others} == others
    assert_tally_is_the_answers(demo_municipality.pk)


def test_empty_database_gives_no_rows_and_no_error(demo_municipality):
    SurveyTally.objects.all().delete()
    SurveyResponse.objects.all().delete()
    for m in Municipality.objects.all():
        assert refresh_tallies(m.pk) == 0
    used = set(Municipality.objects.values_list("code", flat=True))
    code = next(c for c in (f"{k:03d}" for k in range(100, 1000)) if c not in used)
    empty = Municipality.objects.create(code=code, name="Tomkommune")
    assert refresh_tallies(empty.pk) == 0
    assert refresh_tallies(empty.pk, []) == 0
    assert refresh_tallies(demo_municipality.pk, [123456789]) == 0
    SurveyItem.objects.all().delete()
    assert refresh_tallies(demo_municipality.pk) == 0
    assert not SurveyTally.objects.exists()
