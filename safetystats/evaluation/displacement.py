"""Displacement and diffusion of benefits: the weighted displacement quotient (WDQ).

Sources
-------
- Bowers, K. J., & Johnson, S. D. (2003). Measuring the geographical displacement and diffusion
  of benefit effects of crime prevention activity. Journal of Quantitative Criminology, 19(3),
  275–301.
- Bowers, K. J., Johnson, S. D., Guerette, R. T., Summers, L., & Poynton, S. (2011). Spatial
  displacement and diffusion of benefits among geographically focused policing initiatives: a
  meta-analytical review. Journal of Experimental Criminology, 7(4), 347–374 (total net effect).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safetystats.errors import SafetystatsError

from ._util import as_float

__all__ = ["WdqResult", "wdq"]


@dataclass(frozen=True)
class WdqResult:
    """Result of :func:`wdq`.

    ``success_measure = T_post/C_post − T_pre/C_pre`` (negative: the target improved relative to
    the control area); ``buffer_measure = B_post/C_post − B_pre/C_pre`` (positive: displacement
    into the buffer, negative: diffusion of benefits); ``wdq = buffer_measure / success_measure``
    (> 0 diffusion, < 0 displacement, < −1 displacement larger than the direct effect).
    ``target_net_effect = T_pre·C_post/C_pre − T_post`` and ``buffer_net_effect`` likewise are
    crimes prevented relative to the control trend; ``total_net_effect`` is their sum.
    """

    wdq: float
    success_measure: float
    buffer_measure: float
    target_net_effect: float
    buffer_net_effect: float
    total_net_effect: float
    interpretation: str
    warnings: tuple[str, ...] = ()


def _pair(x, name):
    arr = as_float(x, name)
    if arr.shape != (2,) or np.any(arr < 0):
        raise SafetystatsError(
            "wdq.counts",
            f"{name}: expected non-negative (pre, post) counts, got {arr.tolist()}",
            name=name,
            given=arr.tolist(),
        )
    return arr


def wdq(*, target, buffer, control) -> WdqResult:
    """Weighted displacement quotient of Bowers & Johnson (2003) and its parts.

    ``WDQ = (B_post/C_post − B_pre/C_pre) / (T_post/C_post − T_pre/C_pre)`` for counts in the
    target area T, a buffer ring B around it and a control area C, before and after.

    Parameters
    ----------
    target, buffer, control : (pre, post)
        Crime counts in each zone for periods of equal length.

    Returns
    -------
    WdqResult

    Raises
    ------
    ValueError
        Zero control counts (the ratios are undefined) or no change in the target relative to the
        control (``success_measure == 0``: there is no effect to displace).

    Examples
    --------
    >>> from safetystats.evaluation import wdq
    >>> res = wdq(target=(100, 60), buffer=(80, 90), control=(400, 400))
    >>> round(res.success_measure, 3), round(res.buffer_measure, 3), round(res.wdq, 3)
    (-0.1, 0.025, -0.25)
    >>> res.total_net_effect  # 40 fewer in the target, 10 more in the buffer
    30.0
    """
    t = _pair(target, "target")
    b = _pair(buffer, "buffer")
    c = _pair(control, "control")
    if np.any(c == 0):
        raise SafetystatsError(
            "wdq.control_zero",
            f"control: expected positive counts before and after, got {c.tolist()}",
            given=c.tolist(),
        )
    success = t[1] / c[1] - t[0] / c[0]
    buf = b[1] / c[1] - b[0] / c[0]
    if success == 0:
        raise SafetystatsError(
            "wdq.no_change",
            "target: expected a change relative to the control area, got none (success measure 0): "
            "the WDQ is undefined",
        )
    q = buf / success
    trend = c[1] / c[0]
    t_net = t[0] * trend - t[1]
    b_net = b[0] * trend - b[1]
    warnings = ()
    if success > 0:
        warnings += (
            "the target got worse relative to the control (success measure > 0): the WDQ's "
            "displacement reading does not apply",
        )
    if np.any(np.r_[t, b, c] < 20):
        warnings += ("small counts (< 20 in some cell): the quotient is very noisy",)
    if success > 0:
        words = "no success in the target; no displacement reading"
    elif q > 0:
        words = "diffusion of benefits into the buffer"
    elif q < -1:
        words = "displacement larger than the direct effect"
    elif q < 0:
        words = "some displacement into the buffer, smaller than the direct effect"
    else:
        words = "no change in the buffer"
    return WdqResult(
        wdq=float(q),
        success_measure=float(success),
        buffer_measure=float(buf),
        target_net_effect=float(t_net),
        buffer_net_effect=float(b_net),
        total_net_effect=float(t_net + b_net),
        interpretation=words,
        warnings=warnings,
    )
