"""Tests for the synthetic demo city (democity.generator).

Every tolerance is named and explained; the sampling spread behind each was measured over seeds 1-8
(see docs/demo-city.md). Scale 1 is generated once per module; scale 4 is used only where the sampling
noise at scale 1 is larger than the effect we check (charges, survey), and there without reports.
"""

from __future__ import annotations

import dataclasses
import datetime
import json

import numpy as np
import pytest
import shapely

from democity import generator as syn

SEED = 1

# Size bands (DEMO-CITY.md: ~250,000 residents and ~300,000 reports at scale 1, scale multiplies both).
RESIDENTS_2025_BAND = (0.92 * 250_000, 1.16 * 250_000)
REPORTS_BAND = (0.90 * 300_000, 1.10 * 300_000)
SURVEY_PER_WAVE_BAND = (3_500, 4_800)  # "~4,000 respondents" per wave at scale 1
# Citizen-directed reports per 1,000: 75 in 2009 and ~40 in 2021; Poisson noise at scale 1 is ~0.5.
CD_RATE_TOL = 3.0
# Share of reports in the top 5 % of occupied 100 m cells: "about half".
CONCENTRATION_BAND = (0.35, 0.65)
# Relative DiD of serious + citizen-directed reports at scale 1: spread over seeds 1-8 was sd 0.02.
REPORT_DID_TOL = 0.07
# Relative DiD of charged youths at scale 4: spread over seeds 1-10 was sd 0.03 (at scale 1: 0.12).
YOUTH_DID_TOL = 0.10
# DiD of the unsafe share (points) at scale 4: spread over seeds 1-12 was sd 1.0 point.
UNSAFE_DID_TOL = 3.0
# Ring effects measured against the same city without rings (same random streams): binomial /
# Poisson noise of the injected change on ~2,000 ring reports is ~0.006.
RING_TOL = 0.03
CITY_UNSAFE_BAND = (0.075, 0.125)  # "around 10 % city-wide"
WORST_ESTATE_UNSAFE_BAND = (0.20, 0.36)  # "20-30 % in the worst estates", plus sampling noise
PRE, POST = (2008, 2009), (2011, 2012, 2013, 2014)
SURVEY_PRE = (2009, 2010)  # the survey starts in 2009; 2010 is before the effect year


def _all_reports(city, **kw):
    parts = list(syn.iter_reports(city, **kw))
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _year(dt):
    return dt.astype("datetime64[Y]").astype(np.int64) + 1970


@pytest.fixture(scope="module")
def city1():
    return syn.generate_city(seed=SEED, scale=1.0)


@pytest.fixture(scope="module")
def reports1(city1):
    return _all_reports(city1)


@pytest.fixture(scope="module")
def city01():
    return syn.generate_city(seed=SEED, scale=0.1)


@pytest.fixture(scope="module")
def reports01(city01):
    return _all_reports(city01)


@pytest.fixture(scope="module")
def city4():
    return syn.generate_city(seed=SEED, scale=4.0)


def _pop(city, areas, years, bands=None):
    p = city.population
    m = np.isin(p["area"], list(areas)) & np.isin(p["year"], list(years))
    if bands is not None:
        m &= np.isin(p["age_band"], list(bands))
    return float(p["count"][m].sum())


FLAGGED = [o.code for o in syn.OFFENCES if o.citizen_directed or o.serious]
CITIZEN = [o.code for o in syn.OFFENCES if o.citizen_directed]


# -- arguments and catalogue ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": 0}, "scale must be"),
        ({"scale": -1.0}, "scale must be"),
        ({"scale": float("nan")}, "scale must be"),
        ({"variant": "big"}, "variant must be one of"),
        ({"seed": -3}, "seed must be"),
    ],
)
def test_invalid_arguments_name_expected_and_given(kwargs, message):
    with pytest.raises(ValueError, match=message) as err:
        syn.generate_city(**kwargs)
    assert repr(next(iter(kwargs.values())))[:3] in str(err.value)


def test_invalid_chunk_size(city01):
    with pytest.raises(ValueError, match="chunk_size must be a positive integer, got 0"):
        next(syn.iter_reports(city01, chunk_size=0))


def test_offence_catalogue_covers_all_groups():
    codes = [o.code for o in syn.OFFENCES]
    assert 10 <= len(codes) <= 16
    assert len(set(codes)) == len(codes)
    assert {o.group for o in syn.OFFENCES} == set(syn.OFFENCE_GROUPS)
    assert any(o.serious and not o.citizen_directed for o in syn.OFFENCES)
    assert any(o.citizen_directed and not o.serious for o in syn.OFFENCES)


# -- determinism ------------------------------------------------------------------------------------


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_same_seed_same_arrays(city01, reports01):
    again = syn.generate_city(seed=SEED, scale=0.1)
    _assert_same(city01.population, again.population)
    assert [(a.code, a.polygon.wkb) for a in city01.areas] == [
        (a.code, a.polygon.wkb) for a in again.areas
    ]
    assert city01.truth == again.truth
    _assert_same(reports01, _all_reports(again))
    _assert_same(syn.charges(city01), syn.charges(again))
    _assert_same(syn.survey(city01), syn.survey(again))
    _assert_same(syn.registers(city01), syn.registers(again))


def test_different_seed_differs(city01, reports01):
    other = syn.generate_city(seed=SEED + 1, scale=0.1)
    assert not np.array_equal(city01.population["count"], other.population["count"])
    assert city01.areas[0].polygon.wkb != other.areas[0].polygon.wkb
    first = next(syn.iter_reports(other, chunk_size=1000))
    assert not np.array_equal(first["x"], reports01["x"][:1000])


def test_chunk_size_independent(city01, reports01):
    chunks = list(syn.iter_reports(city01, chunk_size=997))
    assert all(len(c["id"]) == 997 for c in chunks[:-1])
    assert 0 < len(chunks[-1]["id"]) <= 997
    _assert_same(reports01, {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]})


def test_geometry_does_not_depend_on_scale(city01, city1):
    assert [a.polygon.wkb for a in city01.areas] == [a.polygon.wkb for a in city1.areas]


# -- geometry ----------------------------------------------------------------------------------------


def test_areas_structure(city1):
    kinds = [a.kind for a in city1.areas]
    assert kinds.count("municipality") == 1 and city1.areas[0].kind == "municipality"
    assert kinds.count("district") == 12
    n_sub = kinds.count("rode") + kinds.count("housing")
    assert 50 <= n_sub <= 70
    assert 0.25 <= kinds.count("housing") / n_sub <= 0.40  # "about a third" are estates
    codes = [a.code for a in city1.areas]
    assert len(set(codes)) == len(codes)
    seen = set()
    for a in city1.areas:  # parents come before children
        assert a.parent is None or a.parent in seen, a.code
        seen.add(a.code)
    assert city1.subareas == tuple(a.code for a in city1.areas if a.kind in ("rode", "housing"))


def test_polygons_valid_and_tile_the_municipality(city1):
    muni = city1.areas[0].polygon
    districts = {a.code: a.polygon for a in city1.areas if a.kind == "district"}
    subs = [a for a in city1.areas if a.kind in ("rode", "housing")]
    assert all(a.polygon.geom_type == "Polygon" and a.polygon.is_valid for a in city1.areas)
    for polys in (list(districts.values()), [a.polygon for a in subs]):
        union = shapely.union_all(polys)
        # No gaps: the union covers the municipality; no overlaps: areas add up to the union.
        assert union.area == pytest.approx(muni.area, rel=1e-9)
        assert sum(p.area for p in polys) == pytest.approx(union.area, rel=1e-9)
    for a in subs:
        assert a.polygon.difference(districts[a.parent]).area < 1e-3, a.code
    # Irregular, not a grid: varied vertex counts and sizes.
    assert len({len(a.polygon.exterior.coords) for a in subs}) >= 5
    areas = np.array([a.polygon.area for a in subs])
    assert areas.std() / areas.mean() > 0.3
    # On land near the stated origin (EPSG:25832).
    c = muni.centroid
    assert abs(c.x - 720_000) < 2_000 and abs(c.y - 6_175_000) < 2_000


def test_estate_sizes(city1):
    estates = [a.code for a in city1.areas if a.kind == "housing"]
    sizes = [_pop(city1, [e], [2008]) for e in estates]
    assert min(sizes) >= 1_000 and max(sizes) <= 6_000


def test_hotspot_and_control_areas_follow_the_truth(city1):
    t = city1.truth
    by_code = {a.code: a for a in city1.areas}
    hs = {a.parent: a for a in city1.areas if a.kind == "hotspot"}
    assert set(hs) == {*t.hotspots, t.late_hotspot}
    for estate, area in hs.items():
        assert by_code[estate].kind == "housing"
        assert area.polygon.equals(by_code[estate].polygon)
        assert area.valid_from == (t.late_start if estate == t.late_hotspot else t.hotspot_start)
    ctrl = {a.parent for a in city1.areas if a.kind == "control"}
    assert ctrl == set(t.controls) and 6 <= len(ctrl) <= 10
    assert not ctrl & set(hs)
    assert t.hotspot_start == datetime.date(2010, 7, 1) and t.late_start.year == 2013
    assert {t.displacement_hotspot, t.diffusion_hotspot} == set(t.hotspots)
    assert t.ring_m == 300.0


# -- population -------------------------------------------------------------------------------------


def test_population_columns_and_drift(city1):
    p = city1.population
    assert set(p) == {"area", "year", "age_band", "sex", "count"}
    assert p["count"].dtype == np.int64 and (p["count"] >= 0).all()
    assert set(p["age_band"]) == set(syn.AGE_BANDS) and set(p["sex"]) == set(syn.SEXES)
    assert set(p["area"]) == set(city1.subareas)
    change = np.array(
        [_pop(city1, [a], [2025]) / _pop(city1, [a], [2008]) - 1 for a in city1.subareas]
    )
    assert (change > 0.05).sum() >= 3 and (change < -0.05).sum() >= 3  # some grow, some shrink
    young = ("0-9", "10-14", "15-17")
    t = city1.truth
    share_hot = _pop(city1, t.hotspots, [2009], young) / _pop(city1, t.hotspots, [2009])
    share_city = _pop(city1, city1.subareas, [2009], young) / _pop(city1, city1.subareas, [2009])
    assert share_hot > share_city + 0.05  # vulnerable estates are younger


@pytest.mark.parametrize("scale", [0.1, 1.0])
def test_sizes_per_scale(scale, city01, reports01, city1, reports1):
    city, reports = (city01, reports01) if scale == 0.1 else (city1, reports1)
    lo, hi = RESIDENTS_2025_BAND
    assert lo * scale <= _pop(city, city.subareas, [2025]) <= hi * scale
    lo, hi = REPORTS_BAND
    assert lo * scale <= len(reports["id"]) <= hi * scale
    s = syn.survey(city)
    per_wave = np.bincount(s["year"] - 2009)
    lo, hi = SURVEY_PER_WAVE_BAND
    assert (per_wave >= lo * scale * 0.8).all() and (per_wave <= hi * scale * 1.2).all()


# -- reports ----------------------------------------------------------------------------------------


def test_report_columns(reports1):
    r = reports1
    assert set(r) == {"id", "occurred_at", "offence", "x", "y", "area"}
    assert r["occurred_at"].dtype == np.dtype("datetime64[s]")
    assert r["x"].dtype == np.float64 and r["y"].dtype == np.float64
    assert len(np.unique(r["id"])) == len(r["id"])
    assert set(np.unique(r["offence"])) <= {o.code for o in syn.OFFENCES}
    assert set(_year(r["occurred_at"])) == set(syn.YEARS)


def test_every_report_inside_its_area(city1, reports1):
    polys = {a.code: a.polygon for a in city1.areas}
    for code in city1.subareas:
        m = reports1["area"] == code
        assert shapely.contains_xy(polys[code], reports1["x"][m], reports1["y"][m]).all(), code


def test_every_report_in_exactly_one_subarea(city01, reports01):
    hits = np.zeros(len(reports01["x"]), dtype=int)
    for a in city01.areas:
        if a.kind in ("rode", "housing"):
            hits += shapely.contains_xy(a.polygon, reports01["x"], reports01["y"])
    assert (hits == 1).all()


def test_no_time_in_the_skipped_summer_time_hour(reports1):
    t = reports1["occurred_at"]
    for year in (2009, 2015, 2021):
        d = datetime.date(year, 3, 31)
        d -= datetime.timedelta(days=(d.weekday() + 1) % 7)
        gap = np.datetime64(f"{d.isoformat()}T02:00:00")
        assert not ((t >= gap) & (t < gap + np.timedelta64(1, "h"))).any()


def test_concentration_top_five_percent_of_cells(reports1):
    cell = np.floor(reports1["x"] / 100).astype(np.int64) * 10**8 + np.floor(
        reports1["y"] / 100
    ).astype(np.int64)
    counts = np.sort(np.unique(cell, return_counts=True)[1])[::-1]
    top = int(np.ceil(0.05 * len(counts)))
    share = counts[:top].sum() / counts.sum()
    lo, hi = CONCENTRATION_BAND
    assert lo <= share <= hi


def test_seasonality_and_weekend(reports1):
    t = reports1["occurred_at"]
    month = t.astype("datetime64[M]").astype(np.int64) % 12 + 1
    summer, winter = np.isin(month, [6, 7, 8]).sum(), np.isin(month, [12, 1, 2]).sum()
    assert summer > 1.15 * winter
    violence = np.isin(reports1["offence"], ["VOLD_SIMP", "VOLD_GROV"])
    weekday = (t.astype("datetime64[D]").astype(np.int64) - 4) % 7  # 0 = Monday
    assert (violence & (weekday == 5)).sum() > 1.3 * (violence & (weekday == 1)).sum()
    hour = (t - t.astype("datetime64[D]")).astype(np.int64) // 3600
    burglary = reports1["offence"] == "INDB_BEB"
    assert (burglary & (hour >= 9) & (hour < 18)).sum() > (burglary & (hour < 6)).sum() * 2


@pytest.mark.parametrize(("year", "target"), [(2009, 75.0), (2021, 40.0)])
def test_citizen_directed_rate(city1, reports1, year, target):
    m = np.isin(reports1["offence"], CITIZEN) & (_year(reports1["occurred_at"]) == year)
    rate = 1000 * m.sum() / _pop(city1, city1.subareas, [year])
    assert rate == pytest.approx(target, abs=CD_RATE_TOL)


def test_near_repeat_series_are_present(city1, reports1):
    series = city1.truth.near_repeat_series
    assert 3 <= len(series) <= 10
    r = reports1
    for area, start, n in series:
        d0 = np.datetime64(start, "s")
        m = (
            (r["area"] == area)
            & (r["offence"] == "INDB_BEB")
            & (r["occurred_at"] >= d0)
            & (r["occurred_at"] < d0 + np.timedelta64(21, "D"))
        )
        x, y = r["x"][m], r["y"][m]
        # At least n burglaries within 300 m of each other's median in three weeks.
        close = np.hypot(x - np.median(x), y - np.median(y)) < 300
        assert close.sum() >= n, (area, start)


# -- the hidden truth --------------------------------------------------------------------------------


def test_hotspots_rank_worst_in_2009(city1, reports1):
    t = city1.truth
    estates = [a.code for a in city1.areas if a.kind == "housing"]
    s = syn.survey(city1)
    rate, unsafe = [], []
    y09 = _year(reports1["occurred_at"]) == 2009
    cd = np.isin(reports1["offence"], CITIZEN)
    for e in estates:
        rate.append((cd & y09 & (reports1["area"] == e)).sum() / _pop(city1, [e], [2009]))
        m = (s["area"] == e) & (s["year"] == 2009)
        unsafe.append(np.average(s["safety"][m] >= 5, weights=s["weight"][m]))
    z = lambda v: (np.array(v) - np.mean(v)) / np.std(v)  # noqa: E731
    index = z(rate) + z(unsafe)
    assert set(np.array(estates)[np.argsort(-index)[:2]]) == set(t.hotspots)


def test_report_did_recovers_effect(city1, reports1):
    t = city1.truth
    flagged = np.isin(reports1["offence"], FLAGGED)
    year = _year(reports1["occurred_at"])

    def rate(areas, years):
        m = flagged & np.isin(reports1["area"], areas) & np.isin(year, years)
        return m.sum() / _pop(city1, areas, years)

    h, c = list(t.hotspots), list(t.controls)
    did = (rate(h, POST) / rate(h, PRE)) / (rate(c, POST) / rate(c, PRE)) - 1
    assert did == pytest.approx(t.effect_reports, abs=REPORT_DID_TOL)
    # Controls follow the (falling) common trend.
    assert rate(c, POST) < rate(c, PRE)


def test_youth_charge_did_recovers_effect(city4):
    t = city4.truth
    ch = syn.charges(city4)
    year = _year(ch["charged_on"])
    youth = (ch["age"] >= 10) & (ch["age"] <= 17)

    def rate(areas, years):  # distinct persons per person-year, as METHODS.md §1 counts them
        m = youth & np.isin(ch["area"], areas) & np.isin(year, years)
        persons = len(set(zip(ch["person"][m].tolist(), year[m].tolist())))
        return persons / _pop(city4, areas, years, ("10-14", "15-17"))

    h, c = list(t.hotspots), list(t.controls)
    did = (rate(h, POST) / rate(h, PRE)) / (rate(c, POST) / rate(c, PRE)) - 1
    assert did == pytest.approx(t.effect_youth_charges, abs=YOUTH_DID_TOL)


def test_unsafe_share_did_recovers_effect(city4):
    t = city4.truth
    s = syn.survey(city4)

    def share(areas, years):
        m = np.isin(s["area"], areas) & np.isin(s["year"], years)
        return 100 * np.average(s["safety"][m] >= 5, weights=s["weight"][m])

    h, c = list(t.hotspots), list(t.controls)
    did = (share(h, POST) - share(h, SURVEY_PRE)) - (share(c, POST) - share(c, SURVEY_PRE))
    assert did == pytest.approx(t.effect_unsafe_points, abs=UNSAFE_DID_TOL)


def _count_in(r, polygon, offences, from_year):
    m = np.isin(r["offence"], offences) & (_year(r["occurred_at"]) >= from_year)
    return shapely.contains_xy(polygon, r["x"][m], r["y"][m]).sum()


def test_ring_effects_injected_as_specified(city1, reports1):
    t = city1.truth
    no_rings = dataclasses.replace(
        city1,
        _model=dataclasses.replace(city1._model, rings=tuple(() for _ in city1.subareas)),
    )
    without = _all_reports(no_rings)
    polys = {a.code: a.polygon for a in city1.areas}
    for hotspot, effect in (
        (t.displacement_hotspot, t.displacement_effect),
        (t.diffusion_hotspot, t.diffusion_effect),
    ):
        ring = polys[hotspot].buffer(t.ring_m).difference(polys[hotspot])

        with_ring = _count_in(reports1, ring, FLAGGED, t.effect_from_year)
        without_ring = _count_in(without, ring, FLAGGED, t.effect_from_year)
        assert with_ring / without_ring - 1 == pytest.approx(effect, abs=RING_TOL)


# -- charges ----------------------------------------------------------------------------------------


def test_charges_columns_and_rates(city1):
    ch = syn.charges(city1)
    assert set(ch) == {"id", "person", "charged_on", "offence", "age", "area"}
    assert ch["charged_on"].dtype == np.dtype("datetime64[D]")
    assert len(np.unique(ch["id"])) == len(ch["id"])
    assert all(p.startswith("P") and len(p) == 17 for p in ch["person"][:100])
    assert set(np.unique(ch["area"])) <= set(city1.subareas)
    year = _year(ch["charged_on"])
    youth = (ch["age"] >= 10) & (ch["age"] <= 17) & (year == 2009)
    t = city1.truth

    def rate(areas):
        persons = np.unique(ch["person"][youth & np.isin(ch["area"], areas)])
        return len(persons) / _pop(city1, areas, [2009], ("10-14", "15-17"))

    ordinary = [a for a in city1.subareas if a not in {*t.hotspots, *t.controls, t.late_hotspot}]
    assert 0.02 <= rate(list(t.hotspots)) <= 0.09  # "a few per cent" in the vulnerable estates
    assert rate(ordinary) < 0.01  # "well under 1 %" elsewhere
    # Repeat offenders: some persons are charged in more than one year.
    pairs = np.unique(np.stack([ch["person"], year.astype(str)]), axis=1)
    per_person = np.unique(pairs[0], return_counts=True)[1]
    assert (per_person > 1).sum() > 0.05 * len(per_person)


# -- survey -----------------------------------------------------------------------------------------


def test_survey_shares_and_weights(city1):
    s = syn.survey(city1)
    assert set(s) == {"respondent", "year", "area", "weight", *(i[0] for i in syn.SURVEY_ITEMS)}
    assert tuple(np.unique(s["year"])) == syn.SURVEY_YEARS
    for code, _, _, lo, hi in syn.SURVEY_ITEMS:
        assert s[code].min() >= lo and s[code].max() <= hi, code
    for y in (2009, 2020):
        m = s["year"] == y
        assert len(np.unique(s["respondent"][m])) == m.sum()
        # Design weights add up to the adult population of the stratum (18+).
        area = city1.subareas[0]
        ma = m & (s["area"] == area)
        adults = _pop(city1, [area], [y], ("18-24", "25-29", "30-59", "60+"))
        assert s["weight"][ma].sum() == pytest.approx(adults)
    unsafe = s["safety"] >= 5
    weighted = np.average(unsafe, weights=s["weight"])
    lo, hi = CITY_UNSAFE_BAND
    assert lo <= weighted <= hi
    assert unsafe.mean() > weighted + 0.02  # estates are oversampled; the weights correct for it
    estates = [a.code for a in city1.areas if a.kind == "housing"]
    worst = max(
        np.average(unsafe[m], weights=s["weight"][m])
        for e in estates
        if (m := (s["area"] == e) & (s["year"] == 2009)).any()
    )
    lo, hi = WORST_ESTATE_UNSAFE_BAND
    assert lo <= worst <= hi


# -- registers ----------------------------------------------------------------------------------------


def _meets_vulnerable(reg, area):
    """≥ 2 of the 4 criteria of METHODS.md §4 (2-year means for outside and convicted)."""
    nat = syn.NATIONAL_CONVICTED_SHARE

    def series(code):
        m = (reg["area"] == area) & (reg["indicator"] == code)
        return dict(zip(reg["year"][m].tolist(), reg["value"][m].tolist()))

    out, conv = series("outside_labour_education"), series("convicted")
    prim, inc = series("primary_education_only"), series("income_relative_region")
    meets = []
    for y in syn.YEARS[1:]:
        n = (
            int((out[y] + out[y - 1]) / 2 > 40)
            + int((conv[y] + conv[y - 1]) / 2 >= 3 * (nat[y] + nat[y - 1]) / 2)
            + int(prim[y] > 60)
            + int(inc[y] < 55)
        )
        meets.append(n >= 2)
    return meets


def test_registers_criteria_switch_in_some_estates(city1):
    reg = syn.registers(city1)
    assert set(reg) == {"area", "year", "indicator", "value", "numerator", "denominator"}
    assert len(reg["area"]) == len(city1.subareas) * len(syn.YEARS) * len(syn.REGISTER_INDICATORS)
    assert set(reg["indicator"]) == {i[0] for i in syn.REGISTER_INDICATORS}
    inc = reg["indicator"] == "income_relative_region"
    assert np.isnan(reg["numerator"][inc]).all() and not np.isnan(reg["numerator"][~inc]).any()
    estates = [a.code for a in city1.areas if a.kind == "housing"]
    meets = {e: _meets_vulnerable(reg, e) for e in estates}
    switching = [e for e, m in meets.items() if any(m) and not all(m)]
    assert len(switching) >= 2
    assert sum(any(m) for m in meets.values()) <= 10  # "a handful", not all estates
    assert set(syn.NATIONAL_CONVICTED_SHARE) == set(syn.YEARS)


# -- small municipality and files --------------------------------------------------------------------


def test_small_municipality_for_tenancy(city1):
    small = syn.generate_city(seed=SEED, scale=1.0, variant="small")
    assert (small.municipality_code, small.municipality_name) == ("998", "Lillekommune")
    assert small.truth is None
    kinds = [a.kind for a in small.areas]
    assert kinds.count("district") == 3
    assert kinds.count("rode") + kinds.count("housing") == 6
    assert 2_000 <= _pop(small, small.subareas, [2025]) <= 9_000
    assert small.areas[0].polygon.distance(city1.areas[0].polygon) > 100_000
    r = _all_reports(small)
    assert len(r["id"]) > 1_000 and all(i.startswith("998-") for i in r["id"][:10])
    assert len(syn.charges(small)["id"]) > 0 and len(syn.survey(small)["year"]) > 0


def test_write_csv(city01, reports01, tmp_path):
    paths = syn.write_csv(city01, tmp_path)
    assert set(paths) == {"areas", "population", "reports", "charges", "survey", "registers"}
    gj = json.loads(paths["areas"].read_text(encoding="utf-8"))
    assert gj["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::25832"
    assert len(gj["features"]) == len(city01.areas)
    lines = paths["reports"].read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id,occurred_at,offence,x,y,crs"
    assert len(lines) - 1 == len(reports01["id"])
    first = lines[1].split(",")
    assert first[0] == reports01["id"][0] and first[-1] == "EPSG:25832"
    assert float(first[3]) == reports01["x"][0]  # centimetre values survive the round trip
    reg = paths["registers"].read_text(encoding="utf-8").splitlines()
    assert reg[0] == "area,year,indicator,value,numerator,denominator"
