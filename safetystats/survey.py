"""Weighted survey shares with effective n, Wilson intervals, tests between waves/areas, suppression.

Sources
-------
- METHODS.md §3: weighted share p = Σw·1[cond] / Σw; effective n = (Σw)² / Σw² (Kish 1965, *Survey
  Sampling*, §11.7); 95 % interval by Wilson on n_eff; cells below a minimum n suppressed, never 0.
- Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
  *JASA* 22, 209–212. Using n_eff in place of n follows Kish's design-effect argument: the weighted
  share has (approximately) the variance of a simple random sample of size n_eff.
- The national safety survey's core item: 7-point scale, 1 = basically safe … 7 = basically unsafe;
  default coding 1–3 safe, 4 neither, 5–7 unsafe (consistent with the published 2021 shares; the
  coding itself is our inference, see docs/methods/survey-and-rates.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._checks import (
    as_int,
    as_numbers,
    check_finite,
    check_level,
    check_non_negative,
    check_share,
)
from .errors import SafetystatsError

__all__ = [
    "SAFETY_CODING",
    "DifferenceResult",
    "GroupedShares",
    "ShareResult",
    "compare_shares",
    "effective_n",
    "grouped_shares",
    "weighted_share",
    "wilson_interval",
]

#: Default coding of the 7-point safety item (METHODS.md §3).
SAFETY_CODING: Mapping[str, tuple[int, ...]] = {
    "safe": (1, 2, 3),
    "neither": (4,),
    "unsafe": (5, 6, 7),
}


@dataclass(frozen=True)
class ShareResult:
    """A weighted share with its interval.

    ``share``, ``low`` and ``high`` are NaN when ``suppressed`` (``n < min_n``); ``n`` is the number of
    valid (coded, non-missing) answers, ``n_eff`` the Kish effective sample size.
    """

    share: float
    low: float
    high: float
    n: int
    n_eff: float
    suppressed: bool
    category: str
    level: float


@dataclass(frozen=True)
class GroupedShares:
    """Shares per group: ``keys`` holds one label array per grouping array, aligned with the rest."""

    keys: tuple[np.ndarray, ...]
    share: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n: np.ndarray
    n_eff: np.ndarray
    suppressed: np.ndarray
    category: str
    level: float


@dataclass(frozen=True)
class DifferenceResult:
    """Two-proportion z-test on effective n (see :func:`compare_shares`).

    NaN with a ``reason`` when either share is suppressed or the pooled share is 0 or 1.
    """

    difference: float  # share_a - share_b
    z: float
    p_value: float
    low: float  # interval for the difference (unpooled standard error)
    high: float
    reason: str


def effective_n(weights) -> float:
    """Kish effective sample size ``(Σw)² / Σw²``.

    Examples
    --------
    >>> effective_n([1, 1, 1, 1])
    4.0
    >>> round(effective_n([1, 1, 2, 4]), 4)
    2.9091
    """
    w = _weights(weights, None)
    s2 = float(np.sum(w * w))
    return float(np.sum(w) ** 2 / s2) if s2 > 0 else 0.0


def wilson_interval(share, n_eff, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a share on ``n_eff`` observations.

    centre = (p + z²/2n) / (1 + z²/n), half-width = z / (1 + z²/n) · √(p(1−p)/n + z²/4n²)
    (Wilson 1927). Arrays broadcast; NaN where n_eff ≤ 0 or the share is NaN (missing). A share
    outside [0, 1] or an infinite share or ``n_eff`` is refused (``SafetystatsError``), not
    returned as NaN: pass a share (successes / n), not a count of successes.

    Examples
    --------
    >>> lo, hi = wilson_interval(0.2, 100)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.1334, 0.2888)
    """
    level = check_level(level, code="survey.level")
    p = as_numbers(share, "share")
    n = as_numbers(n_eff, "n_eff")
    check_share(p, "share")
    check_finite(n, "n_eff", missing_ok=True, expected="a finite effective sample size")
    z = stats.norm.isf((1 - level) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_ = np.where(n > 0, n, np.nan)
        denom = 1 + z * z / n_
        centre = (p + z * z / (2 * n_)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n_ + z * z / (4 * n_ * n_))
    return centre - half, centre + half


def _weights(weights, n: int | None) -> np.ndarray:
    if weights is None:
        if n is None:
            raise SafetystatsError("survey.weights", "weights: expected an array, got None")
        return np.ones(n)
    w = as_numbers(weights, "weights")
    if w.ndim != 1:
        raise SafetystatsError(
            "survey.weights",
            f"weights: expected a 1-D array, got shape {w.shape}",
            name="weights",
            given=str(w.shape),
        )
    if n is not None and w.shape[0] != n:
        raise SafetystatsError(
            "survey.weights",
            f"weights: expected {n} values (one per answer), got {w.shape[0]}",
            name="weights",
            expected=n,
            given=int(w.shape[0]),
        )
    check_non_negative(w, "weights", code="survey.weights", finite=True)
    return w


def _code(answers, coding: Mapping[str, Sequence[int]], category: str):
    """Return (valid mask, in-category mask) and refuse answers that no category codes."""
    if category not in coding:
        raise SafetystatsError(
            "survey.category", f"category: expected one of {sorted(coding)}, got {category!r}"
        )
    a = as_numbers(answers, "answers")
    if a.ndim != 1:
        raise SafetystatsError(
            "survey.answers",
            f"answers: expected a 1-D array, got shape {a.shape}",
            name="answers",
            given=str(a.shape),
        )
    all_codes = np.array(sorted({c for codes in coding.values() for c in codes}), dtype=float)
    present = np.isfinite(a)
    known = np.isin(a, all_codes)
    unknown = present & ~known
    if unknown.any():
        vals = sorted(set(a[unknown].tolist()))[:5]
        raise SafetystatsError(
            "survey.answers",
            f"answers: expected codes {all_codes.astype(int).tolist()} or NaN (missing), got {vals}",
        )
    hit = np.isin(a, np.asarray(coding[category], dtype=float))
    return present, hit


def _share_from(hit, w, valid, *, min_n, level, category) -> ShareResult:
    n = int(valid.sum())
    wv = w[valid]
    sw = float(wv.sum())
    n_eff = float(sw * sw / np.sum(wv * wv)) if sw > 0 else 0.0
    if n < min_n or sw <= 0:
        return ShareResult(np.nan, np.nan, np.nan, n, n_eff, True, category, level)
    p = float(np.sum(wv * hit[valid]) / sw)
    lo, hi = wilson_interval(p, n_eff, level=level)
    return ShareResult(p, float(lo), float(hi), n, n_eff, False, category, level)


def _check_options(min_n, level) -> float:
    as_int(min_n, "min_n", minimum=1)
    # checked here, not only in wilson_interval: a suppressed cell never reaches it
    return check_level(level, code="survey.level")


def weighted_share(
    answers,
    weights=None,
    *,
    category: str = "unsafe",
    coding: Mapping[str, Sequence[int]] = SAFETY_CODING,
    min_n: int = 20,
    level: float = 0.95,
) -> ShareResult:
    """Weighted share of answers in ``category`` with a Wilson interval on the effective n.

    Parameters
    ----------
    answers : array_like, 1-D
        Item codes; NaN = missing (left out of numerator and denominator).
    weights : array_like, optional
        Survey weights (≥ 0); default all 1.
    category : str, default "unsafe"
        Key of ``coding`` to count.
    coding : mapping, default :data:`SAFETY_CODING`
        Category -> codes. An answer that no category codes is refused (ValueError).
    min_n : int, default 20
        Cells with fewer valid answers (unweighted) are suppressed: NaN and ``suppressed=True``.
    level : float, default 0.95

    Returns
    -------
    ShareResult

    Notes
    -----
    p = Σw·1[answer ∈ category] / Σw over valid answers; n_eff = (Σw)² / Σw²; interval: Wilson on
    n_eff (METHODS.md §3).

    Examples
    --------
    >>> answers = [1] * 15 + [4] * 5 + [6] * 5
    >>> r = weighted_share(answers)
    >>> r.share, r.n, r.suppressed
    (0.2, 25, False)
    >>> weighted_share(answers[:10]).suppressed
    True
    """
    level = _check_options(min_n, level)
    valid, hit = _code(answers, coding, category)
    w = _weights(weights, valid.shape[0])
    return _share_from(hit, w, valid, min_n=min_n, level=level, category=category)


def grouped_shares(
    answers,
    weights=None,
    *,
    by,
    category: str = "unsafe",
    coding: Mapping[str, Sequence[int]] = SAFETY_CODING,
    min_n: int = 20,
    level: float = 0.95,
) -> GroupedShares:
    """:func:`weighted_share` per group, e.g. per area, per wave or per (area, wave).

    Parameters
    ----------
    by : array_like or tuple of array_like
        One grouping array (same length as ``answers``) or a tuple of them. Groups are the distinct
        combinations present, sorted.

    Examples
    --------
    >>> area = ["A"] * 25 + ["B"] * 5
    >>> g = grouped_shares([5] * 5 + [1] * 20 + [7] * 5, by=area)
    >>> g.keys[0].tolist(), g.share.tolist(), g.suppressed.tolist()
    (['A', 'B'], [0.2, nan], [False, True])
    """
    level = _check_options(min_n, level)
    valid, hit = _code(answers, coding, category)
    w = _weights(weights, valid.shape[0])
    groups = by if isinstance(by, tuple) else (by,)
    if not groups:
        raise SafetystatsError("survey.by", "by: expected at least one grouping array, got none")
    codes = []
    labels = []
    for j, g in enumerate(groups):
        g = np.asarray(g)
        if g.shape != valid.shape:
            raise SafetystatsError(
                "survey.by_length",
                f"by[{j}]: expected {valid.shape[0]} values (one per answer), got shape {g.shape}",
            )
        lab, inv = np.unique(g, return_inverse=True)
        labels.append(lab)
        codes.append(inv.ravel())
    combos, inverse = np.unique(np.stack(codes, axis=1), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    k = combos.shape[0]
    res = [
        _share_from(hit, w, valid & (inverse == i), min_n=min_n, level=level, category=category)
        for i in range(k)
    ]
    return GroupedShares(
        keys=tuple(labels[j][combos[:, j]] for j in range(len(groups))),
        share=np.array([r.share for r in res]),
        low=np.array([r.low for r in res]),
        high=np.array([r.high for r in res]),
        n=np.array([r.n for r in res], dtype=np.int64),
        n_eff=np.array([r.n_eff for r in res]),
        suppressed=np.array([r.suppressed for r in res], dtype=bool),
        category=category,
        level=level,
    )


def compare_shares(a: ShareResult, b: ShareResult, *, level: float = 0.95) -> DifferenceResult:
    """Test whether two shares differ (two waves, or two areas).

    Two-proportion z-test with the pooled share, each sample entered with its effective n:
    p̂ = (p_a n_a + p_b n_b) / (n_a + n_b), z = (p_a − p_b) / √(p̂(1−p̂)(1/n_a + 1/n_b)),
    two-sided p = 2·(1 − Φ(|z|)). The interval for the difference uses the unpooled standard error
    √(p_a(1−p_a)/n_a + p_b(1−p_b)/n_b).

    Assumes the two samples are independent (different waves drawn afresh, or disjoint areas) and
    that weighting is the only design effect (n_eff, Kish); panel overlap or clustering would need
    a design-based variance instead.

    Examples
    --------
    >>> a = weighted_share([6] * 30 + [1] * 70)
    >>> b = weighted_share([6] * 15 + [1] * 85)
    >>> d = compare_shares(a, b)
    >>> round(d.difference, 2), round(d.z, 3), round(d.p_value, 4)
    (0.15, 2.54, 0.0111)
    """
    nan = float("nan")
    if a.suppressed or b.suppressed:
        return DifferenceResult(nan, nan, nan, nan, nan, "a share is suppressed (n below min_n)")
    pa, pb, na, nb = a.share, b.share, a.n_eff, b.n_eff
    pooled = (pa * na + pb * nb) / (na + nb)
    diff = pa - pb
    z_crit = stats.norm.isf((1 - level) / 2)
    se_u = np.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    low, high = diff - z_crit * se_u, diff + z_crit * se_u
    if pooled <= 0 or pooled >= 1:
        return DifferenceResult(
            diff, nan, nan, float(low), float(high), "pooled share is 0 or 1: no variance"
        )
    se = np.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    z = diff / se
    p = 2 * stats.norm.sf(abs(z))
    return DifferenceResult(float(diff), float(z), float(p), float(low), float(high), "")
