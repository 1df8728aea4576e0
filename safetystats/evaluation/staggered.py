"""Callaway–Sant'Anna group-time average treatment effects for staggered starts.

Sources
-------
- Callaway, B., & Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time
  periods. Journal of Econometrics, 225(2), 200–230 (ATT(g,t), never-treated and not-yet-treated
  controls, the aggregations, influence functions and the multiplier bootstrap with uniform bands).
- Sant'Anna, P. H. C., & Zhao, J. (2020). Doubly robust difference-in-differences estimators.
  Journal of Econometrics, 219(1), 101–122 (the 2×2 influence function; without covariates the
  outcome-regression, IPW and doubly robust estimators are the same difference of means).
- The R package ``did`` (Callaway & Sant'Anna), whose defaults are followed: unconditional
  parallel trends, varying base period, balanced panel (areas with missing periods dropped),
  standard errors clustered at the area, Rademacher multipliers, the IQR bootstrap standard
  error and the sup-t critical value (``mboot``), weights ``P(G = g)`` in the aggregations with
  the estimation of those weights in the influence function (``aggte``'s ``wif``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse, stats

from safetystats._checks import check_choice
from safetystats.errors import SafetystatsError

from ._util import (
    FEW_TREATED_CLUSTERS,
    as_float,
    as_int,
    as_labels,
    check_level,
    check_panel_unique,
    factorise,
    first_treated_array,
    make_rng,
)

__all__ = [
    "CsAggregation",
    "CsEstimate",
    "CallawaySantAnnaResult",
    "GroupTimeATT",
    "callaway_santanna",
]

#: Draws per block of the multiplier bootstrap (bounds the memory of the weight matrix).
_DRAW_BLOCK_ELEMENTS = 1 << 22
_IQR_NORMAL = float(stats.norm.ppf(0.75) - stats.norm.ppf(0.25))


# ----------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsEstimate:
    """One aggregated effect: estimate, influence-function SE, normal interval and p-value.

    ``boot_se`` is the multiplier-bootstrap standard error (IQR / 1.349, as R ``did``), NaN
    when ``n_boot=0``.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    boot_se: float = float("nan")


@dataclass(frozen=True)
class CsAggregation:
    """An aggregation of the ATT(g,t): by event time, cohort or calendar period.

    ``index`` holds the event times ``e = t − g`` ("dynamic"), the cohorts ``g`` ("group") or the
    periods ``t`` ("calendar"). ``ci_low``/``ci_high`` are pointwise normal intervals from the
    influence-function ``se``; ``band_low``/``band_high`` the uniform band
    ``estimate ± crit · boot_se`` that covers all entries of ``index`` together with probability
    ``level`` (sup-t critical value ``crit`` from the multiplier bootstrap). ``overall`` is the
    summary over the entries: the mean over event times ``e ≥ 0``, the cohort-size weighted
    mean over cohorts, or the mean over periods. Entries with no variance (the reference period
    of ``base="universal"``) have NaN standard errors.
    """

    kind: str
    index: np.ndarray
    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    boot_se: np.ndarray
    band_low: np.ndarray
    band_high: np.ndarray
    crit: float
    overall: CsEstimate


@dataclass(frozen=True)
class GroupTimeATT:
    """The ATT(g,t) table: one row per cohort ``g`` (first treated period) and period ``t``.

    ``base_period`` is the period the change is measured from; ``post`` marks ``t ≥ g``.
    ``n_treated`` / ``n_controls`` count the areas in the comparison. Bands as in
    :class:`CsAggregation` (uniform over all rows with a variance).
    """

    cohort: np.ndarray
    period: np.ndarray
    base_period: np.ndarray
    post: np.ndarray
    att: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    boot_se: np.ndarray
    band_low: np.ndarray
    band_high: np.ndarray
    crit: float
    n_treated: np.ndarray
    n_controls: np.ndarray


@dataclass(frozen=True)
class CallawaySantAnnaResult:
    """Result of :func:`callaway_santanna`.

    ``estimate`` … ``p_value`` repeat ``simple`` (the average of all post-treatment ATT(g,t)
    weighted by cohort size, R ``aggte(type="simple")``). ``dynamic``, ``group`` and
    ``calendar`` are the event-study, cohort and calendar-time aggregations. ``pretrend_stat`` /
    ``pretrend_p`` is the Wald test that all pre-treatment ATT(g,t) are zero (χ² with
    ``pretrend_df`` degrees of freedom; NaN when there are none or their covariance is singular).
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    simple: CsEstimate
    dynamic: CsAggregation
    group: CsAggregation
    calendar: CsAggregation
    att_gt: GroupTimeATT
    pretrend_stat: float
    pretrend_df: int
    pretrend_p: float
    control: str = "never"
    base: str = "varying"
    anticipation: int = 0
    level: float = 0.95
    n_boot: int = 0
    multiplier: str = "rademacher"
    n_areas: int = 0
    n_treated_areas: int = 0
    n_clusters: int = 0
    n_treated_clusters: int = 0
    periods: np.ndarray = field(default=None, repr=False)
    warnings: tuple[str, ...] = ()


# ----------------------------------------------------------------------------------------------
# Input
# ----------------------------------------------------------------------------------------------


def _first_over_areas(values, a, a_n, name, what, *, code="panel.first_treated_varies"):
    """The per-area value of a per-row array that must be constant within each area."""
    key = np.where(np.isnan(values), -np.inf, values)
    lo = np.full(a_n, np.inf)
    hi = np.full(a_n, -np.inf)
    np.minimum.at(lo, a, key)
    np.maximum.at(hi, a, key)
    varies = np.flatnonzero(lo != hi)
    if varies.size:
        raise SafetystatsError(
            code,
            f"{name}: expected one value per area ({what}), got {varies.size} area(s) with several",
            name=name,
            count=int(varies.size),
        )
    return np.where(np.isneginf(lo), np.nan, lo)


@dataclass
class _Design:
    y: np.ndarray  # areas × periods
    w: np.ndarray  # per area
    g: np.ndarray  # first treated period per area, NaN never (after the R recodings)
    periods: np.ndarray
    cluster: np.ndarray  # cluster code per area
    n_clusters: int
    area_levels: np.ndarray
    warnings: list


def _design(y, area, period, first_treated, weights, cluster, control, anticipation):
    yv = as_float(y, "y")
    n = yv.size
    if n == 0:
        raise SafetystatsError("input.empty", "y: expected observations, got none", name="y")
    per = as_float(period, "period", n=n)
    if np.any(per != np.round(per)):
        bad = per[per != np.round(per)][:5].tolist()
        raise SafetystatsError(
            "input.not_integer",
            f"period: expected whole-numbered periods (years), got {bad}",
            name="period",
            given=bad,
        )
    ft = first_treated_array(first_treated, "first_treated", n=n)
    off = ~np.isnan(ft) & (ft != np.round(ft))
    if off.any():
        bad = np.unique(ft[off])[:5].tolist()
        raise SafetystatsError(
            "panel.first_treated_off_grid",
            f"first_treated: expected whole-numbered start periods on the period grid, got {bad} "
            "(a start part-way through a period must be assigned to a period first)",
            given=bad,
        )
    area_levels, a = as_labels(area, "area", n=n)
    p_levels, p = factorise(per)
    a_n, t_n = area_levels.size, p_levels.size
    check_panel_unique(a, p, t_n)
    if weights is None:
        w_row = np.ones(n)
    else:
        w_row = as_float(weights, "weights", n=n)
        bad = int(np.sum(w_row <= 0))
        if bad:
            raise SafetystatsError(
                "weights.not_positive",
                f"weights: expected a positive weight in every row, got {bad} row(s) with zero "
                "or negative weight",
                count=bad,
            )
    g_area = _first_over_areas(ft, a, a_n, "first_treated", "the area's start")
    # input.shape until a dedicated code exists: the weights are the area's sampling weight
    w_area = _first_over_areas(w_row, a, a_n, "weights", "a weight per area", code="input.shape")
    if cluster is None:
        cl_area = np.arange(a_n)
    else:
        _, cl_row = as_labels(cluster, "cluster", n=n)
        lo = np.full(a_n, np.iinfo(np.intp).max, dtype=np.intp)
        hi = np.full(a_n, -1, dtype=np.intp)
        np.minimum.at(lo, a, cl_row)
        np.maximum.at(hi, a, cl_row)
        if np.any(lo != hi):
            raise SafetystatsError(
                "panel.clusters_split_areas",
                "cluster: expected clusters that contain whole areas (areas nested in clusters), "
                "got areas split over clusters",
            )
        cl_area = lo
    warnings: list[str] = []
    wide = np.full((a_n, t_n), np.nan)
    wide[a, p] = yv
    complete = ~np.isnan(wide).any(axis=1)
    if not complete.all():
        dropped = area_levels[~complete]
        warnings.append(
            f"{dropped.size} area(s) not observed in every period were left out (balanced panel, "
            f"as R did): {dropped[:5].tolist()}" + (" …" if dropped.size > 5 else "")
        )
        if not complete.any():
            raise SafetystatsError(
                "input.empty",
                "area/period: expected at least one area observed in every period, got none",
                name="area",
            )
        wide, w_area, g_area = wide[complete], w_area[complete], g_area[complete]
        cl_area, area_levels = cl_area[complete], area_levels[complete]
    periods = p_levels.astype(float)
    treated = ~np.isnan(g_area)
    if not treated.any():
        raise SafetystatsError(
            "panel.no_treated",
            "first_treated: expected at least one treated area, got none (all NaN)",
        )
    no_pre = treated & (g_area - anticipation <= periods[0])
    if no_pre.any():
        bad = area_levels[no_pre]
        hint = " (use NaN, not 0, for never-treated areas)" if np.any(g_area == 0) else ""
        raise SafetystatsError(
            "panel.no_pre_period",
            "treated areas with no pre-period: expected every treated area to start after the "
            f"first period {periods[0]:g}"
            + (f" plus the anticipation of {anticipation}" if anticipation else "")
            + f", got {bad[:5].tolist()}"
            + (f" and {bad.size - 5} more" if bad.size > 5 else "")
            + hint,
            areas=bad[:5].tolist(),
            more=max(int(bad.size) - 5, 0),
        )
    late = treated & (g_area > periods[-1])
    if late.any():
        warnings.append(
            f"{int(late.sum())} area(s) start after the last period {periods[-1]:g} and are "
            "counted as never treated within the panel (as R did)"
        )
        g_area = np.where(late, np.nan, g_area)
    if np.isnan(g_area).sum() == 0:
        if control == "never":
            raise SafetystatsError(
                "panel.no_controls",
                "no never-treated areas: expected areas with first_treated NaN for "
                "control='never', got every area treated (use control='not_yet')",
            )
        last = np.nanmax(g_area)
        keep_t = periods < last - anticipation
        if (g_area < last).sum() == 0 or keep_t.sum() < 2:
            raise SafetystatsError(
                "panel.no_controls",
                "no control areas: expected never-treated areas or several start periods, got "
                f"every area starting in {last:g}",
            )
        warnings.append(
            f"no never-treated areas: the last cohort ({last:g}) serves as the comparison group "
            f"and only periods before {last - anticipation:g} are used (as R did)"
        )
        g_area = np.where(g_area == last, np.nan, g_area)
        wide, periods = wide[:, keep_t], periods[keep_t]
        g_area = np.where(g_area > periods[-1], np.nan, g_area)
    if np.ptp(wide) == 0:
        raise SafetystatsError(
            "outcome.constant",
            f"y: expected variation, got a constant ({wide.flat[0]:g}) in every row",
            value=float(wide.flat[0]),
        )
    _, cl_codes = factorise(cl_area)
    n_cl = int(cl_codes.max()) + 1
    if n_cl < 2:
        raise SafetystatsError(
            "panel.too_few_clusters", "cluster: expected at least 2 clusters, got 1", given=1
        )
    return _Design(wide, w_area, g_area, periods, cl_codes, n_cl, area_levels, warnings)


# ----------------------------------------------------------------------------------------------
# Cells and their influence functions
# ----------------------------------------------------------------------------------------------
#
# Every influence function here is, for area i in cohort h(i) (index 0: never treated),
# ψ_i = C[h(i), :] · (w_i·y_i1, …, w_i·y_iT, w_i): a coefficient row per cohort times the area's
# weighted outcomes. The 2×2 DiD is a difference of weighted means and the aggregation weights
# P(G = g) are weighted shares of cohorts, so each statistic (cell, aggregation, overall) is a
# coefficient array of shape (cohorts, T + 1); the covariances and the bootstrap then act on
# the per-cohort sums of the areas' features instead of an areas × statistics matrix.


def _cells(g_levels, periods, base, anticipation):
    """(cohort index ≥ 1, period index, base index, reference?) of every ATT(g,t)."""
    out = []
    for gi, g in enumerate(g_levels, start=1):
        pre = np.flatnonzero(periods < g - anticipation)
        b_long = int(pre[-1])
        start = 1 if base == "varying" else 0
        for j in range(start, periods.size):
            if base == "universal" or periods[j] >= g:
                out.append((gi, j, b_long, j == b_long))
            else:
                out.append((gi, j, j - 1, False))
    return np.array(out, dtype=np.intp).reshape(-1, 4)


def _estimate(design: _Design, control: str, base: str, anticipation: int):
    w, periods = design.w, design.periods
    # every ATT(g,t) and ψ involves changes only: centring each area spares the sums below the
    # cancellation of outcome levels far from zero
    y = design.y - design.y.mean(axis=1, keepdims=True)
    n, t_n = y.shape
    g_levels = np.unique(design.g[~np.isnan(design.g)])
    h = np.zeros(n, dtype=np.intp)
    treated = ~np.isnan(design.g)
    h[treated] = np.searchsorted(g_levels, design.g[treated]) + 1
    n_h = g_levels.size + 1
    sy = np.zeros((n_h, t_n))
    sw = np.zeros(n_h)
    for k in range(n_h):
        m = h == k
        sy[k] = w[m] @ y[m]
        sw[k] = w[m].sum()
    counts = np.bincount(h, minlength=n_h)
    cells = _cells(g_levels, periods, base, anticipation)
    gi, tj, bj, ref = cells.T
    ref = ref.astype(bool)
    k_n = cells.shape[0]
    cohort_of = np.concatenate([[np.inf], g_levels])
    if control == "never":
        ctrl = np.zeros((k_n, n_h), dtype=bool)
        ctrl[:, 0] = True
    else:
        later = periods[np.maximum(tj, bj)] + anticipation
        ctrl = cohort_of[None, :] > later[:, None]
        ctrl[np.arange(k_n), gi] = False
    dsum = sy[:, tj] - sy[:, bj]  # cohorts × cells: Σ w·(y_t − y_b)
    mt = dsum[gi, np.arange(k_n)] / sw[gi]
    # never-treated areas, or (without them) the last cohort, are controls of every cell
    wc = ctrl @ sw
    mc = np.einsum("kh,hk->k", ctrl, dsum) / wc
    att = np.where(ref, 0.0, mt - mc)
    coef = np.zeros((k_n, n_h, t_n + 1))
    rows = np.arange(k_n)
    a_t = np.where(ref, 0.0, n / sw[gi])
    coef[rows, gi, tj] += a_t
    coef[rows, gi, bj] -= a_t
    coef[rows, gi, t_n] = -a_t * mt
    a_c = np.where(ref, 0.0, -n / wc)
    cm = ctrl * a_c[:, None]  # cells × cohorts
    for k in range(n_h):
        sel = cm[:, k] != 0
        if sel.any():
            r = rows[sel]
            coef[r, k, tj[sel]] += cm[sel, k]
            coef[r, k, bj[sel]] -= cm[sel, k]
            coef[r, k, t_n] = -cm[sel, k] * mc[sel]
    n_ctrl = ctrl.astype(float) @ counts
    return dict(
        g_levels=g_levels,
        h=h,
        sw=sw,
        counts=counts,
        cells=cells,
        cohort=g_levels[gi - 1],
        period=periods[tj],
        base_period=periods[bj],
        ref=ref,
        att=att,
        coef=coef,
        n_treated=counts[gi],
        n_controls=n_ctrl.astype(int),
        n=n,
    )


def _weighted(att, coef, idx, gi, sw, n):
    """Cohort-size weighted mean of cells ``idx`` with the influence of the estimated weights."""
    wts = sw[gi[idx]]
    total = wts.sum()
    theta = float(wts @ att[idx] / total)
    c = np.tensordot(wts / total, coef[idx], axes=1)
    # aggte's wif, simplified: for an area of cohort h it adds w_i/P · Σ_{cells of h}(ATT − θ)
    c[:, -1] += np.bincount(gi[idx], att[idx] - theta, minlength=c.shape[0]) * n / total
    return theta, c


def _aggregations(est):
    """Estimates and coefficient arrays: simple, dynamic (+overall), group (+overall), calendar."""
    att, coef, cells, n, sw = est["att"], est["coef"], est["cells"], est["n"], est["sw"]
    gi = cells[:, 0]
    cohort, period = est["cohort"], est["period"]
    post = period >= cohort  # every cohort starts within the panel (later ones are controls)
    out = {}
    out["simple"] = _weighted(att, coef, np.flatnonzero(post), gi, sw, n)
    rel = period - cohort
    e_index = np.unique(rel)
    dyn = [_weighted(att, coef, np.flatnonzero(rel == e), gi, sw, n) for e in e_index]
    pos = e_index >= 0
    out["dynamic"] = (e_index, dyn, _mean([d for d, p in zip(dyn, pos) if p]))
    g_index = np.unique(cohort[post])
    grp = []
    for g in g_index:
        idx = np.flatnonzero(post & (cohort == g))
        grp.append((float(att[idx].mean()), coef[idx].mean(axis=0)))
    g_att = np.array([a for a, _ in grp])
    g_coef = np.array([c for _, c in grp])
    g_gi = np.searchsorted(est["g_levels"], g_index) + 1
    out["group"] = (g_index, grp, _weighted(g_att, g_coef, np.arange(g_index.size), g_gi, sw, n))
    t_index = np.unique(period[post])
    cal = [_weighted(att, coef, np.flatnonzero(post & (period == t)), gi, sw, n) for t in t_index]
    out["calendar"] = (t_index, cal, _mean(cal))
    return out


def _mean(items):
    return float(np.mean([a for a, _ in items])), np.mean([c for _, c in items], axis=0)


# ----------------------------------------------------------------------------------------------
# Covariances and the multiplier bootstrap
# ----------------------------------------------------------------------------------------------


class _Features:
    """The areas' features (w·ỹ_1 … w·ỹ_T, w) summed by cluster, laid out by cohort.

    ``x`` is clusters × (cohort, feature), so ``x @ c`` is every cluster's Σ ψ of a statistic
    with coefficients ``c``. ỹ is the outcome minus the area's mean over the periods: ψ only
    involves changes ``y_t − y_b``, so no ψ changes, and the second moments in ``gram`` are
    spared the cancellation that outcome levels far from zero would cause.
    """

    def __init__(self, design: _Design, h: np.ndarray, n_h: int):
        y = design.y - design.y.mean(axis=1, keepdims=True)
        feat = np.column_stack([y * design.w[:, None], design.w])
        width = feat.shape[1]
        cols = (h[:, None] * width + np.arange(width)).ravel()
        rows = np.repeat(design.cluster, width)
        # duplicates (several areas of one cohort in a cluster) are summed by the constructor
        self.x = sparse.csr_matrix(
            (feat.ravel(), (rows, cols)), shape=(design.n_clusters, n_h * width)
        )
        self.n_clusters = design.n_clusters
        # Σ_c x_c x_cᵀ: the covariance of two statistics is cᵀ Q c'
        self.gram = (self.x.T @ self.x).toarray()

    def covariance(self, coef: np.ndarray) -> np.ndarray:
        """Σ_c (Σ_{i∈c} ψ_i)(Σ_{i∈c} ψ_i)ᵀ of the statistics (coef: statistics × cohorts × T+1)."""
        c = coef.reshape(coef.shape[0], -1)
        return c @ self.gram @ c.T

    def variances(self, coef: np.ndarray) -> np.ndarray:
        c = coef.reshape(coef.shape[0], -1)
        return np.maximum(np.sum((c @ self.gram) * c, axis=1), 0.0)

    def bootstrap(self, coef, n_boot, gen, multiplier, n):
        """Draws × statistics of θ* − θ̂ = (1/n) Σ_c v_c Σ_{i∈c} ψ_i."""
        c = coef.reshape(coef.shape[0], -1).T / n
        out = np.empty((n_boot, coef.shape[0]))
        step = max(1, _DRAW_BLOCK_ELEMENTS // self.n_clusters)
        for lo in range(0, n_boot, step):
            b = min(step, n_boot - lo)
            v = _multiplier_draws(gen, b, self.n_clusters, multiplier)
            out[lo : lo + b] = np.asarray(v @ self.x) @ c
        return out


def _multiplier_draws(gen: np.random.Generator, n_draws: int, n_clusters: int, kind: str):
    """Independent mean-0, variance-1 multipliers, one per cluster and draw."""
    if kind == "rademacher":
        # one random byte gives eight signs: 8× fewer draws from the generator
        size = n_draws * n_clusters
        bits = np.unpackbits(gen.integers(0, 256, size=-(-size // 8), dtype=np.uint8))[:size]
        v = bits.astype(np.float64)
        v *= 2.0
        v -= 1.0
        return v.reshape(n_draws, n_clusters)
    s5 = np.sqrt(5.0)
    low = gen.random((n_draws, n_clusters)) < (s5 + 1) / (2 * s5)
    return np.where(low, (1 - s5) / 2, (1 + s5) / 2)


def _boot_se(draws: np.ndarray) -> np.ndarray:
    q75 = np.quantile(draws, 0.75, axis=0, method="inverted_cdf")
    q25 = np.quantile(draws, 0.25, axis=0, method="inverted_cdf")
    return (q75 - q25) / _IQR_NORMAL


def _sup_t(draws, boot_se, level) -> float:
    ok = np.isfinite(boot_se) & (boot_se > 0)
    if draws.shape[0] == 0 or not ok.any():
        return float("nan")
    t = np.max(np.abs(draws[:, ok]) / boot_se[ok], axis=1)
    return float(np.quantile(t, level, method="inverted_cdf"))


# ----------------------------------------------------------------------------------------------
# Main function
# ----------------------------------------------------------------------------------------------


def callaway_santanna(
    y,
    *,
    area,
    period,
    first_treated,
    control: str = "never",
    anticipation: int = 0,
    base: str = "varying",
    weights=None,
    cluster=None,
    level: float = 0.95,
    n_boot: int = 999,
    multiplier: str = "rademacher",
    rng=None,
) -> CallawaySantAnnaResult:
    """Callaway–Sant'Anna group-time ATTs, their aggregations and uniform bands.

    For each cohort ``g`` (areas first treated in period ``g``) and period ``t``,
    ``ATT(g,t) = E_w[y_t − y_b | G = g] − E_w[y_t − y_b | C]``: the change in the cohort's
    (weighted) mean outcome from the base period ``b`` minus the change in the controls ``C``.
    Each ATT(g,t) is a clean 2×2 comparison, so heterogeneous effects across cohorts and time do
    not contaminate it as in TWFE (Goodman-Bacon 2021). Unconditional parallel trends (no
    covariates); with none, R ``did``'s outcome-regression, IPW and doubly robust estimators all
    reduce to this difference of means.

    * ``control="never"``: never-treated areas; ``"not_yet"``: never-treated areas and areas
      not yet treated at ``max(t, b) + anticipation`` (other than cohort ``g``).
    * ``base="varying"``: post periods (``t ≥ g``) from ``b = g − anticipation − 1`` (the last
      period before it), pre periods from ``t − 1`` (short differences, R's default);
      ``"universal"``: every period from ``b = g − anticipation − 1``, whose ATT is 0.
    * ``anticipation``: periods before ``g`` in which areas may already react.

    Aggregations (R ``aggte``): ``simple`` — post-treatment ATT(g,t) averaged with weights
    ``P(G = g)``; ``dynamic`` — by event time ``e = t − g`` with the same weights, overall = mean
    over ``e ≥ 0``; ``group`` — mean over each cohort's post periods, overall weighted by
    ``P(G = g)``; ``calendar`` — by period, overall = mean over periods. The weights are
    estimated, and their estimation enters the influence function.

    Standard errors from the influence functions, clustered at the area (or ``cluster``):
    ``se = sqrt(Σ_c (Σ_{i∈c} ψ_i)²) / n``. The multiplier bootstrap perturbs the influence
    functions with one Rademacher (or Mammen) weight per cluster; its IQR gives ``boot_se`` and the
    ``level`` quantile of the largest |t| over a table's entries the uniform band's ``crit``.

    Parameters
    ----------
    y : array_like, shape (n,)
        Outcome per area and period (counts, rates, logs).
    area, period : array_like, shape (n,)
        Area labels and whole-numbered periods (years); one row per area and period. Areas not
        observed in every period are left out with a warning (balanced panel).
    first_treated : array_like, shape (n,)
        First treated period of the row's area (whole number), NaN or None for never treated.
        Areas starting after the last period count as never treated.
    control : {"never", "not_yet"}
    anticipation : int
        Periods of anticipation (≥ 0).
    base : {"varying", "universal"}
    weights : array_like, optional
        Positive sampling weight per row, constant within each area (e.g. population).
    cluster : array_like, optional
        Cluster labels containing whole areas (e.g. police district); default: the area.
    level : float
        Confidence level of intervals and bands.
    n_boot : int
        Multiplier-bootstrap draws (0: no bootstrap, bands NaN).
    multiplier : {"rademacher", "mammen"}
    rng : numpy Generator, int or None

    Returns
    -------
    CallawaySantAnnaResult

    Raises
    ------
    SafetystatsError
        NaN/inf values; non-integer periods or start periods (2014.5); treated areas without a
        pre-period (started at or before the first period, or within ``anticipation`` of it);
        no never-treated areas with ``control="never"``; a start that changes within an area;
        duplicated rows; non-positive weights; clusters splitting areas; a constant outcome.

    Notes
    -----
    With few treated areas (hotspot programmes have 1–8) the influence-function SEs, the
    bootstrap bands and the normal p-values are unreliable: the treated side of each ATT(g,t)
    is estimated from the spread of that cohort's few areas, and with one area in a cohort it
    is zero, so only the controls' noise is counted. A warning says so; base the inference on
    :func:`randomization_inference` then. The analytic SEs carry no small-sample correction
    (as R ``did``). With ``cluster`` the bootstrap multiplies cluster sums of the influence
    function; R ``did`` multiplies cluster means, which differs when clusters differ in size.

    References
    ----------
    Callaway, B., & Sant'Anna, P. H. C. (2021). Journal of Econometrics, 225(2), 200–230.

    Examples
    --------
    >>> import numpy as np
    >>> from safetystats.evaluation.staggered import callaway_santanna
    >>> rng = np.random.default_rng(6)
    >>> area, year = np.repeat(np.arange(60), 10), np.tile(np.arange(2005, 2015), 60)
    >>> start = np.select([area < 10, area < 20], [2008.0, 2011.0], np.nan)
    >>> y = 0.1 * area + np.where(year >= start, -1.0, 0.0) + rng.normal(0, 0.3, area.size)
    >>> res = callaway_santanna(y, area=area, period=year, first_treated=start, rng=1)
    >>> bool(res.ci_low < -1.0 < res.ci_high), res.dynamic.index.tolist()[:4]
    (True, [-5, -4, -3, -2])
    """
    check_choice(control, "control", ("never", "not_yet"))
    check_choice(base, "base", ("varying", "universal"))
    check_choice(multiplier, "multiplier", ("rademacher", "mammen"))
    anticipation = as_int(anticipation, "anticipation", minimum=0)
    n_boot = as_int(n_boot, "n_boot", minimum=0)
    level = check_level(level)
    gen = make_rng(rng)
    design = _design(y, area, period, first_treated, weights, cluster, control, anticipation)
    warnings = design.warnings
    est = _estimate(design, control, base, anticipation)
    aggs = _aggregations(est)
    k_n = est["att"].size

    # one coefficient array per statistic: cells, dynamic, group, calendar, then the overalls
    dyn_e, dyn, dyn_all = aggs["dynamic"]
    grp_g, grp, grp_all = aggs["group"]
    cal_t, cal, cal_all = aggs["calendar"]
    blocks = {
        "cells": [(a, c) for a, c in zip(est["att"], est["coef"])],
        "dynamic": dyn,
        "group": grp,
        "calendar": cal,
        "overall": [aggs["simple"], dyn_all, grp_all, cal_all],
    }
    shape = est["coef"].shape[1:]
    coef = np.stack(
        [c if c is not None else np.zeros(shape) for b in blocks.values() for _, c in b]
    )
    theta = np.array([a for b in blocks.values() for a, _ in b], dtype=float)
    feats = _Features(design, est["h"], coef.shape[1])
    n = est["n"]
    se = np.sqrt(feats.variances(coef)) / n
    tiny = 1e-10 * np.ptp(design.y)
    se = np.where(se > tiny, se, np.nan)
    if n_boot:
        draws = feats.bootstrap(coef, n_boot, gen, multiplier, n)
        bse = _boot_se(draws)
        bse = np.where(np.isfinite(se), bse, np.nan)
    else:
        draws = np.empty((0, coef.shape[0]))
        bse = np.full(coef.shape[0], np.nan)
    z = float(stats.norm.ppf(0.5 + level / 2))
    sizes = {k: len(v) for k, v in blocks.items()}
    offsets = np.cumsum([0] + list(sizes.values()))
    parts = {k: slice(offsets[i], offsets[i + 1]) for i, k in enumerate(sizes)}

    def table(part):
        s = parts[part]
        th, sd, bs = theta[s], se[s], bse[s]
        crit = _sup_t(draws[:, s], bs, level)
        with np.errstate(invalid="ignore"):
            p = 2 * stats.norm.sf(np.abs(th / sd))
        return dict(
            estimate=th,
            se=sd,
            ci_low=th - z * sd,
            ci_high=th + z * sd,
            p_value=p,
            boot_se=bs,
            band_low=th - crit * bs,
            band_high=th + crit * bs,
            crit=crit,
        )

    def single(i):
        j = parts["overall"].start + i
        th, sd = float(theta[j]), float(se[j])
        p = float(2 * stats.norm.sf(abs(th / sd))) if np.isfinite(sd) else float("nan")
        return CsEstimate(th, sd, th - z * sd, th + z * sd, p, float(bse[j]))

    simple, dyn_o, grp_o, cal_o = (single(i) for i in range(4))
    aggregations = {}
    for kind, index, overall in (
        ("dynamic", dyn_e, dyn_o),
        ("group", grp_g, grp_o),
        ("calendar", cal_t, cal_o),
    ):
        aggregations[kind] = CsAggregation(
            kind=kind, index=_whole(index), overall=overall, **table(kind)
        )
    cells = table("cells")
    att_gt = GroupTimeATT(
        cohort=_whole(est["cohort"]),
        period=_whole(est["period"]),
        base_period=_whole(est["base_period"]),
        post=est["period"] >= est["cohort"],
        att=cells.pop("estimate"),
        n_treated=est["n_treated"],
        n_controls=est["n_controls"],
        **cells,
    )
    stat, df, p_pre = _pretrend(est, feats, coef[:k_n], se[:k_n], n, warnings)
    warnings.extend(_caveats(design, est, att_gt))
    treated_area = ~np.isnan(design.g)
    return CallawaySantAnnaResult(
        estimate=simple.estimate,
        se=simple.se,
        ci_low=simple.ci_low,
        ci_high=simple.ci_high,
        p_value=simple.p_value,
        simple=simple,
        dynamic=aggregations["dynamic"],
        group=aggregations["group"],
        calendar=aggregations["calendar"],
        att_gt=att_gt,
        pretrend_stat=stat,
        pretrend_df=df,
        pretrend_p=p_pre,
        control=control,
        base=base,
        anticipation=anticipation,
        level=level,
        n_boot=n_boot,
        multiplier=multiplier,
        n_areas=int(design.y.shape[0]),
        n_treated_areas=int(treated_area.sum()),
        n_clusters=design.n_clusters,
        n_treated_clusters=int(np.unique(design.cluster[treated_area]).size),
        periods=_whole(design.periods),
        warnings=tuple(warnings),
    )


def _whole(x) -> np.ndarray:
    """Periods, cohorts and event times are whole numbers (checked on input): report integers."""
    return np.asarray(x, dtype=float).astype(np.int64)


def _pretrend(est, feats, coef, se, n, warnings):
    """Wald test of all pre-treatment ATT(g,t) = 0 (R ``att_gt``'s pre-test)."""
    pre = (est["period"] < est["cohort"]) & np.isfinite(se)
    df = int(pre.sum())
    if df == 0:
        return float("nan"), 0, float("nan")
    v = feats.covariance(coef[pre]) / n**2
    if 1.0 / np.linalg.cond(v) <= np.finfo(float).eps:
        warnings.append("no pre-trend test: the covariance of the pre-period ATT(g,t) is singular")
        return float("nan"), df, float("nan")
    a = est["att"][pre]
    stat = float(a @ np.linalg.solve(v, a))
    return stat, df, float(stats.chi2.sf(stat, df))


def _caveats(design, est, att_gt):
    out = []
    treated = ~np.isnan(design.g)
    n_treated = int(treated.sum())
    n_tc = int(np.unique(design.cluster[treated]).size)
    what = "treated area(s)" if n_tc == n_treated else "cluster(s) with treated areas"
    if n_tc < FEW_TREATED_CLUSTERS:
        out.append(
            f"only {n_tc} {what} (< {FEW_TREATED_CLUSTERS}): the influence-function standard "
            "errors, the bootstrap bands, the normal p-values and the pre-trend test rest on the "
            "spread of the treated areas around their cohort mean, which so few areas cannot "
            "estimate; treat the intervals as too narrow and use randomization_inference for "
            "the p-value"
        )
    singles = est["g_levels"][est["counts"][1:] == 1]
    if singles.size:
        out.append(
            f"cohort(s) {[int(g) for g in singles]} have a single treated area: their ATT(g,t) "
            "standard errors count the control areas' noise only (the treated area's own is not "
            "estimable)"
        )
    few_ctrl = att_gt.n_controls < 2
    if few_ctrl.any():
        out.append(
            f"{int(few_ctrl.sum())} ATT(g,t) with fewer than 2 control areas: their standard "
            "errors ignore the controls' noise"
        )
    return out
