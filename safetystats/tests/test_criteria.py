"""Tests for safetystats.criteria: hand-computed examples per rule set, boundaries, missing data."""

import pytest

from safetystats import criteria
from safetystats.criteria import AreaYear, assess

# Values compared are means of two or four given percentages: only representation error.
HAND = 1e-12


def year_row(**kw):
    base = dict(
        residents=2500,
        outside_share=20.0,
        convicted_share=0.5,
        national_convicted_share=0.7,
        primary_only_share=40.0,
        income_ratio=80.0,
        non_western_share=20.0,
    )
    base.update(kw)
    return AreaYear(**base)


def history(years, **kw):
    return {y: year_row(**kw) for y in years}


def by_key(a):
    return {c.key: c for c in a.criteria}


# -- 2018 rules -----------------------------------------------------------------------------------
def test_2018_vulnerable_two_of_four_with_values_and_thresholds():
    h = {
        2019: year_row(outside_share=44.0, convicted_share=2.0, income_ratio=50.0),
        2020: year_row(outside_share=42.0, convicted_share=2.4, income_ratio=52.0),
    }
    a = assess(h, 2020, rules="2018")
    c = by_key(a)
    # outside: (44 + 42) / 2 = 43 > 40; convicted: (2.0 + 2.4) / 2 = 2.2 >= 3 × 0.7 = 2.1
    assert abs(c["outside"].value - 43.0) < HAND and c["outside"].threshold == 40.0
    assert abs(c["convicted"].value - 2.2) < HAND
    assert abs(c["convicted"].threshold - 2.1) < HAND
    assert c["income"].value == 52.0 and c["income"].met  # single year, 52 < 55
    assert c["primary_only"].met is False
    assert a.met == ("outside", "convicted", "income") and a.n_met == 3
    assert a.vulnerable is True and a.parallel_society is False
    assert a.classification == "vulnerable"
    assert c["outside"].years == (2019, 2020)


def test_2018_boundaries_exactly_40_is_not_over_and_exactly_3x_is_at_least():
    h = history([2019, 2020], outside_share=40.0, convicted_share=2.1, national_convicted_share=0.7)
    c = by_key(assess(h, 2020))
    assert c["outside"].met is False  # 40 is not > 40
    assert c["convicted"].met is True  # 2.1 = 3 × 0.7 is >= 3 ×
    # 3 × 0.1 = 0.30000000000000004 in binary: still "exactly three times"
    h2 = history([2019, 2020], convicted_share=0.3, national_convicted_share=0.1)
    assert by_key(assess(h2, 2020))["convicted"].met is True
    h3 = history([2019, 2020], primary_only_share=60.0, income_ratio=55.0)
    c3 = by_key(assess(h3, 2020))
    assert c3["primary_only"].met is False and c3["income"].met is False  # > 60 and < 55 strict


def test_2018_parallel_society_and_transformation_after_five_years():
    years = range(2016, 2021)
    h = history(years, outside_share=45.0, income_ratio=50.0, non_western_share=55.0)
    h[2015] = year_row(outside_share=45.0, income_ratio=50.0, non_western_share=55.0)
    # 2016 needs 2015 for its 2-year means; parallel society 2016..2020 = 5 years
    a = assess(h, 2020)
    assert a.parallel_society is True and a.transformation is True
    assert a.classification == "transformation"
    assert a.years_parallel_society == 5 and a.years_on_list == 5
    assert a.years_on_list_censored  # 2015 cannot be decided (no 2014)
    # a year that definitely fails inside the window breaks the run
    h[2018] = year_row(outside_share=30.0, income_ratio=80.0, non_western_share=55.0)
    b = assess(h, 2020)
    assert b.transformation is False and b.classification == "parallel_society"
    assert b.years_parallel_society == 1  # 2019 fails too: its 2-year mean (30+45)/2 = 37.5


def test_2018_transformation_undecidable_when_history_short():
    h = history([2019, 2020], outside_share=45.0, income_ratio=50.0, non_western_share=55.0)
    a = assess(h, 2020)
    assert a.parallel_society is True and a.transformation is None
    assert a.classification == "not_assessable"
    assert "transformation undecided" in a.reason


def test_2018_non_western_exactly_50_is_not_parallel():
    h = history([2019, 2020], outside_share=45.0, income_ratio=50.0, non_western_share=50.0)
    a = assess(h, 2020)
    assert a.parallel_society is False and a.classification == "vulnerable"


def test_2018_prevention_area():
    # non-Western 35 > 30; outside 2-yr mean 32 > 30; convicted 1.45 >= 2 × 0.725 (published:
    # "1,45 % svarer til 2 gange landsgennemsnittet", dklf.dk 2022); but only 1.45 < 3 × 0.725
    h = history(
        [2020, 2021],
        outside_share=32.0,
        convicted_share=1.45,
        national_convicted_share=0.725,
        non_western_share=35.0,
    )
    a = assess(h, 2021)
    assert a.vulnerable is False
    assert a.prevention is True and a.classification == "prevention"
    pc = {c.key: c for c in a.prevention_criteria}
    assert abs(pc["convicted"].threshold - 1.45) < HAND and pc["convicted"].met
    assert by_key(a)["convicted"].met is False  # 3 × 0.725 = 2.175
    assert pc["non_western"].met and pc["outside"].met
    # gate: exactly 30 % non-Western is not > 30
    h2 = history(
        [2020, 2021],
        outside_share=32.0,
        convicted_share=1.45,
        national_convicted_share=0.725,
        non_western_share=30.0,
    )
    assert assess(h2, 2021).classification == "none"


def test_fewer_than_1000_residents_not_assessed():
    h = history([2019, 2020], residents=999, outside_share=60.0, income_ratio=30.0)
    a = assess(h, 2020)
    assert a.classification == "not_assessed" and "fewer than 1,000" in a.reason
    assert a.criteria == ()
    h[2020] = year_row(residents=1000, outside_share=60.0, income_ratio=30.0)
    assert assess(h, 2020).classification == "vulnerable"  # >= 1,000 is assessed


def test_missing_year_is_not_assessable_never_silent_pass():
    # only 2020: 2-year criteria cannot be computed; primary and income alone give 1 of 4
    h = {2020: year_row(outside_share=60.0, convicted_share=5.0, income_ratio=30.0)}
    a = assess(h, 2020)
    c = by_key(a)
    assert c["outside"].met is None and "no data for 2019" in c["outside"].reason
    assert a.vulnerable is None and a.classification == "not_assessable"
    assert "no data for 2019" in a.reason
    # two criteria met regardless of the missing ones: decided
    h2 = {2020: year_row(primary_only_share=70.0, income_ratio=30.0)}
    assert assess(h2, 2020).vulnerable is True
    # a missing field in the current year
    h3 = history([2019, 2020], income_ratio=None)
    h3[2020] = year_row(income_ratio=None, outside_share=45.0)
    h3[2019] = year_row(outside_share=45.0)
    a3 = assess(h3, 2020)
    assert a3.classification == "not_assessable" and "income_ratio missing for 2020" in a3.reason
    assert assess({}, 2020).classification == "not_assessable"


def test_years_on_list_counts_consecutive_years():
    h = history(range(2014, 2021), outside_share=45.0, income_ratio=50.0)
    h[2016] = year_row()  # not vulnerable in 2016 (and 2017 uses 2016 in its mean)
    a = assess(h, 2020)
    # 2017: outside (20+45)/2 = 32.5 no, income 50 yes -> 1 of 4 -> not vulnerable
    assert a.years_on_list == 3 and not a.years_on_list_censored


# -- 2013 rules -----------------------------------------------------------------------------------
def test_2013_three_of_five_with_fixed_270():
    h = history(
        [2016, 2017],
        outside_share=41.0,
        convicted_share=2.70,
        non_western_share=51.0,
        primary_only_share=50.0,
        income_ratio=56.0,
    )
    a = assess(h, 2017, rules="2013")
    c = by_key(a)
    assert c["convicted"].met is False  # exactly 2.70 is not > 2.70
    assert c["primary_only"].met is False  # 50 is not > 50
    assert a.n_met == 2 and a.classification == "none"
    h[2017] = year_row(
        outside_share=41.0,
        convicted_share=2.72,
        non_western_share=51.0,
        primary_only_share=50.0,
        income_ratio=56.0,
    )
    b = assess(h, 2017, rules="2013")
    # convicted 2-year mean (2.70 + 2.72) / 2 = 2.71 > 2.70
    assert abs(by_key(b)["convicted"].value - 2.71) < HAND
    assert b.n_met == 3 and b.classification == "vulnerable"
    assert b.parallel_society is None and b.categories == ("vulnerable",)


def test_2013_primary_only_over_50_counts():
    h = history([2016, 2017], outside_share=41.0, primary_only_share=50.1, income_ratio=54.9)
    a = assess(h, 2017, rules="2013")
    assert a.met == ("outside", "primary_only", "income") and a.classification == "vulnerable"
    # the same area under the 2018 rules: primary-only needs > 60, so 2 of 4
    assert assess(h, 2017, rules="2018").met == ("outside", "income")


# -- 2010 rules -----------------------------------------------------------------------------------
def test_2010_two_of_three_with_four_year_means():
    h = history(range(2007, 2011), outside_share=38.0, convicted_share=2.8, non_western_share=55.0)
    a = assess(h, 2010, rules="2010")
    c = by_key(a)
    assert c["convicted"].years == (2007, 2008, 2009, 2010)
    assert c["outside"].met is False and c["convicted"].met and c["non_western"].met
    assert a.classification == "vulnerable"
    # four-year mean: (2.6 + 2.6 + 2.8 + 2.8) / 4 = 2.70, not > 2.70
    h[2007] = year_row(outside_share=38.0, convicted_share=2.6, non_western_share=55.0)
    h[2008] = year_row(outside_share=38.0, convicted_share=2.6, non_western_share=55.0)
    b = assess(h, 2010, rules="2010")
    assert abs(by_key(b)["convicted"].value - 2.70) < HAND
    assert by_key(b)["convicted"].met is False and b.classification == "none"
    # three years of history: the 4-year mean is not assessable
    del h[2007]
    assert by_key(assess(h, 2010, rules="2010"))["convicted"].met is None


def test_rule_sets_and_inputs_validated():
    assert set(criteria.RULE_SETS) == {"2010", "2013", "2018"}
    with pytest.raises(ValueError, match="rules: expected one of"):
        assess({}, 2020, rules="1999")
    with pytest.raises(ValueError, match="unknown"):
        assess({2020: {"residents": 2000, "crime": 1}}, 2020)
    a = assess({2019: dict(year_row().__dict__), 2020: dict(year_row().__dict__)}, 2020)
    assert a.classification == "none"
