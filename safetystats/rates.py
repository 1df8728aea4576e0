"""Rates per 1,000 residents, age-band denominators, rolling means, change vs baseline, EB smoothing.

Every rate travels with its count and its denominator, so a reader can see when a rate rests on
three events. Arrays are laid out ``(areas, years)`` or ``(areas, years, bands)``; the functions work on
any shape unless a docstring says otherwise.

Sources
-------
- METHODS.md §1 (report rate, charge rate by residence and age band, 2-year mean, change vs baseline).
- Marshall, R. J. (1991). Mapping disease and mortality rates using empirical Bayes estimators.
  *Journal of the Royal Statistical Society, Series C (Applied Statistics)* 40(2), 283–294 — the global
  empirical-Bayes estimator in :func:`eb_smooth`.
- Garwood, F. (1936). Fiducial limits for the Poisson distribution. *Biometrika* 28(3/4), 437–442 —
  the exact interval of :func:`poisson_interval`; tabulated in Gehrels, N. (1986). Confidence limits
  for small numbers of events in astrophysical data. *The Astrophysical Journal* 303, 336–346.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import special

from ._checks import (
    as_axis,
    as_int,
    as_numbers,
    check_finite,
    check_integer_valued,
    check_level,
    check_ndim,
    check_non_negative,
)
from .errors import SafetystatsError

__all__ = [
    "DEFAULT_BANDS",
    "YOUTH_BAND",
    "BandRates",
    "ChangeResult",
    "EBResult",
    "PersonCounts",
    "PoissonInterval",
    "RateResult",
    "band_of_age",
    "change_from_baseline",
    "charge_rates",
    "count_persons",
    "eb_smooth",
    "poisson_interval",
    "rate",
    "rolling_mean",
    "rolling_rate",
]

#: Age bands of the charge rate (inclusive bounds; ``None`` = open upper end). METHODS.md §1.
DEFAULT_BANDS: Mapping[str, tuple[int, int | None]] = {
    "10-14": (10, 14),
    "15-17": (15, 17),
    "18-24": (18, 24),
    "25+": (25, None),
}
#: "Youths" as the hotspot evaluations count them (charged persons aged 10–17).
YOUTH_BAND: Mapping[str, tuple[int, int | None]] = {"10-17": (10, 17)}


@dataclass(frozen=True)
class RateResult:
    """A rate with the count and denominator it rests on.

    ``rate = per * count / denominator``; NaN where the denominator is 0 or missing. ``low`` and
    ``high`` hold the interval asked for with ``rate(interval=...)`` (else ``None``).
    """

    rate: np.ndarray
    count: np.ndarray
    denominator: np.ndarray
    per: float
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    level: float | None = None
    interval: str | None = None


@dataclass(frozen=True)
class PoissonInterval:
    """Exact (Garwood 1936) interval for a Poisson mean: of the count, or of the rate.

    Without exposure ``estimate``, ``low`` and ``high`` are expected counts and ``per`` is
    ``None``; with exposure they are rates ``per * count / exposure``. NaN where the count or the
    exposure is missing (NaN) or the exposure is 0.
    """

    estimate: np.ndarray
    low: np.ndarray
    high: np.ndarray
    count: np.ndarray
    exposure: np.ndarray | None
    level: float
    per: float | None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PersonCounts:
    """Distinct persons and charges per area-year (from :func:`count_persons`)."""

    persons: np.ndarray  # (areas, years) distinct person keys
    charges: np.ndarray  # (areas, years) rows (charges)
    areas: np.ndarray  # area labels along axis 0
    years: np.ndarray  # year labels along axis 1


@dataclass(frozen=True)
class BandRates:
    """Charge rates by age band: arrays shaped ``(areas, years, bands)``."""

    rate: np.ndarray
    count: np.ndarray  # distinct persons in the band
    denominator: np.ndarray  # residents in the band
    per: float
    bands: tuple[str, ...]
    areas: np.ndarray
    years: np.ndarray


@dataclass(frozen=True)
class ChangeResult:
    """Change of a rate against a baseline.

    ``relative = (r_t - r_base) / r_base`` (multiply by 100 for Δ%); NaN with a ``reason`` where it is
    not defined (baseline 0 or missing, current value missing). ``reason`` is ``""`` where defined.
    """

    relative: np.ndarray
    absolute: np.ndarray
    baseline: np.ndarray
    reason: np.ndarray  # object array of str


@dataclass(frozen=True)
class EBResult:
    """Global empirical-Bayes smoothed rates (Marshall 1991).

    ``smoothed = global_rate + shrinkage * (raw - global_rate)``, ``shrinkage = A / (A + m / n_i)``.
    """

    smoothed: np.ndarray
    raw: np.ndarray
    count: np.ndarray
    denominator: np.ndarray
    global_rate: np.ndarray  # m, per ``per`` (one value per column when 2-D)
    prior_variance: np.ndarray  # A, in (events per person)^2, truncated at 0
    shrinkage: np.ndarray  # C_i in [0, 1]; 1 = raw rate kept, 0 = global rate
    per: float


def _counts_and_denominators(count, denominator) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative counts and residents, NaN for missing, never infinite."""
    c = as_numbers(count, "count")
    d = as_numbers(denominator, "denominator")
    for arr, name in ((c, "count"), (d, "denominator")):
        check_non_negative(arr, name, code="rates.negative")
        # NaN is "missing"; infinity is never a count or a population
        check_finite(arr, name, missing_ok=True)
    return c, d


def rate(
    count,
    denominator,
    *,
    per: float = 1000.0,
    interval: str | None = None,
    level: float = 0.95,
) -> RateResult:
    """Rate per ``per`` residents: ``per * count / denominator``.

    Parameters
    ----------
    count, denominator : array_like
        Events (reports, distinct persons) and residents; same shape (or broadcastable). NaN = missing.
    per : float, default 1000
        Unit of the rate.
    interval : {None, "exact"}, default None
        ``"exact"``: the exact Poisson interval of :func:`poisson_interval` in ``low``/``high``
        (the counts must then be whole numbers).
    level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    RateResult
        NaN rate where the denominator is 0 or missing; count and denominator are returned broadcast.

    Notes
    -----
    METHODS.md §1: report rate = 1000 · reports located in the area / residents (all ages).

    Examples
    --------
    >>> r = rate([3, 0, 12], [1500, 800, 0])
    >>> r.rate.round(2).tolist()
    [2.0, 0.0, nan]
    >>> r.count.tolist()
    [3.0, 0.0, 12.0]
    >>> r = rate([3, 0], [1500, 800], interval="exact")
    >>> r.low.round(3).tolist(), r.high.round(3).tolist()
    ([0.412, 0.0], [5.845, 4.611])
    """
    level = check_level(level)
    if interval not in (None, "exact"):
        raise SafetystatsError(
            "input.choice",
            f"interval: expected None or 'exact', got {interval!r}",
            name="interval",
            given=repr(interval),
        )
    c, d = _counts_and_denominators(count, denominator)
    try:
        c, d = np.broadcast_arrays(c, d)
    except ValueError as exc:
        raise SafetystatsError(
            "rates.count_and_denominator",
            f"count and denominator: expected the same shape, got {c.shape} and {d.shape}",
            expected=str(c.shape),
            given=str(d.shape),
        ) from exc
    try:
        per_ok = bool(np.isfinite(per) and per > 0)
    except TypeError:
        per_ok = False
    if not per_ok:
        raise SafetystatsError(
            "rates.per", f"per: expected a positive finite number, got {per!r}", given=repr(per)
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(d > 0, per * c / np.where(d > 0, d, 1.0), np.nan)
    if interval is None:
        return RateResult(rate=r, count=c.copy(), denominator=d.copy(), per=float(per))
    exact = poisson_interval(c, exposure=d, level=level, per=per)
    return RateResult(
        rate=r,
        count=c.copy(),
        denominator=d.copy(),
        per=float(per),
        low=exact.low,
        high=exact.high,
        level=exact.level,
        interval=interval,
    )


def _garwood(k: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact limits for the mean of a Poisson count ``k`` (a whole number or NaN)."""
    tail = (1.0 - level) / 2.0
    missing = np.isnan(k)
    k0 = np.where(missing, 0.0, k)
    # χ²_{p}(2k)/2 is the p-quantile of Gamma(k, 1): the inverse regularised incomplete gamma
    low = np.where(k0 > 0, special.gammaincinv(np.where(k0 > 0, k0, 1.0), tail), 0.0)
    high = special.gammaincinv(k0 + 1.0, 1.0 - tail)
    return np.where(missing, np.nan, low), np.where(missing, np.nan, high)


def poisson_interval(count, *, exposure=None, level: float = 0.95, per: float = 1000.0):
    """Exact (Garwood 1936) confidence interval for a Poisson count or rate.

    For an observed count k the limits of the mean are

        low = χ²_{α/2}(2k) / 2  (0 when k = 0),   high = χ²_{1−α/2}(2k + 2) / 2,

    with α = 1 − level: the means for which the probability of k or more (of k or fewer) events is
    α/2. Each tail holds at most α/2, so the coverage is at least ``level`` for every mean; it is
    conservative for small counts, which is the point for counts of a handful of reports. With
    ``exposure`` (residents) the limits are divided by it and multiplied by ``per``, i.e. the
    interval of the rate ``per * count / exposure`` (the exposure taken as known).

    Parameters
    ----------
    count : array_like
        Whole-number counts (≥ 0); NaN = missing (NaN limits). A mean of counts (2.5) is refused:
        the interval is for the count itself.
    exposure : array_like, optional
        Residents (or person-years), broadcast against ``count``; 0 or NaN gives NaN.
    level : float, default 0.95
    per : float, default 1000
        Unit of the rate; used only with ``exposure``.

    Returns
    -------
    PoissonInterval

    Notes
    -----
    Equal to statsmodels ``confint_poisson(count, exposure, method="exact-c")`` and to the tables
    of Gehrels (1986); see ``docs/methods``.

    Examples
    --------
    >>> ci = poisson_interval([0, 1, 10])
    >>> ci.low.round(4).tolist(), ci.high.round(3).tolist()
    ([0.0, 0.0253, 4.7954], [3.689, 5.572, 18.39])
    >>> poisson_interval(3, exposure=1500).high.round(3).tolist()  # per 1,000 residents
    5.845
    """
    level = check_level(level)
    k = as_numbers(count, "count")
    check_non_negative(k, "count", code="rates.negative")
    check_finite(k, "count", missing_ok=True)
    check_integer_valued(k, "count", what="counts (a Poisson interval is for a count)")
    if exposure is None:
        low, high = _garwood(k, level)
        return PoissonInterval(
            estimate=k.copy(),
            low=low,
            high=high,
            count=k.copy(),
            exposure=None,
            level=level,
            per=None,
        )
    rated = rate(k, exposure, per=per)
    low, high = _garwood(rated.count, level)
    return PoissonInterval(
        estimate=rated.rate,
        low=rate(low, rated.denominator, per=per).rate,
        high=rate(high, rated.denominator, per=per).rate,
        count=rated.count,
        exposure=rated.denominator,
        level=level,
        per=rated.per,
    )


def band_of_age(ages, *, bands: Mapping[str, tuple[int, int | None]] = DEFAULT_BANDS) -> np.ndarray:
    """Index of the age band of each age (-1 = in no band).

    Bands must not overlap; pass :data:`YOUTH_BAND` on its own to count 10–17 as one band.

    Examples
    --------
    >>> band_of_age([9, 10, 14, 15, 17, 18, 24, 25, 80]).tolist()
    [-1, 0, 0, 1, 1, 2, 2, 3, 3]
    """
    a = as_numbers(ages, "ages")
    _validate_bands(bands)
    out = np.full(a.shape, -1, dtype=np.int64)
    for k, (lo, hi) in enumerate(bands.values()):
        hi_ = np.inf if hi is None else hi
        out[(a >= lo) & (a <= hi_)] = k
    return out


def _validate_bands(bands: Mapping[str, tuple[int, int | None]]) -> None:
    if not bands:
        raise SafetystatsError("rates.bands", "bands: expected at least one band, got none")
    spans = []
    for label, bound in bands.items():
        if len(bound) != 2 or bound[0] is None:
            raise SafetystatsError(
                "rates.band_bounds", f"band {label!r}: expected (low, high or None), got {bound!r}"
            )
        lo, hi = bound
        if hi is not None and hi < lo:
            raise SafetystatsError(
                "rates.band_bounds", f"band {label!r}: expected low <= high, got {bound!r}"
            )
        spans.append((lo, np.inf if hi is None else hi, label))
    spans.sort()
    for (_, hi1, l1), (lo2, _, l2) in zip(spans, spans[1:]):
        if lo2 <= hi1:
            raise SafetystatsError(
                "rates.bands",
                f"bands: expected non-overlapping bands, got {l1!r} and {l2!r} overlapping "
                "(count overlapping bands such as 10-17 in a separate call)",
            )


def _keys(values, name: str) -> tuple[np.ndarray, np.ndarray]:
    arr = np.asarray(values)
    check_ndim(arr, name, 1)
    labels, inverse = np.unique(arr, return_inverse=True)
    return labels, inverse.ravel()


def _grid(labels, given, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Map the observed labels onto the caller's full label list (so empty areas get a 0 row)."""
    observed, inverse = labels
    if given is None:
        return observed, inverse
    full = np.asarray(given)
    pos = {v: i for i, v in enumerate(full.tolist())}
    missing = [v for v in observed.tolist() if v not in pos]
    if missing:
        raise SafetystatsError(
            "rates.unknown_labels",
            f"{name}: expected every label in the given list, got {missing[:5]!r}",
        )
    lookup = np.array([pos[v] for v in observed.tolist()], dtype=np.int64)
    return full, lookup[inverse]


def count_persons(area, year, person, *, areas=None, years=None) -> PersonCounts:
    """Distinct persons and charges per area-year from one row per charge.

    Parameters
    ----------
    area, year, person : array_like, 1-D, same length
        Residence area of the charged person, year of the charge, and the pseudonymous person key.
    areas, years : array_like, optional
        Full label lists for the output axes (areas without charges get 0). Default: the labels seen.

    Returns
    -------
    PersonCounts
        ``persons`` counts each person once per area-year however many charges they have; ``charges``
        counts rows. A person who moved within the year counts once in each area of residence.

    Notes
    -----
    METHODS.md §1: "Count persons, not charges".

    Examples
    --------
    >>> pc = count_persons(["A", "A", "A", "B"], [2020, 2020, 2021, 2020], [7, 7, 7, 9])
    >>> pc.persons.tolist(), pc.charges.tolist()
    ([[1, 1], [1, 0]], [[2, 1], [1, 0]])
    """
    a_lab = _keys(area, "area")
    y_lab = _keys(year, "year")
    p_lab = _keys(person, "person")
    n = {len(a_lab[1]), len(y_lab[1]), len(p_lab[1])}
    if len(n) != 1:
        raise SafetystatsError(
            "rates.area_year_person",
            "area, year, person: expected the same length, got "
            f"{len(a_lab[1])}, {len(y_lab[1])}, {len(p_lab[1])}",
        )
    area_labels, ai = _grid(a_lab, areas, "area")
    year_labels, yi = _grid(y_lab, years, "year")
    shape = (len(area_labels), len(year_labels))
    charges = np.zeros(shape, dtype=np.int64)
    np.add.at(charges, (ai, yi), 1)
    persons = np.zeros(shape, dtype=np.int64)
    if ai.size:
        # one row per distinct (area, year, person) triple
        triples = np.unique(np.stack([ai, yi, p_lab[1]], axis=1), axis=0)
        np.add.at(persons, (triples[:, 0], triples[:, 1]), 1)
    return PersonCounts(persons=persons, charges=charges, areas=area_labels, years=year_labels)


def charge_rates(
    area,
    year,
    person,
    age,
    population,
    *,
    areas,
    years,
    bands: Mapping[str, tuple[int, int | None]] = DEFAULT_BANDS,
    per: float = 1000.0,
) -> BandRates:
    """Charged persons per 1,000 residents of the same age band, counted where the person lives.

    Parameters
    ----------
    area, year, person, age : array_like, 1-D, same length
        One row per charge: residence area, year, pseudonymous person key, age at the charge.
    population : array_like, shape (len(areas), len(years), len(bands))
        Residents in each band (the denominator).
    areas, years : array_like
        Labels of the population's first two axes.
    bands : mapping label -> (low, high or None)
        Non-overlapping inclusive age bands; default 10–14, 15–17, 18–24, 25+. Use :data:`YOUTH_BAND`
        (with a matching population) for 10–17 as one band: a person charged at 14 and at 15 in the
        same year then counts once, whereas summing the 10–14 and 15–17 counts would count them twice.
    per : float, default 1000

    Returns
    -------
    BandRates
        Distinct persons per (area, year, band) over residents in the band. Charges with an age
        outside every band are ignored (e.g. under 10).

    Notes
    -----
    METHODS.md §1: charge rate = 1000 · distinct charged persons resident in the area in the band /
    residents in that band.

    Examples
    --------
    >>> pop = [[[400, 200]]]  # one area, one year, bands 10-14 and 15-17
    >>> br = charge_rates(["A", "A", "A"], [2020] * 3, [1, 1, 2], [15, 15, 12], pop,
    ...                   areas=["A"], years=[2020],
    ...                   bands={"10-14": (10, 14), "15-17": (15, 17)})
    >>> br.count.tolist(), br.rate.tolist()
    ([[[1, 1]]], [[[2.5, 5.0]]])
    """
    _validate_bands(bands)
    pop = as_numbers(population, "population")
    areas_ = np.asarray(areas)
    years_ = np.asarray(years)
    expected = (len(areas_), len(years_), len(bands))
    if pop.shape != expected:
        raise SafetystatsError(
            "rates.population",
            f"population: expected shape (areas, years, bands) = {expected}, got {pop.shape}",
        )
    ages = as_numbers(age, "age")
    band = band_of_age(ages, bands=bands)
    n = {len(np.asarray(area)), len(np.asarray(year)), len(np.asarray(person)), len(ages)}
    if len(n) != 1:
        raise SafetystatsError(
            "rates.area_year_person_age",
            f"area, year, person, age: expected the same length, got lengths {n}",
        )
    keep = band >= 0
    counts = np.zeros(expected, dtype=np.int64)
    if keep.any():
        a_lab, ai = _grid(_keys(np.asarray(area)[keep], "area"), areas_, "area")
        y_lab, yi = _grid(_keys(np.asarray(year)[keep], "year"), years_, "year")
        _, pi = _keys(np.asarray(person)[keep], "person")
        triples = np.unique(np.stack([ai, yi, band[keep], pi], axis=1), axis=0)
        np.add.at(counts, (triples[:, 0], triples[:, 1], triples[:, 2]), 1)
    r = rate(counts, pop, per=per)
    return BandRates(
        rate=r.rate,
        count=counts,
        denominator=r.denominator,
        per=r.per,
        bands=tuple(bands),
        areas=areas_,
        years=years_,
    )


def _with_year_axis(values) -> np.ndarray:
    v = as_numbers(values, "values")
    if v.ndim == 0:
        raise SafetystatsError(
            "rates.values", "values: expected an array with a year axis, got a scalar"
        )
    return v


def rolling_mean(values, *, window: int = 2, axis: int = 1) -> np.ndarray:
    """Trailing mean over ``window`` consecutive years along ``axis``.

    Position t holds the mean of t-window+1 … t; the first ``window - 1`` positions and any window
    with a missing (NaN) year are NaN, so a gap is never averaged over silently.

    Examples
    --------
    >>> rolling_mean([[1.0, 3.0, 5.0, np.nan, 9.0]]).tolist()
    [[nan, 2.0, 4.0, nan, nan]]
    """
    v = _with_year_axis(values)
    window = as_int(window, "window", minimum=1)
    axis = as_axis(axis, v.ndim)
    v = np.moveaxis(v, axis, -1)
    n = v.shape[-1]
    out = np.full(v.shape, np.nan)
    if window <= n:
        # sliding_window_view keeps this vectorised; NaN propagates through the mean by design
        win = np.lib.stride_tricks.sliding_window_view(v, window, axis=-1)
        out[..., window - 1 :] = win.mean(axis=-1)
    return np.moveaxis(out, -1, axis)


def rolling_rate(
    count, denominator, *, window: int = 2, axis: int = 1, per: float = 1000.0, method="pooled"
) -> RateResult:
    """Rate over ``window`` consecutive years, with the summed count and denominator.

    Parameters
    ----------
    method : {"pooled", "mean"}
        ``"pooled"``: per · Σcount / Σdenominator over the window (the statutory criteria average the
        numerator and the denominator over the two years, then divide). ``"mean"``: mean of the yearly
        rates. Both NaN where a year in the window is missing.

    Examples
    --------
    >>> r = rolling_rate([[2, 4]], [[1000, 3000]])
    >>> r.rate.tolist(), r.count.tolist(), r.denominator.tolist()
    ([[nan, 1.5]], [[nan, 6.0]], [[nan, 4000.0]])
    >>> rolling_rate([[2, 4]], [[1000, 3000]], method="mean").rate.round(4).tolist()
    [[nan, 1.6667]]
    """
    if method not in ("pooled", "mean"):
        raise SafetystatsError(
            "rates.method", f"method: expected 'pooled' or 'mean', got {method!r}"
        )
    yearly = rate(count, denominator, per=per)
    c_sum = rolling_mean(yearly.count, window=window, axis=axis) * window
    d_sum = rolling_mean(yearly.denominator, window=window, axis=axis) * window
    if method == "pooled":
        r = rate(np.nan_to_num(c_sum), np.nan_to_num(d_sum), per=per).rate
        r = np.where(np.isnan(c_sum) | np.isnan(d_sum), np.nan, r)
    else:
        r = rolling_mean(yearly.rate, window=window, axis=axis)
    return RateResult(rate=r, count=c_sum, denominator=d_sum, per=float(per))


def change_from_baseline(values, *, base: int = 0, axis: int = 1) -> ChangeResult:
    """Change of each value against the value at position ``base`` along ``axis``.

    ``relative = (r_t - r_base) / r_base`` (METHODS.md §1; × 100 for Δ %), ``absolute = r_t - r_base``.
    Where ``r_base`` is 0 the relative change is undefined: NaN with reason ``"baseline is 0"``.

    Examples
    --------
    >>> ch = change_from_baseline([[4.0, 3.0, 6.0], [0.0, 1.0, 0.0]])
    >>> ch.relative.tolist()
    [[0.0, -0.25, 0.5], [nan, nan, nan]]
    >>> ch.reason[1].tolist()
    ['baseline is 0', 'baseline is 0', 'baseline is 0']
    """
    v = _with_year_axis(values)
    axis = as_axis(axis, v.ndim)
    n = v.shape[axis]
    base = as_int(base, "base")
    if not -n <= base < n:
        raise SafetystatsError(
            "rates.base", f"base: expected a position in [-{n}, {n}), got {base!r}"
        )
    b = np.take(v, [base], axis=axis)
    b = np.broadcast_to(b, v.shape)
    absolute = v - b
    ok = np.isfinite(v) & np.isfinite(b) & (b != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(ok, absolute / np.where(b != 0, b, 1.0), np.nan)
    reason = np.full(v.shape, "", dtype=object)
    reason[~np.isfinite(v)] = "value is missing"
    reason[b == 0] = "baseline is 0"
    reason[~np.isfinite(b)] = "baseline is missing"
    return ChangeResult(relative=relative, absolute=absolute, baseline=b.copy(), reason=reason)


def eb_smooth(count, denominator, *, per: float = 1000.0) -> EBResult:
    """Global empirical-Bayes smoothing of rates towards the overall rate (Marshall 1991).

    Areas lie along axis 0; with 2-D input each column (e.g. each year) is smoothed on its own.

    With r_i = y_i / n_i, m = Σy / Σn, n̄ = Σn / k and s² = Σ n_i (r_i − m)² / Σn (Marshall 1991,
    eqs. 4–5, method of moments), the prior variance is A = s² − m / n̄, truncated at 0, and

        θ_i = m + C_i (r_i − m),   C_i = A / (A + m / n_i).

    Areas with a small population (large sampling variance m / n_i) are pulled further towards m.
    When A = 0 all areas get m. Areas with n_i = 0 have no raw rate and get m. Missing (NaN) areas are
    left out of the global estimates and stay NaN.

    Examples
    --------
    >>> eb = eb_smooth([1, 10, 40], [500, 2000, 4000])
    >>> round(float(eb.global_rate), 4)
    7.8462
    >>> eb.smoothed.round(3).tolist()
    [6.576, 6.349, 9.331]
    """
    y, n = _counts_and_denominators(count, denominator)
    if y.shape != n.shape:
        raise SafetystatsError(
            "rates.count_and_denominator",
            f"count and denominator: expected the same shape, got {y.shape}, {n.shape}",
        )
    if y.ndim not in (1, 2):
        raise SafetystatsError(
            "rates.count", f"count: expected 1-D (areas) or 2-D (areas, years), got shape {y.shape}"
        )
    ok = np.isfinite(y) & np.isfinite(n)
    y0 = np.where(ok, y, 0.0)
    n0 = np.where(ok, n, 0.0)
    k = (ok & (n0 > 0)).sum(axis=0)
    sum_y = y0.sum(axis=0)
    sum_n = n0.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(sum_n > 0, sum_y / sum_n, np.nan)
        raw = np.where(ok & (n0 > 0), y0 / np.where(n0 > 0, n0, 1.0), np.nan)
        nbar = np.where(k > 0, sum_n / k, np.nan)
        s2 = np.nansum(np.where(n0 > 0, n0 * (raw - m) ** 2, 0.0), axis=0) / sum_n
        a = np.maximum(s2 - m / nbar, 0.0)
        # C_i = A / (A + m/n_i) = A n_i / (A n_i + m); written this way it is defined for n_i = 0
        denom = a * n0 + m
        c = np.where(denom > 0, a * n0 / np.where(denom > 0, denom, 1.0), 0.0)
    smoothed = np.where(ok & (n0 > 0), m + c * (raw - m), np.where(ok, m, np.nan))
    c = np.where(ok, c, np.nan)
    return EBResult(
        smoothed=per * smoothed,
        raw=per * raw,
        count=y.copy(),
        denominator=n.copy(),
        global_rate=per * np.asarray(m),
        prior_variance=np.asarray(a),
        shrinkage=c,
        per=float(per),
    )
