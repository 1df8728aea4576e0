"""Tests for safetystats.survey against statsmodels (test-only reference) and hand computation."""

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint, proportions_ztest
from statsmodels.stats.weightstats import DescrStatsW

from safetystats import survey

# Agreement with statsmodels: same formulas, only floating-point differences.
STATSMODELS_TOL = 1e-10
EXACT = 1e-12


def _sample(seed, n=400):
    rng = np.random.default_rng(seed)
    answers = rng.integers(1, 8, size=n).astype(float)
    weights = rng.gamma(2.0, 0.5, size=n)
    return answers, weights


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("category", ["safe", "neither", "unsafe"])
def test_share_and_interval_match_statsmodels(seed, category):
    answers, weights = _sample(seed)
    r = survey.weighted_share(answers, weights, category=category)
    codes = survey.SAFETY_CODING[category]
    indicator = np.isin(answers, codes).astype(float)
    ref_mean = DescrStatsW(indicator, weights=weights).mean
    n_eff = weights.sum() ** 2 / (weights**2).sum()
    lo, hi = proportion_confint(ref_mean * n_eff, n_eff, alpha=0.05, method="wilson")
    assert abs(r.share - ref_mean) < STATSMODELS_TOL
    assert abs(r.n_eff - n_eff) < STATSMODELS_TOL
    assert abs(r.low - lo) < STATSMODELS_TOL
    assert abs(r.high - hi) < STATSMODELS_TOL
    assert r.n == 400 and not r.suppressed


def test_interval_level_matches_statsmodels():
    answers, weights = _sample(9)
    r = survey.weighted_share(answers, weights, level=0.9)
    lo, hi = proportion_confint(r.share * r.n_eff, r.n_eff, alpha=0.1, method="wilson")
    assert abs(r.low - lo) < STATSMODELS_TOL and abs(r.high - hi) < STATSMODELS_TOL


def test_effective_n_hand():
    # (1+1+2+4)^2 / (1+1+4+16) = 64/22
    assert abs(survey.effective_n([1, 1, 2, 4]) - 64 / 22) < EXACT
    assert survey.effective_n([3, 3, 3]) == 3.0


def test_missing_answers_are_left_out_and_unknown_codes_refused():
    answers = [1.0] * 15 + [6.0] * 5 + [np.nan] * 3
    r = survey.weighted_share(answers)
    assert r.n == 20 and abs(r.share - 0.25) < EXACT
    with pytest.raises(ValueError, match=r"expected codes \[1, 2, 3, 4, 5, 6, 7\]"):
        survey.weighted_share([1, 2, 9])
    with pytest.raises(ValueError, match="weights: expected finite values >= 0"):
        survey.weighted_share([1, 2], [1.0, -1.0])
    with pytest.raises(ValueError, match="category"):
        survey.weighted_share([1, 2], category="scared")


def test_suppression_below_min_n_is_nan_never_zero():
    r = survey.weighted_share([1] * 19)  # 0 % unsafe on 19 answers
    assert r.suppressed and np.isnan(r.share) and np.isnan(r.low) and np.isnan(r.high)
    assert r.n == 19
    ok = survey.weighted_share([1] * 20)
    assert not ok.suppressed and ok.share == 0.0
    assert survey.weighted_share([1] * 5, min_n=5).share == 0.0


def test_custom_coding():
    coding = {"yes": (1,), "no": (2,)}
    r = survey.weighted_share(
        [1, 1, 2, 2, 2], [1, 1, 1, 1, 4], category="yes", coding=coding, min_n=1
    )
    assert abs(r.share - 2 / 8) < EXACT


def test_grouped_shares_equal_per_group_calls():
    answers, weights = _sample(4, n=600)
    rng = np.random.default_rng(4)
    area = rng.choice(["A", "B", "C"], size=600)
    wave = rng.choice([2019, 2021], size=600)
    area[:5] = "D"  # a small group that must be suppressed
    g = survey.grouped_shares(answers, weights, by=(area, wave))
    assert len(g.share) == len(set(zip(area.tolist(), wave.tolist())))
    for i in range(len(g.share)):
        sel = (area == g.keys[0][i]) & (wave == g.keys[1][i])
        one = survey.weighted_share(answers[sel], weights[sel])
        assert g.n[i] == one.n and g.suppressed[i] == one.suppressed
        if not one.suppressed:
            assert abs(g.share[i] - one.share) < EXACT
            assert abs(g.low[i] - one.low) < EXACT and abs(g.high[i] - one.high) < EXACT
    assert g.suppressed[g.keys[0] == "D"].all()
    with pytest.raises(ValueError, match=r"by\[0\]: expected 600 values"):
        survey.grouped_shares(answers, weights, by=area[:10])


def test_compare_shares_matches_statsmodels_two_proportion_ztest():
    a_ans, a_w = _sample(11, n=500)
    b_ans, b_w = _sample(12, n=300)
    b_ans[:80] = 6.0  # make wave b less safe
    a = survey.weighted_share(a_ans, a_w)
    b = survey.weighted_share(b_ans, b_w)
    d = survey.compare_shares(a, b)
    z, p = proportions_ztest([a.share * a.n_eff, b.share * b.n_eff], [a.n_eff, b.n_eff])
    assert abs(d.z - z) < STATSMODELS_TOL
    assert abs(d.p_value - p) < STATSMODELS_TOL
    assert abs(d.difference - (a.share - b.share)) < EXACT
    se = np.sqrt(a.share * (1 - a.share) / a.n_eff + b.share * (1 - b.share) / b.n_eff)
    assert abs(d.high - d.low - 2 * 1.959963984540054 * se) < 1e-9


def test_compare_refuses_suppressed():
    a = survey.weighted_share([6] * 10)
    b = survey.weighted_share([6] * 30)
    d = survey.compare_shares(a, b)
    assert np.isnan(d.z) and "suppressed" in d.reason


@pytest.mark.parametrize("call", [survey.weighted_share, survey.grouped_shares])
def test_a_bad_level_is_refused_even_when_every_cell_is_suppressed(call):
    # five answers, min_n 20: no interval is computed, yet level=95 is a mistake worth saying
    kwargs = {"by": ["A"] * 5} if call is survey.grouped_shares else {}
    with pytest.raises(ValueError) as exc:
        call([1, 2, 5, 6, 7], level=95, **kwargs)
    assert exc.value.code == "survey.level" and exc.value.params["given"] == "95"


@pytest.mark.parametrize(
    ("call", "code", "name"),
    [
        (lambda: survey.weighted_share(["a", "b"]), "input.not_numbers", "answers"),
        (lambda: survey.effective_n(["x"]), "input.not_numbers", "weights"),
        (lambda: survey.weighted_share([1, 2], [1.0, -1.0]), "survey.weights", "weights"),
        (lambda: survey.wilson_interval([0.2, 2.0], 50), "survey.share_out_of_range", "share"),
    ],
)
def test_survey_refusals_name_the_argument(call, code, name):
    with pytest.raises(ValueError) as exc:
        call()
    assert exc.value.code == code and exc.value.params["name"] == name
