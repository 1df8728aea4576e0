"""Studies on the demo city (scale 0.1): the injected effect is recovered, placebos find none, bad input is
refused with a clear message, and a stored result is recomputed identically."""

import csv
import datetime as dt
import io

import numpy as np
import pytest
from django.urls import reverse

import safetystats
from hotspot.areas.models import Area
from hotspot.audit.models import AuditEvent
from hotspot.demo.models import DemoCity
from hotspot.demo.studies import make_demo_studies
from hotspot.evaluations.actions import create_study, start_run
from hotspot.evaluations.inputs import StudyInputError, check_panel, study_panel
from hotspot.evaluations.models import Design, Inference, Outcome, Study, StudyResult
from hotspot.evaluations.pages import result_sentence
from hotspot.evaluations.tasks import recompute
from safetystats.errors import SafetystatsError

START = dt.date(2010, 7, 1)


@pytest.fixture
def truth(demo_municipality):
    return DemoCity.objects.get(municipality=demo_municipality).truth


@pytest.fixture
def areas(demo_municipality):
    return {a.code: a for a in Area.objects.filter(municipality=demo_municipality)}


def _study(municipality, areas, treated, controls, **kw):
    params = {
        "name": "Test",
        "outcome": Outcome.REPORTS_CITIZEN,
        "first_year": 2008,
        "last_year": 2016,
        "design": Design.POISSON_FE,
        "inference": Inference.RANDOMIZATION,
    }
    params.update(kw)
    return create_study(
        municipality=municipality,
        user=None,
        treated=[(areas[c], START) for c in treated],
        controls=[areas[c] for c in controls],
        **params,
    )


def test_demo_studies_recover_the_injected_report_effect(demo_municipality, truth):
    studies = {s.outcome + s.design: s for s in make_demo_studies()}
    result = studies[Outcome.REPORTS_CITIZEN + Design.POISSON_FE].latest_result()
    assert result.status == StudyResult.Status.DONE, result.error
    main = result.figures["main"]
    # At scale 0.1 (about 25,000 residents) the estimate is noisy, but what must hold holds: a fall,
    # and the 95 % interval covers the injected −20 % (measured: −17.6 %, CR3 interval −24.1 …
    # −10.5 %).
    assert main["estimate"] < 0
    assert main["ci_low"] < truth["effect_reports"] < main["ci_high"]
    # Placebo inference over the 8 controls: no pair of controls shows an effect this large.
    ri = result.figures["randomization"]
    assert ri["n"] == 28 and ri["exact"]
    assert main["p_kind"] == "randomization" and main["p_value"] == pytest.approx(1 / 29)
    assert "1 of 29" in result_sentence(result.figures) or "1 af 29" in result_sentence(
        result.figures
    )
    keys = {c["key"] for c in result.figures["caveats"]}
    assert "few_treated" in keys  # two hotspots: the caveat must be there
    # the robustness table has the designs side by side, each a number or a stated reason
    rows = {r["key"]: r for r in result.figures["robustness"]}
    assert {"poisson_fe", "twfe", "did_2x2", "event_study", "sun_abraham", "synth"} <= set(rows)
    assert rows["did_2x2"]["ci_low"] < truth["effect_reports"] < rows["did_2x2"]["ci_high"]
    assert rows["event_study"]["extra"]["pretrend_p"] > 0.05
    # displacement: one ring per hotspot, counted from the reports' x/y
    disp = result.figures["displacement"]
    assert len(disp) == 2 and all(d["buffer"][0] > 0 for d in disp)

    staggered = studies[Outcome.REPORTS_CITIZEN + Design.SUN_ABRAHAM].latest_result()
    assert staggered.status == StudyResult.Status.DONE, staggered.error
    assert staggered.figures["starts"] == [2011, 2014]
    m = staggered.figures["main"]
    assert m["key"] == "sun_abraham" and m["estimate"] < 0
    assert m["ci_low"] < truth["late_effect_reports"] < m["ci_high"]

    # idempotent: a second call creates and runs nothing new
    before = (Study.objects.count(), StudyResult.objects.count())
    make_demo_studies()
    assert (Study.objects.count(), StudyResult.objects.count()) == before


def test_placebo_controls_as_treated_find_no_effect(demo_municipality, areas, truth):
    ctrl = [f"KO-{c}" for c in truth["controls"]]
    study = _study(demo_municipality, areas, ctrl[:2], ctrl[2:])
    result = start_run(study, user=None)
    assert result.status == StudyResult.Status.DONE, result.error
    main = result.figures["main"]
    assert main["ci_low"] < 0 < main["ci_high"] or main["p_value"] > 0.05
    assert main["p_value"] > 0.05  # placebo inference: nothing unusual about these two controls


def test_result_is_stored_with_hash_and_versions_and_recomputes_identically(
    demo_municipality, areas, truth
):
    study = _study(
        demo_municipality,
        areas,
        [f"HS-{c}" for c in truth["hotspots"]],
        [f"KO-{c}" for c in truth["controls"]],
        inference=Inference.WILD_BOOTSTRAP,
    )
    result = start_run(study, user=None)
    assert result.status == StudyResult.Status.DONE
    assert len(result.inputs_hash) == 64
    assert result.method_version == safetystats.__version__ and "numpy" in result.library_versions
    assert result.parameters["seed"] == 1 and result.parameters["draws"] == 999
    # the wild bootstrap of a Poisson study is the score bootstrap (a TWFE bootstrap would test
    # another coefficient than the one shown)
    main = result.figures["main"]
    assert main["p_kind"] == "score_bootstrap"
    assert main["p_value"] == result.figures["score_bootstrap"]["p_value"]
    assert "score bootstrap" in result_sentence(result.figures)
    same_inputs, same_figures = recompute(result)
    assert same_inputs and same_figures
    # audited: the study's creation and the run
    assert AuditEvent.objects.filter(object_type="evaluations.studyresult").count() >= 2


# ------------------------------------------------------------------------------------------------
# Bad input: a clear message each, never a silent NaN, never a 500


def test_no_control_areas_is_refused(demo_municipality, areas, truth):
    with pytest.raises(StudyInputError, match="no control areas"):
        _study(demo_municipality, areas, [f"HS-{truth['hotspots'][0]}"], [])


def test_treated_area_in_the_control_pool_is_refused(demo_municipality, areas, truth):
    hs = f"HS-{truth['hotspots'][0]}"
    with pytest.raises(StudyInputError, match="cannot also be a control"):
        _study(demo_municipality, areas, [hs], [hs, f"KO-{truth['controls'][0]}"])
    # also the estate under the hotspot: same territory
    with pytest.raises(StudyInputError, match="cannot also be a control"):
        _study(demo_municipality, areas, [hs], [truth["hotspots"][0]])


def test_treated_area_without_pre_period_is_refused(demo_municipality, areas, truth):
    with pytest.raises(StudyInputError, match="no pre-period"):
        _study(
            demo_municipality,
            areas,
            [f"HS-{truth['hotspots'][0]}"],
            [f"KO-{truth['controls'][0]}"],
            first_year=2011,
        )


def test_a_period_with_zero_population_fails_with_a_message(demo_municipality, areas, truth):
    study = _study(
        demo_municipality,
        areas,
        [f"HS-{truth['hotspots'][0]}"],
        [f"KO-{c}" for c in truth["controls"]],
        first_year=2000,  # no residents are recorded before 2008
    )
    result = start_run(study, user=None)
    assert result.status == StudyResult.Status.FAILED
    assert "no residents" in result.error and "2000" in result.error


def test_all_zero_outcomes_are_refused(demo_municipality, areas, truth):
    study = _study(
        demo_municipality,
        areas,
        [f"HS-{truth['hotspots'][0]}"],
        [f"KO-{c}" for c in truth["controls"]],
    )
    panel = study_panel(study)
    panel.counts[:] = 0
    with pytest.raises(StudyInputError, match="zero in every area"):
        check_panel(panel)


def test_a_design_the_library_refuses_fails_with_its_reason(
    demo_municipality, areas, truth, monkeypatch
):
    from safetystats import evaluation

    def collinear(*args, **kwargs):
        raise SafetystatsError(
            "design.treatment_collinear",
            "collinear design: expected linearly independent regressors, got ['x']",
            name="x",
        )

    monkeypatch.setattr(evaluation, "poisson_fe", collinear)
    study = _study(
        demo_municipality,
        areas,
        [f"HS-{c}" for c in truth["hotspots"]],
        [f"KO-{c}" for c in truth["controls"]],
    )
    result = start_run(study, user=None)
    assert result.status == StudyResult.Status.FAILED
    # the reason in our words (hotspot.indicators.library_messages), not the library's English
    assert result.figures["error"]["code"] == "design.treatment_collinear"
    assert "(x)" in result.error and "collinear design" not in result.error
    # 2x2 with staggered starts: not defined, and the message says what to use instead
    study = create_study(
        municipality=demo_municipality,
        user=None,
        name="staggered 2x2",
        outcome=Outcome.REPORTS_CITIZEN,
        treated=[
            (areas[f"HS-{truth['hotspots'][0]}"], START),
            (areas[f"HS-{truth['late_hotspot']}"], dt.date(2013, 7, 1)),
        ],
        controls=[areas[f"KO-{c}"] for c in truth["controls"]],
        first_year=2008,
        last_year=2018,
        design=Design.DID_2X2,
        inference=Inference.CLUSTER,
    )
    monkeypatch.undo()
    result = start_run(study, user=None)
    assert result.status == StudyResult.Status.FAILED and "Sun-Abraham" in result.error


# ------------------------------------------------------------------------------------------------
# Through the pages


def test_analyst_creates_with_suggested_controls_runs_and_downloads(login, analyst, areas, truth):
    client = login(analyst)
    hotspots = [areas[f"HS-{c}"] for c in truth["hotspots"]]
    form = {
        "name": "Journey",
        "outcome": Outcome.REPORTS_CITIZEN,
        "treated": [a.pk for a in hotspots],
        "first_year": 2008,
        "last_year": 2016,
        "design": Design.POISSON_FE,
        "inference": Inference.RANDOMIZATION,
        "buffer_m": 300,
        "controls_per_hotspot": 4,
    }
    page = client.post(reverse("evaluations:new"), {**form, "step": "suggest"})
    assert page.status_code == 200
    suggested = [c.data["value"] for c in page.context["form"]["controls"] if c.data["selected"]]
    assert len(suggested) == 8
    assert not {a.pk for a in hotspots} & set(suggested)
    assert page.context["balance"] and 'id="balance-table"' in page.content.decode()
    response = client.post(
        reverse("evaluations:new"), {**form, "controls": suggested, "step": "create"}
    )
    assert response.status_code == 302
    study = Study.objects.get(name="Journey")
    assert study.controls().count() == 8
    response = client.post(reverse("evaluations:run", args=[study.pk]))
    assert response.status_code == 302
    detail = client.get(study.get_absolute_url())
    html = detail.content.decode()
    assert 'id="result-sentence"' in html and 'id="table-robustness"' in html
    assert detail.context["sentence"].endswith(".")
    pdf = client.get(reverse("evaluations:pdf", args=[study.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    csv_response = client.get(reverse("evaluations:panel_csv", args=[study.pk]))
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 1 + 10 * 9  # header + 10 areas x 9 years
    xlsx = client.get(reverse("evaluations:panel_xlsx", args=[study.pk]))
    assert xlsx.content[:2] == b"PK"
    exports = AuditEvent.objects.filter(action="export", object_type="evaluations.study")
    assert exports.count() == 3


def test_posting_a_hotspot_as_control_shows_the_refusal(login, analyst, areas, truth):
    client = login(analyst)
    hs = areas[f"HS-{truth['hotspots'][0]}"]
    response = client.post(
        reverse("evaluations:new"),
        {
            "name": "Bad",
            "outcome": Outcome.REPORTS,
            "treated": [hs.pk],
            "controls": [hs.pk, areas[f"KO-{truth['controls'][0]}"].pk],
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
    assert 'id="form-errors"' in response.content.decode()
    assert not Study.objects.filter(name="Bad").exists()


def test_partner_reads_results_but_cannot_run(login, partner, demo_municipality, areas, truth):
    study = _study(
        demo_municipality,
        areas,
        [f"HS-{c}" for c in truth["hotspots"]],
        [f"KO-{c}" for c in truth["controls"]],
    )
    start_run(study, user=None)
    client = login(partner)
    html = client.get(study.get_absolute_url()).content.decode()
    assert 'id="result-sentence"' in html
    assert 'id="run-study"' not in html and 'id="download-csv"' not in html
    assert client.post(reverse("evaluations:run", args=[study.pk])).status_code == 403
    assert not np.isnan(study.latest_result().figures["main"]["estimate"])


# ------------------------------------------------------------------------------------------------
# Callaway–Sant'Anna, the jackknife (CR3) and the wild bootstrap's interval


def _staggered(municipality, areas, truth, **kw):
    params = {
        "municipality": municipality,
        "user": None,
        "name": "staggered",
        "outcome": Outcome.REPORTS_CITIZEN,
        "treated": [(areas[f"HS-{c}"], START) for c in truth["hotspots"]]
        + [(areas[f"HS-{truth['late_hotspot']}"], dt.date.fromisoformat(truth["late_start"]))],
        "controls": [areas[f"KO-{c}"] for c in truth["controls"]],
        "first_year": 2008,
        "last_year": 2018,
        "design": Design.CALLAWAY_SANTANNA,
        "inference": Inference.RANDOMIZATION,
    }
    params.update(kw)
    return create_study(**params)


def test_callaway_santanna_is_the_headline_and_its_dynamic_aggregation_the_event_chart(
    login, analyst, demo_municipality, areas, truth
):
    from safetystats.evaluation import callaway_santanna

    study = _staggered(demo_municipality, areas, truth)
    result = start_run(study, user=None)
    assert result.status == StudyResult.Status.DONE, result.error
    f = result.figures
    main, event = f["main"], f["event_study"]
    assert main["key"] == "callaway_santanna" and main["scale"] == "absolute"
    assert main["p_kind"] == "randomization"
    # the headline is the library's simple aggregation on the panel's rates (not yet treated
    # areas as controls), the chart its dynamic aggregation without the reference year
    d = study_panel(study).long()
    ref = callaway_santanna(
        d["value"],
        area=d["area"],
        period=d["year"],
        first_treated=d["first_treated"],
        control="not_yet",
        base="universal",
        n_boot=0,
    )
    assert main["estimate"] == pytest.approx(ref.simple.estimate, rel=1e-12)
    assert main["ci_low"] == pytest.approx(ref.simple.ci_low, rel=1e-12)
    assert event["design"] == "callaway_santanna" and -1 not in event["rel_time"]
    assert event["rel_time"] == [e for e in ref.dynamic.index.tolist() if e != -1]
    assert event["coef"] == pytest.approx(
        [c for e, c in zip(ref.dynamic.index, ref.dynamic.estimate) if e != -1]
    )
    # the demo's injected fall: a lower rate after the start
    assert main["estimate"] < 0
    rows = {r["key"]: r for r in f["robustness"]}
    assert rows["callaway_santanna"]["estimate"] == main["estimate"]
    assert "staggered" not in {c["key"] for c in f["caveats"]}
    # three hotspots: the library's few-treated warning reaches the page (worded, never English)
    assert any("only 3 treated area(s)" in w for w in rows["callaway_santanna"]["warnings"])
    client_html = _detail_html(login(analyst), study)
    assert "Callaway–Sant&#x27;Anna" in client_html or "Callaway–Sant'Anna" in client_html
    assert "influence-function" not in client_html
    # the event table shows every event time unbinned and the reference year
    assert f'<th scope="row">{event["rel_time"][-1]}</th>' in client_html
    same_inputs, same_figures = recompute(result)
    assert same_inputs and same_figures


def _detail_html(client, study):
    return client.get(study.get_absolute_url()).content.decode()


def test_few_hotspots_get_the_jackknife_and_one_hotspot_a_caveat(demo_municipality, areas, truth):
    from safetystats.evaluation import poisson_fe

    hotspots = [f"HS-{c}" for c in truth["hotspots"]]
    controls = [f"KO-{c}" for c in truth["controls"]]
    study = _study(demo_municipality, areas, hotspots, controls, inference=Inference.CLUSTER)
    result = start_run(study, user=None)
    assert result.status == StudyResult.Status.DONE, result.error
    main = result.figures["main"]
    rows = {r["key"]: r for r in result.figures["robustness"]}
    assert main["p_kind"] == "cr3" and rows["twfe"]["p_kind"] == "cr3"
    assert rows["poisson_fe"]["extra"]["vcov"] == "CR3"
    d = study_panel(study).long()
    kw = dict(area=d["area"], period=d["year"], population=d["population"])
    cr3 = poisson_fe(d["counts"], d["treatment"], vcov="CR3", **kw)
    cr1 = poisson_fe(d["counts"], d["treatment"], vcov="CR1", **kw)
    assert main["ci_low"] == pytest.approx(cr3.relative_ci_low, rel=1e-9)
    assert main["p_value"] == pytest.approx(cr3.p_value, rel=1e-9)
    assert cr3.se != pytest.approx(cr1.se, rel=1e-3)  # the jackknife is not CR1 by another name
    assert "(CR3)" in result_sentence(result.figures)
    assert "no_cr3" not in {c["key"] for c in result.figures["caveats"]}

    one = _study(demo_municipality, areas, hotspots[:1], controls, inference=Inference.CLUSTER)
    result = start_run(one, user=None)
    assert result.status == StudyResult.Status.DONE, result.error
    assert result.figures["main"]["p_kind"] == "cluster"
    assert "no_cr3" in {c["key"] for c in result.figures["caveats"]}


def test_the_wild_bootstrap_interval_is_shown_where_it_is_the_inference(
    login, analyst, demo_municipality, areas, truth
):
    from safetystats.evaluation import wild_cluster_bootstrap

    study = _study(
        demo_municipality,
        areas,
        [f"HS-{c}" for c in truth["hotspots"]],
        [f"KO-{c}" for c in truth["controls"]],
        design=Design.TWFE,
        inference=Inference.WILD_BOOTSTRAP,
    )
    result = start_run(study, user=None)
    assert result.status == StudyResult.Status.DONE, result.error
    f = result.figures
    main, twfe = f["main"], {r["key"]: r for r in f["robustness"]}["twfe"]
    d = study_panel(study).long()
    b = wild_cluster_bootstrap(
        d["value"],
        d["treatment"],
        area=d["area"],
        period=d["year"],
        draws=999,
        weights="webb",
        level=0.95,
        rng=np.random.default_rng(1),
    )
    assert (main["ci_low"], main["ci_high"]) == pytest.approx((b.ci_lower, b.ci_upper), rel=1e-9)
    assert main["p_value"] == pytest.approx(b.p_value) and main["ci_kind"] == "wild_bootstrap"
    # the regression row keeps its own (CR3) interval and shows the bootstrap's beside it
    assert twfe["ci_low"] != pytest.approx(b.ci_lower, rel=1e-3)
    assert twfe["extra"]["wild_bootstrap_ci"] == [main["ci_low"], main["ci_high"]]
    assert "bootstrap's too" in result_sentence(f)
    assert "wild cluster bootstrap interval" in _detail_html(login(analyst), study)


# ------------------------------------------------------------------------------------------------
# The recommendation on the form and the page


def test_the_page_recommends_for_the_studys_shape_and_says_when_the_choice_differs(
    login, analyst, demo_municipality, areas, truth
):
    client = login(analyst)
    study = _staggered(demo_municipality, areas, truth, design=Design.POISSON_FE)
    html = _detail_html(client, study)
    assert 'id="recommendation"' in html
    assert "recommends Callaway–Sant" in html and "(2011, 2014)" in html
    assert "only 3 hotspots (under 5)" in html
    assert 'id="recommendation-differs"' in html and "Poisson regression" in html
    accepted = _staggered(demo_municipality, areas, truth, name="SA", design=Design.SUN_ABRAHAM)
    html = _detail_html(client, accepted)
    assert 'id="recommendation"' in html and 'id="recommendation-differs"' not in html


def test_the_form_preselects_the_recommendation_and_keeps_a_different_choice(
    login, analyst, areas, truth
):
    client = login(analyst)
    page = client.get(reverse("evaluations:new"))
    form = page.context["form"]
    assert form["design"].value() == Design.POISSON_FE  # nothing ticked: one start, few hotspots
    assert 'id="recommendation"' not in page.content.decode()
    hotspots = [areas[f"HS-{c}"] for c in truth["hotspots"]]
    late = areas[f"HS-{truth['late_hotspot']}"]
    post = {
        "name": "Staggered",
        "outcome": Outcome.REPORTS_CITIZEN,
        "treated": [a.pk for a in hotspots + [late]],
        "first_year": 2008,
        "last_year": 2018,
        "design": Design.POISSON_FE,
        "inference": Inference.RANDOMIZATION,
        "recommended_design": Design.POISSON_FE,
        "recommended_inference": Inference.RANDOMIZATION,
        "buffer_m": 300,
        "controls_per_hotspot": 3,
    }
    page = client.post(reverse("evaluations:new"), {**post, "step": "suggest"})
    form = page.context["form"]
    # the design was left to the platform: staggered starts move it to Callaway–Sant'Anna
    assert form["design"].value() == Design.CALLAWAY_SANTANNA
    assert form["recommended_design"].value() == Design.CALLAWAY_SANTANNA
    html = page.content.decode()
    assert 'id="recommendation"' in html and 'id="recommendation-differs"' not in html
    controls = [c.data["value"] for c in form["controls"] if c.data["selected"]]
    # a user's own choice is kept, and the form says it differs
    mine = {
        **post,
        "controls": controls,
        "design": Design.TWFE,
        "recommended_design": Design.CALLAWAY_SANTANNA,
    }
    page = client.post(reverse("evaluations:new"), {**mine, "step": "suggest"})
    assert page.context["form"]["design"].value() == Design.TWFE
    assert 'id="recommendation-differs"' in page.content.decode()
    response = client.post(reverse("evaluations:new"), {**mine, "step": "create"})
    assert response.status_code == 302
    assert Study.objects.get(name="Staggered").design == Design.TWFE
    # left to the platform at creation: the recommendation is stored
    left = {**mine, "name": "Left", "design": Design.CALLAWAY_SANTANNA}
    assert client.post(reverse("evaluations:new"), {**left, "step": "create"}).status_code == 302
    assert Study.objects.get(name="Left").design == Design.CALLAWAY_SANTANNA
