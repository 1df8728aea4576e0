"""Every refused input is a SafetystatsError with a registered, stable code (issue 12, item 5),
and user arguments are checked, never truncated or turned into NaN (item 3)."""

import ast
import pathlib
import pickle

import numpy as np
import pytest

from safetystats.errors import CODES, SafetystatsError
from safetystats.evaluation import (
    event_study,
    match_controls,
    randomization_inference,
    synth_in_time_placebo,
    synthetic_control,
    wild_cluster_bootstrap,
)
from safetystats.index import IndexDefinition, Indicator, Scale, compute, preset, sensitivity
from safetystats.rates import change_from_baseline, rate
from safetystats.survey import wilson_interval
from safetystats.tests.test_raise_sites import code_helpers, construction_sites

LIBRARY = pathlib.Path(__file__).resolve().parents[1]


def library_files():
    for p in sorted(LIBRARY.rglob("*.py")):
        # errors.py: the class itself (the demo generator lives in democity/, outside the library)
        if "tests" in p.parts or p.name == "errors.py":
            continue
        yield p


def test_every_raised_code_is_registered_and_no_bare_value_error_is_left():
    used, bare = set(), []
    trees = {p: ast.parse(p.read_text()) for p in library_files()}
    # shared checks raise the code their caller passes as code= (a literal there)
    helpers = {}
    for tree in trees.values():
        helpers.update(code_helpers(tree))
    for p, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                name = getattr(node.exc.func, "id", None)
                if name == "ValueError":
                    bare.append(f"{p.name}:{node.lineno}")
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "SafetystatsError":
                code = node.args[0]
                forwarded = isinstance(code, ast.Name) and code.id == "code"
                assert isinstance(code, ast.Constant) or forwarded, (
                    f"{p.name}:{node.lineno}: literal code"
                )
        used |= {code for _, code, _ in construction_sites(tree, helpers)}
    assert all(default for default, _ in helpers.values()), helpers
    assert not bare, f"ValueError without a code: {bare}"
    assert used <= set(CODES), sorted(used - set(CODES))
    assert set(CODES) <= used, f"registered but never raised: {sorted(set(CODES) - used)}"


def test_error_is_a_value_error_with_code_params_and_pickles():
    exc = SafetystatsError("panel.no_controls", "no control areas: ...")
    assert isinstance(exc, ValueError) and exc.code == "panel.no_controls" and exc.params == {}
    back = pickle.loads(pickle.dumps(SafetystatsError("input.level", "level: ...", given="2")))
    assert (
        back.code == "input.level" and back.params == {"given": "2"} and str(back) == "level: ..."
    )
    with pytest.raises(KeyError):
        SafetystatsError("no.such.code", "x")


def wide_panel():
    rng = np.random.default_rng(1)
    return rng.normal(10, 1, (12, 1)) + rng.normal(0, 0.2, (12, 10))


@pytest.mark.parametrize(
    ("call", "name", "given"),
    [
        (lambda y: synthetic_control(y, treated=2.7, n_pre=6), "treated", "2.7"),
        (lambda y: synthetic_control(y, treated=0, n_pre=5.9), "n_pre", "5.9"),
        (lambda y: synthetic_control(y, treated=0, n_pre=6, donors=[1.5, 3]), "donors", "[1.5]"),
        (
            lambda y: synth_in_time_placebo(y, treated=0, n_pre=6, placebo_n_pre=3.5),
            "placebo_n_pre",
            "3.5",
        ),
        (lambda y: match_controls(y, treated=[0.5]), "treated", "[0.5]"),
        (lambda y: match_controls(y, treated=[0], n_matches=1.5), "n_matches", "1.5"),
    ],
    ids=["treated", "n_pre", "donors", "placebo_n_pre", "match-treated", "n_matches"],
)
def test_non_integer_arguments_refused_not_truncated(call, name, given):
    with pytest.raises(SafetystatsError) as exc:
        call(wide_panel())
    assert exc.value.code == "input.not_integer"
    assert exc.value.params["name"] == name and given in str(exc.value.params["given"])
    assert str(exc.value).startswith(f"{name}: expected") and given in str(exc.value)


def test_integer_valued_floats_and_numpy_ints_still_accepted():
    y = wide_panel()
    a = synthetic_control(y, treated=np.int64(0), n_pre=6.0, placebos=False)
    b = synthetic_control(y, treated=0, n_pre=6, placebos=False)
    assert a.estimate == b.estimate


def panel():
    rng = np.random.default_rng(2)
    area, year = np.repeat(np.arange(20), 8), np.tile(np.arange(8), 20)
    start = np.where(area < 5, 4.0, np.nan)
    y = 0.1 * area + np.where(year >= start, -1.0, 0.0) + rng.normal(0, 0.3, area.size)
    return y, area, year, start


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda y, a, t, s: event_study(y, area=a, period=t, first_treated=s, leads=2.5), "leads"),
        (lambda y, a, t, s: event_study(y, area=a, period=t, first_treated=s, lags=1.2), "lags"),
        (
            lambda y, a, t, s: randomization_inference(
                y, area=a, period=t, first_treated=s, draws=9.9
            ),
            "draws",
        ),
        (
            lambda y, a, t, s: wild_cluster_bootstrap(
                y, (t >= s).astype(float), area=a, period=t, draws=99.5
            ),
            "draws",
        ),
    ],
)
def test_panel_options_refuse_non_integers(call, name):
    with pytest.raises(SafetystatsError) as exc:
        call(*panel())
    assert exc.value.code == "input.not_integer" and exc.value.params["name"] == name


@pytest.mark.parametrize("share", [1.5, -0.1, np.inf])
def test_wilson_interval_refuses_shares_outside_0_1(share):
    with pytest.raises(SafetystatsError) as exc:
        wilson_interval(share, 100)
    assert exc.value.code == "survey.share_out_of_range"
    assert "share: expected a share in [0, 1]" in str(exc.value)


def test_wilson_interval_keeps_missing_as_nan_and_refuses_infinite_n():
    lo, hi = wilson_interval(np.nan, 100)
    assert np.isnan(lo) and np.isnan(hi)  # a missing share stays missing (documented)
    lo, hi = wilson_interval(0.2, 0)
    assert np.isnan(lo)  # no observations: no interval (documented)
    with pytest.raises(SafetystatsError, match="n_eff"):
        wilson_interval(0.2, np.inf)


@pytest.mark.parametrize(
    ("count", "denominator", "per", "code"),
    [
        ([1.0, np.inf], [10.0, 10.0], 1000.0, "input.not_finite"),
        ([1.0, 2.0], [10.0, np.inf], 1000.0, "input.not_finite"),
        ([1.0], [10.0], np.inf, "rates.per"),
        ([1.0], [10.0], float("nan"), "rates.per"),
    ],
)
def test_rate_refuses_infinity(count, denominator, per, code):
    with pytest.raises(SafetystatsError) as exc:
        rate(count, denominator, per=per)
    assert exc.value.code == code


def test_rate_keeps_nan_as_missing():
    r = rate([1.0, np.nan], [10.0, 10.0])
    assert r.rate[0] == 100.0 and np.isnan(r.rate[1])


def test_change_from_baseline_refuses_a_fractional_base():
    with pytest.raises(SafetystatsError) as exc:
        change_from_baseline([[1.0, 2.0, 3.0]], base=1.5)
    assert exc.value.code == "input.not_integer"


INDICATORS = [
    Indicator("reports", "bad", "theft", "objective"),
    Indicator("unsafe", "bad", "felt", "subjective"),
]


def test_preset_with_another_normalisation_is_refused():
    # version 1: the ratio composite (about 100) went through 5.5 + 1.5·z̄ -> every area 10
    with pytest.raises(SafetystatsError) as exc:
        preset("rotterdam-2002", indicators=INDICATORS, normalisation="ratio")
    assert exc.value.code == "index.normalisation_unsuitable"
    assert exc.value.params["preset"] == "rotterdam-2002"
    assert exc.value.params["normalisation"] == "ratio"
    # with a scale of its own for the ratio composite it is the user's explicit choice
    d = preset(
        "rotterdam-2002",
        indicators=INDICATORS,
        normalisation="ratio",
        scale=Scale(5.5 - 1.5 * 100 / 15, 1.5 / 15, clip=(1.0, 10.0)),
    )
    rng = np.random.default_rng(3)
    values = rng.uniform(5, 15, (30, 2, 2))
    scores = compute(values, d).score
    assert np.ptp(scores) > 1  # not all 10
    assert isinstance(preset("rotterdam-2002", indicators=INDICATORS), IndexDefinition)


@pytest.mark.parametrize("kwargs", [{"year": 0.5}, {"draws": 10.5}])
def test_sensitivity_year_and_draws_must_be_integers(kwargs):
    d = preset("rotterdam-2002", indicators=INDICATORS)
    values = np.random.default_rng(4).uniform(5, 15, (30, 2, 2))
    with pytest.raises(SafetystatsError) as exc:
        sensitivity(values, d, **kwargs)
    assert exc.value.code == "input.not_integer"
