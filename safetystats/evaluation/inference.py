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

from safetystats.errors import SafetystatsError

from ._util import FEW_TREATED_CLUSTERS, as_int, as_labels, make_rng
from .did import _staggered_panel, check_model
from .fixest import _Absorber, _design, _fit_ols, _fit_poisson, _offset, _Panel

__all__ = [
    "BootstrapResult",
    "wild_cluster_bootstrap",
    "RandomizationResult",
    "randomization_inference",
]

_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


@dataclass(frozen=True)
class BootstrapResult:
    """Result of :func:`wild_cluster_bootstrap` for the treatment coefficient (H0: β = 0).

    ``p_value`` is the symmetric bootstrap p-value, the share of bootstrap t statistics with
    ``|t*| >= |t|``. ``draws`` is the number actually used: all ``2^G`` sign vectors when
    Rademacher weights and ``2^G < draws`` (``full_enumeration``).
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
    warnings: tuple[str, ...] = ()


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
    if weights not in ("rademacher", "webb"):
        raise SafetystatsError(
            "input.choice",
            f"weights: expected 'rademacher' or 'webb', got {weights!r}",
            name="weights",
            expected=["rademacher", "webb"],
            given=repr(weights),
        )
    draws = as_int(draws, "draws", minimum=1)
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
    else:
        beta_r = beta
    resid_r = yt - xt @ beta_r
    # per-cluster sums X_g'ũ_g (G × k) and X_g'X_g (G × k × k)
    scores = _cluster_sums(xt * resid_r[:, None], cl, g)
    xx = _cluster_sums(np.einsum("ni,nj->nij", xt, xt).reshape(-1, k * k), cl, g).reshape(g, k, k)
    sb = scores @ inv  # rows: (X'X)^-1 s_g
    c = sb[:, 0]  # R (X'X)^-1 s_g
    a = xx @ inv[:, 0]  # a_g = X_g'X_g (X'X)^-1 R'
    lam = _cluster_sums(q * (xt @ inv[:, 0])[:, None], cl, g)  # G × (T−1): q_g' X_g (X'X)^-1 R'
    m = _cluster_sums(q * resid_r[:, None], cl, g)  # G × (T−1): q_g' ũ_g
    # the observed t: CR1 (the ssc factor cancels in the p-value; report fixest's t)
    stat = fit.coef[0] / math.sqrt(fit.vcov[0, 0])
    resid = yt - xt @ beta
    s_hat = _cluster_sums(xt * resid[:, None], cl, g) @ inv[:, 0]
    t0 = beta[0] / math.sqrt(np.sum(s_hat**2))
    full = weights == "rademacher" and 2**g < draws
    if full:
        codes = np.arange(2**g)
        v_all = 1.0 - 2.0 * ((codes[None, :] >> np.arange(g)[:, None]) & 1)
        n_draws = 2**g
    else:
        v_all = None
        n_draws = draws
    chunk = max(1, min(n_draws, 4_000_000 // max(g, 1)))
    t_boot = np.empty(n_draws)
    for start in range(0, n_draws, chunk):
        b = min(chunk, n_draws - start)
        if v_all is not None:
            v = v_all[:, start : start + b]
        elif weights == "rademacher":
            v = 1.0 - 2.0 * gen.integers(0, 2, size=(g, b))
        else:
            v = _WEBB[gen.integers(0, 6, size=(g, b))]
        numer = c @ v
        z = c[:, None] * v - a @ (sb.T @ v) - lam @ (m.T @ v)
        denom = np.sum(z * z, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_boot[start : start + b] = numer / np.sqrt(denom)
    t_boot = t_boot[np.isfinite(t_boot)]
    if t_boot.size == 0:
        raise SafetystatsError(
            "inference.degenerate_bootstrap",
            "wild_cluster_bootstrap: expected non-degenerate draws, got none",
        )
    # ties (the identity draw under WCR) count as extreme, as in an exact test
    p = float(np.mean(np.abs(t_boot) >= abs(t0) * (1 - 1e-10)))
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
    rng=None,
) -> RandomizationResult:
    """Randomization (placebo) inference for the DiD effect over the control pool.

    The statistic — the TWFE coefficient (``model="ols"``), its CR1 t statistic
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
            fit, _, _ = _fit_ols(panel, d != 0)
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
    if model == "ols":
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
