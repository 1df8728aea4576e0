"""Weighted displacement quotient (Bowers & Johnson 2003) against hand computations."""

import pytest

from safetystats.evaluation import wdq

#: The WDQ is a closed formula: exact up to float rounding.
TOL_EXACT = 1e-12


def test_wdq_parts_by_hand():
    res = wdq(target=(120, 80), buffer=(90, 99), control=(300, 330))
    success = 80 / 330 - 120 / 300
    buffer = 99 / 330 - 90 / 300
    assert res.success_measure == pytest.approx(success, rel=TOL_EXACT)
    assert res.buffer_measure == pytest.approx(buffer, rel=TOL_EXACT)
    assert res.wdq == pytest.approx(buffer / success, rel=TOL_EXACT)
    # expected with the control trend (x1.1) minus observed
    assert res.target_net_effect == pytest.approx(132 - 80, rel=TOL_EXACT)
    assert res.buffer_net_effect == pytest.approx(99 - 99, abs=TOL_EXACT)
    assert res.total_net_effect == pytest.approx(52, rel=TOL_EXACT)


@pytest.mark.parametrize(
    ("buffer", "words"),
    [
        ((80, 60), "diffusion"),
        ((80, 90), "some displacement"),
        ((80, 150), "larger than the direct"),
    ],
)
def test_wdq_interpretation(buffer, words):
    res = wdq(target=(100, 60), buffer=buffer, control=(400, 400))
    assert words in res.interpretation


def test_wdq_bad_input():
    with pytest.raises(ValueError, match="control: expected positive counts"):
        wdq(target=(10, 5), buffer=(3, 3), control=(0, 10))
    with pytest.raises(ValueError, match="success measure 0"):
        wdq(target=(10, 10), buffer=(3, 3), control=(40, 40))
    with pytest.raises(ValueError, match="non-negative"):
        wdq(target=(10, -1), buffer=(3, 3), control=(40, 40))
