"""A study for a programme (journey 4 starts from one) and the safety index score as an outcome.

The index outcome is checked against the stored scores themselves: the panel holds exactly the latest
successful run's scores, the TWFE and 2×2 rows equal the library's regression on those scores computed
here by hand, a missing score stays missing (reported, never zero) and Poisson designs are refused.
"""

import csv
import datetime as dt
import io

import numpy as np
import pytest
from django.urls import reverse

from hotspot.areas.models import Area
from hotspot.demo.models import DemoCity
from hotspot.evaluations.actions import create_study, start_run
from hotspot.evaluations.inputs import StudyInputError, study_panel
from hotspot.evaluations.models import Design, Inference, Outcome, Study, StudyResult
from hotspot.evaluations.pages import caveat_texts, result_sentence
from hotspot.indices.models import IndexRun, SafetyScore, Status
from hotspot.indices.tests.factories import make_run
from hotspot.programmes.models import Programme
from safetystats import evaluation as ev

#: Our panel must hold the stored scores exactly (one tiling area per demo study area: no averaging).
SCORE_TOL = 1e-12
#: Our TWFE/2×2 figures against the library's regression run here on the same scores.
ESTIMATE_REL = 1e-9


@pytest.fixture
def truth(demo_municipality):
    return DemoCity.objects.get(municipality=demo_municipality).truth


@pytest.fixture
def areas(demo_municipality):
    return {a.code: a for a in Area.objects.filter(municipality=demo_municipality)}


@pytest.fixture
def programme(demo_municipality, truth):
    """The demo programme of the first 2010 hotspot (make_demo_programmes, run by make_demo_city)."""
    return Programme.objects.get(
        municipality=demo_municipality, areas__code=f"HS-{truth['hotspots'][0]}"
    )


@pytest.fixture
def index_run(demo_municipality):
    return make_run(demo_municipality)


def _index_study(municipality, areas, truth, version, **kw):
    params = {
        "name": "Index",
        "outcome": Outcome.SAFETY_INDEX,
        "first_year": 2008,
        "last_year": 2016,
        "design": Design.TWFE,
        "inference": Inference.RANDOMIZATION,
        "index_version": version,
    }
    params.update(kw)
    start = truth["hotspot_start"]
    return create_study(
        municipality=municipality,
        user=None,
        treated=[(areas[f"HS-{c}"], dt.date.fromisoformat(start)) for c in truth["hotspots"]],
        controls=[areas[f"KO-{c}"] for c in truth["controls"]],
        **params,
    )


# ------------------------------------------------------------------------------------------------
# A study for a programme


def test_new_study_from_a_programme_prefills_its_hotspots_and_start(
    login, analyst, programme, truth
):
    client = login(analyst)
    page = client.get(reverse("evaluations:new"), {"programme": programme.pk})
    assert page.status_code == 200
    form = page.context["form"]
    hotspots = list(programme.areas.filter(kind="hotspot"))
    assert hotspots, "the demo programme covers its hotspot"
    assert sorted(form["treated"].value()) == sorted(a.pk for a in hotspots)
    assert form["start"].value() == programme.start
    assert form["programme"].value() == programme.pk
    html = page.content.decode()
    assert 'id="id_programme_pick"' in html and f'name="programme" value="{programme.pk}"' in html
    checked = [c.data["value"] for c in form["treated"] if c.data["selected"]]
    assert [int(str(v)) for v in checked] == [a.pk for a in hotspots]
    # the programme's one hotspot with three years before its start: the recommendation is
    # pre-selected and says why (too short a pre-period for a synthetic control)
    assert form["design"].value() == Design.POISSON_FE
    assert form["inference"].value() == Inference.RANDOMIZATION
    assert form["recommended_design"].value() == Design.POISSON_FE
    assert 'id="recommendation"' in html and "only 1 hotspot (under 5)" in html
    assert 'id="recommendation-differs"' not in html

    # continue as before: suggested controls, create; the study records the programme and its start
    data = {
        "name": programme.name,
        "programme": programme.pk,
        "outcome": Outcome.REPORTS_CITIZEN,
        "treated": [a.pk for a in hotspots],
        "start": programme.start.isoformat(),
        "first_year": 2008,
        "last_year": 2016,
        "design": Design.POISSON_FE,
        "inference": Inference.RANDOMIZATION,
        "buffer_m": 300,
        "controls_per_hotspot": 4,
    }
    page = client.post(reverse("evaluations:new"), {**data, "step": "suggest"})
    suggested = [c.data["value"] for c in page.context["form"]["controls"] if c.data["selected"]]
    assert len(suggested) == 4 * len(hotspots)
    response = client.post(
        reverse("evaluations:new"), {**data, "controls": suggested, "step": "create"}
    )
    assert response.status_code == 302
    study = Study.objects.get(name=programme.name)
    assert study.programme == programme
    assert [sa.start for sa in study.treated()] == [programme.start] * len(hotspots)
    detail = client.get(study.get_absolute_url()).content.decode()
    assert 'id="study-programme"' in detail and programme.get_absolute_url() in detail


def test_a_programme_of_another_municipality_is_not_found(login, analyst, other_municipality):
    foreign = Programme.objects.create(
        municipality=other_municipality,
        name="Foreign",
        start=dt.date(2010, 1, 1),
        end=dt.date(2012, 1, 1),
    )
    client = login(analyst)
    assert client.get(reverse("evaluations:new"), {"programme": foreign.pk}).status_code == 404
    assert client.get(reverse("evaluations:new"), {"programme": "x"}).status_code == 404


# ------------------------------------------------------------------------------------------------
# The safety index score as an outcome


def test_index_outcome_uses_the_latest_runs_scores_in_a_linear_model(
    demo_municipality, areas, truth, index_run
):
    study = _index_study(demo_municipality, areas, truth, index_run.version)
    panel = study_panel(study)
    assert panel.source["index_run"] == index_run.pk
    # the panel holds the stored scores of the areas' tiling area, year by year
    stored = {
        (a, y): s
        for a, y, s in SafetyScore.objects.filter(run=index_run).values_list(
            "area_id", "year", "score"
        )
    }
    for i, pa in enumerate(panel.areas):
        assert len(pa.tiling) == 1
        for j, year in enumerate(panel.years):
            s = stored.get((pa.tiling[0], year))
            if s is None:
                assert not panel.present[i, j] and np.isnan(panel.value[i, j])
            else:
                assert panel.present[i, j]
                assert panel.value[i, j] == pytest.approx(s, abs=SCORE_TOL)

    result = start_run(study, user=None)
    assert result.status == StudyResult.Status.DONE, result.error
    f = result.figures
    assert f["source"]["index_run"] == index_run.pk
    assert result.parameters["index_version"] == index_run.version.pk
    main = f["main"]
    assert main["key"] == "twfe" and main["scale"] == "absolute"
    assert main["p_kind"] == "randomization"
    # the same regression by hand on the stored scores
    d = panel.long()
    # two hotspots: the cluster-robust interval is the jackknife's (CR3), not CR1's
    ref = ev.twfe(d["value"], d["treatment"], area=d["area"], period=d["year"], vcov="CR3")
    assert main["estimate"] == pytest.approx(ref.estimate, rel=ESTIMATE_REL)
    assert main["ci_low"] == pytest.approx(ref.ci_low, rel=ESTIMATE_REL)
    assert main["ci_high"] == pytest.approx(ref.ci_high, rel=ESTIMATE_REL)
    assert main["extra"]["vcov"] == "CR3"
    rows = {r["key"]: r for r in f["robustness"]}
    assert "poisson_fe" not in rows
    assert {"twfe", "did_2x2", "event_study", "sun_abraham", "synth"} <= set(rows)
    assert not rows["did_2x2"]["error"]
    # the test index has no score in 2008 (measured: every area): reported as missing, not zero
    assert not panel.present[:, 0].any() and panel.present[:, 1:].all()
    missing = next(c for c in f["caveats"] if c["key"] == "missing_scores")
    assert missing["n"] == len(panel.areas)
    assert main["extra"]["n_obs"] == len(panel.areas) * (len(panel.years) - 1)
    # the trend is the mean score (None where no area has one), not a rate per 1,000
    t = panel.treated_mask
    assert f["trend"]["treated"][0] is None
    assert f["trend"]["treated"][1] == pytest.approx(panel.value[t, 1].mean(), abs=SCORE_TOL)
    # higher = safer: the demo's injected falls (reports, charged youths, feeling unsafe) show as a
    # rise of the hotspots' index (measured at scale 0.1: +3.8 points; the CR3 interval, −0.5 to
    # 8.1, is wide with two hotspots, and no pair of controls rose as much)
    assert main["estimate"] > 0
    assert main["p_value"] == pytest.approx(1 / 29)
    sentence = result_sentence(f)
    assert sentence.startswith("The safety index score rose") and "index points" in sentence


def test_index_2x2_is_the_difference_of_mean_changes(demo_municipality, areas, truth, index_run):
    study = _index_study(
        demo_municipality, areas, truth, index_run.version, design=Design.DID_2X2, first_year=2009
    )
    result = start_run(study, user=None)
    assert result.status == StudyResult.Status.DONE, result.error
    panel = study_panel(study)
    post = np.array(panel.years) >= 2011
    change = np.array(
        [
            panel.value[i, post].mean() - panel.value[i, ~post].mean()
            for i in range(len(panel.areas))
        ]
    )
    t = panel.treated_mask
    main = result.figures["main"]
    assert main["key"] == "did_2x2" and main["scale"] == "absolute"
    expected = change[t].mean() - change[~t].mean()
    assert main["estimate"] == pytest.approx(expected, rel=ESTIMATE_REL)
    assert main["ci_low"] < main["estimate"] < main["ci_high"]
    assert main["extra"]["change_treated"] == pytest.approx(change[t].mean(), rel=ESTIMATE_REL)


def test_poisson_is_refused_for_the_index_with_a_clear_message(
    login, analyst, demo_municipality, areas, truth, index_run
):
    with pytest.raises(StudyInputError, match="Poisson regression does not apply"):
        _index_study(demo_municipality, areas, truth, index_run.version, design=Design.POISSON_FE)
    with pytest.raises(StudyInputError, match="Choose the index definition version"):
        _index_study(demo_municipality, areas, truth, None)
    # the form says so on the design field, and creates nothing
    client = login(analyst)
    response = client.post(
        reverse("evaluations:new"),
        {
            "name": "Index Poisson",
            "outcome": Outcome.SAFETY_INDEX,
            "index_version": index_run.version.pk,
            "treated": [areas[f"HS-{c}"].pk for c in truth["hotspots"]],
            "controls": [areas[f"KO-{c}"].pk for c in truth["controls"]],
            "first_year": 2008,
            "last_year": 2016,
            "design": Design.POISSON_FE,
            "inference": Inference.RANDOMIZATION,
            "buffer_m": 300,
            "controls_per_hotspot": 4,
            "step": "create",
        },
    )
    assert response.status_code == 200
    assert "Poisson regression does not apply" in " ".join(
        response.context["form"].errors["design"]
    )
    assert not Study.objects.filter(name="Index Poisson").exists()
    # with a linear design the form suggests controls on the pre-period scores
    page = client.post(
        reverse("evaluations:new"),
        {
            "name": "Index TWFE",
            "outcome": Outcome.SAFETY_INDEX,
            "index_version": index_run.version.pk,
            "treated": [areas[f"HS-{c}"].pk for c in truth["hotspots"]],
            "first_year": 2008,
            "last_year": 2016,
            "design": Design.TWFE,
            "inference": Inference.RANDOMIZATION,
            "buffer_m": 300,
            "controls_per_hotspot": 4,
            "step": "suggest",
        },
    )
    assert page.status_code == 200 and not page.context["form"].errors
    assert page.context["balance"][0]["name"] == "pre-period mean score"
    suggested = [c.data["value"] for c in page.context["form"]["controls"] if c.data["selected"]]
    assert len(suggested) == 8


def test_missing_scores_are_reported_never_zero(
    login, analyst, demo_municipality, areas, truth, index_run
):
    control = areas[f"KO-{truth['controls'][0]}"]
    tile = control.tiling_descendant_ids()[0]
    SafetyScore.objects.filter(run=index_run, area_id=tile, year=2012).update(score=None)
    # from 2009: the test index has no scores in 2008
    study = _index_study(demo_municipality, areas, truth, index_run.version, first_year=2009)
    result = start_run(study, user=None)
    assert result.status == StudyResult.Status.DONE, result.error
    caveat = next(c for c in result.figures["caveats"] if c["key"] == "missing_scores")
    assert caveat["n"] == 1 and caveat["cells"] == [f"{control.code} 2012"]
    assert any(
        control.code in t and "not counted as zero" in t for t in caveat_texts(result.figures)
    )
    # the panel export shows the gap as an empty cell, not 0
    client = login(analyst)
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("evaluations:panel_csv", args=[study.pk])).content.decode(
                    "utf-8-sig"
                )
            ),
            delimiter=";",
        )
    )
    gap = [r for r in rows if r[0] == control.code and r[4] == "2012"]
    assert len(gap) == 1 and gap[0][6] == ""
    # the page and the report name the index run the scores came from
    html = client.get(study.get_absolute_url()).content.decode()
    assert 'id="index-run"' in html and f"/index/runs/{index_run.pk}/" in html
    pdf = client.get(reverse("evaluations:pdf", args=[study.pk]))
    assert pdf.content.startswith(b"%PDF-")

    # an area without any score at all: refused, naming it
    SafetyScore.objects.filter(run=index_run, area_id=tile).update(score=None)
    result = start_run(study, user=None)
    assert result.status == StudyResult.Status.FAILED
    assert control.code in result.error and "has no score" in result.error


def test_index_version_without_a_successful_run_is_refused(
    demo_municipality, areas, truth, index_run
):
    IndexRun.objects.filter(pk=index_run.pk).update(status=Status.FAILED)
    study = _index_study(demo_municipality, areas, truth, index_run.version)
    result = start_run(study, user=None)
    assert result.status == StudyResult.Status.FAILED
    assert "no successful run" in result.error


def test_the_programme_report_says_what_its_study_found(
    client, coordinator, demo_municipality, areas, truth, index_run, programme
):
    from hotspot.programmes.pages import report_sections

    assert not any(s["template"].startswith("evaluations/") for s in report_sections(programme)), (
        "no finished study of the programme yet"
    )
    study = _index_study(
        demo_municipality, areas, truth, index_run.version, design=Design.DID_2X2,
        first_year=2009, name="Rapportstudie",
    )  # fmt: skip
    study.programme = programme
    study.save(update_fields=["programme"])
    result = start_run(study, user=None)
    assert result.status == StudyResult.Status.DONE, result.error
    client.force_login(coordinator)
    page = client.get(reverse("programmes:report", args=[programme.pk])).content.decode()
    assert 'id="report-evaluation"' in page and "Rapportstudie" in page
    from django.utils.html import escape

    assert escape(result_sentence(result.figures)) in page  # the page's language (this module's)
