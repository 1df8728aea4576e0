"""Issue 12: the study checks its counts for overdispersion and, when they vary more than a Poisson
model allows, adds the negative-binomial fixed-effects estimate as a robustness row with a caveat;
Poisson-like counts get neither."""

import numpy as np
import pytest
from django.utils import translation

from hotspot.evaluations import pages, tasks
from safetystats import evaluation as ev


def _panel(alpha: float, seed: int = 3):
    rng = np.random.default_rng(seed)
    n_areas, years = 30, np.arange(2010, 2020)
    area = np.repeat(np.arange(n_areas), years.size)
    year = np.tile(years, n_areas)
    treat = ((area < 4) & (year >= 2015)).astype(float)
    pop = np.full(area.size, 2000.0)
    mu = pop / 1000 * 6.0 * np.exp(rng.normal(0, 0.3, n_areas))[area] * np.exp(-0.25 * treat)
    if alpha:
        counts = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu)).astype(float)
    else:
        counts = rng.poisson(mu).astype(float)
    d = {"counts": counts, "treatment": treat}
    return d, pop, {"area": area, "period": year}


def test_overdispersed_counts_get_the_negative_binomial_row():
    d, pop, common = _panel(alpha=0.6)
    found, row = tasks._overdispersion(d, pop, 0.95, common)
    assert found["dispersion"] > tasks.OVERDISPERSED_ABOVE and found["ct_p_value"] < 0.05
    assert row is not None and row["key"] == "negbin_fe" and row["scale"] == "relative"
    reference = ev.negbin_fe(d["counts"], d["treatment"], population=pop, **common)
    assert row["estimate"] == pytest.approx(reference.relative, rel=1e-12)
    with translation.override("en"):
        text = pages.caveat_texts({"caveats": [{"key": "overdispersed", "dispersion": 2.31}]})
    assert text == [
        "The counts vary more than a Poisson model allows (dispersion 2.3): its estimate and "
        "cluster-robust interval stay valid, and the negative binomial row of the robustness "
        "table is the more efficient estimate to compare with."
    ]
    with translation.override("da"):
        assert (
            "Poisson"
            in pages.caveat_texts({"caveats": [{"key": "overdispersed", "dispersion": 2.3}]})[0]
        )
        assert (
            pages.DESIGN_LABEL["negbin_fe"]()
            != "Negative binomial regression, area and year effects"
        )


def test_poisson_counts_get_neither():
    d, pop, common = _panel(alpha=0.0)
    found, row = tasks._overdispersion(d, pop, 0.95, common)
    assert found["dispersion"] < tasks.OVERDISPERSED_ABOVE
    assert row is None
