"""Crime concentration at places: Lorenz curve, Gini, generalized Gini, share in the top places.

METHODS.md §6; formulas and sources in ``docs/methods/spatial.md``.

- :func:`lorenz_curve`: the places sorted from fewest to most crimes; cumulative share of places
  (x) against cumulative share of crimes (y), from (0, 0) to (1, 1).
- :func:`gini`: ``G = Σ_i (2i − n − 1) x_(i) / (n Σ x)`` with ``x_(1) ≤ … ≤ x_(n)`` (the
  "biased" Gini, one minus twice the area under the Lorenz curve; its maximum is ``1 − 1/n``).
- :func:`generalized_gini`: Bernasco & Steenbeek (2017), for fewer crimes ``N`` than places
  ``n``: the Lorenz curve is compared with the curve of *maximal* equality given the data (``N``
  places with one crime each), ``G' = max(1, n/N) (G − 1) + 1``; equal to ``G`` when ``N ≥ n``.
- :func:`top_share`: the share of all crimes in the top fraction ``q`` of places, read off the
  Lorenz curve (``1 − L(1 − q)``, linear between places: the top 5 % of 30 places is 1.5 places).
- :func:`concentration`: all of them with percentile bootstrap intervals (places resampled with
  replacement, ``rng``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safetystats._checks import as_int, as_numbers, check_level
from safetystats.errors import SafetystatsError

__all__ = [
    "ConcentrationResult",
    "concentration",
    "generalized_gini",
    "gini",
    "lorenz_curve",
    "top_share",
]


def _counts(counts) -> np.ndarray:
    arr = as_numbers(counts, "counts").ravel()
    if arr.size == 0:
        raise SafetystatsError(
            "input.empty", "counts: expected one count per place, got none", name="counts"
        )
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        raise SafetystatsError(
            "concentration.counts",
            f"counts: expected non-negative finite counts, got {int(bad.sum())} negative, NaN or "
            f"infinite value(s), the first at index {int(np.flatnonzero(bad)[0])}",
            count=int(bad.sum()),
            first=int(np.flatnonzero(bad)[0]),
        )
    if arr.sum() <= 0:
        raise SafetystatsError(
            "outcome.all_zero", "counts: every place has 0 crimes; concentration is undefined"
        )
    return arr


def _gini_sorted(s: np.ndarray) -> float:
    """Gini of counts sorted ascending along the last axis (any leading axes)."""
    n = s.shape[-1]
    i = np.arange(1, n + 1, dtype=float)
    return (s @ (2 * i - n - 1)) / (n * s.sum(axis=-1))


def _generalize(g, n, total):
    return np.maximum(1.0, n / total) * (g - 1.0) + 1.0


def _top_sorted(s: np.ndarray, q: float) -> np.ndarray:
    """Share of the top fraction q of places; s sorted ascending along the last axis."""
    n = s.shape[-1]
    cum = np.concatenate([np.zeros(s.shape[:-1] + (1,)), np.cumsum(s, axis=-1)], axis=-1)
    cum /= cum[..., -1:]
    pos = (1.0 - q) * n  # Lorenz curve at x = 1 − q, linear between places
    k = min(int(np.floor(pos)), n - 1)
    lower = cum[..., k] + (pos - k) * (cum[..., k + 1] - cum[..., k])
    return 1.0 - lower


def _fraction(q) -> float:
    try:
        ok = bool(0.0 < q <= 1.0) and not isinstance(q, bool)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise SafetystatsError(
            "input.out_of_range",
            f"top: expected a fraction of places in (0, 1], got {q!r}",
            name="top",
            expected="(0, 1]",
            given=repr(q),
        )
    return float(q)


def lorenz_curve(counts) -> tuple[np.ndarray, np.ndarray]:
    """``(share_of_places, share_of_crimes)``, both of length ``n + 1`` from 0 to 1."""
    s = np.sort(_counts(counts))
    n = s.size
    x = np.arange(n + 1) / n
    y = np.concatenate([[0.0], np.cumsum(s)]) / s.sum()
    return x, y


def gini(counts) -> float:
    """The Gini coefficient of crimes over places (0 = equal, ``1 − 1/n`` = all in one place)."""
    return float(_gini_sorted(np.sort(_counts(counts))))


def generalized_gini(counts) -> float:
    """Bernasco & Steenbeek's (2017) generalized Gini: ``max(1, n/N) (G − 1) + 1``."""
    c = _counts(counts)
    return float(_generalize(_gini_sorted(np.sort(c)), c.size, c.sum()))


def top_share(counts, top: float = 0.05) -> float:
    """Share of all crimes in the ``top`` fraction of places with the most crimes."""
    return float(_top_sorted(np.sort(_counts(counts)), _fraction(top)))


@dataclass(frozen=True)
class ConcentrationResult:
    """Point estimates and percentile bootstrap intervals (``(low, high)``).

    ``top``: fraction → share of crimes in that top fraction of places; ``top_interval`` likewise.
    """

    n_places: int
    n_crimes: float
    gini: float
    gini_interval: tuple[float, float]
    generalized_gini: float
    generalized_gini_interval: tuple[float, float]
    top: dict
    top_interval: dict
    lorenz: tuple[np.ndarray, np.ndarray]
    level: float
    n_boot: int


def concentration(
    counts, *, top=(0.05,), n_boot: int = 999, level: float = 0.95, rng=None
) -> ConcentrationResult:
    """Lorenz curve, Gini, generalized Gini and top shares with bootstrap intervals.

    The bootstrap resamples the ``n`` places with replacement ``n_boot`` times (as the
    ``lorenzgini`` R package of Steenbeek does) and takes the percentile interval at ``level``;
    a resample without any crime is dropped (it has no concentration).
    """
    c = _counts(counts)
    fractions = [_fraction(q) for q in np.atleast_1d(top)]
    n_boot = as_int(n_boot, "n_boot", minimum=1, maximum=99_999)
    level = check_level(level)
    rng = np.random.default_rng(rng)
    s = np.sort(c)
    n = c.size
    chunks_g, chunks_t = [], {q: [] for q in fractions}
    chunk = max(1, 2_000_000 // n)
    done = 0
    while done < n_boot:
        m = min(chunk, n_boot - done)
        b = np.sort(c[rng.integers(0, n, size=(m, n))], axis=1)
        total = b.sum(axis=1)
        b = b[total > 0]
        chunks_g.append(np.stack([_gini_sorted(b), b.sum(axis=1)]))
        for q in fractions:
            chunks_t[q].append(_top_sorted(b, q))
        done += m
    gb, nb = np.concatenate(chunks_g, axis=1)
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2

    def interval(v):
        a, b = np.quantile(v, [lo, hi])
        return float(a), float(b)

    g = float(_gini_sorted(s))
    return ConcentrationResult(
        n_places=n,
        n_crimes=float(c.sum()),
        gini=g,
        gini_interval=interval(gb),
        generalized_gini=float(_generalize(g, n, c.sum())),
        generalized_gini_interval=interval(_generalize(gb, n, nb)),
        top={q: float(_top_sorted(s, q)) for q in fractions},
        top_interval={q: interval(np.concatenate(chunks_t[q])) for q in fractions},
        lorenz=lorenz_curve(c),
        level=level,
        n_boot=n_boot,
    )
