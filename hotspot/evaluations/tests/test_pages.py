"""The evaluation pages' words and contexts, called directly (no test client): the result sentence for
every kind of certainty and both scales, every caveat a study stores, the recommendation's reasons,
and the page contexts on the demo studies."""

import pytest
from django.utils import translation

from hotspot import disclosure
from hotspot.evaluations import pages
from hotspot.evaluations.models import Design, Inference, Outcome, Study, StudyResult
from hotspot.evaluations.recommend import Shape

FOUND_REL = "Crime reports fell 20 % more than in comparable areas (95 % interval 10–30 %)"
FOUND_ABS = (
    "The share who feel unsafe rose by 2.5 percentage points more than in comparable areas "
    "(95 % interval 0.5–4.5)"
)


def _figures(scale="relative", p_kind=None, p=0.0371, ri=None, ci_kind=None, **main):
    if scale == "relative":
        row = {"estimate": -0.2, "ci_low": -0.3, "ci_high": -0.1}
        outcome = Outcome.REPORTS
    else:
        row = {"estimate": 2.5, "ci_low": 0.5, "ci_high": 4.5}
        outcome = Outcome.SURVEY_UNSAFE
    row.update(scale=scale, p_kind=p_kind, p_value=p, ci_kind=ci_kind, **main)
    return {"main": row, "outcome": outcome, "randomization": ri or {}}


SURE = {
    "randomization": "an effect this large arose by chance in 1 of 29 placebo assignments",
    "wild_bootstrap": "the wild cluster bootstrap puts the chance of an effect this large at p = 0.037",
    "score_bootstrap": (
        "the score bootstrap of the Poisson model (a wild bootstrap) puts the chance of an effect "
        "this large at p = 0.037"
    ),
    "cr3": (
        "p = 0.037 by cluster-robust standard errors from the jackknife, leaving out one area at a "
        "time (CR3)"
    ),
    "synth_placebo": "compared with placebo areas, p = 0.037",
    "cluster": "p = 0.037 by cluster-robust standard errors (too optimistic with few hotspots)",
    "poisson": "p = 0.037 by cluster-robust standard errors (too optimistic with few hotspots)",
}


@pytest.mark.parametrize("scale,found", [("relative", FOUND_REL), ("absolute", FOUND_ABS)])
@pytest.mark.parametrize("p_kind", sorted(SURE))
def test_the_result_sentence_for_each_kind_of_certainty_and_scale(scale, found, p_kind):
    with translation.override("en"):
        sentence = pages.result_sentence(
            _figures(scale, p_kind, ri={"n": 28, "extreme": 0, "p": 0.034})
        )
    assert sentence == f"{found}; {SURE[p_kind]}."


def test_the_result_sentence_without_certainty_or_estimate_and_the_fallbacks():
    with translation.override("en"):
        assert pages.result_sentence(_figures(p=None)) == FOUND_REL + "."
        # a kind whose figures are missing: the placebo count without its runs, a p-value without one
        assert pages.result_sentence(_figures(p_kind="randomization")) == (
            f"{FOUND_REL}; {SURE['cluster']}."
        )
        assert pages.result_sentence(_figures(p_kind="wild_bootstrap", p=None)) == FOUND_REL + "."
        assert pages.result_sentence(_figures(p_kind="randomization", p=None)) == FOUND_REL + "."
        assert pages.result_sentence(_figures(p_kind="cr3", p=0.0004)).endswith(
            "; p = < 0.001 by cluster-robust standard errors from the jackknife, leaving out one "
            "area at a time (CR3)."
        )
        assert pages.result_sentence(_figures(estimate=None)) == "The study gave no estimate."


def test_the_result_sentence_says_when_the_interval_is_the_bootstraps_and_when_it_spans_zero():
    with translation.override("en"):
        sentence = pages.result_sentence(
            _figures(p_kind="wild_bootstrap", ci_kind="wild_bootstrap")
        )
        assert (
            sentence
            == f"{FOUND_REL}; {SURE['wild_bootstrap']} (the interval is the bootstrap's too)."
        )
        spanning = _figures("absolute", "cr3", estimate=-1.25, ci_low=-3.0, ci_high=0.5)
        assert pages.result_sentence(spanning) == (
            "The share who feel unsafe fell by 1.2 percentage points more than in comparable areas "
            "(95 % interval from a fall of 3.0 to a rise of 0.5, so no change is also possible); "
            f"{SURE['cr3']}."
        )
        rising = _figures(p=None, estimate=0.071, ci_low=-0.05, ci_high=0.2)
        rising["outcome"] = Outcome.YOUTH_CHARGES
        assert pages.result_sentence(rising) == (
            "Charged youths rose 7 % more than in comparable areas (95 % interval from a fall of "
            "5 % to a rise of 20 %, so no change is also possible)."
        )


def test_a_result_that_may_be_chance_says_so_first_and_calls_a_narrow_interval_narrow():
    """Issue 14 item 9: p = 0.2 from 4 placebo areas with a narrow regression interval read as a
    finding ("fell 22 % more …"); the sentence must itself say that it is not statistically certain."""
    ri = {"n": 4, "extreme": 0, "p": 0.2}
    f = _figures(p_kind="randomization", p=0.2, ri=ri, estimate=-0.22, ci_low=-0.3, ci_high=-0.14)
    f["caveats"] = [{"key": "few_treated", "n": 1}, {"key": "few_placebos", "n": 4}]
    with translation.override("en"):
        sentence = pages.result_sentence(f)
    assert sentence == (
        "No statistically certain effect: crime reports fell 22 % more than in comparable areas, "
        "but a difference this size may be chance (the regression's 95 % interval, 14–30 %, is too "
        "narrow with this few hotspots); an effect this large arose by chance in 1 of 5 placebo "
        "assignments, which is the smallest chance 4 placebo assignments can show, so this design "
        "cannot give a certain answer."
    )
    with translation.override("da"):
        danish = pages.result_sentence(f)
    assert danish.startswith("Ingen statistisk sikker effekt: anmeldelser")
    assert "for smalt" in danish and "1 af 5" in danish


@pytest.mark.parametrize("p,certain", [(0.049, True), (0.05, False), (0.31, False), (None, True)])
def test_the_five_per_cent_line_decides_whether_the_sentence_reads_as_a_finding(p, certain):
    f = _figures(p_kind="cr3", p=p)
    with translation.override("en"):
        sentence = pages.result_sentence(f)
    assert sentence.startswith("No statistically certain effect") is not certain
    # the regression's own interval is not called too narrow when the certainty is the regression's
    assert "too narrow" not in sentence


def test_a_placebo_count_that_could_have_been_smaller_is_not_called_the_smallest_possible():
    ri = {"n": 28, "extreme": 3, "p": 4 / 29}
    f = _figures(p_kind="randomization", p=4 / 29, ri=ri)
    with translation.override("en"):
        sentence = pages.result_sentence(f)
    assert sentence.startswith("No statistically certain effect")
    assert "in 4 of 29 placebo assignments." in sentence and "smallest" not in sentence


CAVEATS = [
    (
        {"key": "few_treated", "n": 3},
        "Few treated areas (3): ordinary standard errors are too small, so the certainty comes from "
        "placebo areas; intervals from the regression are too narrow.",
    ),
    (
        {"key": "pretrend", "p": 0.0213},
        "Before the start, the hotspots' trend differed from the controls' (p = 0.021): the "
        "controls may not show what would have happened without the effort.",
    ),
    (
        {"key": "small_counts", "min": 7.0},
        "Small counts: some hotspot years have fewer than 10 cases (smallest 7), so single years "
        "move a lot by chance.",
    ),
    (
        {"key": "staggered"},
        "The hotspots started in different years: the Callaway–Sant'Anna and Sun–Abraham rows of "
        "the robustness table are the estimates that are robust to that.",
    ),
    (
        {"key": "no_cr3"},
        "With a single hotspot the jackknife cannot leave it out, so the cluster-robust standard "
        "errors are the ordinary ones (CR1), which are far too small: judge the certainty by "
        "placebo areas instead.",
    ),
    (
        {"key": "few_placebos", "n": 9},
        "Only 9 placebo assignments: the smallest possible chance is 1 in 10. More control areas "
        "would allow a sharper answer.",
    ),
    (
        {"key": "synth_fit", "area": "Nordparken"},
        "The synthetic control does not fit Nordparken well before the start (the area is outside "
        "the range of the controls): do not rely on its synthetic-control row.",
    ),
    (
        {"key": "missing_scores", "n": 3, "cells": ["KO-1 2010", "KO-2 2011"]},
        "The index has no score for 3 area-years (KO-1 2010, KO-2 2011 …): they are left out, not "
        "counted as zero.",
    ),
    (
        {"key": "dropped", "areas": ["KO-1", "KO-7"]},
        "Areas with no cases at all were left out of the Poisson model: KO-1, KO-7",
    ),
    (
        {"key": "overdispersed", "dispersion": 2.31},
        "The counts vary more than a Poisson model allows (dispersion 2.3): its estimate and "
        "cluster-robust interval stay valid, and the negative binomial row of the robustness "
        "table is the more efficient estimate to compare with.",
    ),
]


@pytest.mark.parametrize("caveat,text", CAVEATS, ids=[c["key"] for c, _t in CAVEATS])
def test_each_caveat_is_worded_with_its_figures(caveat, text):
    with translation.override("en"):
        assert pages.caveat_texts({"caveats": [caveat]}) == [text]


def test_every_caveat_key_has_a_sentence_and_an_unknown_key_none():
    assert {c["key"] for c, _t in CAVEATS} == set(pages.CAVEATS)
    with translation.override("en"):
        assert pages.caveat_texts({"caveats": [{"key": "something_new", "n": 2}]}) == []
        assert pages.caveat_texts({}) == []
        both = pages.caveat_texts({"caveats": [CAVEATS[0][0], {"key": "?"}, CAVEATS[5][0]]})
        assert both == [CAVEATS[0][1], CAVEATS[5][1]]
        # a hidden smallest count is shown as the mark, never the number; all cells listed: no "…"
        hidden = {"key": "small_counts", "min": disclosure.count(3, raw=False)}
        assert (
            f"(smallest {disclosure.count(3, raw=False)})"
            in pages.caveat_texts({"caveats": [hidden]})[0]
        )
        listed = {"key": "missing_scores", "n": 1, "cells": ["KO-1 2010"]}
        assert "(KO-1 2010):" in pages.caveat_texts({"caveats": [listed]})[0]


ONE = Shape(n_treated=1, starts=(2011,), pre_years=3, mean_count=None, counts_outcome=True)
THREE = Shape(n_treated=3, starts=(2011, 2014), pre_years=5, mean_count=4.25, counts_outcome=True)
REASONS = {
    "one_treated_long_pre": (
        "one hotspot with 3 years before the start, enough to rebuild it as a weighted mix of the "
        "control areas"
    ),
    "staggered": (
        "the hotspots start in different years (2011, 2014), which a single regression with area "
        "and year effects mixes up"
    ),
    "low_counts_staggered": (
        "there are few cases per area and year (4.2 on average, under 10), which the Poisson "
        "version of Sun–Abraham handles"
    ),
    "low_counts": (
        "there are few cases per area and year (4.2 on average, under 10), which a Poisson model "
        "handles better than rates do"
    ),
    "counts": "the outcome is a number of cases, which a Poisson model of the rate describes",
    "not_counts": (
        "the outcome is a score or a share, not a number of cases, so a linear model fits"
    ),
    "few_treated": (
        "there are only 3 hotspots (under 5), so the certainty must come from placebo areas, and "
        "cluster-robust standard errors leave out one area at a time (CR3), never plain CR1"
    ),
}


@pytest.mark.parametrize("key", sorted(REASONS))
def test_each_reason_is_worded_with_the_shape(key):
    shape = ONE if key == "one_treated_long_pre" else THREE
    with translation.override("en"):
        assert pages._reason_text(key, shape) == REASONS[key]


def test_the_reasons_count_hotspots_and_say_nothing_for_an_unknown_key():
    assert set(REASONS) == set(pages.REASONS)
    with translation.override("en"):
        assert pages._reason_text("few_treated", ONE) == (
            "there is only 1 hotspot (under 5), so the certainty must come from placebo areas, and "
            "cluster-robust standard errors leave out one area at a time (CR3), never plain CR1"
        )
        assert "(– on average" in pages._reason_text("low_counts", ONE)
        assert pages._reason_text("no_such_reason", THREE) == ""


def test_the_study_page_context_on_the_demo_studies(coordinator, partner, demo_municipality):
    studies = list(Study.objects.filter(municipality=demo_municipality).order_by("pk"))
    assert studies
    with translation.override("en"):
        for study in studies:
            ctx = pages.study_detail(study, coordinator)
            result = study.latest_result()
            assert ctx["study"] == study and ctx["result"] == result
            assert ctx["can_create"] is True and ctx["programme"] == study.programme
            assert [sa.pk for sa in ctx["treated"]] == [sa.pk for sa in study.treated()]
            assert [sa.pk for sa in ctx["controls"]] == [sa.pk for sa in study.controls()]
            assert ctx["running"] is False
            assert result.status == StudyResult.Status.DONE
            assert ctx["sentence"] == pages.result_sentence(result.figures)
            assert ctx["sentence"].endswith(".")
            assert ctx["caveats"] == pages.caveat_texts(result.figures)
            assert len(ctx["robustness"]) == len(result.figures["robustness"])
            assert [r["year"] for r in ctx["trend_rows"]] == result.figures["trend"]["years"]
            assert ctx["recommendation"].startswith("For this study the platform recommends")
            assert ctx["svg_trend"].lstrip().startswith("<svg")
            # a partner sees the figures but not whether to run them
            assert pages.study_detail(study, partner)["can_create"] is False
        listing = pages.study_list(studies, can_create=False)
        assert [r["study"] for r in listing["rows"]] == studies
        assert [r["sentence"] for r in listing["rows"]] == [
            pages.result_sentence(s.latest_result().figures) for s in studies
        ]


def test_the_blank_new_study_form_preselects_the_recommendation(demo_municipality):
    new = pages.new_study(demo_municipality, [])
    with translation.override("en"):
        ctx = pages.blank_study_context(new)
    form = ctx["form"]
    assert not form.is_bound
    assert form["design"].value() == Design.POISSON_FE
    assert form["inference"].value() == Inference.RANDOMIZATION
    assert form["recommended_design"].value() == Design.POISSON_FE
    assert ctx["has_hotspots"] and ctx["pool_ids"] == [a.pk for a in new.pool]
    assert ctx["balance"] is None and ctx["suggested"] is False
    assert ctx["programme"] is None and ctx["programme_notes"] == []
    assert "recommendation" not in ctx  # nothing ticked yet
