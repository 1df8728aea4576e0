"""Tests for safetystats.rates against hand computations written out here, published tables
(exact Poisson limits) and statsmodels."""

import csv
import pathlib
from decimal import Decimal

import numpy as np
import pytest
from scipy import special, stats

from safetystats import rates
from safetystats.errors import SafetystatsError
from safetystats.tests.references import reference

REFERENCE = pathlib.Path(__file__).with_name("reference")

# Exact arithmetic on small numbers; only floating-point representation error is allowed.
EXACT = 1e-12
# Hand-worked Marshall example: fractions evaluated in double precision.
HAND = 1e-12
# Exact Poisson limits against statsmodels' confint_poisson(method="exact-c"): the same χ²/gamma
# quantile by two routes (scipy.special.gammaincinv here, scipy.stats.chi2.ppf there); measured
# agreement about 1e-15 relative, the tolerance leaves room for other platforms' libm.
SAME_QUANTILE = 1e-12


def test_rate_per_1000_carries_count_and_denominator():
    r = rates.rate([3, 0, 12], [1500, 800, 0])
    np.testing.assert_allclose(r.rate[:2], [2.0, 0.0], atol=EXACT)
    assert np.isnan(r.rate[2])  # no residents: no rate, never 0 or inf
    assert r.count.tolist() == [3, 0, 12]
    assert r.denominator.tolist() == [1500, 800, 0]
    assert r.per == 1000.0


def test_rate_refuses_negative_and_mismatched_shapes():
    with pytest.raises(ValueError, match="count: expected values >= 0"):
        rates.rate([-1], [100])
    with pytest.raises(ValueError, match="same shape"):
        rates.rate([1, 2, 3], [100, 200])


def test_count_persons_counts_each_person_once_per_area_year():
    area = ["A", "A", "A", "A", "B", "B"]
    year = [2020, 2020, 2020, 2021, 2020, 2020]
    person = ["p1", "p1", "p2", "p1", "p1", "p3"]  # p1 charged twice in A 2020, also lived in B
    pc = rates.count_persons(area, year, person, areas=["A", "B", "C"], years=[2020, 2021])
    assert pc.persons.tolist() == [[2, 1], [2, 0], [0, 0]]
    assert pc.charges.tolist() == [[3, 1], [2, 0], [0, 0]]
    assert pc.areas.tolist() == ["A", "B", "C"]


def test_charge_rates_by_band_use_band_denominators():
    # one area, one year; bands 10-14, 15-17, 18-24, 25+
    area = ["A"] * 6
    year = [2020] * 6
    person = [1, 1, 2, 3, 4, 5]
    age = [12, 12, 16, 16, 30, 8]  # person 1 twice; age 8 is outside every band
    pop = np.array([[[200, 100, 400, 1000]]])
    br = rates.charge_rates(area, year, person, age, pop, areas=["A"], years=[2020])
    assert br.count.tolist() == [[[1, 2, 0, 1]]]
    # 1000·1/200 = 5, 1000·2/100 = 20, 0, 1000·1/1000 = 1
    np.testing.assert_allclose(br.rate[0, 0], [5.0, 20.0, 0.0, 1.0], atol=EXACT)
    assert br.bands == ("10-14", "15-17", "18-24", "25+")


def test_youth_band_counts_a_person_in_two_bands_once():
    # person 1 charged at 14 and at 15 in the same year
    pop = np.array([[[300]]])
    br = rates.charge_rates(
        ["A", "A"],
        [2020, 2020],
        [1, 1],
        [14, 15],
        pop,
        areas=["A"],
        years=[2020],
        bands=rates.YOUTH_BAND,
    )
    assert br.count.tolist() == [[[1]]]
    split = rates.charge_rates(
        ["A", "A"],
        [2020, 2020],
        [1, 1],
        [14, 15],
        np.array([[[150, 150]]]),
        areas=["A"],
        years=[2020],
        bands={"10-14": (10, 14), "15-17": (15, 17)},
    )
    assert split.count.sum() == 2  # why the combined band is computed on its own


def test_charge_rates_validate_population_shape_and_bands():
    with pytest.raises(ValueError, match=r"expected shape \(areas, years, bands\)"):
        rates.charge_rates([], [], [], [], np.zeros((1, 1, 3)), areas=["A"], years=[2020])
    with pytest.raises(ValueError, match="overlapping"):
        rates.band_of_age([12], bands={"a": (10, 14), "b": (14, 17)})


def test_rolling_mean_and_gaps():
    out = rates.rolling_mean([[1.0, 3.0, 5.0, np.nan, 9.0, 11.0]], window=2)
    expected = [np.nan, 2.0, 4.0, np.nan, np.nan, 10.0]
    np.testing.assert_allclose(out[0], expected, atol=EXACT)
    out3 = rates.rolling_mean([[1.0, 2.0, 6.0]], window=3)
    np.testing.assert_allclose(out3[0], [np.nan, np.nan, 3.0], atol=EXACT)
    with pytest.raises(ValueError, match="window"):
        rates.rolling_mean([[1.0]], window=0)


def test_rolling_rate_pooled_and_mean():
    r = rates.rolling_rate([[2, 4, 6]], [[1000, 3000, 2000]])
    # pooled: 1000·(2+4)/(1000+3000) = 1.5; 1000·(4+6)/(3000+2000) = 2
    np.testing.assert_allclose(r.rate[0, 1:], [1.5, 2.0], atol=EXACT)
    assert r.count[0, 1:].tolist() == [6, 10]
    assert r.denominator[0, 1:].tolist() == [4000, 5000]
    m = rates.rolling_rate([[2, 4, 6]], [[1000, 3000, 2000]], method="mean")
    # mean of 2, 4/3 and of 4/3, 3
    np.testing.assert_allclose(m.rate[0, 1:], [(2 + 4 / 3) / 2, (4 / 3 + 3) / 2], atol=EXACT)


def test_change_from_baseline_and_zero_baseline():
    ch = rates.change_from_baseline([[4.0, 3.0, 6.0], [0.0, 2.0, 0.0], [np.nan, 1.0, 1.0]])
    np.testing.assert_allclose(ch.relative[0], [0.0, -0.25, 0.5], atol=EXACT)
    np.testing.assert_allclose(ch.absolute[1], [0.0, 2.0, 0.0], atol=EXACT)
    assert np.isnan(ch.relative[1]).all()
    assert ch.reason[1].tolist() == ["baseline is 0"] * 3
    assert ch.reason[2, 1] == "baseline is missing"
    assert ch.reason[0, 1] == ""
    later = rates.change_from_baseline([[4.0, 2.0]], base=1)
    np.testing.assert_allclose(later.relative, [[1.0, 0.0]], atol=EXACT)


def test_eb_matches_hand_worked_marshall_example():
    y = np.array([1.0, 10.0, 40.0])
    n = np.array([500.0, 2000.0, 4000.0])
    # Marshall (1991) global EB written out:
    m = 51 / 6500  # Σy / Σn
    r = y / n  # 0.002, 0.005, 0.01
    nbar = 6500 / 3
    s2 = (500 * (0.002 - m) ** 2 + 2000 * (0.005 - m) ** 2 + 4000 * (0.01 - m) ** 2) / 6500
    a = s2 - m / nbar
    assert a > 0
    c = a / (a + m / n)
    theta = m + c * (r - m)
    eb = rates.eb_smooth(y, n)
    np.testing.assert_allclose(float(eb.global_rate), 1000 * m, rtol=HAND)
    np.testing.assert_allclose(eb.prior_variance, a, rtol=HAND)
    np.testing.assert_allclose(eb.shrinkage, c, rtol=HAND)
    np.testing.assert_allclose(eb.smoothed, 1000 * theta, rtol=HAND)


def test_eb_prior_variance_truncated_at_zero_gives_global_rate():
    # raw rates less spread than Poisson noise alone: A < 0 -> 0, all areas get m
    y = np.array([5.0, 5.0, 6.0])
    n = np.array([1000.0, 1000.0, 1000.0])
    eb = rates.eb_smooth(y, n)
    assert float(eb.prior_variance) == 0.0
    np.testing.assert_allclose(eb.smoothed, 1000 * 16 / 3000, rtol=HAND)


def test_eb_properties_between_raw_and_global_and_large_areas_move_less():
    rng = np.random.default_rng(7)
    for _ in range(50):
        k = 30
        n = rng.integers(50, 20000, size=k).astype(float)
        true = rng.gamma(4.0, 0.002, size=k)
        y = rng.poisson(true * n).astype(float)
        eb = rates.eb_smooth(y, n)
        m = float(eb.global_rate)
        lo = np.minimum(eb.raw, m) - 1e-9
        hi = np.maximum(eb.raw, m) + 1e-9
        assert ((eb.smoothed >= lo) & (eb.smoothed <= hi)).all()
        # shrinkage grows with population: order of C follows order of n
        order = np.argsort(n)
        assert (np.diff(eb.shrinkage[order]) >= -1e-15).all()


def test_eb_two_dimensional_smooths_each_year_and_keeps_nan():
    y = np.array([[1.0, 2.0], [10.0, np.nan], [40.0, 30.0]])
    n = np.array([[500.0, 500.0], [2000.0, 2000.0], [4000.0, 4000.0]])
    eb = rates.eb_smooth(y, n)
    first = rates.eb_smooth(y[:, 0], n[:, 0])
    np.testing.assert_allclose(eb.smoothed[:, 0], first.smoothed, rtol=HAND)
    assert np.isnan(eb.smoothed[1, 1])
    second = rates.eb_smooth(y[[0, 2], 1], n[[0, 2], 1])
    np.testing.assert_allclose(eb.smoothed[[0, 2], 1], second.smoothed, rtol=HAND)


# ------------------------------------------------------------------------------------------------
# Exact (Garwood 1936) Poisson intervals


def _published_rows():
    with (REFERENCE / "poisson_limits_published.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def _half_unit(printed: str) -> float:
    """Half a unit in the last printed digit: the rounding of a printed table value (a printed
    0, the lower limit of a zero count, is exact)."""
    if Decimal(printed) == 0:
        return 0.0
    return 0.5 * 10.0 ** Decimal(printed).as_tuple().exponent


def test_poisson_interval_matches_the_published_tables():
    rows = _published_rows()
    assert len(rows) == 36  # 3 x 11 rows of Gehrels (1986) and GraphPad's 3
    checked = 0
    for row in rows:
        sigma = row["sigma"]
        level = float(special.erf(int(sigma) / np.sqrt(2))) if sigma else float(row["level"])
        ci = rates.poisson_interval(int(row["count"]), level=level)
        low = row["low"]
        if row["note"].startswith("erratum"):
            # the printed value is a digit transposition; the corrected one is checked
            assert low == "0.569"
            low = "0.596"
        for got, printed in ((float(ci.low), low), (float(ci.high), row["high"])):
            assert abs(got - float(printed)) <= _half_unit(printed), (row, got)
            checked += 1
    assert checked == 72


def test_the_published_table_check_can_fail():
    # the normal approximation k ± z√k misses the printed limits of small counts
    row = next(r for r in _published_rows() if r["sigma"] == "2" and r["count"] == "4")
    approx_low = 4 - 2 * np.sqrt(4)
    assert abs(approx_low - float(row["low"])) > _half_unit(row["low"])


def test_poisson_interval_matches_statsmodels_exact_c():
    with (REFERENCE / "poisson_exact_intervals.csv").open(newline="") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 780
    count = np.array([float(r["count"]) for r in table])
    exposure = np.array([float(r["exposure"]) for r in table])
    level = np.array([float(r["level"]) for r in table])
    low = np.array([float(r["low"]) for r in table])
    high = np.array([float(r["high"]) for r in table])
    sm = reference("statsmodels.stats.rates")
    for lv in np.unique(level):
        rows = level == lv
        ci = rates.poisson_interval(count[rows], exposure=exposure[rows], level=lv, per=1.0)
        np.testing.assert_allclose(ci.low, low[rows], rtol=SAME_QUANTILE, atol=0)
        np.testing.assert_allclose(ci.high, high[rows], rtol=SAME_QUANTILE, atol=0)
        # and the live library, so the stored table cannot go stale unnoticed
        live = np.array(
            [
                sm.confint_poisson(k, e, method="exact-c", alpha=1 - lv)
                for k, e in zip(count[rows], exposure[rows])
            ]
        )
        np.testing.assert_allclose(ci.low, live[:, 0], rtol=SAME_QUANTILE, atol=0)
        np.testing.assert_allclose(ci.high, live[:, 1], rtol=SAME_QUANTILE, atol=0)


def test_a_zero_count_has_lower_limit_zero_and_the_closed_form_upper():
    ci = rates.poisson_interval([0, 0], level=0.95)
    assert ci.low.tolist() == [0.0, 0.0]
    # P(K = 0 | μ) = exp(−μ) = α/2  ⇒  μ = −log(0.025)
    np.testing.assert_allclose(ci.high, -np.log(0.025), rtol=EXACT)


@pytest.mark.parametrize("level", [0.8, 0.95])
def test_poisson_interval_covers_every_mean_at_least_at_the_level(level):
    # exact coverage Σ_k P(K = k | μ)·1[low(k) ≤ μ ≤ high(k)], not a simulation
    k = np.arange(0, 200)
    ci = rates.poisson_interval(k, level=level)
    mu = np.linspace(0.01, 40.0, 2000)
    inside = (ci.low[None, :] <= mu[:, None]) & (mu[:, None] <= ci.high[None, :])
    coverage = (stats.poisson.pmf(k[None, :], mu[:, None]) * inside).sum(axis=1)
    assert coverage.min() >= level - 1e-12
    assert coverage.max() < 1.0  # not trivially wide


def test_poisson_interval_of_a_rate_broadcasts_and_keeps_missing():
    count = np.array([[0.0, 3.0], [np.nan, 12.0]])
    residents = np.array([1500.0, 0.0])  # per column; 0 residents: no rate
    ci = rates.poisson_interval(count, exposure=residents, level=0.9)
    counts_only = rates.poisson_interval(np.array([0.0, 3.0, 12.0]), level=0.9)
    assert ci.low.shape == (2, 2) and ci.per == 1000.0 and ci.exposure.shape == (2, 2)
    np.testing.assert_allclose(ci.high[0, 0], 1000 * counts_only.high[0] / 1500, rtol=EXACT)
    assert np.isnan(ci.low[1, 0]) and np.isnan(ci.high[1, 0])  # missing count
    assert np.isnan(ci.low[:, 1]).all() and np.isnan(ci.estimate[:, 1]).all()  # no residents
    assert counts_only.per is None and counts_only.exposure is None


def test_rate_with_the_exact_interval():
    r = rates.rate([3, 0, 12], [1500, 800, 0], interval="exact", level=0.9)
    ci = rates.poisson_interval([3, 0, 12], exposure=[1500, 800, 0], level=0.9)
    np.testing.assert_allclose(r.low, ci.low, rtol=EXACT)
    np.testing.assert_allclose(r.high, ci.high, rtol=EXACT)
    assert r.interval == "exact" and r.level == 0.9 and r.low[1] == 0.0
    plain = rates.rate([3], [1500])
    assert plain.low is None and plain.interval is None
    with pytest.raises(SafetystatsError) as exc:
        rates.rate([3], [1500], interval="wald")
    assert exc.value.code == "input.choice" and exc.value.params["name"] == "interval"


@pytest.mark.parametrize(
    ("count", "kwargs", "code", "name"),
    [
        ([2.5], {}, "input.not_integer", "count"),  # a 2-year mean is not a count
        ([-1], {}, "rates.negative", "count"),
        ([np.inf], {}, "input.not_finite", "count"),
        (["a"], {}, "input.not_numbers", "count"),
        ([1], {"level": 1.2}, "input.level", "level"),
        ([1], {"exposure": [-5]}, "rates.negative", "denominator"),
    ],
)
def test_poisson_interval_refusals(count, kwargs, code, name):
    with pytest.raises(SafetystatsError) as exc:
        rates.poisson_interval(count, **kwargs)
    assert exc.value.code == code and exc.value.params["name"] == name


@pytest.mark.parametrize(
    "call",
    [
        lambda: rates.rolling_mean([[1.0, 2.0]], axis=1.5),
        lambda: rates.rolling_rate([[1, 2]], [[10, 10]], axis=0.5),
        lambda: rates.change_from_baseline([[1.0, 2.0]], axis=1.0000001),
    ],
)
def test_a_fractional_axis_is_refused_not_truncated(call):
    with pytest.raises(SafetystatsError) as exc:
        call()
    assert exc.value.code == "input.not_integer" and exc.value.params["name"] == "axis"


def test_an_axis_outside_the_array_is_refused():
    with pytest.raises(SafetystatsError) as exc:
        rates.rolling_mean([[1.0, 2.0]], axis=2)
    assert exc.value.code == "input.out_of_range" and exc.value.params["expected"] == "[-2, 1]"


def test_eb_smooth_refuses_infinity_like_rate():
    # infinity used to pass as "missing" here while rate() refused it
    with pytest.raises(SafetystatsError) as exc:
        rates.eb_smooth([1.0, np.inf], [100.0, 100.0])
    assert exc.value.code == "input.not_finite" and exc.value.params["name"] == "count"


@pytest.mark.parametrize(
    ("call", "code", "name"),
    [
        (lambda: rates.rate(["a"], [1]), "input.not_numbers", "count"),
        (lambda: rates.count_persons([["A"]], [[1]], [[1]]), "input.shape", "area"),
        (lambda: rates.rate([-1], [100]), "rates.negative", "count"),
    ],
)
def test_rate_refusals_name_the_argument(call, code, name):
    with pytest.raises(SafetystatsError) as exc:
        call()
    assert exc.value.code == code and exc.value.params["name"] == name
