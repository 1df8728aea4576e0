"""The page context (hotspot.indices.pages), called directly on the demo city: no client, no request.

What a reader may see is a plain value here (``raw``, ``can_define``, ``may_decide``); the views read it
from the reader's active membership, and so do these tests.
"""

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone, translation

from hotspot.accounts.roles import Capability
from hotspot.areas.models import Area, AreaKind
from hotspot.indices import actions, pages
from hotspot.indices.forms import DecisionForm, PresetForm, SensitivityForm
from hotspot.indices.models import SafetyScore
from hotspot.indices.tests.factories import make_definition, make_run

pytestmark = pytest.mark.django_db

YEAR = 2025


def _may(user, municipality, capability) -> bool:
    return user.membership_for(municipality.pk).can(capability)


def _worst(run, k=2, year=YEAR) -> list[Area]:
    ids = list(
        SafetyScore.objects.filter(run=run, year=year, score__isnull=False)
        .order_by("score")
        .values_list("area_id", flat=True)[:k]
    )
    return sorted(Area.objects.filter(pk__in=ids), key=lambda a: ids.index(a.pk))


@pytest.fixture
def run(demo_municipality):
    return make_run(demo_municipality)


@pytest.fixture
def dossier(run, coordinator):
    return actions.create_dossier(run=run, year=YEAR, areas=_worst(run), user=coordinator)


# -- dossier ----------------------------------------------------------------------------------------
def test_the_dossier_compares_its_candidates_in_the_order_picked(run, dossier):
    worst = _worst(run)
    context = pages.dossier_context(dossier, raw=True)
    columns = context["columns"]
    assert [col["area"] for col in columns] == worst
    assert [col["candidate"].area_id for col in columns] == [a.pk for a in worst]
    stored = {
        (s.area_id, s.year): s.score
        for s in SafetyScore.objects.filter(run=run, area__in=worst).only("area", "year", "score")
    }
    for col in columns:
        pk = col["area"].pk
        assert col["score"].year == YEAR and col["score"].score == stored[(pk, YEAR)]
        assert col["change"] == pytest.approx(stored[(pk, YEAR)] - stored[(pk, 2009)])
        assert col["trend"] == [stored.get((pk, y)) for y in run.years]
        assert col["assessment"] is not None and col["assessment_label"]
        assert all(c["label"] for c in col["criteria_met"])
    # the worst first: the first candidate's score is the lowest of the year
    assert columns[0]["score"].score <= columns[1]["score"].score
    codes = list(pages.inputs_of(run).codes)
    assert len(context["indicator_rows"]) == len(codes) == len(run.parameters["indicators"])
    assert all(len(r["values"]) == 2 for r in context["indicator_rows"])
    assert context["year"] == YEAR and context["ref_year"] == 2009
    assert context["trend_svg"].startswith("<svg")
    assert context["selected"] == [] and "form" not in context
    assert context["bands"] == pages.run_bands(run) and len(context["bands"]) == 3


def test_a_partners_dossier_hides_the_rates_of_small_counts(run, dossier, partner, coordinator):
    municipality = run.version.definition.municipality
    assert not _may(partner, municipality, Capability.VIEW_RAW_DATA)
    assert _may(coordinator, municipality, Capability.VIEW_RAW_DATA)
    hidden = pages.dossier_context(dossier, raw=False)["indicator_rows"]
    shown = pages.dossier_context(dossier, raw=True)["indicator_rows"]
    codes = list(pages.inputs_of(run).codes)
    assert [r["label"] for r in hidden] == [r["label"] for r in shown]
    pairs = [
        (code, h, s)
        for code, hr, sr in zip(codes, hidden, shown)
        for h, s in zip(hr["values"], sr["values"])
    ]
    # nothing the partner sees differs from the stored value; only counted rates are withheld
    assert all(h is None or h == s for _code, h, s in pairs)
    withheld = {code for code, h, s in pairs if h is None and s is not None}
    assert withheld and all(c.startswith("reports_") or c == "youth_charged" for c in withheld)
    # survey and register values are never withheld
    assert all(h == s for code, h, s in pairs if code.startswith("survey_"))


def test_the_decision_form_is_offered_only_while_undecided_and_to_who_may_decide(
    dossier, coordinator
):
    page = pages.dossier_page(dossier, raw=False, may_decide=True)
    assert page["can_decide"] is True and isinstance(page["form"], DecisionForm)
    assert [c for c, _label in page["form"].fields["selected"].choices] == [
        str(col["candidate"].area_id) for col in page["columns"]
    ]
    assert page["form"].initial["valid_from"] == timezone.localdate()
    reader = pages.dossier_page(dossier, raw=False, may_decide=False)
    assert reader["can_decide"] is False and "form" not in reader
    posted = DecisionForm({"rationale": "kort"}, candidates=dossier.candidates.all())
    again = pages.dossier_page(dossier, raw=False, may_decide=True, form=posted)
    assert again["form"] is posted
    first = page["columns"][0]["candidate"]
    actions.decide_dossier(
        dossier=dossier,
        user=coordinator,
        selected_area_ids=[first.area_id],
        rationale="Laveste indeks i året og flest utrygge beboere.",
        valid_from=dt.date(2026, 1, 1),
    )
    dossier.refresh_from_db()  # as the page reads it afresh
    decided = pages.dossier_page(dossier, raw=False, may_decide=True)
    assert decided["can_decide"] is False and "form" not in decided
    assert [c.area_id for c in decided["selected"]] == [first.area_id]
    printed = pages.dossier_print(dossier, raw=False)
    assert printed["printed_at"] and printed["columns"][0]["area"] == first.area


def test_a_new_dossier_is_for_the_posted_year_else_the_shown_one_else_the_last(run):
    assert pages.dossier_year(run, None, "2012") == 2012
    assert pages.dossier_year(run, "2010", None) == 2010
    assert pages.dossier_year(run, "1900", None) == run.years[-1]
    assert pages.dossier_year(run, None, None) == run.last_year
    assert pages.dossier_year(run, "2010", "abc") == run.last_year


# -- profile, ranking, map --------------------------------------------------------------------------
def test_the_profile_has_every_year_and_every_indicator_of_the_area(run):
    area = _worst(run, 1)[0]
    context = pages.profile(run, area, 2020, "2018", raw=True)
    scores = list(SafetyScore.objects.filter(run=run, area=area).order_by("year"))
    assert [s.year for s in context["scores"]] == [s.year for s in scores] == list(run.years)
    assert context["current"].year == 2020
    assert context["chart"]["score"] == [s.score for s in scores]
    assert context["chart"]["reference_year"] == 2009
    inputs = pages.inputs_of(run)
    a = int(np.flatnonzero(inputs.area_ids == area.pk)[0])
    assert [r["code"] for r in context["indicator_rows"]] == list(inputs.codes)
    for k, row in enumerate(context["indicator_rows"]):
        assert len(row["values"]) == len(run.years)
        expected = [None if np.isnan(v) else float(v) for v in inputs.values[a, :, k]]
        assert row["values"] == expected
    assert context["assessment"] is not None and context["rules"] == "2018"
    partner_rows = pages.profile(run, area, 2020, "2018", raw=False)["indicator_rows"]
    assert all(
        h is None or h == s
        for hr, sr in zip(partner_rows, context["indicator_rows"])
        for h, s in zip(hr["values"], sr["values"])
    )


def test_the_profile_falls_back_on_an_unknown_rule_set_and_is_none_outside_the_run(
    run, demo_municipality
):
    area = _worst(run, 1)[0]
    assert pages.profile(run, area, YEAR, "1066", raw=False)["rules"] == "2018"
    district = Area.objects.filter(municipality=demo_municipality, kind=AreaKind.DISTRICT).first()
    assert pages.profile(run, district, YEAR, "2018", raw=False) is None


def test_the_ranking_lists_the_worst_first_with_the_change_since_the_reference(run):
    context = pages.ranking(run, YEAR, None, can_decide=False)
    rows = context["rows"]
    assert len(rows) == min(pages.PER_PAGE, run.parameters["areas"])
    scores = [r["score"] for r in rows if r["score"] is not None]
    assert scores == sorted(scores)
    reference = dict(SafetyScore.objects.filter(run=run, year=2009).values_list("area_id", "score"))
    for r in rows:
        ref = reference.get(r["area_id"])
        if ref is not None and r["score"] is not None:
            assert r["change"] == pytest.approx(r["score"] - ref)
        assert r["colour"] in {b["colour"] for b in pages.run_bands(run)} | {""}
    assert context["can_decide"] is False and context["page"].number == 1
    assert pages.ranking(run, YEAR, "x", can_decide=True)["can_decide"] is True


def test_the_map_colours_every_area_with_a_geometry_by_its_band(run):
    collection = pages.run_geojson(run, YEAR)
    features = collection["features"]
    assert collection["type"] == "FeatureCollection"
    assert len(features) == run.parameters["areas"]
    colours = {b["colour"] for b in pages.run_bands(run)} | {pages.NO_BAND_COLOUR}
    assert all(f["properties"]["colour"] in colours for f in features)
    first = features[0]["properties"]
    assert first["url"].endswith(f"?year={YEAR}")
    worst = pages.run_map(run, YEAR)["worst"]
    assert worst == _worst(run, 1)[0].pk


def test_a_chosen_year_is_one_of_the_runs_else_its_last(run):
    assert pages.chosen_year(run, "2015") == 2015
    for text in ("", None, "abc", "1900"):
        assert pages.chosen_year(run, text) == run.years[-1]


# -- definitions, run, sensitivity ------------------------------------------------------------------
def test_home_offers_the_presets_only_to_who_may_define(run, demo_municipality):
    context = pages.home(demo_municipality, can_define=True)
    row = next(r for r in context["rows"] if r["definition"] == run.version.definition)
    assert row["run"] == run and row["version"] == run.version
    assert isinstance(context["form"], PresetForm) and context["can_define"] is True
    assert context["form"].initial["reference_year"] == pages.years_available(demo_municipality)[1]
    assert pages.home(demo_municipality, can_define=False)["form"] is None


def test_the_definition_page_gives_the_method_in_words(run):
    definition = run.version.definition
    context = pages.definition_detail(definition, can_define=False)
    spec = definition.current.spec
    assert context["current"] == definition.current and context["spec"] == spec
    assert [i["code"] for i in context["indicators"]] == [r["code"] for r in spec["indicators"]]
    assert sum(i["effective"] for i in context["indicators"]) == pytest.approx(100)
    assert sum(w for _label, w in context["pillar_weights"]) == pytest.approx(100)
    assert context["note"] == pages.preset_note(spec) and context["note"]
    assert list(context["runs"]) == [run]


def test_a_run_page_names_its_worst_area_and_its_areas_without_data(run):
    context = pages.run_detail(run, can_define=True)
    assert context["worst"].area == _worst(run, 1)[0] and context["pending"] is False
    assert context["year"] == run.last_year
    assert len(context["indicator_labels"]) == len(run.parameters["indicators"])
    assert all(s.score is None for s in context["no_data"])


def test_the_sensitivity_form_is_for_who_may_define(run):
    assert isinstance(pages.sensitivity(run, YEAR, can_define=True)["form"], SensitivityForm)
    context = pages.sensitivity(run, YEAR, can_define=False)
    assert context["form"] is None and context["latest"] is None and context["values"] == []
    parameters = pages.sensitivity_parameters(
        run,
        {
            "draws": 50,
            "concentration": 5.0,
            "normalisations": [],
            "drop_indicator": False,
            "seed": 3,
        },
    )
    assert parameters["normalisations"] == [run.version.spec["normalisation"]]


# -- export -----------------------------------------------------------------------------------------
def test_the_export_has_a_row_per_score_and_hides_small_counts_unless_raw(run):
    header, rows = pages.export_rows(run, raw=True)
    codes = list(pages.inputs_of(run).codes)
    assert header[:3] == ["area code", "area", "year"] and header[13:] == codes
    assert len(rows) == SafetyScore.objects.filter(run=run).count()
    assert all(len(r) == len(header) for r in rows)
    _header, hidden = pages.export_rows(run, raw=False)
    assert [h[:13] for h in hidden] == [r[:13] for r in rows]
    cells = [
        (code, h, r) for hr, rr in zip(hidden, rows) for code, h, r in zip(codes, hr[13:], rr[13:])
    ]
    withheld = {code for code, h, r in cells if h != r}
    assert withheld and all(c.startswith("reports_") or c == "youth_charged" for c in withheld)
    assert all(h is None for code, h, r in cells if code in withheld and h != r)
    book = pages.export_workbook(run, header, rows)
    assert book[:2] == b"PK"


# -- words ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (
            "1234 residents on 1 January 2024: fewer than 1,000",
            "1,234 residents on 1 January 2024: fewer than 1,000.",
        ),
        ("no data for 2019", "No data for 2019."),
        ("income_ratio missing for 2021", "Income ratio missing for 2021."),
        (
            "vulnerable undecided: outside: x",
            "Some of the data needed are missing, so it cannot be decided.",
        ),
        ("", ""),
    ],
)
def test_criteria_reasons_are_worded_from_the_table(reason, expected):
    assert pages.criteria_reason(reason) == expected


def test_words_follow_the_language():
    assert pages.divergence_label(1.5, 1.0) == "feels less safe than measured"
    assert pages.divergence_label(-1.5, 1.0) == "feels safer than measured"
    assert pages.divergence_label(0.5, 1.0) == pages.divergence_label(None, 1.0) == ""
    assert pages.band_text("problem") == "problem area" and pages.band_text("own") == "own"
    with translation.override("da"):
        assert pages.divergence_label(1.5, 1.0) != "feels less safe than measured"
        assert pages.criteria_reason("no data for 2019") != "No data for 2019."
        assert pages.band_text("own") == "own"


def test_a_definition_without_runs_is_listed_on_home(demo_municipality):
    definition = make_definition(demo_municipality, name="Uden kørsel")
    row = next(
        r
        for r in pages.home(demo_municipality, can_define=False)["rows"]
        if r["definition"] == definition
    )
    assert row["run"] is None and row["version"].number == 1
