"""Few-cluster inference: wild cluster bootstrap and randomization (placebo) inference.

Sources
-------
- Cameron, A. C., Gelbach, J. B., & Miller, D. L. (2008). Bootstrap-based improvements for
  inference with clustered errors. Review of Economics and Statistics, 90(3), 414–427.
- MacKinnon, J. G., & Webb, M. D. (2017). Wild bootstrap inference for wildly different cluster
  sizes. Journal of Applied Econometrics, 32(2), 233–254 (few treated clusters).
- Webb, M. D. (2023). Reworking wild bootstrap-based inference for clustered errors. Canadian
  Journal of Economics, 56(3), 839–858 (six-point weights).
- Roodman, D., MacKinnon, J. G., Nielsen, M. Ø., & Webb, M. D. (2019). Fast and wild: bootstrap
  inference in Stata using boottest. Stata Journal, 19(1), 4–60 (the G × k algebra used here).
- Conley, T. G., & Taber, C. R. (2011). Inference with "difference in differences" with a small
  number of policy changes. Review of Economics and Statistics, 93(1), 113–125.
- MacKinnon, J. G., & Webb, M. D. (2020). Randomization inference for difference-in-differences
  with few treated clusters. Journal of Econometrics, 218(2), 435–450.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import scipy.sparse

from safetystats._checks import check_choice
from safetystats.errors import SafetystatsError

from ._util import FEW_TREATED_CLUSTERS, as_int, as_labels, check_level, make_rng
from .did import _staggered_panel, check_model
from .fixest import _Absorber, _design, _fit_ols, _fit_poisson, _offset, _Panel, check_vcov

__all__ = [
    "BootstrapResult",
    "wild_cluster_bootstrap",
    "RandomizationResult",
    "randomization_inference",
    "ScoreBootstrapResult",
    "poisson_score_bootstrap",
]

_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


#: The wild bootstrap's weight distributions.
WILD_WEIGHTS = ("rademacher", "webb")


@dataclass(frozen=True)
class BootstrapResult:
    """Result of :func:`wild_cluster_bootstrap` for the treatment coefficient (H0: β = 0).

    ``p_value`` is the symmetric bootstrap p-value, the share of bootstrap t statistics with
    ``|t*| >= |t|``. ``draws`` is the number actually used: all ``2^G`` sign vectors when
    Rademacher weights and ``2^G < draws`` (``full_enumeration``). With ``level``, ``ci_lower`` and
    ``ci_upper`` bound the set of values r that the same test, with the same bootstrap weights, does
    not reject at ``1 − level`` (test inversion, as boottest and fwildclusterboot).
    """

    estimate: float
    statistic: float
    p_value: float
    draws: int
    weights: str
    impose_null: bool
    full_enumeration: bool
    n_clusters: int
    n_treated_clusters: int
    t_boot: np.ndarray = field(repr=False)
    level: float | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None
    warnings: tuple[str, ...] = ()


#: Interval ends are located to this fraction of the CR1 standard error (the p-value curve is a
#: step function; its steps are found on a grid first, then by bisection).
CI_TOL = 1e-9
#: Grid for the first scan of the p-value curve: ±CI_GRID_SPAN standard errors in CI_GRID steps,
#: widened by doubling while the far end is not yet rejected.
CI_GRID, CI_GRID_SPAN = 400, 8.0


class _PCurve:
    """Bootstrap p-value of H0: β = r as a function of r, for one fixed set of weights.

    Under WCR the restricted residuals are linear in r, so for each draw the bootstrap numerator
    and the per-cluster terms of its CR1 variance are ``n0 + r·n1`` and ``z0 + r·z1``: keeping
    ``n0, n1, |z0|², z0·z1, |z1|²`` per draw gives ``t*(r)`` for any r in O(draws) (Roodman et
    al. 2019, section 3.5). Under WCU t* does not depend on r. The observed t is
    ``(β̂ − r) / se`` with the unrestricted CR1 se (without its small-sample factor, which cancels).
    """

    def __init__(self, beta0, se, n0, n1, a, b, c):
        self.beta0, self.se = beta0, se
        self.n0, self.n1, self.a, self.b, self.c = n0, n1, a, b, c

    def t_boot(self, r):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self.n0 + r * self.n1) / np.sqrt(self.a + 2 * r * self.b + r * r * self.c)

    def __call__(self, r):
        t = self.t_boot(r)
        t = t[np.isfinite(t)]
        if t.size == 0:
            return np.nan
        # ties (the identity draw under WCR) count as extreme, as in an exact test
        return float(np.mean(np.abs(t) >= abs((self.beta0 - r) / self.se) * (1 - 1e-10)))

    def _end(self, alpha, sign):
        span = CI_GRID_SPAN
        while True:
            grid = self.beta0 + sign * self.se * np.linspace(0.0, span, CI_GRID + 1)
            accepted = np.array([self(r) >= alpha for r in grid])
            if not accepted[-1]:
                break
            span *= 2
            if span > 1e12:
                return sign * np.inf
        last = int(np.flatnonzero(accepted)[-1])  # grid[0] = β̂ has p = 1
        inside, outside = grid[last], grid[last + 1]
        while abs(outside - inside) > CI_TOL * self.se:
            mid = 0.5 * (inside + outside)
            if self(mid) >= alpha:
                inside = mid
            else:
                outside = mid
        return 0.5 * (inside + outside)

    def interval(self, alpha):
        """Ends of {r: p(r) >= alpha} (its outermost crossings on each side; inf if unbounded)."""
        return self._end(alpha, -1.0), self._end(alpha, 1.0)


def _cluster_sums(values: np.ndarray, codes: np.ndarray, g: int) -> np.ndarray:
    summer = scipy.sparse.csr_matrix(
        (np.ones(codes.size), (codes, np.arange(codes.size))), shape=(g, codes.size)
    )
    return np.asarray(summer @ values)


def wild_cluster_bootstrap(
    y,
    treatment,
    *,
    area,
    period,
    covariates=None,
    cluster=None,
    draws: int = 999,
    weights: str = "rademacher",
    impose_null: bool = True,
    level: float | None = None,
    vcov: str = "CR1",
    rng=None,
) -> BootstrapResult:
    """Wild cluster bootstrap-t test of the TWFE treatment coefficient.

    The fixed effects are partialled out once (Frisch–Waugh–Lovell), leaving a regression of
    ``ỹ`` on ``k`` columns ``X̃``. Bootstrap samples ``y* = X̃β̃ + v_g · ũ`` multiply each
    cluster's residuals by one weight ``v_g``; with the null imposed (WCR, default, Cameron,
    Gelbach & Miller 2008) ``β̃`` and ``ũ`` come from the fit with ``β = 0``. Each bootstrap t
    uses the CR1 standard error. Everything is computed from per-cluster sums
    (``X_gᵀX_g``, ``X_gᵀũ_g``): memory is ``O(G · chunk)`` and time ``O(G · k · draws)``
    (Roodman et al. 2019), so 999 draws over 2,000 clusters take well under a second.
    Matches ``wildboottest`` (the engine of pyfixest's ``wildboottest``, bootstrap type "11").

    Parameters
    ----------
    y, treatment, area, period, covariates, cluster
        As in :func:`twfe`.
    draws : int
        Number of bootstrap draws (999 is conventional; all ``2^G`` sign vectors are used when
        Rademacher weights and ``2^G < draws``).
    weights : {"rademacher", "webb"}
        Rademacher ±1, or Webb's six-point weights (better with fewer than about 12 clusters).
    impose_null : bool
        WCR (True, recommended) or WCU.
    level : float, optional
        Also return the confidence interval at this level (0.95: the r not rejected at 5 %),
        by inverting the test with the same bootstrap weights: ``ci_lower``/``ci_upper`` are where
        the p-value curve ``p(r)`` of H0: β = r crosses ``1 − level`` (found on a grid, then by
        bisection to 1e-9 standard errors). Under WCR each r imposes its own null, as boottest.
    vcov : {"CR1"}
        The studentization of the observed and the bootstrap t: CR1 (boottest's WCR-11). It is
        validated like ``vcov=`` of :func:`twfe`; the other choices ("CR2", "CR3", "HC1") are
        refused here: the bootstrap t would have to be studentized the same way in every draw,
        which this algorithm does not do.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    BootstrapResult

    Notes
    -----
    With few *treated* clusters, WCR under-rejects and WCU over-rejects (MacKinnon & Webb
    2017); a warning says so. Then prefer :func:`randomization_inference`.

    Examples
    --------
    >>> import numpy as np
    >>> from safetystats.evaluation import wild_cluster_bootstrap
    >>> rng = np.random.default_rng(5)
    >>> area, year = np.repeat(np.arange(40), 8), np.tile(np.arange(8), 40)
    >>> d = ((area < 12) & (year >= 4)).astype(float)
    >>> y = 0.1 * area - 1.0 * d + rng.normal(0, 1, area.size)
    >>> res = wild_cluster_bootstrap(y, d, area=area, period=year, rng=1)
    >>> res.draws, bool(res.p_value < 0.05)
    (999, True)
    """
    check_choice(weights, "weights", WILD_WEIGHTS)
    vcov = check_vcov(vcov, cluster=cluster, cluster2=None)
    if vcov != "CR1":
        raise SafetystatsError(
            "input.choice",
            f"vcov: expected 'CR1' for the wild cluster bootstrap (its t statistics are "
            f"studentized with CR1 in every draw), got {vcov!r}; use twfe(vcov={vcov!r}) or "
            "randomization_inference(statistic='t', vcov=...)",
            name="vcov",
            expected=["CR1"],
            given=repr(vcov),
        )
    draws = as_int(draws, "draws", minimum=1)
    if level is not None:
        level = check_level(level)
    gen = make_rng(rng)
    n = np.asarray(y).shape[0] if np.ndim(y) else -1
    x, names = _design(treatment, covariates, n)
    panel = _Panel(y, x, area=area, period=period, cluster=cluster, names=names)
    fit, _, _ = _fit_ols(panel, panel.x[:, 0] != 0)
    g = fit.n_clusters
    cl = panel.cl
    a_n = int(panel.a.max()) + 1
    if np.unique(panel.a.astype(np.int64) * g + cl).size != a_n:
        raise SafetystatsError(
            "panel.clusters_split_areas",
            "cluster: expected clusters that contain whole areas (areas nested in clusters), got "
            "areas split over clusters",
        )
    # Areas are swept out by the within transformation and periods enter as dummies (basis q),
    # so the bootstrap residual of the full dummy model is v∘ũ − q q'(v∘ũ) − X̃(β* − β̃).
    absorb = _Absorber(panel.a, a_n, panel.p, int(panel.p.max()) + 1, keep_order=True)
    xt, yt = absorb(panel.x), absorb(panel.y)
    q = absorb.basis()
    k = xt.shape[1]
    inv = np.linalg.inv(xt.T @ xt)
    beta = inv @ (xt.T @ yt)
    if impose_null:
        beta_r = beta - inv[:, 0] * beta[0] / inv[0, 0]
        # d ũ / d r: imposing β = r instead of 0 moves the restricted fit along (X'X)^-1 R'
        resid_h = -(xt @ inv[:, 0]) / inv[0, 0]
    else:
        beta_r = beta
        resid_h = np.zeros_like(yt)
    resid_r = yt - xt @ beta_r
    xx = _cluster_sums(np.einsum("ni,nj->nij", xt, xt).reshape(-1, k * k), cl, g).reshape(g, k, k)
    a = xx @ inv[:, 0]  # a_g = X_g'X_g (X'X)^-1 R'
    lam = _cluster_sums(q * (xt @ inv[:, 0])[:, None], cl, g)  # G × (T−1): q_g' X_g (X'X)^-1 R'

    def per_cluster(u):
        """(c, sb, m) for residuals u: R (X'X)^-1 s_g, (X'X)^-1 s_g and q_g' u_g."""
        sb = _cluster_sums(xt * u[:, None], cl, g) @ inv  # rows: (X'X)^-1 s_g
        return sb[:, 0], sb, _cluster_sums(q * u[:, None], cl, g)

    c0, sb0, m0 = per_cluster(resid_r)
    c1, sb1, m1 = per_cluster(resid_h)
    # the observed t: CR1 (the ssc factor cancels in the p-value; report fixest's t)
    stat = fit.coef[0] / math.sqrt(fit.vcov[0, 0])
    resid = yt - xt @ beta
    s_hat = _cluster_sums(xt * resid[:, None], cl, g) @ inv[:, 0]
    se0 = math.sqrt(np.sum(s_hat**2))
    full = weights == "rademacher" and 2**g < draws
    if full:
        codes = np.arange(2**g)
        v_all = 1.0 - 2.0 * ((codes[None, :] >> np.arange(g)[:, None]) & 1)
        n_draws = 2**g
    else:
        v_all = None
        n_draws = draws
    chunk = max(1, min(n_draws, 4_000_000 // max(g, 1)))
    n0, n1, q00, q01, q11 = (np.empty(n_draws) for _ in range(5))
    for start in range(0, n_draws, chunk):
        b = min(chunk, n_draws - start)
        if v_all is not None:
            v = v_all[:, start : start + b]
        elif weights == "rademacher":
            v = 1.0 - 2.0 * gen.integers(0, 2, size=(g, b))
        else:
            v = _WEBB[gen.integers(0, 6, size=(g, b))]
        z0 = c0[:, None] * v - a @ (sb0.T @ v) - lam @ (m0.T @ v)
        z1 = c1[:, None] * v - a @ (sb1.T @ v) - lam @ (m1.T @ v)
        sl = slice(start, start + b)
        n0[sl], n1[sl] = c0 @ v, c1 @ v
        q00[sl] = np.sum(z0 * z0, axis=0)
        q01[sl] = np.sum(z0 * z1, axis=0)
        q11[sl] = np.sum(z1 * z1, axis=0)
    curve = _PCurve(beta[0], se0, n0, n1, q00, q01, q11)
    t_boot = curve.t_boot(0.0)
    t_boot = t_boot[np.isfinite(t_boot)]
    if t_boot.size == 0:
        raise SafetystatsError(
            "inference.degenerate_bootstrap",
            "wild_cluster_bootstrap: expected non-degenerate draws, got none",
        )
    p = curve(0.0)
    ci = (None, None)
    if level is not None:
        ci = curve.interval(1.0 - level)
    warn = fit.warnings
    if fit.n_treated_clusters < FEW_TREATED_CLUSTERS:
        warn = warn + (
            "the wild cluster bootstrap with the null imposed (WCR) is conservative and without it "
            "(WCU) liberal when few clusters are treated (MacKinnon & Webb 2017)",
        )
    return BootstrapResult(
        estimate=float(fit.coef[0]),
        statistic=float(stat),
        p_value=p,
        draws=int(t_boot.size),
        weights=weights,
        impose_null=bool(impose_null),
        full_enumeration=bool(full),
        n_clusters=g,
        n_treated_clusters=fit.n_treated_clusters,
        t_boot=t_boot,
        level=level,
        ci_lower=None if ci[0] is None else float(ci[0]),
        ci_upper=None if ci[1] is None else float(ci[1]),
        warnings=warn,
    )


# ----------------------------------------------------------------------------------------------
# Randomization inference
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RandomizationResult:
    """Result of :func:`randomization_inference`.

    ``p_value`` is the share of placebo assignments whose statistic is at least as extreme
    (two-sided, ``|s*| >= |s|``). With ``pool="controls"`` the real assignment is counted once
    more: ``(1 + #extreme) / (1 + n)``. ``n_extreme`` is ``#extreme``, the number of placebo
    assignments at least as extreme (the real assignment not counted). ``exact`` says whether all
    assignments were enumerated.
    """

    estimate: float
    statistic: float
    p_value: float
    placebo: np.ndarray = field(repr=False)
    n_assignments: int = 0
    n_extreme: int = 0
    exact: bool = False
    pool: str = "controls"
    n_treated: int = 0
    n_pool: int = 0
    warnings: tuple[str, ...] = ()


def randomization_inference(
    y,
    *,
    area,
    period,
    first_treated,
    pool: str = "controls",
    statistic: str = "coef",
    model: str = "ols",
    population=None,
    draws: int = 999,
    vcov: str = "CR1",
    rng=None,
) -> RandomizationResult:
    """Randomization (placebo) inference for the DiD effect over the control pool.

    The statistic — the TWFE coefficient (``model="ols"``), its t statistic (CR1, or ``vcov``)
    (``statistic="t"``), or the Poisson FE coefficient — is computed for the real treated areas,
    then again for placebo assignments in which the treated areas' start periods are given to
    other areas. ``pool="controls"``: the treated areas are left out and placebo treated areas are
    drawn from the never-treated areas only (Abadie, Diamond & Hainmueller 2010; Conley & Taber
    2011). ``pool="all"``: a Fisher permutation test over all areas, the real assignment being one
    of them. Assignments are enumerated exactly when every treated area starts in the same period
    and the number of subsets is at most ``draws``; otherwise ``draws`` random assignments.

    For OLS the fixed effects are partialled out of ``y`` once and each placebo costs one
    projection of its treatment column, so thousands of placebos run in seconds. Poisson refits
    the model per placebo (seconds each on large panels: keep ``draws`` small).

    Parameters
    ----------
    y : array_like, shape (n,)
        Outcome (OLS) or counts (Poisson).
    area, period, first_treated : array_like, shape (n,)
        As in :func:`event_study` (``first_treated`` NaN for control areas).
    pool : {"controls", "all"}
    statistic : {"coef", "t"}
        ``"t"`` (OLS only) is more robust when treated areas differ in size (MacKinnon & Webb 2020).
    model : {"ols", "poisson"}
    population : array_like, optional
        Exposure for the Poisson model.
    draws : int
    vcov : {"CR1", "CR2", "CR3", "HC1"}
        Covariance behind ``statistic="t"`` (by area, as :func:`twfe`); the same estimator
        studentizes the real and every placebo coefficient. CR1 uses the fast path (one
        projection per placebo); the others refit each placebo (CR3: G refits each), so keep
        ``draws`` moderate. With ``statistic="coef"`` only "CR1" is accepted (nothing is
        studentized).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    RandomizationResult

    Examples
    --------
    >>> import numpy as np
    >>> from safetystats.evaluation import randomization_inference
    >>> rng = np.random.default_rng(6)
    >>> area, year = np.repeat(np.arange(30), 8), np.tile(np.arange(8), 30)
    >>> start = np.where(area < 3, 4.0, np.nan)
    >>> y = 0.1 * area + np.where(year >= start, -2.0, 0.0) + rng.normal(0, 0.5, area.size)
    >>> res = randomization_inference(y, area=area, period=year, first_treated=start)
    >>> res.exact, res.n_assignments, bool(res.p_value < 0.01)  # C(27, 3) = 2925 > 999 draws
    (False, 999, True)
    """
    if pool not in ("controls", "all"):
        raise SafetystatsError(
            "input.choice",
            f"pool: expected 'controls' or 'all', got {pool!r}",
            name="pool",
            expected=["controls", "all"],
            given=repr(pool),
        )
    if statistic not in ("coef", "t"):
        raise SafetystatsError(
            "input.choice",
            f"statistic: expected 'coef' or 't', got {statistic!r}",
            name="statistic",
            expected=["coef", "t"],
            given=repr(statistic),
        )
    check_model(model)
    if statistic == "t" and model != "ols":
        raise SafetystatsError(
            "input.choice",
            "statistic: expected 'coef' with model='poisson', got 't'",
            name="statistic",
            expected=["coef"],
            given="'t'",
        )
    vcov = check_vcov(vcov, cluster=None, cluster2=None)
    if statistic != "t" and vcov != "CR1":
        raise SafetystatsError(
            "input.choice",
            f"vcov: expected 'CR1' with statistic='coef' (the coefficient is not studentized), "
            f"got {vcov!r}; use statistic='t'",
            name="vcov",
            expected=["CR1"],
            given=repr(vcov),
        )
    draws = as_int(draws, "draws", minimum=1)
    gen = make_rng(rng)
    yv, per, ft, treated = _staggered_panel(
        y, area=area, period=period, first_treated=first_treated, y_name="y"
    )
    levels, a = as_labels(area, "area", n=yv.size)
    a_n = levels.size
    area_ft = np.full(a_n, np.nan)
    area_ft[a] = ft
    treated_areas = np.flatnonzero(~np.isnan(area_ft))
    control_areas = np.flatnonzero(np.isnan(area_ft))
    starts = area_ft[treated_areas]
    n_t = treated_areas.size
    offset = None if population is None else _offset(population, yv.size)
    if model == "poisson" and offset is None:
        offset = np.zeros(yv.size)

    def estimate(rows, d):
        """Statistic on the given rows with treatment d (full recomputation)."""
        panel = _Panel(
            yv[rows], d[:, None], area=a[rows], period=per[rows], cluster=None, names=["d"]
        )
        if model == "ols":
            fit, _, _ = _fit_ols(panel, d != 0, vcov_type=vcov)
        else:
            fit = _fit_poisson(panel, d != 0, offset[rows], tol=1e-9, max_iter=100)
        if statistic == "t":
            return fit.coef[0] / math.sqrt(fit.vcov[0, 0]), fit
        return fit.coef[0], fit

    d_real = (treated & (per >= np.where(treated, ft, np.inf))).astype(float)
    all_rows = np.ones(yv.size, dtype=bool)
    s_real, fit_real = estimate(all_rows, d_real)

    pool_areas = control_areas if pool == "controls" else np.arange(a_n)
    if pool_areas.size < n_t or (pool == "controls" and pool_areas.size < n_t + 1):
        raise SafetystatsError(
            "inference.pool_too_small",
            f"pool: expected more {'control ' if pool == 'controls' else ''}areas than the "
            f"{n_t} treated, got {pool_areas.size}",
            treated=int(n_t),
            pool=int(pool_areas.size),
        )
    rows = all_rows if pool == "all" else np.isin(a, control_areas)
    n_subsets = math.comb(pool_areas.size, n_t)
    exact = bool(np.all(starts == starts[0]) and n_subsets <= draws)
    if exact:
        assignments = np.array(list(combinations(range(pool_areas.size), n_t)), dtype=np.int64)
        assignments = pool_areas[assignments]
        start_sets = np.broadcast_to(starts, assignments.shape)
    else:
        assignments = np.vstack([gen.choice(pool_areas, n_t, replace=False) for _ in range(draws)])
        start_sets = np.vstack([gen.permutation(starts) for _ in range(draws)])
    n_assign = assignments.shape[0]
    placebo = np.empty(n_assign)

    sub_a = a[rows]
    sub_p = per[rows]
    if model == "ols" and vcov == "CR1":
        _, a_codes = np.unique(sub_a, return_inverse=True)
        _, p_codes = np.unique(sub_p, return_inverse=True)
        absorb = _Absorber(a_codes, int(a_codes.max()) + 1, p_codes, int(p_codes.max()) + 1)
        yt = absorb(yv[rows])
        g = int(a_codes.max()) + 1
        summer = scipy.sparse.csr_matrix(
            (np.ones(sub_a.size), (a_codes, np.arange(sub_a.size))), shape=(g, sub_a.size)
        )
        nobs = sub_a.size
        df_k = 1 + int(p_codes.max()) + 1
        ssc = (g / (g - 1)) * ((nobs - 1) / (nobs - df_k))
        chunk = max(1, 3_000_000 // nobs)
        for s in range(0, n_assign, chunk):
            e = min(n_assign, s + chunk)
            start_mat = np.full((a_n, e - s), np.inf)
            cols = np.arange(e - s)[None, :].repeat(n_t, axis=0).T
            start_mat[assignments[s:e], cols] = start_sets[s:e]
            d = (sub_p[:, None] >= start_mat[sub_a]).astype(float)
            dt = absorb(d)
            sxx = np.einsum("ij,ij->j", dt, dt)
            with np.errstate(divide="ignore", invalid="ignore"):
                b = (dt.T @ yt) / sxx
                if statistic == "t":
                    u = yt[:, None] - dt * b[None, :]
                    sg = summer @ (dt * u)
                    se = np.sqrt(ssc * np.sum(sg * sg, axis=0)) / sxx
                    b = b / se
            placebo[s:e] = b
    else:
        for i in range(n_assign):
            area_start = np.full(a_n, np.inf)
            area_start[assignments[i]] = start_sets[i]
            d = (per >= area_start[a]).astype(float)
            try:
                placebo[i] = estimate(rows, d[rows])[0]
            except ValueError:
                placebo[i] = np.nan
    ok = np.isfinite(placebo)
    warn = ()
    if not ok.all():
        warn += (
            f"{int((~ok).sum())} placebo assignment(s) were not estimable (e.g. placebo areas "
            "without a pre-period) and were left out",
        )
        placebo = placebo[ok]
    if placebo.size == 0:
        raise SafetystatsError(
            "inference.no_placebos",
            "randomization_inference: expected estimable placebos, got none",
        )
    tol = 1e-12 * max(abs(s_real), 1e-300)
    extreme = int(np.sum(np.abs(placebo) >= abs(s_real) - tol))
    if pool == "controls" or not exact:
        p = (1 + extreme) / (1 + placebo.size)
    else:
        p = extreme / placebo.size
    if n_t < FEW_TREATED_CLUSTERS:
        warn += (
            f"only {n_t} treated area(s): randomization inference is valid under exchangeable "
            "areas, but its smallest attainable p-value is 1/(assignments+1) and it is sensitive "
            "to treated areas of unusual size or variance (MacKinnon & Webb 2020)",
        )
    return RandomizationResult(
        estimate=float(fit_real.coef[0]),
        statistic=float(s_real),
        p_value=float(p),
        placebo=placebo,
        n_assignments=int(placebo.size),
        n_extreme=extreme,
        exact=exact,
        pool=pool,
        n_treated=int(n_t),
        n_pool=int(pool_areas.size),
        warnings=warn,
    )


# ----------------------------------------------------------------------------------------------
# Score bootstrap for the Poisson model
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreBootstrapResult:
    """Result of :func:`poisson_score_bootstrap` for H0: β = ``null``.

    ``statistic`` is the cluster-robust score statistic ``Σ_g S_g / sqrt(Σ_g S_g²)`` from the
    fit with β fixed at ``null``; ``p_value`` the share of bootstrap statistics at least as large
    in absolute value; ``estimate`` the unrestricted Poisson FE coefficient (for reference: the
    test does not use it).
    """

    estimate: float
    null: float
    statistic: float
    p_value: float
    draws: int
    weights: str
    full_enumeration: bool
    n_clusters: int
    n_treated_clusters: int
    s_boot: np.ndarray = field(repr=False)
    warnings: tuple[str, ...] = ()


def _restricted_poisson(y, fixed, a, a_n, p, p_n, cov, *, tol=1e-12, max_iter=200):
    """μ of the Poisson FE model with the linear predictor part ``fixed`` held fixed (IRLS).

    ``fixed`` is the offset plus ``null · d``; the area and period effects and the covariates
    ``cov`` (or None) are estimated. Each step is an exact weighted projection (as poisson_fe).
    """
    mu = np.maximum(y, 0.5 * y.mean() + 1e-3)  # a start away from 0, as fixest's
    eta = np.log(mu)
    absorb = _Absorber(a, a_n, p, p_n, mu)
    dev_old = np.inf
    for _ in range(max_iter):
        z = eta - fixed + (y - mu) / mu
        absorb.reweight(mu)
        zt = absorb(z)
        if cov is not None:
            xt = absorb(cov)
            sw = np.sqrt(mu)[:, None]
            coef = np.linalg.lstsq(xt * sw, zt * sw[:, 0], rcond=None)[0]
            zt = zt - xt @ coef
        eta = z - zt + fixed
        mu = np.exp(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = 2 * float(np.sum(np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)))
        if abs(dev - dev_old) / (0.1 + abs(dev)) < tol:
            return mu, absorb
        dev_old = dev
    raise SafetystatsError(
        "poisson.no_convergence",
        f"poisson_score_bootstrap: expected the restricted fit to converge within {max_iter} "
        f"iterations, got a relative deviance change of {abs(dev - dev_old) / (0.1 + abs(dev)):.2g}",
        max_iter=max_iter,
        change=float(abs(dev - dev_old) / (0.1 + abs(dev))),
        tol=tol,
    )


def poisson_score_bootstrap(
    counts,
    treatment,
    *,
    area,
    period,
    population=None,
    covariates=None,
    cluster=None,
    null: float = 0.0,
    draws: int = 999,
    weights: str = "rademacher",
    rng=None,
) -> ScoreBootstrapResult:
    """Score (wild) bootstrap test of the Poisson FE treatment coefficient, H0: β = ``null``.

    Kline & Santos (2012): fit the model with β fixed at the null (area and period effects and
    covariates estimated), take each observation's score for β after projecting out the scores
    of the nuisance parameters, ``s_i = d̃_i (y_i − μ̃_i)`` with ``d̃`` the residual of the
    treatment on the fixed effects and covariates weighted by ``μ̃``, and sum it by cluster,
    ``S_g``. The statistic is ``T = Σ S_g / sqrt(Σ S_g²)``; bootstrap statistics
    ``T* = Σ v_g S_g / sqrt(Σ v_g² S_g²)`` multiply each cluster's score by one weight, with no
    refit, so the bootstrap costs O(G · draws). Because the null is imposed and nothing is
    re-estimated, the test stays defined with low counts and zeros, where a Wald test from a
    refitted Poisson model is not.

    Parameters
    ----------
    counts, treatment, area, period, population, covariates, cluster
        As in :func:`poisson_fe`.
    null : float
        The coefficient under H0 (0: no effect on the log rate).
    draws : int
        Bootstrap draws; all ``2^G`` sign vectors when Rademacher and ``2^G < draws``.
    weights : {"rademacher", "webb"}
    rng : numpy.random.Generator, int or None

    Returns
    -------
    ScoreBootstrapResult

    Examples
    --------
    >>> import numpy as np
    >>> from safetystats.evaluation.inference import poisson_score_bootstrap
    >>> rng = np.random.default_rng(4)
    >>> area, year = np.repeat(np.arange(30), 8), np.tile(np.arange(8), 30)
    >>> d = ((area < 5) & (year >= 4)).astype(float)
    >>> y = rng.poisson(3.0 * np.exp(-0.8 * d))
    >>> res = poisson_score_bootstrap(y, d, area=area, period=year, rng=1)
    >>> bool(res.p_value < 0.05), res.draws
    (True, 999)
    """
    from .fixest import poisson_fe

    check_choice(weights, "weights", WILD_WEIGHTS)
    draws = as_int(draws, "draws", minimum=1)
    try:
        null = float(null)
    except (TypeError, ValueError):
        null = float("nan")
    if not np.isfinite(null):
        raise SafetystatsError(
            "input.not_finite",
            "null: expected a finite number, got a non-finite one",
            name="null",
            count=1,
        )
    gen = make_rng(rng)
    fit = poisson_fe(
        counts,
        treatment,
        area=area,
        period=period,
        population=population,
        covariates=covariates,
        cluster=cluster,
    )
    rows = fit.rows_used
    n = np.asarray(treatment).shape[0]
    d_all = np.asarray(treatment, dtype=float)
    y = np.asarray(counts, dtype=float)[rows]
    d = d_all[rows]
    off = np.zeros(n) if population is None else _offset(population, n)
    off = off[rows]
    cov = None
    if covariates is not None:
        cov = np.asarray(covariates, dtype=float).reshape(n, -1)[rows]
    _, a = as_labels(np.asarray(area)[rows], "area", n=rows.size)
    _, p = as_labels(np.asarray(period)[rows], "period", n=rows.size)
    cl_src = area if cluster is None else cluster
    _, cl = as_labels(np.asarray(cl_src)[rows], "cluster", n=rows.size)
    g = int(cl.max()) + 1
    mu, absorb = _restricted_poisson(
        y, off + null * d, a, int(a.max()) + 1, p, int(p.max()) + 1, cov
    )
    dt = absorb(d)
    if cov is not None:
        xt = absorb(cov)
        sw = np.sqrt(mu)[:, None]
        dt = dt - xt @ np.linalg.lstsq(xt * sw, dt * sw[:, 0], rcond=None)[0]
    s_g = np.bincount(cl, dt * (y - mu), g)
    denom0 = math.sqrt(float(np.sum(s_g**2)))
    if denom0 == 0:
        raise SafetystatsError(
            "inference.degenerate_bootstrap",
            "poisson_score_bootstrap: expected a non-zero score variance, got 0 (the counts "
            "are fitted exactly under the null)",
        )
    stat = float(np.sum(s_g)) / denom0
    full = weights == "rademacher" and 2**g < draws
    n_draws = 2**g if full else draws
    s_boot = np.empty(n_draws)
    chunk = max(1, min(n_draws, 4_000_000 // max(g, 1)))
    for start in range(0, n_draws, chunk):
        b = min(chunk, n_draws - start)
        if full:
            codes = np.arange(start, start + b)
            v = 1.0 - 2.0 * ((codes[None, :] >> np.arange(g)[:, None]) & 1)
        elif weights == "rademacher":
            v = 1.0 - 2.0 * gen.integers(0, 2, size=(g, b))
        else:
            v = _WEBB[gen.integers(0, 6, size=(g, b))]
        with np.errstate(divide="ignore", invalid="ignore"):
            s_boot[start : start + b] = (s_g @ v) / np.sqrt((s_g**2) @ (v * v))
    # ties (the identity draw) count as extreme, as in an exact test
    p_value = float(np.mean(np.abs(s_boot) >= abs(stat) * (1 - 1e-10)))
    warn = fit.warnings
    return ScoreBootstrapResult(
        estimate=float(fit.estimate),
        null=null,
        statistic=stat,
        p_value=p_value,
        draws=int(n_draws),
        weights=weights,
        full_enumeration=bool(full),
        n_clusters=g,
        n_treated_clusters=int(fit.n_treated_clusters),
        s_boot=s_boot,
        warnings=warn,
    )
