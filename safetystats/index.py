"""Composite safety index (T-score): normalise, weight, aggregate, scale, band, and test its robustness.

Values are a numpy array shaped ``(areas, years, indicators)`` with NaN for missing; an
:class:`IndexDefinition` says what each indicator means (direction, theme, pillar, weight) and how to
combine them. :func:`compute` gives the score, band, pillars and themes for every area-year;
:func:`sensitivity` reruns one year under random weights (Dirichlet around the chosen ones), other
normalisations and, optionally, one indicator left out, and reports each area's rank interval and
how often its band changes.

Sources
-------
- OECD/JRC (2008), *Handbook on Constructing Composite Indicators: Methodology and User Guide*:
  normalisation (§ 1.5: z-score, min–max, distance to a reference, ranking), linear and geometric
  aggregation (§ 1.6), uncertainty and sensitivity analysis by Monte Carlo (§ 1.7).
- METHODS.md §2 (fixed reference, pillars, scales, bands, presets, missing data).
- Presets: Rotterdam Veiligheidsindex 2002 (1/3 objective, 2/3 subjective, 1–10 grade, bands
  3.9 / 5 / 6 / 7.1) and Rotterdam Wijkprofiel 2014 (50/50, 100 = city mean in 2014, bands
  70 / 90 / 110 / 130) as published; ``copenhagen`` is our reading (docs/methods/index.md).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ._checks import as_int
from .errors import SafetystatsError

__all__ = [
    "AGGREGATIONS",
    "MISSING_METHODS",
    "NORMALISATIONS",
    "PRESETS",
    "Bands",
    "IndexDefinition",
    "IndexResult",
    "Indicator",
    "Scale",
    "SensitivityResult",
    "compute",
    "normalise",
    "preset",
    "sensitivity",
]

NORMALISATIONS = ("z", "ratio", "minmax", "rank")
AGGREGATIONS = ("linear", "geometric")
#: "reweight": a missing indicator's weight goes to the others in its theme (and an empty theme's to
#: the other themes of its pillar); the score is flagged ``imputed``. "strict": any missing indicator
#: with positive weight leaves its theme, pillar and the score NaN.
MISSING_METHODS = ("reweight", "strict")
#: Tolerance for "weights sum to 1".
WEIGHT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Indicator:
    """One indicator: ``direction`` is ``"good"`` (higher = safer) or ``"bad"`` (flipped).

    ``weight`` is its weight within its (pillar, theme); None = equal shares within the theme.
    """

    name: str
    direction: str | None
    theme: str
    pillar: str
    weight: float | None = None


@dataclass(frozen=True)
class Scale:
    """Output scale ``score = a + b · composite``, clipped to ``clip`` when given.

    ``Scale(100, 10)`` is the T-score ``100 + 10·z̄``; ``Scale(a, b, clip=(1, 10))`` a 1–10 grade.
    """

    a: float = 100.0
    b: float = 10.0
    clip: tuple[float, float] | None = None

    def apply(self, composite) -> np.ndarray:
        """Map composite values to the output scale."""
        s = self.a + self.b * np.asarray(composite, dtype=float)
        if self.clip is not None:
            s = np.clip(s, self.clip[0], self.clip[1])
        return s


@dataclass(frozen=True)
class Bands:
    """Labelled bands: ``labels[k]`` for ``cuts[k-1] <= score < cuts[k]``.

    A score equal to a cut belongs to the band above it (Rotterdam: 3.9 is "problem").

    Examples
    --------
    >>> b = Bands((3.9, 5.0, 6.0, 7.1), ("unsafe", "problem", "threatened", "attention", "safe"))
    >>> b.label([3.89, 3.9, 7.09, 7.1]).tolist()
    ['unsafe', 'problem', 'attention', 'safe']
    """

    cuts: tuple[float, ...]
    labels: tuple[str, ...]

    def __post_init__(self):
        cuts = tuple(float(c) for c in self.cuts)
        object.__setattr__(self, "cuts", cuts)
        object.__setattr__(self, "labels", tuple(self.labels))
        if len(self.labels) != len(cuts) + 1:
            raise SafetystatsError(
                "index.bands",
                f"bands: expected {len(cuts) + 1} labels for {len(cuts)} cuts, "
                f"got {len(self.labels)}",
            )
        if any(b <= a for a, b in zip(cuts, cuts[1:])):
            raise SafetystatsError(
                "index.bands", f"bands: expected strictly increasing cuts, got {cuts}"
            )

    def classify(self, score) -> np.ndarray:
        """Band index of each score (-1 where the score is NaN)."""
        s = np.asarray(score, dtype=float)
        out = np.searchsorted(np.asarray(self.cuts), s, side="right")
        return np.where(np.isnan(s), -1, out)

    def label(self, score) -> np.ndarray:
        """Band label of each score (``""`` where the score is NaN)."""
        idx = self.classify(score)
        labels = np.array([*self.labels, ""], dtype=object)
        return labels[idx]


def _weights_ok(ws: Sequence[float], what: str) -> None:
    arr = np.asarray(ws, dtype=float)
    if (arr < 0).any() or not np.isfinite(arr).all():
        raise SafetystatsError(
            "index.weights_invalid", f"{what}: expected finite weights >= 0, got {arr.tolist()}"
        )
    if abs(arr.sum() - 1.0) > WEIGHT_TOLERANCE:
        raise SafetystatsError(
            "index.weights_sum",
            f"{what}: expected weights summing to 1 (tolerance {WEIGHT_TOLERANCE:g}), "
            f"got {arr.tolist()} summing to {arr.sum()!r}",
        )


@dataclass(frozen=True, eq=False)
class IndexDefinition:
    """A safety-index method, validated on construction.

    Parameters
    ----------
    indicators : sequence of Indicator
        In the order of the values' last axis.
    pillar_weights : mapping pillar -> weight
        Must sum to 1. A pillar with weight 0 is computed and shown but does not enter the score.
    theme_weights : mapping (pillar, theme) -> weight, optional
        Within each pillar the weights must sum to 1; default equal shares.
    normalisation : {"z", "ratio", "minmax", "rank"}
        Against the reference year and reference areas (see :func:`normalise`).
    reference_year : int
        Index along the year axis of the fixed reference.
    reference_areas : sequence of int or bool mask, optional
        Reference set of areas; default all areas.
    aggregation : {"linear", "geometric"}
    scale : Scale, optional
        Default ``Scale(100, 10)`` for z, identity ``Scale(0, 1)`` for the other normalisations
        (they are already on a 0–100 or 100 = reference scale).
    bands : Bands, optional
    missing : {"reweight", "strict"}
    name, note : str
        Name (e.g. a preset) and where the choices come from.
    """

    indicators: tuple[Indicator, ...]
    pillar_weights: tuple[tuple[str, float], ...]
    theme_weights: tuple[tuple[tuple[str, str], float], ...] | None = None
    normalisation: str = "z"
    reference_year: int = 0
    reference_areas: tuple[int, ...] | None = None
    aggregation: str = "linear"
    scale: Scale | None = None
    bands: Bands | None = None
    missing: str = "reweight"
    name: str = "custom"
    note: str = ""
    # derived structure, filled in __post_init__
    pillars: tuple[str, ...] = field(init=False)
    themes: tuple[tuple[str, str], ...] = field(init=False)

    def __post_init__(self):
        set_ = object.__setattr__
        inds = tuple(self.indicators)
        if not inds:
            raise SafetystatsError(
                "index.indicators", "indicators: expected at least one Indicator, got none"
            )
        for ind in inds:
            if not isinstance(ind, Indicator):
                raise SafetystatsError(
                    "index.indicators", f"indicators: expected Indicator objects, got {ind!r}"
                )
            if ind.direction not in ("good", "bad"):
                raise SafetystatsError(
                    "index.indicator_direction",
                    f"indicator {ind.name!r}: expected direction 'good' (higher = safer) or "
                    f"'bad' (higher = less safe), got {ind.direction!r}",
                )
        names = [i.name for i in inds]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise SafetystatsError(
                "index.indicators", f"indicators: expected unique names, got duplicates {dup}"
            )
        set_(self, "indicators", inds)

        pw = self.pillar_weights
        pw = tuple(pw.items()) if isinstance(pw, Mapping) else tuple(tuple(p) for p in pw)
        set_(self, "pillar_weights", tuple((str(k), float(v)) for k, v in pw))
        pillar_names = [k for k, _ in self.pillar_weights]
        _weights_ok(
            [v for _, v in self.pillar_weights], f"pillar weights {dict(self.pillar_weights)}"
        )
        used = {i.pillar for i in inds}
        unknown = sorted(used - set(pillar_names))
        if unknown:
            raise SafetystatsError(
                "index.indicators",
                f"indicators: expected pillars among {pillar_names}, got {unknown} "
                "(give every pillar a weight)",
            )
        empty = [k for k, v in self.pillar_weights if v > 0 and k not in used]
        if empty:
            raise SafetystatsError(
                "index.pillar_weights",
                f"pillar weights: pillar(s) {empty} have a positive weight but no indicators",
            )
        set_(self, "pillars", tuple(p for p in pillar_names if p in used))

        themes: list[tuple[str, str]] = []
        for ind in inds:
            key = (ind.pillar, ind.theme)
            if key not in themes:
                themes.append(key)
        set_(self, "themes", tuple(themes))
        for key in themes:
            members = [i for i in inds if (i.pillar, i.theme) == key]
            given = [i.weight is not None for i in members]
            if any(given) and not all(given):
                raise SafetystatsError(
                    "index.theme_weights_partial",
                    f"theme {key[0]}/{key[1]}: expected weights on all or none of its indicators, "
                    f"got weights on {[i.name for i in members if i.weight is not None]} only",
                )
            if all(given):
                _weights_ok(
                    [i.weight for i in members], f"indicator weights in theme {key[0]}/{key[1]}"
                )

        tw = self.theme_weights
        if tw is not None:
            tw = tuple(tw.items()) if isinstance(tw, Mapping) else tuple(tuple(t) for t in tw)
            tw = tuple(((str(k[0]), str(k[1])), float(v)) for k, v in tw)
            set_(self, "theme_weights", tw)
            given = dict(tw)
            extra = sorted(set(given) - set(themes))
            if extra:
                raise SafetystatsError(
                    "index.theme_weights",
                    f"theme weights: expected (pillar, theme) keys among {themes}, got {extra}",
                )
            for p in self.pillars:
                keys = [t for t in themes if t[0] == p]
                missing = [t for t in keys if t not in given]
                if missing:
                    raise SafetystatsError(
                        "index.theme_weights",
                        f"theme weights: expected a weight for every theme, missing {missing}",
                    )
                _weights_ok([given[t] for t in keys], f"theme weights in pillar {p}")

        if self.normalisation not in NORMALISATIONS:
            raise SafetystatsError(
                "index.normalisation",
                f"normalisation: expected one of {NORMALISATIONS}, got {self.normalisation!r}",
            )
        if self.aggregation not in AGGREGATIONS:
            raise SafetystatsError(
                "index.aggregation",
                f"aggregation: expected one of {AGGREGATIONS}, got {self.aggregation!r}",
            )
        if self.missing not in MISSING_METHODS:
            raise SafetystatsError(
                "index.missing", f"missing: expected one of {MISSING_METHODS}, got {self.missing!r}"
            )
        if not isinstance(self.reference_year, int | np.integer):
            raise SafetystatsError(
                "index.reference_year",
                f"reference_year: expected an index on the year axis, got {self.reference_year!r}",
            )
        set_(self, "reference_year", int(self.reference_year))
        ra = self.reference_areas
        if ra is not None:
            arr = np.asarray(ra)
            if arr.dtype == bool:
                arr = np.flatnonzero(arr)
            if arr.size == 0:
                raise SafetystatsError(
                    "index.reference_areas", "reference_areas: expected at least one area, got none"
                )
            if not np.issubdtype(arr.dtype, np.integer) or (arr < 0).any():
                raise SafetystatsError(
                    "index.reference_areas",
                    f"reference_areas: expected area indices or a boolean mask, got {ra!r}",
                )
            set_(self, "reference_areas", tuple(int(i) for i in np.unique(arr)))
        if self.scale is None:
            set_(
                self, "scale", Scale(100.0, 10.0) if self.normalisation == "z" else Scale(0.0, 1.0)
            )

    # -- derived arrays ---------------------------------------------------------------------------
    def structure(self) -> dict[str, np.ndarray]:
        """Index arrays and level weights: indicator -> theme -> pillar, and each level's weights."""
        inds = self.indicators
        t_index = {t: k for k, t in enumerate(self.themes)}
        p_index = {p: k for k, p in enumerate(self.pillars)}
        ind_theme = np.array([t_index[(i.pillar, i.theme)] for i in inds])
        theme_pillar = np.array([p_index[t[0]] for t in self.themes])
        w_ind = np.empty(len(inds))
        for k in range(len(self.themes)):
            members = np.flatnonzero(ind_theme == k)
            ws = [inds[j].weight for j in members]
            w_ind[members] = 1.0 / len(members) if ws[0] is None else ws
        if self.theme_weights is None:
            counts = np.bincount(theme_pillar, minlength=len(self.pillars))
            w_theme = 1.0 / counts[theme_pillar]
        else:
            given = dict(self.theme_weights)
            w_theme = np.array([given[t] for t in self.themes])
        pw = dict(self.pillar_weights)
        w_pillar = np.array([pw[p] for p in self.pillars])
        return {
            "ind_theme": ind_theme,
            "theme_pillar": theme_pillar,
            "w_ind": w_ind,
            "w_theme": w_theme,
            "w_pillar": w_pillar,
        }

    def effective_weights(self) -> np.ndarray:
        """Weight of each indicator in the score (pillar × theme × indicator); sums to 1."""
        s = self.structure()
        return (
            s["w_pillar"][s["theme_pillar"][s["ind_theme"]]]
            * s["w_theme"][s["ind_theme"]]
            * s["w_ind"]
        )


@dataclass(frozen=True)
class IndexResult:
    """Scores for every area-year (arrays shaped (areas, years[, …])).

    ``composite`` is the aggregate in normalised units, ``score = scale(composite)``; ``pillars`` and
    ``themes`` likewise, with ``pillar_scores`` on the output scale so the objective and subjective
    parts can be shown beside the score. ``n_missing`` counts missing indicators with positive
    weight, ``imputed`` marks scores that rest on the ``reweight`` method, ``no_data`` area-years
    with every indicator missing (score NaN).
    """

    score: np.ndarray
    band: np.ndarray
    band_label: np.ndarray
    composite: np.ndarray
    pillars: np.ndarray
    pillar_scores: np.ndarray
    themes: np.ndarray
    normalised: np.ndarray
    n_missing: np.ndarray
    imputed: np.ndarray
    no_data: np.ndarray
    pillar_names: tuple[str, ...]
    theme_names: tuple[str, ...]
    definition: IndexDefinition


@dataclass(frozen=True)
class SensitivityResult:
    """Monte Carlo robustness of one year's ranking (see :func:`sensitivity`).

    Ranks: 1 = lowest score (least safe); NaN for areas without a score. ``rank_low``/``rank_high``
    are the ``interval`` percentiles over draws; ``band_change_share`` the share of draws in which
    the area's band differs from its band under the definition as given.
    """

    year: int
    score: np.ndarray
    rank: np.ndarray
    rank_low: np.ndarray
    rank_median: np.ndarray
    rank_high: np.ndarray
    score_low: np.ndarray
    score_high: np.ndarray
    band: np.ndarray
    band_change_share: np.ndarray
    draws: int
    concentration: float | None
    normalisations: tuple[str, ...]
    drop_indicator: bool
    interval: tuple[float, float]


# -- normalisation --------------------------------------------------------------------------------
def _check_values(
    values, definition: IndexDefinition | None, n_ind: int | None = None
) -> np.ndarray:
    try:
        v = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise SafetystatsError(
            "index.values", f"values: expected a numeric array, got {type(values).__name__}"
        ) from exc
    n = len(definition.indicators) if definition is not None else n_ind
    if v.ndim != 3 or (n is not None and v.shape[2] != n):
        raise SafetystatsError(
            "index.values",
            f"values: expected shape (areas, years, {n if n is not None else 'indicators'}), "
            f"got {v.shape}",
        )
    if np.isinf(v).any():
        raise SafetystatsError(
            "index.values", "values: expected finite numbers or NaN for missing, got inf"
        )
    return v


def _reference_stats(v, *, method, reference_year, reference_areas, names) -> dict:
    n_areas, n_years, n_ind = v.shape
    if not -n_years <= reference_year < n_years:
        raise SafetystatsError(
            "index.reference_year",
            f"reference_year: expected an index in [0, {n_years}), got {reference_year}",
        )
    if reference_areas is None:
        ref = v[:, reference_year, :]
    else:
        idx = np.asarray(reference_areas)
        if idx.max() >= n_areas:
            raise SafetystatsError(
                "index.reference_areas",
                f"reference_areas: expected indices below {n_areas} areas, got {int(idx.max())}",
            )
        ref = v[idx, reference_year, :]
    stats: dict = {"method": method}
    for j in range(n_ind):
        col = ref[:, j]
        col = col[np.isfinite(col)]
        if col.size == 0:
            raise SafetystatsError(
                "index.reference_year_no_data",
                f"reference year {reference_year} has no data for indicator {names[j]!r} in the "
                "reference areas: choose another reference year or area set",
            )
    finite = np.isfinite(ref)
    if method == "z":
        # population SD (ddof=0): the reference set is all areas of interest, not a sample
        mean = np.nanmean(ref, axis=0)
        sd = np.nanstd(ref, axis=0)
        bad = np.flatnonzero(~(sd > 0))
        if bad.size:
            raise SafetystatsError(
                "index.indicator_constant",
                f"indicator {names[bad[0]]!r}: expected variation in the reference year and areas "
                "for z-scores, got a constant (SD 0)",
            )
        stats.update(mean=mean, sd=sd)
    elif method == "ratio":
        mean = np.nanmean(ref, axis=0)
        bad = np.flatnonzero(~(mean > 0))
        if bad.size:
            raise SafetystatsError(
                "index.indicator_reference_mean",
                f"indicator {names[bad[0]]!r}: expected a positive reference mean for the ratio "
                f"100·x/x_ref, got {mean[bad[0]]!r}",
            )
        stats.update(mean=mean)
    elif method == "minmax":
        lo = np.nanmin(ref, axis=0)
        hi = np.nanmax(ref, axis=0)
        bad = np.flatnonzero(~(hi > lo))
        if bad.size:
            raise SafetystatsError(
                "index.indicator_constant",
                f"indicator {names[bad[0]]!r}: expected max > min in the reference year and areas "
                "for min–max, got a constant",
            )
        stats.update(min=lo, max=hi)
    elif method == "rank":
        stats.update(sorted=[np.sort(ref[finite[:, j], j]) for j in range(n_ind)])
    else:
        raise SafetystatsError(
            "index.normalisation",
            f"normalisation: expected one of {NORMALISATIONS}, got {method!r}",
        )
    return stats


def _apply(x: np.ndarray, stats: dict, bad: np.ndarray) -> np.ndarray:
    """Normalise ``x`` (…, indicators) with reference ``stats``; flip indicators where ``bad``."""
    method = stats["method"]
    if method == "z":
        out = (x - stats["mean"]) / stats["sd"]
        return np.where(bad, -out, out)
    if method == "ratio":
        out = 100.0 * x / stats["mean"]
        # mirror around 100 so a flipped indicator's deviation changes sign, as with z
        return np.where(bad, 200.0 - out, out)
    if method == "minmax":
        out = 100.0 * (x - stats["min"]) / (stats["max"] - stats["min"])
        return np.where(bad, 100.0 - out, out)
    # rank: mid-rank percentile of x within the reference distribution (ties count half)
    out = np.empty_like(x)
    for j, ref in enumerate(stats["sorted"]):
        col = x[..., j]
        lo = np.searchsorted(ref, col, side="left")
        hi = np.searchsorted(ref, col, side="right")
        pct = 100.0 * (lo + hi) / (2.0 * ref.size)
        out[..., j] = np.where(np.isnan(col), np.nan, pct)
    return np.where(bad, 100.0 - out, out)


def normalise(
    values,
    *,
    method: str = "z",
    directions: Sequence[str] | None = None,
    reference_year: int = 0,
    reference_areas=None,
    names: Sequence[str] | None = None,
) -> np.ndarray:
    """Normalise ``(areas, years, indicators)`` values against a fixed reference.

    The reference is the reference year's values in the reference areas (all areas by default), so
    later years keep showing change (METHODS.md §2; OECD/JRC 2008 § 1.5):

    - ``"z"``: (x − mean_ref) / sd_ref (population SD); flipped: −z.
    - ``"ratio"``: 100 · x / mean_ref (100 = reference mean); flipped: 200 − 100 · x / mean_ref.
    - ``"minmax"``: 100 · (x − min_ref) / (max_ref − min_ref); flipped: 100 − that.
    - ``"rank"``: percentile of x in the reference distribution, 100 · (#below + ½ #equal) / n_ref;
      flipped: 100 − that.

    ``directions`` ("good"/"bad" per indicator) flips "bad" indicators so that higher = safer.

    Examples
    --------
    >>> v = np.array([[[1.0]], [[2.0]], [[3.0]]])  # 3 areas, 1 year, 1 indicator
    >>> normalise(v, method="z").ravel().round(4).tolist()
    [-1.2247, 0.0, 1.2247]
    >>> normalise(v, method="ratio", directions=["bad"]).ravel().tolist()
    [150.0, 100.0, 50.0]
    """
    v = _check_values(values, None)
    n_ind = v.shape[2]
    names = list(names) if names is not None else [f"#{j}" for j in range(n_ind)]
    directions = ["good"] * n_ind if directions is None else list(directions)
    if len(directions) != n_ind or any(d not in ("good", "bad") for d in directions):
        raise SafetystatsError(
            "index.directions",
            f"directions: expected {n_ind} values of 'good'/'bad', got {directions!r}",
        )
    ra = None
    if reference_areas is not None:
        ra = np.asarray(reference_areas)
        ra = np.flatnonzero(ra) if ra.dtype == bool else ra
    stats = _reference_stats(
        v, method=method, reference_year=reference_year, reference_areas=ra, names=names
    )
    return _apply(v, stats, np.array([d == "bad" for d in directions]))


# -- aggregation ----------------------------------------------------------------------------------
def _level(x, present, w_matrix, strict):
    """Weighted mean of the columns of ``x`` into groups (NaN-aware; ``w_matrix`` is (cols, groups))."""
    x0 = np.where(present, x, 0.0)
    num = x0 @ w_matrix
    den = present.astype(float) @ w_matrix
    full = w_matrix.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    if strict:
        out = np.where(den < full - 1e-12, np.nan, out)
    return out


def _check_positive(xn, definition, weights, where_years=None):
    pos_w = weights > 0
    bad = np.isfinite(xn) & (xn <= 0) & pos_w
    if bad.any():
        a, y, j = (int(k[0]) for k in np.nonzero(bad))
        yr = y if where_years is None else where_years[y]
        raise SafetystatsError(
            "index.geometric_not_positive",
            "geometric aggregation needs positive normalised values: indicator "
            f"{definition.indicators[j].name!r} is {xn[a, y, j]:.4g} for area {a}, year {yr} "
            f"(normalisation {definition.normalisation!r}: 'z' is negative below the reference mean, "
            "min-max is 0 at the reference minimum, a flipped 'ratio' is <= 0 at twice the "
            "reference); use 'ratio' or 'rank' on such data, or linear aggregation",
        )


def compute(values, definition: IndexDefinition) -> IndexResult:
    """Compute the safety index for every area-year.

    Steps (METHODS.md §2; OECD/JRC 2008): normalise each indicator against the fixed reference and
    flip "bad" ones; theme = weighted mean of its indicators; pillar = weighted mean of its themes;
    composite = weighted mean of the pillars (``linear``) or the weighted geometric means at every
    level (``geometric``, needs positive values); score = ``definition.scale`` of the composite;
    band from ``definition.bands``.

    Missing values are never read as 0: with ``missing="reweight"`` a missing indicator's weight is
    shared by the rest of its theme (an empty theme's by the rest of its pillar) and the score is
    flagged ``imputed``; with ``"strict"`` the score is NaN. A pillar with positive weight and no
    data leaves the score NaN under both methods.

    Examples
    --------
    >>> d = IndexDefinition(
    ...     indicators=(Indicator("reports", "bad", "crime", "objective"),
    ...                 Indicator("unsafe", "bad", "felt", "subjective")),
    ...     pillar_weights={"objective": 0.5, "subjective": 0.5})
    >>> v = np.array([[[10.0, 0.2]], [[20.0, 0.3]], [[30.0, 0.1]]])
    >>> r = compute(v, d)
    >>> r.score.ravel().round(3).tolist()
    [106.124, 93.876, 100.0]
    """
    v = _check_values(values, definition)
    d = definition
    names = [i.name for i in d.indicators]
    stats = _reference_stats(
        v,
        method=d.normalisation,
        reference_year=d.reference_year,
        reference_areas=d.reference_areas,
        names=names,
    )
    bad = np.array([i.direction == "bad" for i in d.indicators])
    xn = _apply(v, stats, bad)
    s = d.structure()
    w_eff = d.effective_weights()
    geometric = d.aggregation == "geometric"
    if geometric:
        _check_positive(xn, d, w_eff)
    n_a, n_y, n_i = v.shape
    k, p = len(d.themes), len(d.pillars)
    flat = xn.reshape(-1, n_i)
    present = np.isfinite(flat)
    work = np.log(np.where(present, flat, 1.0)) if geometric else flat
    wi = np.zeros((n_i, k))
    wi[np.arange(n_i), s["ind_theme"]] = s["w_ind"]
    wt = np.zeros((k, p))
    wt[np.arange(k), s["theme_pillar"]] = s["w_theme"]
    strict = d.missing == "strict"
    themes = _level(work, present, wi, strict)
    pillars = _level(themes, np.isfinite(themes), wt, strict)
    wp = s["w_pillar"]
    active = wp > 0
    comp = pillars[:, active] @ wp[active]  # NaN if any pillar with positive weight is NaN
    if geometric:
        themes, pillars, comp = np.exp(themes), np.exp(pillars), np.exp(comp)
    comp = comp.reshape(n_a, n_y)
    score = d.scale.apply(comp)
    missing_w = (~present) & (w_eff > 0)
    n_missing = missing_w.sum(axis=1).reshape(n_a, n_y)
    no_data = (~present).all(axis=1).reshape(n_a, n_y)
    if d.bands is not None:
        band = d.bands.classify(score)
        band_label = d.bands.label(score)
    else:
        band = np.full(score.shape, -1)
        band_label = np.full(score.shape, "", dtype=object)
    return IndexResult(
        score=score,
        band=band,
        band_label=band_label,
        composite=comp,
        pillars=pillars.reshape(n_a, n_y, p),
        pillar_scores=d.scale.apply(pillars.reshape(n_a, n_y, p)),
        themes=themes.reshape(n_a, n_y, k),
        normalised=xn,
        n_missing=n_missing,
        imputed=(n_missing > 0) & np.isfinite(score),
        no_data=no_data,
        pillar_names=d.pillars,
        theme_names=tuple(f"{pl}/{th}" for pl, th in d.themes),
        definition=d,
    )


# -- presets --------------------------------------------------------------------------------------
_ROTTERDAM_BANDS = Bands(
    (3.9, 5.0, 6.0, 7.1), ("unsafe", "problem", "threatened", "attention", "safe")
)
_WIJKPROFIEL_BANDS = Bands(
    (70.0, 90.0, 110.0, 130.0),
    ("very unfavourable", "unfavourable", "average", "favourable", "very favourable"),
)
_COPENHAGEN_BANDS = Bands((85.0, 95.0), ("marked effort", "intensified effort", "ordinary effort"))

#: Preset settings. ``published`` says which parts are documented by the source and which are ours.
PRESETS: Mapping[str, Mapping] = {
    "rotterdam-2002": {
        "pillar_weights": {"objective": 1 / 3, "subjective": 2 / 3, "socio_economic": 0.0},
        "normalisation": "z",
        "scale": Scale(5.5, 1.5, clip=(1.0, 10.0)),
        "bands": _ROTTERDAM_BANDS,
        "note": (
            "Rotterdam Veiligheidsindex 2002 as published: z-scores, objective 1/3, subjective 2/3, "
            "1–10 grade, bands unsafe < 3.9 <= problem < 5 <= threatened < 6 <= attention < 7.1 <= safe. "
            "Not published: the z-to-grade conversion; ours is 5.5 + 1.5·z̄ clipped to [1, 10] "
            "(the reference mean maps to 5.5, ±3 SD to the ends of the scale)."
        ),
    },
    "wijkprofiel-2014": {
        "pillar_weights": {"objective": 0.5, "subjective": 0.5, "socio_economic": 0.0},
        "normalisation": "z",
        "scale": Scale(100.0, 10.0),
        "bands": _WIJKPROFIEL_BANDS,
        "note": (
            "Rotterdam Wijkprofiel 2014 as published: theme = mean of its indicators, index = "
            "objective and subjective 50/50, 100 = city mean in the base year, bands 70/90/110/130. "
            "Not published: the indicator scoring; ours is 100 + 10·z against the base year "
            "(labels above 110 by symmetry)."
        ),
    },
    "copenhagen": {
        "pillar_weights": {"objective": 1 / 3, "subjective": 1 / 3, "socio_economic": 1 / 3},
        "normalisation": "z",
        "scale": Scale(100.0, 10.0),
        "bands": _COPENHAGEN_BANDS,
        "note": (
            "Our reading, not a published method: the 2008 framework composes the T-score from "
            "police statistics, felt safety and socio-economic data, so the three pillars weigh "
            "1/3 each; 100 + 10·z̄ against the reference year; the Tryghedsindeks labels 'marked' and "
            "'intensified' effort are verified, their cut-offs (85, 95) and order are ours."
        ),
    },
}


def preset(
    name: str,
    *,
    indicators: Sequence[Indicator],
    reference_year: int = 0,
    reference_areas=None,
    theme_weights=None,
    **overrides,
) -> IndexDefinition:
    """An :class:`IndexDefinition` with a preset's weights, normalisation, scale and bands.

    The caller supplies the indicators (with pillars "objective", "subjective" and optionally
    "socio_economic"); ``overrides`` replace any preset field (e.g. ``missing="strict"``).

    Examples
    --------
    >>> inds = [Indicator("reports", "bad", "theft", "objective"),
    ...         Indicator("unsafe", "bad", "felt", "subjective")]
    >>> d = preset("rotterdam-2002", indicators=inds)
    >>> dict(d.pillar_weights)["subjective"], d.bands.labels[0]
    (0.6666666666666666, 'unsafe')
    """
    if name not in PRESETS:
        raise SafetystatsError(
            "input.choice",
            f"preset: expected one of {sorted(PRESETS)}, got {name!r}",
            name="preset",
            expected=sorted(PRESETS),
            given=repr(name),
        )
    cfg = dict(PRESETS[name])
    norm = overrides.get("normalisation", cfg["normalisation"])
    if norm != cfg["normalisation"] and "scale" not in overrides:
        # METHODS.md §2: the scales (100 + 10·z̄, the 1–10 grade a + b·z̄) are defined on z̄; a
        # ratio (about 100) or min-max composite through the preset's z scale is meaningless,
        # e.g. rotterdam-2002 with "ratio" clips every area to the grade 10.
        raise SafetystatsError(
            "index.normalisation_unsuitable",
            f"normalisation: expected {cfg['normalisation']!r} with the {name} preset's scale "
            f"{cfg['scale'].a:g} + {cfg['scale'].b:g}·z̄ (defined on z-scores), got "
            f"{norm!r} without a scale for it; pass scale=Scale(a, b) that maps {norm!r} "
            "composites onto the preset's bands, or keep the preset's normalisation (the "
            "sensitivity analysis compares other normalisations on the preset's scale)",
            preset=name,
            normalisation=norm,
            reason="scale defined on z-scores",
        )
    cfg.update(overrides)
    return IndexDefinition(
        indicators=tuple(indicators),
        reference_year=reference_year,
        reference_areas=reference_areas,
        theme_weights=theme_weights,
        name=name,
        **cfg,
    )


# -- sensitivity ----------------------------------------------------------------------------------
def _dirichlet(rng, w, groups, n_groups, draws, concentration):
    """Dirichlet draws around ``w`` within each group: Gamma(κ·w) normalised (zero weights stay 0)."""
    if concentration is None or np.isinf(concentration):
        return np.broadcast_to(w, (draws, w.size)).copy()
    g = rng.gamma(np.where(w > 0, concentration * w, 1.0), size=(draws, w.size))
    g = np.where(w > 0, g, 0.0)
    onehot = np.zeros((w.size, n_groups))
    onehot[np.arange(w.size), groups] = 1.0
    sums = g @ onehot
    return g / np.where(sums > 0, sums, 1.0)[:, groups]


def _effective(avail, wi, wt, wp, s, n_k, n_p, strict):
    """Per-draw indicator weights for areas with indicators ``avail`` (hierarchical reweighting)."""
    it, tp = s["ind_theme"], s["theme_pillar"]
    wi_a = wi * avail
    if strict and ((wi > 0) & ~avail & (wp[:, tp[it]] > 0)).any():
        return np.full(wi.shape, np.nan)
    oh_it = np.zeros((avail.size, n_k))
    oh_it[np.arange(avail.size), it] = 1.0
    tden = wi_a @ oh_it
    wi_n = wi_a / np.where(tden > 0, tden, 1.0)[:, it]
    wt_a = wt * (tden > 0)
    oh_tp = np.zeros((n_k, n_p))
    oh_tp[np.arange(n_k), tp] = 1.0
    pden = wt_a @ oh_tp
    wt_n = wt_a / np.where(pden > 0, pden, 1.0)[:, tp]
    w = wp[:, tp[it]] * wt_n[:, it] * wi_n
    empty = ((wp > 0) & (pden <= 0)).any(axis=1)
    w[empty] = np.nan
    return w


def _ranks(score):
    """Rank 1 = lowest score along the last axis; NaN scores get NaN."""
    order = np.argsort(score, axis=-1, kind="stable")  # NaN sorts last
    ranks = np.empty(score.shape)
    np.put_along_axis(ranks, order, np.arange(1, score.shape[-1] + 1, dtype=float), axis=-1)
    return np.where(np.isnan(score), np.nan, ranks)


def sensitivity(
    values,
    definition: IndexDefinition,
    *,
    year: int = -1,
    draws: int = 1000,
    concentration: float | None = 50.0,
    normalisations: Sequence[str] | None = None,
    drop_indicator: bool = False,
    interval: tuple[float, float] = (5.0, 95.0),
    rng=None,
) -> SensitivityResult:
    """Monte Carlo sensitivity of one year's ranking and bands (OECD/JRC 2008 § 1.7).

    Each draw perturbs the method and recomputes every area's score for ``year``:

    - weights: at each level (indicators within a theme, themes within a pillar, pillars) a
      Dirichlet draw with parameters ``concentration × chosen weights`` — centred on the chosen
      weights, tighter as the concentration grows (zero weights stay zero);
      ``concentration=None`` keeps the weights fixed;
    - normalisation: drawn uniformly from ``normalisations`` (default: the definition's own). To
      keep bands comparable, an alternative normalisation's composite is mapped onto the
      definition's by matching mean and SD over the reference areas in the reference year (at the
      chosen weights) before scaling;
    - with ``drop_indicator``: no indicator or one indicator left out, uniformly (only indicators
      whose pillar keeps another indicator), its weight reweighted as for a missing value.

    The normalised arrays are computed once per normalisation; a draw is then a matrix product of
    the values with that draw's effective weights, and ranks come from one argsort over areas.

    Parameters
    ----------
    year : int, default -1
        Index on the year axis to analyse.
    draws : int, default 1000
    concentration : float or None, default 50
    normalisations : sequence of str, optional
    drop_indicator : bool, default False
    interval : (low, high) percentiles, default (5, 95)
    rng : numpy.random.Generator or int, optional
        Seed or generator; the same seed gives the same result.

    Examples
    --------
    >>> d = IndexDefinition(
    ...     indicators=(Indicator("reports", "bad", "crime", "objective"),
    ...                 Indicator("unsafe", "bad", "felt", "subjective")),
    ...     pillar_weights={"objective": 0.5, "subjective": 0.5})
    >>> v = np.array([[[10.0, 0.2]], [[20.0, 0.3]], [[30.0, 0.1]]])
    >>> s = sensitivity(v, d, draws=200, rng=1)
    >>> s.rank.tolist()
    [3.0, 1.0, 2.0]
    """
    v = _check_values(values, definition)
    d = definition
    n_a, n_y, n_i = v.shape
    year = as_int(year, "year")
    if not -n_y <= year < n_y:
        raise SafetystatsError(
            "index.year", f"year: expected an index in [-{n_y}, {n_y}), got {year}"
        )
    y = year % n_y
    draws = as_int(draws, "draws", minimum=1)
    if concentration is not None and not concentration > 0:
        raise SafetystatsError(
            "index.concentration",
            f"concentration: expected a positive number or None, got {concentration!r}",
        )
    lo_q, hi_q = interval
    if not 0 <= lo_q <= hi_q <= 100:
        raise SafetystatsError(
            "index.interval",
            f"interval: expected percentiles 0 <= low <= high <= 100, got {interval!r}",
        )
    norms = (d.normalisation,) if normalisations is None else tuple(normalisations)
    for nm in norms:
        if nm not in NORMALISATIONS:
            raise SafetystatsError(
                "index.normalisations",
                f"normalisations: expected values among {NORMALISATIONS}, got {nm!r}",
            )
    rng = np.random.default_rng(rng)

    names = [i.name for i in d.indicators]
    bad = np.array([i.direction == "bad" for i in d.indicators])
    s = d.structure()
    n_k, n_p = len(d.themes), len(d.pillars)
    w_eff = d.effective_weights()
    geometric = d.aggregation == "geometric"
    strict = d.missing == "strict"
    ref_year = d.reference_year % n_y
    ref_idx = np.arange(n_a) if d.reference_areas is None else np.asarray(d.reference_areas)

    # normalise once per normalisation: the analysed year and the reference year
    slices = {}
    for nm in dict.fromkeys((d.normalisation, *norms)):
        st = _reference_stats(
            v,
            method=nm,
            reference_year=d.reference_year,
            reference_areas=d.reference_areas,
            names=names,
        )
        xn = _apply(v[:, [y, ref_year], :], st, bad)
        if geometric:
            _check_positive(xn, replace(d, normalisation=nm), w_eff, where_years=(y, ref_year))
            xn = np.log(np.where(np.isfinite(xn), xn, 1.0))
        slices[nm] = xn

    present = np.isfinite(v[:, y, :])
    patterns, area_pattern = np.unique(present, axis=0, return_inverse=True)
    area_pattern = area_pattern.ravel()
    pattern_areas = [np.flatnonzero(area_pattern == q) for q in range(patterns.shape[0])]

    def composite(x_year, pres, pats, pat_areas, wi, wt, wp, drop):
        """(draws, areas) composite for one slice with per-draw weights."""
        out = np.full((wi.shape[0], x_year.shape[0]), np.nan)
        x0 = np.where(pres, x_year, 0.0)
        for q, areas in enumerate(pat_areas):
            avail = pats[q].copy()
            if drop >= 0:
                avail[drop] = False
            w = _effective(avail, wi, wt, wp, s, n_k, n_p, strict)
            out[:, areas] = w @ x0[areas].T
        return np.exp(out) if geometric else out

    base_w = (s["w_ind"][None], s["w_theme"][None], s["w_pillar"][None])

    # calibration of each normalisation onto the definition's (reference year, reference areas)
    ref_present = np.isfinite(v[ref_idx, ref_year, :])
    ref_pats, ref_inv = np.unique(ref_present, axis=0, return_inverse=True)
    ref_pat_areas = [np.flatnonzero(ref_inv.ravel() == q) for q in range(ref_pats.shape[0])]
    calib = {}
    for nm, xn in slices.items():
        c = composite(xn[ref_idx, 1, :], ref_present, ref_pats, ref_pat_areas, *base_w, -1)[0]
        calib[nm] = (np.nanmean(c), np.nanstd(c))
    m_main, s_main = calib[d.normalisation]

    def to_scale(c, nm):
        m, sd = calib[nm]
        if nm != d.normalisation:
            c = m_main + s_main * (c - m) / sd if sd > 0 else np.full(c.shape, np.nan)
        return d.scale.apply(c)

    # baseline: the definition as given
    base_c = composite(
        slices[d.normalisation][:, 0, :], present, patterns, pattern_areas, *base_w, -1
    )[0]
    base_score = to_scale(base_c, d.normalisation)
    base_rank = _ranks(base_score)
    bands = d.bands
    base_band = bands.classify(base_score) if bands is not None else np.full(n_a, -1)

    # draws
    wi = _dirichlet(rng, s["w_ind"], s["ind_theme"], n_k, draws, concentration)
    wt = _dirichlet(rng, s["w_theme"], s["theme_pillar"], n_p, draws, concentration)
    wp = _dirichlet(rng, s["w_pillar"], np.zeros(n_p, dtype=int), 1, draws, concentration)
    norm_pick = rng.integers(len(norms), size=draws)
    drop_pick = np.full(draws, -1)
    if drop_indicator:
        pillar_of = s["theme_pillar"][s["ind_theme"]]
        pos = w_eff > 0
        candidates = np.array(
            [j for j in range(n_i) if pos[j] and (pos & (pillar_of == pillar_of[j])).sum() > 1],
            dtype=int,
        )
        choice = rng.integers(candidates.size + 1, size=draws)  # 0 = drop none
        drop_pick = np.where(choice > 0, np.concatenate([[-1], candidates])[choice], -1)

    scores = np.empty((draws, n_a))
    groups = np.unique(np.stack([norm_pick, drop_pick], axis=1), axis=0)
    for g_norm, g_drop in groups:
        sel = np.flatnonzero((norm_pick == g_norm) & (drop_pick == g_drop))
        nm = norms[g_norm]
        c = composite(
            slices[nm][:, 0, :], present, patterns, pattern_areas, wi[sel], wt[sel], wp[sel], g_drop
        )
        scores[sel] = to_scale(c, nm)

    ranks = _ranks(scores)
    pct = np.nanpercentile if np.isnan(ranks).any() else np.percentile
    with warnings.catch_warnings():
        # areas without a score in any draw give an all-NaN column: NaN is the right answer
        warnings.simplefilter("ignore", RuntimeWarning)
        r_lo, r_med, r_hi = pct(ranks, [lo_q, 50.0, hi_q], axis=0)
        sc_lo, sc_hi = pct(scores, [lo_q, hi_q], axis=0)
    if bands is not None:
        changed = bands.classify(scores) != base_band
        share = np.where(np.isnan(base_score), np.nan, changed.mean(axis=0))
    else:
        share = np.full(n_a, np.nan)
    return SensitivityResult(
        year=y,
        score=base_score,
        rank=base_rank,
        rank_low=r_lo,
        rank_median=r_med,
        rank_high=r_hi,
        score_low=sc_lo,
        score_high=sc_hi,
        band=base_band,
        band_change_share=share,
        draws=int(draws),
        concentration=None if concentration is None else float(concentration),
        normalisations=norms,
        drop_indicator=bool(drop_indicator),
        interval=(float(lo_q), float(hi_q)),
    )
