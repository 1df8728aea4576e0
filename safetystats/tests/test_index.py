"""Tests for safetystats.index: hand-computed small examples, properties, validation, sensitivity."""

import numpy as np
import pytest

from safetystats import index as ix
from safetystats.index import Bands, IndexDefinition, Indicator, compute, normalise, preset

# Hand computations below are exact fractions evaluated in double precision.
HAND = 1e-10
# Sensitivity with Dirichlet concentration 1e18: draws differ from the chosen weights by
# ~1/sqrt(1e18) = 1e-9 relative; on a 100 ± 10·z scale that is well below 1e-6.
NEAR_FIXED = 1e-6

# 4 areas, 2 years, 3 indicators: reports (bad, objective), burglary (bad, objective),
# unsafe share (bad, subjective)
VALUES = np.array(
    [
        [[10.0, 2.0, 0.10], [8.0, 2.0, 0.10]],
        [[20.0, 4.0, 0.20], [20.0, 3.0, 0.15]],
        [[30.0, 6.0, 0.30], [25.0, 6.0, 0.30]],
        [[40.0, 8.0, 0.40], [50.0, 8.0, 0.20]],
    ]
)
INDS = (
    Indicator("reports", "bad", "crime", "objective"),
    Indicator("burglary", "bad", "crime", "objective"),
    Indicator("unsafe", "bad", "felt", "subjective"),
)


def definition(**kw):
    cfg = dict(indicators=INDS, pillar_weights={"objective": 0.5, "subjective": 0.5})
    cfg.update(kw)
    return IndexDefinition(**cfg)


# -- normalisation --------------------------------------------------------------------------------
def test_z_against_reference_year_population_sd():
    z = normalise(VALUES, method="z", directions=["bad", "bad", "bad"])
    # reports in year 0: mean 25, population SD sqrt((225+25+25+225)/4) = sqrt(125)
    sd = np.sqrt(125.0)
    np.testing.assert_allclose(z[:, 0, 0], -(np.array([10, 20, 30, 40]) - 25) / sd, atol=HAND)
    # year 1 is measured against year 0 (fixed reference): area 3 has 50 -> -(50-25)/sd
    np.testing.assert_allclose(z[3, 1, 0], -25 / sd, atol=HAND)


def test_z_with_reference_area_subset():
    z = normalise(VALUES, method="z", reference_areas=[0, 1])
    # reports ref = {10, 20}: mean 15, SD 5
    np.testing.assert_allclose(z[:, 0, 0], [-1.0, 1.0, 3.0, 5.0], atol=HAND)
    mask = np.array([True, True, False, False])
    np.testing.assert_allclose(normalise(VALUES, method="z", reference_areas=mask), z, atol=HAND)


def test_ratio_minmax_rank_by_hand():
    r = normalise(VALUES, method="ratio")
    np.testing.assert_allclose(r[:, 0, 0], [40.0, 80.0, 120.0, 160.0], atol=HAND)  # 100·x/25
    rb = normalise(VALUES, method="ratio", directions=["bad", "good", "good"])
    np.testing.assert_allclose(rb[:, 0, 0], [160.0, 120.0, 80.0, 40.0], atol=HAND)
    mm = normalise(VALUES, method="minmax")
    np.testing.assert_allclose(mm[:, 0, 0], [0.0, 100 / 3, 200 / 3, 100.0], atol=HAND)
    np.testing.assert_allclose(mm[3, 1, 0], 100 * (50 - 10) / 30, atol=HAND)  # beyond 100 later
    rk = normalise(VALUES, method="rank")
    # mid-rank percentile in {10,20,30,40}: 10 -> (0 + 1)/2/4 = 12.5 %, …
    np.testing.assert_allclose(rk[:, 0, 0], [12.5, 37.5, 62.5, 87.5], atol=HAND)
    np.testing.assert_allclose(rk[0, 1, 0], 0.0, atol=HAND)  # 8 is below every reference value
    np.testing.assert_allclose(rk[1, 1, 1], 25.0, atol=HAND)  # 3 lies between 2 and 4: 1/4


# -- aggregation ----------------------------------------------------------------------------------
def test_linear_by_hand():
    d = definition()
    r = compute(VALUES, d)
    sd_r, sd_b, sd_u = np.sqrt(125.0), np.sqrt(5.0), np.sqrt(0.0125)
    z_r = -(np.array([10, 20, 30, 40]) - 25) / sd_r
    z_b = -(np.array([2, 4, 6, 8]) - 5) / sd_b
    z_u = -(np.array([0.1, 0.2, 0.3, 0.4]) - 0.25) / sd_u
    crime = (z_r + z_b) / 2
    comp = 0.5 * crime + 0.5 * z_u
    np.testing.assert_allclose(r.themes[:, 0, 0], crime, atol=HAND)
    np.testing.assert_allclose(r.pillars[:, 0, 1], z_u, atol=HAND)
    np.testing.assert_allclose(r.composite[:, 0], comp, atol=HAND)
    np.testing.assert_allclose(r.score[:, 0], 100 + 10 * comp, atol=HAND)
    np.testing.assert_allclose(r.pillar_scores[:, 0, 0], 100 + 10 * crime, atol=HAND)
    assert r.pillar_names == ("objective", "subjective")
    assert r.theme_names == ("objective/crime", "subjective/felt")


def test_weights_by_hand_and_effective_weights_sum_to_one():
    inds = (
        Indicator("reports", "bad", "crime", "objective", weight=0.75),
        Indicator("burglary", "bad", "crime", "objective", weight=0.25),
        Indicator("unsafe", "bad", "felt", "subjective"),
    )
    d = definition(indicators=inds, pillar_weights={"objective": 0.2, "subjective": 0.8})
    np.testing.assert_allclose(d.effective_weights(), [0.15, 0.05, 0.8], atol=HAND)
    z = normalise(VALUES, method="z", directions=["bad"] * 3)
    expected = z[..., 0] * 0.15 + z[..., 1] * 0.05 + z[..., 2] * 0.8
    np.testing.assert_allclose(compute(VALUES, d).composite, expected, atol=HAND)
    for name in ix.PRESETS:
        p = preset(name, indicators=INDS + (Indicator("income", "good", "econ", "socio_economic"),))
        assert abs(p.effective_weights().sum() - 1.0) < HAND


def test_geometric_by_hand_and_refuses_non_positive():
    good = tuple(Indicator(i.name, "good", i.theme, i.pillar) for i in INDS)
    d = definition(indicators=good, normalisation="ratio", aggregation="geometric")
    r = compute(VALUES, d)
    x = normalise(VALUES, method="ratio")[:, 0, :]
    crime = np.sqrt(x[:, 0] * x[:, 1])
    expected = np.sqrt(crime * x[:, 2])  # pillar weights 1/2, 1/2
    np.testing.assert_allclose(r.composite[:, 0], expected, atol=HAND)
    np.testing.assert_allclose(r.score[:, 0], expected, atol=HAND)  # identity scale for ratio
    with pytest.raises(
        ValueError,
        match="geometric aggregation needs positive.*'reports' is -0.4472 for area 2, year 0",
    ):
        compute(VALUES, definition(aggregation="geometric"))  # z-scores are negative
    # flipped ratio: reports 50 = twice the reference mean 25 -> 200 - 200 = 0 (area 3, year 1)
    with pytest.raises(ValueError, match="'reports' is 0 for area 3, year 1"):
        compute(VALUES, definition(normalisation="ratio", aggregation="geometric"))


def test_geometric_at_most_linear_and_equal_when_all_equal():
    rng = np.random.default_rng(3)
    vals = rng.uniform(1.0, 5.0, size=(30, 2, 3))
    lin = compute(vals, definition(normalisation="ratio"))
    geo = compute(vals, definition(normalisation="ratio", aggregation="geometric"))
    assert (geo.composite <= lin.composite + HAND).all()  # AM-GM at every level
    assert (geo.composite < lin.composite - HAND).any()
    same = (
        np.ones((3, 1, 3)) * np.array([1.0, 2.0, 3.0])[:, None, None]
    )  # area value equal across indicators
    same = np.concatenate([same, same], axis=1)
    lin_s = compute(same, definition(normalisation="ratio"))
    geo_s = compute(same, definition(normalisation="ratio", aggregation="geometric"))
    np.testing.assert_allclose(geo_s.composite, lin_s.composite, atol=HAND)


def test_relabelling_areas_permutes_scores():
    rng = np.random.default_rng(5)
    vals = rng.normal(10, 3, size=(12, 3, 3))
    vals[2, 1, 0] = np.nan
    perm = rng.permutation(12)
    for norm in ix.NORMALISATIONS:
        d = definition(normalisation=norm)
        a = compute(vals, d).score
        b = compute(vals[perm], d).score
        np.testing.assert_allclose(b, a[perm], atol=HAND)


# -- scales and bands -----------------------------------------------------------------------------
def test_rotterdam_band_boundaries():
    d = preset("rotterdam-2002", indicators=INDS)
    b = d.bands
    labels = b.label([1.0, 3.89, 3.9, 4.99, 5.0, 5.99, 6.0, 7.09, 7.1, 10.0]).tolist()
    assert labels == [
        "unsafe",
        "unsafe",
        "problem",
        "problem",
        "threatened",
        "threatened",
        "attention",
        "attention",
        "safe",
        "safe",
    ]
    assert dict(d.pillar_weights) == {
        "objective": 1 / 3,
        "subjective": 2 / 3,
        "socio_economic": 0.0,
    }
    s = d.scale.apply([-10.0, 0.0, 10.0])
    assert s.tolist() == [1.0, 5.5, 10.0]  # clipped 1–10 grade


def test_wijkprofiel_scale_100_is_city_mean_in_base_year():
    d = preset("wijkprofiel-2014", indicators=INDS)
    r = compute(VALUES, d)
    # linear z-scores against year 0 over all areas average 0 -> mean score 100
    assert abs(r.score[:, 0].mean() - 100.0) < HAND
    assert d.bands.cuts == (70.0, 90.0, 110.0, 130.0)
    assert d.bands.label([69.9, 70.0, 110.0, 130.0]).tolist() == [
        "very unfavourable",
        "unfavourable",
        "favourable",
        "very favourable",
    ]


# -- missing data ---------------------------------------------------------------------------------
def test_missing_never_zero_reweight_and_strict():
    vals = VALUES.copy()
    vals[1, 1, 1] = np.nan  # burglary missing for area 1, year 1
    rw = compute(vals, definition())
    z = normalise(VALUES, method="z", directions=["bad"] * 3)
    # reweight: the crime theme is reports alone
    np.testing.assert_allclose(rw.themes[1, 1, 0], z[1, 1, 0], atol=HAND)
    assert rw.imputed[1, 1] and rw.n_missing[1, 1] == 1 and not rw.imputed[0, 1]
    st = compute(vals, definition(missing="strict"))
    assert np.isnan(st.score[1, 1]) and not np.isnan(st.score[0, 1])
    # all indicators missing: flagged, no score
    vals[2, 1, :] = np.nan
    r = compute(vals, definition())
    assert r.no_data[2, 1] and np.isnan(r.score[2, 1]) and r.band[2, 1] == -1
    # a whole pillar missing: no score even with reweighting
    vals[0, 1, 2] = np.nan
    assert np.isnan(compute(vals, definition()).score[0, 1])


# -- validation -----------------------------------------------------------------------------------
def test_definition_validation_messages():
    with pytest.raises(ValueError, match="summing to 1"):
        definition(pillar_weights={"objective": 0.5, "subjective": 0.6})
    with pytest.raises(ValueError, match="indicator 'x': expected direction"):
        definition(indicators=(Indicator("x", None, "t", "objective"),) + INDS[2:])
    with pytest.raises(ValueError, match="positive weight but no indicators"):
        definition(pillar_weights={"objective": 0.5, "subjective": 0.25, "socio_economic": 0.25})
    with pytest.raises(ValueError, match="expected pillars among"):
        definition(pillar_weights={"objective": 1.0})
    with pytest.raises(ValueError, match="indicator weights in theme objective/crime"):
        definition(
            indicators=(
                Indicator("a", "bad", "crime", "objective", weight=0.6),
                Indicator("b", "bad", "crime", "objective", weight=0.6),
                INDS[2],
            )
        )
    with pytest.raises(ValueError, match="normalisation"):
        definition(normalisation="log")
    with pytest.raises(ValueError, match="labels"):
        Bands((1.0, 2.0), ("a", "b"))
    # tolerance 1e-9: 1/3 + 2/3 style rounding passes
    definition(pillar_weights={"objective": 0.1 + 0.2, "subjective": 0.7})


def test_reference_year_without_data_and_bad_shapes():
    vals = VALUES.copy()
    vals[:, 0, 2] = np.nan
    with pytest.raises(ValueError, match="reference year 0 has no data for indicator 'unsafe'"):
        compute(vals, definition())
    with pytest.raises(ValueError, match=r"expected shape \(areas, years, 3\)"):
        compute(VALUES[..., :2], definition())
    with pytest.raises(ValueError, match="reference_year"):
        compute(VALUES, definition(reference_year=5))
    const = VALUES.copy()
    const[:, 0, 0] = 7.0
    with pytest.raises(ValueError, match="'reports'.*SD 0"):
        compute(const, definition())


# -- sensitivity ----------------------------------------------------------------------------------
def _random_values(seed=0, areas=40, missing=0.05):
    rng = np.random.default_rng(seed)
    vals = rng.lognormal(1.0, 0.4, size=(areas, 3, 3))
    vals[rng.random(vals.shape) < missing] = np.nan
    vals[:, 0, :] = np.where(np.isnan(vals[:, 0, :]), 2.0, vals[:, 0, :])
    return vals


def test_sensitivity_baseline_equals_compute():
    vals = _random_values()
    d = preset("rotterdam-2002", indicators=INDS)
    s = ix.sensitivity(vals, d, year=2, draws=50, rng=0)
    r = compute(vals, d)
    np.testing.assert_allclose(s.score, r.score[:, 2], atol=HAND)
    np.testing.assert_array_equal(s.band, r.band[:, 2])
    order = np.argsort(r.score[:, 2], kind="stable")
    assert s.rank[order[0]] == 1.0


def test_sensitivity_reproducible_with_seed():
    vals = _random_values(1)
    d = definition(bands=Bands((95.0, 105.0), ("low", "mid", "high")))
    kw = dict(draws=200, normalisations=("z", "rank", "minmax"), drop_indicator=True)
    a = ix.sensitivity(vals, d, rng=42, **kw)
    b = ix.sensitivity(vals, d, rng=np.random.default_rng(42), **kw)
    np.testing.assert_array_equal(a.rank_low, b.rank_low)
    np.testing.assert_array_equal(a.band_change_share, b.band_change_share)
    c = ix.sensitivity(vals, d, rng=43, **kw)
    assert not np.array_equal(a.score_low, c.score_low)
    scored = np.isfinite(a.score)
    assert (~scored).any()  # areas whose only subjective indicator is missing have no score
    assert np.isnan(a.rank_low[~scored]).all() and np.isnan(a.band_change_share[~scored]).all()
    assert (a.rank_low[scored] <= a.rank_median[scored]).all()
    assert (a.rank_median[scored] <= a.rank_high[scored]).all()
    share = a.band_change_share[scored]
    assert ((share >= 0) & (share <= 1)).all() and (share > 0).any()


def test_sensitivity_zero_spread_when_concentration_huge():
    vals = _random_values(2, missing=0.0)
    d = definition(bands=Bands((95.0, 105.0), ("low", "mid", "high")))
    s = ix.sensitivity(vals, d, draws=100, concentration=1e18, rng=0)
    np.testing.assert_array_equal(s.rank_low, s.rank)
    np.testing.assert_array_equal(s.rank_high, s.rank)
    np.testing.assert_allclose(s.score_high - s.score_low, 0.0, atol=NEAR_FIXED)
    assert (s.band_change_share == 0).all()
    loose = ix.sensitivity(vals, d, draws=300, concentration=2.0, rng=0)
    assert (loose.rank_high - loose.rank_low).max() > 0


def test_dirichlet_draws_keep_weight_sums():
    rng = np.random.default_rng(0)
    w = np.array([0.5, 0.5, 0.2, 0.8, 0.0])
    groups = np.array([0, 0, 1, 1, 1])
    draws = ix._dirichlet(rng, w, groups, 2, 500, 20.0)
    np.testing.assert_allclose(draws[:, :2].sum(axis=1), 1.0, atol=HAND)
    np.testing.assert_allclose(draws[:, 2:].sum(axis=1), 1.0, atol=HAND)
    assert (draws[:, 4] == 0).all()
    # mean of Dirichlet(κ·w) is w
    np.testing.assert_allclose(draws[:, :4].mean(axis=0), w[:4], atol=0.02)


def test_sensitivity_alternative_normalisation_calibrated():
    vals = _random_values(3, missing=0.0)
    d = definition()
    s = ix.sensitivity(vals, d, draws=40, concentration=None, normalisations=("minmax",), rng=0)
    # with a single alternative normalisation and fixed weights, its calibrated scores share the
    # reference mean/SD; ranks follow the min-max composite
    mm = compute(vals, definition(normalisation="minmax"))
    np.testing.assert_array_equal(s.rank_median, ix._ranks(mm.score[:, -1]))
