"""The measures layer (hotspot.indicators.measures): one definition of each measure and one panel
builder, checked against sums written out independently from the stored rows."""

import datetime as dt

import numpy as np
import pytest
from django.db.models import Sum

from hotspot.areas.models import YOUTH_BANDS, Area, AreaKind, Population
from hotspot.evaluations.models import Outcome
from hotspot.incidents.models import Charge, Offence, ReportCount
from hotspot.indicators import measures
from hotspot.surveys.actions import refresh_tallies
from hotspot.surveys.models import SurveyResponse, SurveyWave
from safetystats.errors import SafetystatsError
from safetystats.survey import SAFETY_CODING

pytestmark = pytest.mark.django_db


def _tiles(municipality, n=3):
    return list(
        Area.objects.filter(municipality=municipality, kind=AreaKind.RODE).order_by("code")[:n]
    )


def test_every_outcome_and_goal_measure_is_a_code_of_the_catalogue():
    from hotspot.programmes.inputs import GOAL_MEASURES

    codes = set(measures.catalogue(with_registers=False))
    # the outcomes are the catalogue's codes themselves; the index score is the one built elsewhere
    assert {str(o) for o in Outcome} <= codes
    assert Outcome.SAFETY_INDEX == measures.SAFETY_INDEX
    assert {str(m) for m in GOAL_MEASURES} <= codes


def test_youth_and_unsafe_are_defined_once():
    assert measures.YOUTH_AGES == (10, 17)
    # the population bands that make up ages 10-17, and nothing else
    assert YOUTH_BANDS == ("10-14", "15-17")
    assert measures.SURVEY_ITEMS["survey_unsafe"][1] is SAFETY_CODING
    assert tuple(SAFETY_CODING["unsafe"]) == (5, 6, 7)


def test_report_rates_of_a_unit_of_several_areas(demo_municipality):
    tiles = _tiles(demo_municipality)
    ids = [a.pk for a in tiles]
    year = (
        ReportCount.objects.filter(area_id__in=ids)
        .order_by("-year")
        .values_list("year", flat=True)[0]
    )
    panel = measures.build_panel(
        {"unit": ids, tiles[0].pk: [tiles[0].pk]},
        [year],
        ["reports_total", "reports_serious"],
        municipality_id=demo_municipality.pk,
    )
    reports = ReportCount.objects.filter(area_id__in=ids, year=year).aggregate(
        n=Sum("reports"), s=Sum("serious")
    )
    residents = Population.objects.filter(area_id__in=ids, year=year).aggregate(n=Sum("count"))["n"]
    assert panel.counts[0, 0].tolist() == [reports["n"], reports["s"]]
    assert panel.denominators[0, 0, 0] == residents
    assert panel.values[0, 0, 0] == pytest.approx(1000 * reports["n"] / residents, rel=1e-12)
    # a single area is its own unit
    one = ReportCount.objects.filter(area=tiles[0], year=year).aggregate(n=Sum("reports"))["n"]
    assert panel.counts[1, 0, 0] == one
    assert panel.known[0].all()


def test_a_youth_charged_in_two_areas_of_one_unit_counts_once(demo_municipality):
    a, b = _tiles(demo_municipality, 2)
    offence = Offence.objects.first()
    year = 2031  # a year of its own: nothing else is charged then
    for pk, area in enumerate((a, b, b)):
        Charge.objects.create(
            municipality=demo_municipality,
            external_id=f"M-{pk}",
            person_key="P-same" if pk < 2 else "P-other",
            charged_on=dt.date(year, 3, 1 + pk),
            offence=offence,
            age=15 if pk < 2 else 19,  # the third is no youth
            area=area,
        )
    for area in (a, b):
        Population.objects.create(area=area, year=year, age_band="15-17", sex="M", count=50)
    panel = measures.build_panel(
        {"both": [a.pk, b.pk], "a": [a.pk], "b": [b.pk]},
        [year],
        ["youth_charged"],
        municipality_id=demo_municipality.pk,
    )
    assert panel.counts[:, 0, 0].tolist() == [1, 1, 1]
    assert panel.denominators[:, 0, 0].tolist() == [100, 50, 50]
    assert panel.values[0, 0, 0] == pytest.approx(10.0)
    assert panel.small[:, 0, 0].all()  # one person: a small count
    assert panel.known[0, 0]


def test_unsafe_is_the_coding_of_the_survey_and_nothing_else(demo_municipality):
    """The drift the measures layer ended: evaluations counted every answer >= 5 as unsafe, so a
    "don't know" (8) or a stray 9 counted as fear; the coding of safetystats.survey says 5-7, and an
    answer outside it is refused with the codes it expected, never counted."""
    (area,) = _tiles(demo_municipality, 1)
    wave = SurveyWave.objects.create(municipality=demo_municipality, year=2032, name="test wave")
    answers = [7, 6, 1, 2, 5, 3, 4]  # three unsafe of seven, with unequal weights
    for k, value in enumerate(answers):
        SurveyResponse.objects.create(
            wave=wave, respondent=f"R{k}", area=area, weight=1.0 + k, answers={"safety": value}
        )
    refresh_tallies(demo_municipality.pk, [wave.pk])  # as an import of these answers does
    panel = measures.build_panel(
        {area.pk: [area.pk]}, [2032], ["survey_unsafe"], municipality_id=demo_municipality.pk,
        survey_min_n=2,
    )  # fmt: skip
    w = np.arange(1.0, 8.0)
    coded = np.isin(answers, [1, 2, 3, 4, 5, 6, 7])
    unsafe = np.isin(answers, [5, 6, 7])
    assert panel.counts[0, 0, 0] == pytest.approx(w[unsafe].sum())
    assert panel.denominators[0, 0, 0] == pytest.approx(w[coded].sum())
    assert panel.values[0, 0, 0] == pytest.approx(100 * w[unsafe].sum() / w[coded].sum(), rel=1e-12)
    assert not panel.small[0, 0, 0]
    strict = measures.build_panel(
        {area.pk: [area.pk]}, [2032], ["survey_unsafe"], municipality_id=demo_municipality.pk,
        survey_min_n=10,
    )  # fmt: skip
    assert strict.small[0, 0, 0] and np.isnan(strict.values[0, 0, 0])  # 7 answers < 10
    SurveyResponse.objects.create(
        wave=wave, respondent="R-dont-know", area=area, weight=1.0, answers={"safety": 8}
    )
    refresh_tallies(demo_municipality.pk, [wave.pk])
    with pytest.raises(SafetystatsError, match=r"expected codes \[1, 2, 3, 4, 5, 6, 7\].*8"):
        measures.build_panel(
            {area.pk: [area.pk]}, [2032], ["survey_unsafe"], municipality_id=demo_municipality.pk
        )


@pytest.mark.parametrize("min_n", [5, 20])
def test_survey_measures_equal_the_library_on_the_raw_answers(demo_municipality, min_n):
    """Every survey measure of the panel (read from the survey tally) equals
    ``safetystats.survey.weighted_share`` on the raw answers of the unit and year: share, small cell,
    numerator and denominator; a year without a wave is missing, never 0."""
    from safetystats.survey import weighted_share

    tiles = _tiles(demo_municipality)
    units = {"unit": [a.pk for a in tiles], tiles[0].pk: [tiles[0].pk]}
    waves = sorted(
        set(SurveyResponse.objects.filter(area__in=tiles).values_list("wave__year", flat=True))
    )
    years = [2008, *waves[:3], waves[-1]]  # 2008: no wave
    codes = list(measures.SURVEY_ITEMS)
    panel = measures.build_panel(
        units, years, codes, municipality_id=demo_municipality.pk, survey_min_n=min_n
    )
    shown = 0
    for u, ids in enumerate(units.values()):
        for j, year in enumerate(years):
            rows = list(
                SurveyResponse.objects.filter(area_id__in=ids, wave__year=year).values_list(
                    "weight", "answers"
                )
            )
            w = np.array([r[0] for r in rows], dtype=float)
            for k, code in enumerate(codes):
                item, coding, category = measures.SURVEY_ITEMS[code]
                a = np.array([r[1].get(item, np.nan) for r in rows], dtype=float)
                ref = weighted_share(a, w, category=category, coding=coding, min_n=min_n)
                assert panel.small[u, j, k] == ref.suppressed == (ref.n < min_n)
                if ref.suppressed:
                    assert np.isnan(panel.values[u, j, k])
                else:
                    shown += 1
                    assert panel.values[u, j, k] == pytest.approx(100 * ref.share, rel=1e-12)
                hit = np.isin(a, coding[category])
                coded = np.isin(a, [c for cs in coding.values() for c in cs])
                assert panel.counts[u, j, k] == pytest.approx(w[hit].sum(), rel=1e-12)
                assert panel.denominators[u, j, k] == pytest.approx(w[coded].sum(), rel=1e-12)
    assert shown > 0
    assert panel.small[:, 0].all() and np.isnan(panel.values[:, 0]).all()
    assert (panel.counts[:, 0] == 0).all()


def test_a_register_value_of_several_areas_is_weighted_by_residents(demo_municipality):
    from hotspot.indicators.models import Indicator, IndicatorValue

    a, b = _tiles(demo_municipality, 2)
    ind = Indicator.objects.create(
        code="test_share", name_da="Testandel", name_en="Test share", unit="%", direction=0
    )
    year = 2033
    IndicatorValue.objects.create(indicator=ind, area=a, year=year, value=10.0)
    IndicatorValue.objects.create(indicator=ind, area=b, year=year, value=40.0)
    Population.objects.create(area=a, year=year, age_band="30-59", sex="M", count=300)
    Population.objects.create(area=b, year=year, age_band="30-59", sex="M", count=100)
    panel = measures.build_panel(
        {"both": [a.pk, b.pk]}, [year], ["reg_test_share"], municipality_id=demo_municipality.pk
    )
    assert panel.values[0, 0, 0] == pytest.approx((10 * 300 + 40 * 100) / 400)


def test_an_unknown_measure_is_refused(demo_municipality):
    with pytest.raises(ValueError, match="unknown measures: reports_nonsense"):
        measures.build_panel({1: [1]}, [2020], ["reports_nonsense"], municipality_id=1)


def test_a_scorecard_reads_the_small_cell_plan_once(demo_municipality):
    """Each goal builds its own panel; the plan (a query and a digest of the year's counts) is read
    once for all of them, not once a goal."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hotspot.programmes.inputs import GOAL_MEASURES, scorecard
    from hotspot.programmes.models import Programme

    programme = max(
        Programme.objects.filter(municipality=demo_municipality),
        key=lambda p: p.goals.filter(measure__in=list(GOAL_MEASURES)).count(),
    )
    assert programme.goals.filter(measure__in=list(GOAL_MEASURES)).count() >= 2
    with CaptureQueriesContext(connection) as ctx:
        scorecard(programme)
    plan_reads = [q for q in ctx.captured_queries if "disclosureplan" in q["sql"]]
    assert len(plan_reads) == 1, len(plan_reads)
