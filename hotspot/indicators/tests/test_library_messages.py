"""The library's refusals and warnings reach pages in the reader's language, never in English
(issue 12 item 5): every code has a text, unknown ones get a generic sentence, stored codes are worded
when shown."""

import re

import numpy as np
import pytest
from django.utils import translation

from hotspot.indicators import library_messages as lm
from safetystats import evaluation as ev
from safetystats.errors import CODES, SafetystatsError
from safetystats.evaluation._util import few_clusters_warning


def _params(code):
    """A value for every placeholder of the code's text."""
    names = re.findall(r"%\((\w+)\)s", str(lm.LIBRARY_MESSAGES[code]))
    return {n: ["A1", "A2"] if n == "areas" else 7 for n in names}


def test_every_library_code_has_a_text_that_formats():
    assert set(CODES) <= set(lm.LIBRARY_MESSAGES)
    for code in CODES:
        exc = SafetystatsError(code, "English text", **_params(code))
        text = lm.library_message(exc)
        assert text and text != "English text" and text != str(lm.GENERIC), code


def test_every_library_code_is_translated_into_danish():
    def texts(language):
        with translation.override(language):
            return {code: lm.message_for(code, _params(code)) for code in CODES}

    english, danish = texts("en"), texts("da")
    assert not [code for code in CODES if danish[code] == english[code]]


def test_a_real_refusal_is_worded_in_danish_without_the_english():
    # two areas, both treated from 2012 on: no control area
    area = np.repeat([0, 1], 4)
    period = np.tile([2010, 2011, 2012, 2013], 2)
    y = np.arange(8.0) + 1
    with pytest.raises(SafetystatsError) as info:
        ev.event_study(y, first_treated=np.full(8, 2012.0), area=area, period=period)
    with translation.override("da"):
        text = lm.library_message(info.value)
    assert info.value.code == "panel.no_controls"
    assert "kontrolområder" in text
    assert str(info.value) not in text


def test_unknown_errors_never_show_their_english():
    with translation.override("da"):
        assert lm.library_message(ValueError("boom: expected x, got y")) == str(lm.GENERIC)
        assert lm.stored_message("expected x, got y (an old stored English error)") == str(
            lm.GENERIC
        )
        assert lm.stored_message("panel.no_controls").startswith("Der er ingen kontrolområder")
        assert "boom" not in lm.user_message(SafetystatsError("input.empty", "boom", name="y"))
        # the hotspot layer's own (translated) refusals pass as they are
        assert lm.user_message(ValueError("Vælg mindst én indikator")) == "Vælg mindst én indikator"


def test_stored_details_are_json_and_worded_later():
    import json

    exc = SafetystatsError("panel.no_pre_period", "x", areas=("H1", "H2"), more=0)
    fields = lm.error_fields(exc)
    assert json.loads(json.dumps(fields)) == fields
    with translation.override("da"):
        text = lm.stored_message(fields["error"], fields["error_params"])
    assert "H1, H2" in text and "Indsatsområder uden år før indsatsen" in text
    assert lm.error_fields(ValueError("x")) == {"error": "unknown", "error_params": {}}


def test_a_missing_parameter_gives_the_generic_sentence_not_an_exception():
    with translation.override("da"):
        assert lm.message_for("input.length", {"name": "y"}) == str(lm.GENERIC)


def test_library_warnings_are_translated_and_unknown_ones_are_generic():
    (few,) = few_clusters_warning(3)
    with translation.override("da"):
        text = lm.warning_message(few)
        assert text.startswith("Kun 3 indsatsområder") and "cluster-robust" not in text
        assert lm.warning_message("something new the library says") == str(lm.GENERIC_WARNING)
        assert lm.warning_messages([few, few]) == [text]  # each once


@pytest.mark.parametrize(
    "english,danish",
    [
        (
            "small counts (minimum 4): the normal approximation on the log scale is rough",
            "mindst 4",
        ),
        ("small counts (< 20 in some cell): the quotient is very noisy", "under 20"),
        (
            "dropped 2 area(s) whose counts are all zero (their fixed effect is not estimable in a "
            "Poisson model): ['H1', 'H2']",
            "2 områder blev udeladt",
        ),
        (
            "poor balance after matching (|SMD| > 0.25) on ['rate', 'share']: the matched controls "
            "differ from the treated areas; widen the pool or match on fewer variables",
            "rate, share",
        ),
        (
            "only 4 donors: the smallest attainable placebo p-value is 1/5 = 0.20",
            "1/5 = 0,2",
        ),
        (
            "3 placebo assignment(s) were not estimable (e.g. placebo areas without a pre-period) "
            "and were left out",
            "3 placebotildelinger",
        ),
    ],
)
def test_known_warning_texts(english, danish):
    with translation.override("da"):
        assert danish in lm.warning_message(english)


def _no_pre_period(n_areas):
    """The refusal of poisson_fe for ``n_areas`` treated areas that start in the first year."""
    area = np.repeat(np.arange(n_areas + 2), 4)
    period = np.tile([2010, 2011, 2012, 2013], n_areas + 2)
    treated = (area < n_areas).astype(float)
    counts = np.arange(area.size) % 5 + 1.0
    with pytest.raises(SafetystatsError) as info:
        ev.poisson_fe(counts, treated, area=[f"H{a}" for a in area], period=period)
    assert info.value.code == "panel.no_pre_period"
    return info.value


@pytest.mark.parametrize(("language", "rest"), [("en", "and 3 more"), ("da", "og 3 flere")])
def test_a_cut_list_of_areas_says_how_many_more(language, rest):
    exc = _no_pre_period(8)  # the library names 5 and counts the other 3
    assert exc.params["more"] == 3 and len(exc.params["areas"]) == 5
    assert "and 3 more" in str(exc)
    with translation.override(language):
        text = lm.library_message(exc)
        stored = lm.stored_message(lm.error_details(exc))
    assert f"H0, H1, H2, H3, H4 {rest}." in text
    assert stored == text


def test_a_complete_list_has_no_more():
    exc = _no_pre_period(2)
    assert exc.params["more"] == 0
    with translation.override("da"):
        text = lm.library_message(exc)
    assert "H0, H1." in text and "flere" not in text and "more" not in text


@pytest.mark.parametrize(("language", "rest"), [("en", "and 2 more"), ("da", "og 2 flere")])
def test_the_dropped_areas_warning_keeps_the_rest_of_the_list(language, rest):
    names = [f"Z{i}" for i in range(10)]
    english = (
        "dropped 12 area(s) whose counts are all zero (their fixed effect is not estimable in a "
        f"Poisson model): {names} and 2 more"
    )
    with translation.override(language):
        text = lm.warning_message(english)
        short = lm.warning_message(english.removesuffix(" and 2 more"))
    assert f"Z8, Z9 {rest}." in text
    assert "Z8, Z9." in short and rest not in short


def test_the_negative_binomial_warning_is_translated():
    from safetystats.evaluation.negbin import negbin_fe

    rng = np.random.default_rng(11)
    area, year = np.repeat(np.arange(25), 8), np.tile(np.arange(2015, 2023), 25)
    d = ((area < 4) & (year >= 2019)).astype(float)
    y = rng.poisson(2.0 * np.exp(rng.normal(0, 0.4, 25))[area] * np.exp(-0.2 * d)).astype(float)
    res = negbin_fe(y, d, area=area, period=year)
    (english,) = [w for w in res.warnings if w.startswith("no overdispersion")]
    with translation.override("da"):
        text = lm.warning_message(english)
    assert text != str(lm.GENERIC_WARNING) and "Poisson" in text and "dispersion" in text
    assert "antallene" in text.lower()


def test_every_callaway_santanna_warning_is_worded_in_danish():
    """The warnings the staggered design gives on a hotspot-sized panel (few effort areas, a start
    year with one area, a start after the panel, no area without an effort) each get their own text."""
    import numpy as np
    from django.utils import translation

    from hotspot.indicators.library_messages import GENERIC_WARNING, warning_message
    from safetystats.evaluation import callaway_santanna

    rng = np.random.default_rng(3)
    area = np.repeat(np.arange(8), 6)
    period = np.tile(np.arange(2010, 2016), 8)
    starts = {0: 2012, 1: 2013, 2: 2013, 3: 2019, 4: 2014, 5: 2014, 6: 2015, 7: 2015}
    first = np.array([starts[a] for a in area], dtype=float)
    y = rng.poisson(5, area.size).astype(float)
    result = callaway_santanna(
        y, area=area, period=period, first_treated=first, control="not_yet", n_boot=0
    )
    assert len(result.warnings) >= 3
    with translation.override("da"):
        for text in result.warnings:
            worded = warning_message(text)
            assert worded != str(GENERIC_WARNING), text
            assert "effort" not in worded.lower()  # Danish, not the English source


@pytest.mark.parametrize("fit", [ev.twfe, ev.poisson_fe], ids=["twfe", "poisson_fe"])
def test_the_hc1_warning_has_its_own_danish_text(fit):
    rng = np.random.default_rng(4)
    area, year = np.repeat(np.arange(12), 6), np.tile(np.arange(2015, 2021), 12)
    d = ((area < 4) & (year >= 2018)).astype(float)
    y = rng.poisson(6.0, area.size).astype(float)
    res = fit(y, d, area=area, period=year, vcov="HC1")
    (english,) = [w for w in res.warnings if w.startswith("HC1 standard errors")]
    with translation.override("en"):
        source = lm.warning_message(english)
    with translation.override("da"):
        text = lm.warning_message(english)
    assert source != str(lm.GENERIC_WARNING) and "independent" in source
    assert text not in (str(lm.GENERIC_WARNING), source)
    assert "uafhængig" in text and "CR1" in text
    assert "independent" not in text and "area" not in text
