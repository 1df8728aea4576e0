"""The recommendation over the shapes a hotspot study takes: one rule each, their boundaries, and the
sentences the form and the page show."""

import numpy as np
import pytest

from hotspot.evaluations.inputs import Panel, PanelArea
from hotspot.evaluations.models import Design, Inference, Outcome
from hotspot.evaluations.recommend import (
    FEW_TREATED,
    LONG_PRE,
    LOW_COUNT,
    Shape,
    panel_shape,
    recommend,
)


def shape(n=2, starts=(2011,), pre=3, mean=40.0, counts=True):
    return Shape(
        n_treated=n, starts=tuple(starts), pre_years=pre, mean_count=mean, counts_outcome=counts
    )


def test_one_start_many_events_few_hotspots_is_poisson_with_placebo_areas():
    rec = recommend(shape())
    assert (rec.design, rec.inference) == (Design.POISSON_FE, Inference.RANDOMIZATION)
    assert rec.reasons == ("counts", "few_treated")
    # enough events: the linear designs on rates are accepted too, not with CR1 or the bootstrap
    assert rec.accepts(Design.TWFE, Inference.RANDOMIZATION)
    assert not rec.accepts(Design.POISSON_FE, Inference.CLUSTER)
    assert not rec.accepts(Design.POISSON_FE, Inference.WILD_BOOTSTRAP)
    assert not rec.accepts(Design.SUN_ABRAHAM, Inference.RANDOMIZATION)


def test_staggered_starts_recommend_callaway_santanna_and_accept_sun_abraham():
    rec = recommend(shape(n=3, starts=(2011, 2014)))
    assert rec.design == Design.CALLAWAY_SANTANNA
    assert "staggered" in rec.reasons
    assert rec.accepts(Design.SUN_ABRAHAM, Inference.RANDOMIZATION)
    assert not rec.accepts(Design.POISSON_FE, Inference.RANDOMIZATION)
    assert not rec.accepts(Design.TWFE, Inference.RANDOMIZATION)


def test_staggered_starts_with_low_counts_recommend_sun_abraham_only():
    rec = recommend(shape(n=3, starts=(2011, 2014), mean=4.0))
    assert rec.design == Design.SUN_ABRAHAM
    assert rec.reasons[:2] == ("staggered", "low_counts_staggered")
    # the linear Callaway–Sant'Anna breaks the low-count rule
    assert not rec.accepts(Design.CALLAWAY_SANTANNA, Inference.RANDOMIZATION)


@pytest.mark.parametrize("mean, low", [(0.3, True), (LOW_COUNT - 0.01, True), (LOW_COUNT, False)])
def test_low_counts_boundary(mean, low):
    rec = recommend(shape(n=6, mean=mean))
    assert rec.design == Design.POISSON_FE
    assert ("low_counts" in rec.reasons) is low
    assert rec.accepts(Design.TWFE, Inference.RANDOMIZATION) is not low


@pytest.mark.parametrize("n, few", [(1, True), (FEW_TREATED - 1, True), (FEW_TREATED, False)])
def test_few_treated_boundary(n, few):
    rec = recommend(shape(n=n, pre=2))
    assert rec.inference == Inference.RANDOMIZATION
    assert ("few_treated" in rec.reasons) is few
    assert rec.accepts(rec.design, Inference.WILD_BOOTSTRAP) is not few
    # plain cluster-robust errors are never the recommendation
    assert not rec.accepts(rec.design, Inference.CLUSTER)


@pytest.mark.parametrize("pre, synth", [(LONG_PRE - 1, False), (LONG_PRE, True), (12, True)])
def test_one_hotspot_with_a_long_pre_period_is_a_synthetic_control(pre, synth):
    rec = recommend(shape(n=1, pre=pre))
    assert (rec.design == Design.SYNTH) is synth
    if synth:
        assert rec.reasons == ("one_treated_long_pre", "few_treated")
        assert rec.accepts(Design.SYNTH, Inference.CLUSTER)  # the synthetic control's own placebos
    # two hotspots never get a synthetic control, however long the pre-period
    assert recommend(shape(n=2, pre=pre)).design == Design.POISSON_FE


def test_a_score_is_never_poisson():
    for mean in (None, 2.0):
        rec = recommend(shape(n=4, mean=mean, counts=False))
        assert rec.design == Design.TWFE and "not_counts" in rec.reasons
        assert not rec.accepts(Design.POISSON_FE, Inference.RANDOMIZATION)
        assert rec.accepts(Design.DID_2X2, Inference.RANDOMIZATION)
    assert recommend(shape(n=4, starts=(2011, 2013), counts=False)).design == (
        Design.CALLAWAY_SANTANNA
    )


def test_a_shape_is_read_from_the_panel_and_survives_storage():
    class Area:
        def __init__(self, code):
            self.code = code

    import datetime as dt

    areas = [
        PanelArea(Area("HS-1"), True, dt.date(2010, 7, 1)),
        PanelArea(Area("HS-2"), True, dt.date(2013, 1, 1)),
        PanelArea(Area("KO-1"), False),
    ]
    counts = np.array([[4.0, 6.0, 8.0, 2.0], [1.0, 0.0, 3.0, 5.0], [9.0, 9.0, 0.0, 0.0]])
    present = np.ones_like(counts, dtype=bool)
    present[2, 3] = False  # a cell without data does not count towards the mean
    panel = Panel(Outcome.REPORTS, areas, [2008, 2009, 2010, 2011], counts, counts + 100, present)
    s = panel_shape(panel)
    assert s.n_treated == 2 and s.starts == (2011, 2013) and s.pre_years == 3
    assert s.mean_count == pytest.approx(47 / 11)
    assert Shape.from_dict(s.as_dict()) == s
    assert recommend(s).design == Design.SUN_ABRAHAM  # staggered, 4.3 cases per area-year


def test_the_sentences_name_the_choice_and_the_reasons():
    from hotspot.evaluations.pages import choice_text, recommendation_text

    s = shape(n=3, starts=(2011, 2014), mean=4.25)
    text = recommendation_text(recommend(s), s)
    assert text.startswith("For this study the platform recommends Sun–Abraham")
    assert "placebo areas" in text and "2011, 2014" in text and "4.2" in text
    assert "only 3 hotspots (under 5)" in text and "never plain CR1" in text
    assert text.count(". ") == 1 and text.endswith(".")  # two sentences
    one = shape(n=1, pre=2)
    assert "only 1 hotspot (under 5)" in recommendation_text(recommend(one), one)
    assert choice_text(Design.TWFE, Inference.CLUSTER) == (
        "linear two-way fixed effects with cluster-robust standard errors"
    )
