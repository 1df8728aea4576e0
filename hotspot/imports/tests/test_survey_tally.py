"""A survey import keeps the survey tally (``surveys.models.SurveyTally``) equal to the answers: the
commit and the roll-back rebuild the tally of the waves they change, in their own transaction."""

import pytest

from hotspot.imports import actions
from hotspot.imports.models import Status
from hotspot.surveys.models import SurveyResponse, SurveyTally, SurveyWave
from hotspot.surveys.tests.reference import assert_tally_is_the_answers

pytestmark = pytest.mark.django_db

HEADER = "respondent,year,area,weight,wave,safety,unsafe_evening\n"


def _rows(municipality, exclude_waves=()):
    """Every tally row of the municipality with its primary key: an unchanged row keeps both."""
    return set(
        SurveyTally.objects.filter(wave__municipality=municipality)
        .exclude(wave_id__in=list(exclude_waves))
        .values_list("pk", "wave_id", "area_id", "item_id", "value", "n", "sw", "sw2")
    )


def _new_wave_file():
    lines = [
        f"X-{k},2020,{'D01-R1' if k % 3 else 'D01-R2'},{1 + k % 4}.5,Ekstra 2020,{1 + k % 7},{k % 2}"
        for k in range(40)
    ]
    return HEADER + "\n".join(lines) + "\n"


def test_a_second_wave_changes_only_its_rows_and_rolls_back(load, analyst, demo_municipality):
    assert_tally_is_the_answers(demo_municipality.pk)
    before = _rows(demo_municipality)
    batch = load("survey", "extra.csv", _new_wave_file(), commit=True, user=analyst)
    assert batch.status == Status.COMMITTED and batch.rows_created == 40
    wave = SurveyWave.objects.get(municipality=demo_municipality, name="Ekstra 2020")
    assert _rows(demo_municipality, exclude_waves=[wave.pk]) == before  # same rows, same keys
    new = SurveyTally.objects.filter(wave=wave)
    assert sum(new.filter(item__code="safety").values_list("n", flat=True)) == 40
    assert set(new.values_list("area__code", flat=True)) == {"D01-R1", "D01-R2"}
    assert_tally_is_the_answers(demo_municipality.pk)

    actions.rollback(batch, analyst)
    batch.refresh_from_db()
    assert batch.status == Status.ROLLED_BACK
    assert not SurveyTally.objects.filter(wave=wave).exists()
    assert _rows(demo_municipality) == before
    assert_tally_is_the_answers(demo_municipality.pk)


def test_a_correction_of_an_existing_wave_and_its_rollback(load, analyst, demo_municipality):
    """An import that changes answers of a demo wave rebuilds that wave's tally; the roll-back puts
    the old answers back and the tally with them."""
    old = (
        SurveyResponse.objects.filter(wave__municipality=demo_municipality)
        .select_related("wave", "area")
        .order_by("pk")
        .first()
    )
    other_waves = _rows(demo_municipality, exclude_waves=[old.wave_id])
    new_safety = 7 if old.answers.get("safety") != 7 else 1
    body = f"{old.respondent},{old.wave.year},{old.area.code},3.25,{old.wave.name},{new_safety},1\n"
    batch = load("survey", "fix.csv", HEADER + body, commit=True, user=analyst)
    assert batch.status == Status.COMMITTED and batch.rows_updated == 1
    assert SurveyResponse.objects.get(pk=old.pk).answers["safety"] == new_safety
    assert_tally_is_the_answers(demo_municipality.pk)
    assert _rows(demo_municipality, exclude_waves=[old.wave_id]) == other_waves

    actions.rollback(batch, analyst)
    assert SurveyResponse.objects.get(pk=old.pk).answers == old.answers
    assert_tally_is_the_answers(demo_municipality.pk)


def test_a_failing_tally_leaves_the_import_undone(load, analyst, demo_municipality, monkeypatch):
    """The tally is rebuilt in the commit's transaction: when that fails, no answer is written."""
    before = _rows(demo_municipality)
    responses = SurveyResponse.objects.count()

    def broken(*args, **kwargs):
        raise RuntimeError("tally failed")

    monkeypatch.setattr(actions, "refresh_tallies", broken)
    with pytest.raises(RuntimeError, match="tally failed"):
        load("survey", "extra.csv", _new_wave_file(), commit=True, user=analyst)
    assert SurveyResponse.objects.count() == responses
    assert not SurveyWave.objects.filter(name="Ekstra 2020").exists()
    assert _rows(demo_municipality) == before
