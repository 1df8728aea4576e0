"""A study stores the library's refusals as codes and params, and the pages word them when they render
(issue 12 item 5): never the library's English sentence, and old results stored with English still read
as a sentence of ours."""

import pytest
from django.utils import translation

from hotspot.evaluations.actions import create_study, start_run
from hotspot.evaluations.models import Design, Inference, Outcome, StudyResult
from hotspot.indicators.library_messages import failure_message, stored_message
from safetystats.errors import SafetystatsError

LIBRARY_ENGLISH = "first_treated: expected at least one never-treated area, got none"


@pytest.fixture
def done_result(db):
    return (
        StudyResult.objects.filter(status=StudyResult.Status.DONE)
        .select_related("study")
        .order_by("pk")
        .first()
    )


def test_a_stored_row_error_is_worded_from_its_code(client, coordinator, done_result):
    figures = done_result.figures
    figures["robustness"][0].update(error="panel.no_controls", error_params={})
    # a result stored before the library had codes: the English sentence itself
    figures["robustness"][1].update(error=LIBRARY_ENGLISH, error_params={})
    done_result.save(update_fields=["figures"])
    client.force_login(coordinator)
    html = client.get(done_result.study.get_absolute_url()).content.decode()
    assert stored_message("panel.no_controls") in html
    assert stored_message("") in html  # the generic sentence for the old row
    assert LIBRARY_ENGLISH not in html


def test_library_warnings_are_shown_translated(client, coordinator, done_result):
    figures = done_result.figures
    figures["robustness"][0]["warnings"] = [
        "small counts (< 20 in some cell): the quotient is very noisy"
    ]
    done_result.save(update_fields=["figures"])
    client.force_login(coordinator)
    client.cookies["django_language"] = "da"
    html = client.get(done_result.study.get_absolute_url()).content.decode()
    assert "the quotient is very noisy" not in html
    with translation.override("da"):
        assert "Små antal (under 20 i et felt)" in html


def test_a_failed_result_is_worded_in_the_readers_language(client, coordinator, done_result):
    failed = StudyResult.objects.create(
        study=done_result.study,
        status=StudyResult.Status.FAILED,
        error="stored in another language",
        figures={"error": {"context": "design", "code": "panel.no_controls", "params": {}}},
    )
    client.force_login(coordinator)
    html = client.get(done_result.study.get_absolute_url()).content.decode()
    assert failed.study.latest_result().pk == failed.pk
    assert failure_message(failed.figures["error"]) in html
    assert "stored in another language" not in html


def _staggered(municipality, areas, truth):
    import datetime as dt

    return create_study(
        municipality=municipality,
        user=None,
        name="staggered 2x2 words",
        outcome=Outcome.REPORTS_CITIZEN,
        treated=[
            (areas[f"HS-{truth['hotspots'][0]}"], dt.date(2010, 7, 1)),
            (areas[f"HS-{truth['late_hotspot']}"], dt.date(2013, 7, 1)),
        ],
        controls=[areas[f"KO-{c}"] for c in truth["controls"]],
        first_year=2008,
        last_year=2018,
        design=Design.DID_2X2,
        inference=Inference.CLUSTER,
    )


def test_the_2x2_refusal_is_stored_as_a_code_and_read_in_danish(
    client, coordinator, demo_municipality
):
    from hotspot.areas.models import Area
    from hotspot.demo.models import DemoCity

    truth = DemoCity.objects.get(municipality=demo_municipality).truth
    areas = {a.code: a for a in Area.objects.filter(municipality=demo_municipality)}
    result = start_run(_staggered(demo_municipality, areas, truth), user=None)
    assert result.status == StudyResult.Status.FAILED
    assert result.figures["error"]["code"] == "study.did_staggered"
    client.force_login(coordinator)
    client.cookies["django_language"] = "da"
    html = client.get(result.study.get_absolute_url()).content.decode()
    assert "expected one common start year" not in html
    with translation.override("da"):
        assert failure_message(result.figures["error"]) in html
    assert "Sun-Abraham" in html


def test_a_library_refusal_of_the_design_fails_the_study_with_our_words(
    demo_municipality, monkeypatch
):
    from hotspot.areas.models import Area
    from hotspot.demo.models import DemoCity
    from safetystats import evaluation

    def collinear(*args, **kwargs):
        raise SafetystatsError(
            "design.treatment_collinear", "treatment: collinear, got ['x']", name="treatment"
        )

    monkeypatch.setattr(evaluation, "poisson_fe", collinear)
    truth = DemoCity.objects.get(municipality=demo_municipality).truth
    areas = {a.code: a for a in Area.objects.filter(municipality=demo_municipality)}
    study = _staggered(demo_municipality, areas, truth)
    study.design = Design.POISSON_FE
    study.save(update_fields=["design"])
    result = start_run(study, user=None)
    assert result.status == StudyResult.Status.FAILED
    details = result.figures["error"]
    assert details == {
        "context": "design",
        "code": "design.treatment_collinear",
        "params": {"name": "treatment"},
    }
    assert result.error == failure_message(details)
    assert "collinear, got" not in result.error
