"""The demo city's injected report effect is recovered (Poisson FE) and not found where absent.

The demo city's planted truth checked with the library's estimators: here, not in ``safetystats``, so the
library never imports the demo generator.
"""

import numpy as np
import pytest

from democity import generator as synthetic
from safetystats.evaluation import event_study, poisson_fe, randomization_inference

#: The injected effect must lie inside the 95 % interval (CR1 with only 2 treated clusters is
#: known to be too narrow, so this is the honest check the issue asks for, not a tolerance).
LEVEL = 0.95


@pytest.fixture(scope="module")
def panel():
    city = synthetic.generate_city(seed=1, scale=1.0)
    truth = city.truth
    areas = list(truth.hotspots) + list(truth.controls)
    index = {a: i for i, a in enumerate(areas)}
    flagged = [o.code for o in synthetic.OFFENCES if o.serious or o.citizen_directed]
    years = np.array(synthetic.YEARS)
    counts = np.zeros((len(areas), years.size))
    for chunk in synthetic.iter_reports(city):
        m = np.isin(chunk["area"], areas) & np.isin(chunk["offence"], flagged)
        yr = chunk["occurred_at"][m].astype("datetime64[Y]").astype(int) + 1970
        ai = np.array([index[a] for a in chunk["area"][m]], dtype=int)
        np.add.at(counts, (ai, yr - years[0]), 1)
    pop = np.zeros_like(counts)
    p = city.population
    m = np.isin(p["area"], areas)
    np.add.at(
        pop, (np.array([index[a] for a in p["area"][m]]), p["year"][m] - years[0]), p["count"][m]
    )
    area = np.repeat(np.array(areas), years.size)
    year = np.tile(years, len(areas))
    hot = np.isin(area, truth.hotspots)
    return {
        "truth": truth,
        "counts": counts.ravel(),
        "pop": pop.ravel(),
        "area": area,
        "year": year,
        "treat": (hot & (year >= truth.effect_from_year)).astype(float),
        "first": np.where(hot, float(truth.effect_from_year), np.nan),
    }


def test_poisson_fe_recovers_injected_report_effect(panel):
    res = poisson_fe(
        panel["counts"],
        panel["treat"],
        area=panel["area"],
        period=panel["year"],
        population=panel["pop"],
        level=LEVEL,
    )
    assert res.relative_ci_low < panel["truth"].effect_reports < res.relative_ci_high
    assert res.n_treated_clusters == 2 and res.warnings  # the few-clusters caveat is raised


def test_randomization_and_event_study_on_demo_city(panel):
    ri = randomization_inference(
        panel["counts"],
        area=panel["area"],
        period=panel["year"],
        first_treated=panel["first"],
        model="poisson",
        population=panel["pop"],
    )
    assert ri.exact and ri.n_assignments == 28  # C(8, 2) placebo pairs among the controls
    assert ri.p_value == pytest.approx(1 / 29)  # the real effect is more extreme than every placebo
    es = event_study(
        panel["counts"],
        area=panel["area"],
        period=panel["year"],
        first_treated=panel["first"],
        model="poisson",
        population=panel["pop"],
        leads=3,
        lags=4,
    )
    assert es.pretrend_p > 0.05  # controls follow the common trend before the start


def test_no_effect_among_controls(panel):
    # placebo: two controls as if treated from the same year -> the interval covers 0
    ctrl = ~np.isin(panel["area"], panel["truth"].hotspots)
    area = panel["area"][ctrl]
    fake = np.isin(area, panel["truth"].controls[:2]) & (
        panel["year"][ctrl] >= panel["truth"].effect_from_year
    )
    res = poisson_fe(
        panel["counts"][ctrl],
        fake.astype(float),
        area=area,
        period=panel["year"][ctrl],
        population=panel["pop"][ctrl],
    )
    assert res.ci_low < 0 < res.ci_high
