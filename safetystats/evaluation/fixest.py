"""Fixed-effects regressions on an area × period panel: linear (TWFE) and Poisson with exposure.

Both absorb area and period fixed effects **exactly**, without iterating over the fixed effects:
the factor with more levels (normally the areas) is swept out by a (weighted) within transformation,
and the factor with fewer levels (normally the years, 10–30 of them) enters as explicit dummies that
are then partialled out by the Frisch–Waugh–Lovell theorem (Frisch & Waugh 1933; Lovell 1963).
The coefficients, residuals and cluster scores are those of the regression with all dummies, so
standard errors equal fixest's (Bergé 2018) with its default small-sample correction.

Sources
-------
- Bergé, L. (2018). Efficient estimation of maximum likelihood models with multiple fixed-effects:
  the R package FENmlm. CREA Discussion Paper 2018-13 (the algorithms behind R ``fixest``).
- Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
  Journal of Human Resources, 50(2), 317–372 (CR1 and its small-sample factor).
- McCullagh, P., & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed., ch. 2 (IRLS).
- Correia, S., Guimarães, P., & Zylkin, T. (2020). Fast Poisson estimation with high-dimensional
  fixed effects. Stata Journal, 20(1), 95–115 (separation: areas whose counts are all zero).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import scipy.sparse
from scipy import stats

from ._util import as_float, as_labels, check_level, check_panel_unique, few_clusters_warning

__all__ = ["FeResult", "twfe", "poisson_fe"]


@dataclass(frozen=True)
class FeResult:
    """Result of :func:`twfe` or :func:`poisson_fe`.

    ``estimate`` and its inference refer to the first regressor (the treatment); ``coef``,
    ``std_errors`` and ``vcov`` cover all regressors in the order of ``names``.
    For the Poisson model ``relative`` is the effect on the rate, ``exp(estimate) - 1``
    (−0.2 = a 20 % lower rate), with its interval transformed the same way.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    statistic: float
    model: str
    names: tuple[str, ...]
    coef: np.ndarray = field(repr=False)
    std_errors: np.ndarray = field(repr=False)
    vcov: np.ndarray = field(repr=False)
    relative: float | None
    relative_ci_low: float | None
    relative_ci_high: float | None
    level: float
    n_obs: int
    n_clusters: int
    n_treated_clusters: int
    df_t: int | None
    iterations: int
    dropped_areas: tuple = ()
    warnings: tuple[str, ...] = ()


# ----------------------------------------------------------------------------------------------
# The engine: exact absorption of two fixed effects
# ----------------------------------------------------------------------------------------------


class _Absorber:
    """Partials area and period fixed effects out of columns, with optional weights.

    The factor with more levels is swept out by a within transformation (a sparse group-mean
    operator); the other enters as dummies (first level dropped) that are partialled out by
    weighted least squares. Both steps are exact projections, so no convergence tolerance.
    For the bootstrap, ``basis()`` gives an orthonormal basis of the partialled dummies.
    """

    def __init__(self, a_codes, a_n, b_codes, b_n, weights=None, *, keep_order=False):
        if b_n > a_n and not keep_order:
            a_codes, a_n, b_codes, b_n = b_codes, b_n, a_codes, a_n
        n = a_codes.size
        self.n = n
        self.w = np.ones(n) if weights is None else weights
        self.a_codes, self.a_n = a_codes, a_n
        self._group = scipy.sparse.csr_matrix(
            (self.w, (a_codes, np.arange(n))), shape=(a_n, n)
        )  # weighted group sums
        self._sw = np.asarray(self._group.sum(axis=1)).ravel()
        if b_n > 1:
            dummies = np.zeros((n, b_n - 1))
            rows = np.flatnonzero(b_codes > 0)
            dummies[rows, b_codes[rows] - 1] = 1.0
            self._dw = self._within(dummies)
            # Normal equations of the (b_n − 1)-column weighted projection; the pseudo-inverse
            # (eigendecomposition) keeps it exact when odd panels make the dummies dependent.
            gram = (self._dw * self.w[:, None]).T @ self._dw
            self._ginv = scipy.linalg.pinvh(gram, rtol=1e-10)
        else:
            self._dw = None

    def _within(self, z):
        means = (self._group @ z) / self._sw[:, None]
        return z - means[self.a_codes]

    def basis(self) -> np.ndarray:
        """Orthonormal basis (N × r) of the sqrt(w)-weighted, within-transformed dummies."""
        if self._dw is None:
            return np.zeros((self.n, 0))
        q, r, _ = scipy.linalg.qr(
            self._dw * np.sqrt(self.w)[:, None], mode="economic", pivoting=True
        )
        diag = np.abs(np.diag(r))
        return q[:, diag > 1e-10 * max(diag.max(initial=0.0), 1.0)]

    def __call__(self, z: np.ndarray) -> np.ndarray:
        """Return M z: the columns of z with both fixed effects partialled out (weighted)."""
        two_d = z.ndim == 2
        z2 = z if two_d else z[:, None]
        zw = self._within(z2)
        if self._dw is not None:
            zw = zw - self._dw @ (self._ginv @ ((self._dw * self.w[:, None]).T @ zw))
        return zw if two_d else zw[:, 0]


def _check_rank(xt: np.ndarray, x: np.ndarray, w: np.ndarray, names) -> None:
    """Refuse regressors absorbed by the fixed effects and linearly dependent regressors."""
    sq = np.sqrt(w)[:, None]
    scale = np.sqrt(np.sum((x - np.average(x, axis=0, weights=w)) ** 2 * w[:, None], axis=0))
    norms = np.sqrt(np.sum((xt * sq) ** 2, axis=0))
    absorbed = [names[j] for j in range(x.shape[1]) if norms[j] <= 1e-9 * max(scale[j], 1e-300)]
    if absorbed:
        raise ValueError(
            f"collinear design: expected regressors that vary within areas and periods, got "
            f"{absorbed} fully explained by the area and period fixed effects"
        )
    z = xt * sq / norms
    _, r, piv = scipy.linalg.qr(z, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int(np.sum(diag > 1e-9 * diag[0]))
    if rank < x.shape[1]:
        dropped = [names[j] for j in piv[rank:]]
        raise ValueError(
            f"collinear design: expected linearly independent regressors, got {dropped} as a "
            "linear combination of the other regressors and the fixed effects"
        )


def _ssc(n_obs, k, a_codes, a_n, b_codes, b_n, cl_codes):
    """fixest's default small-sample factor for CR1 (K excludes FE nested in the cluster)."""
    k_fe = a_n + b_n
    k_fe_adj = k_fe - 1  # two fixed effects: one level of the second is redundant
    nested_levels = 0
    n_nested = 0
    for codes, n_lev in ((a_codes, a_n), (b_codes, b_n)):
        pairs = np.unique(codes.astype(np.int64) * (cl_codes.max() + 1) + cl_codes)
        if pairs.size == n_lev:  # each level lies in exactly one cluster
            nested_levels += n_lev
            n_nested += 1
    df_k = k + k_fe_adj - nested_levels + n_nested
    g = int(cl_codes.max()) + 1
    return (g / (g - 1)) * ((n_obs - 1) / (n_obs - df_k)), g


def _cluster_meat(scores: np.ndarray, cl_codes: np.ndarray, g: int) -> np.ndarray:
    summed = np.vstack([np.bincount(cl_codes, scores[:, j], g) for j in range(scores.shape[1])]).T
    return summed.T @ summed


@dataclass(frozen=True)
class _Fit:
    coef: np.ndarray
    vcov: np.ndarray
    df_t: int | None
    n_obs: int
    n_clusters: int
    n_treated_clusters: int
    iterations: int
    dropped_areas: tuple
    warnings: tuple


class _Panel:
    """Validated long panel: codes for areas, periods and clusters."""

    def __init__(self, y, x, *, area, period, cluster, names, y_name="y"):
        self.y = as_float(y, y_name)
        n = self.y.size
        if n == 0:
            raise ValueError(f"{y_name}: expected at least one observation, got none")
        self.x = as_float(x, "regressors", n=n, ndim=2)
        self.names = tuple(names)
        if len(self.names) != self.x.shape[1]:
            raise ValueError(f"names: expected {self.x.shape[1]} names, got {len(self.names)}")
        self.area_levels, self.a = as_labels(area, "area", n=n)
        self.period_levels, self.p = as_labels(period, "period", n=n)
        check_panel_unique(self.a, self.p, self.period_levels.size)
        if cluster is None:
            self.cl = self.a
        else:
            _, self.cl = as_labels(cluster, "cluster", n=n)
        if int(self.cl.max()) + 1 < 2:
            raise ValueError("cluster: expected at least 2 clusters, got 1")

    def subset(self, keep: np.ndarray) -> None:
        self.y, self.x = self.y[keep], self.x[keep]
        _, self.a = np.unique(self.a[keep], return_inverse=True)
        _, self.p = np.unique(self.p[keep], return_inverse=True)
        _, self.cl = np.unique(self.cl[keep], return_inverse=True)


def _treatment_checks(panel: _Panel, treated_rows: np.ndarray) -> int:
    """Refuse designs without controls or with treated areas lacking a pre-period.

    Returns the number of treated clusters.
    """
    a_n = int(panel.a.max()) + 1
    treated_area = np.bincount(panel.a, treated_rows.astype(float), a_n) > 0
    if treated_area.all():
        raise ValueError(
            "no control areas: expected at least one area that is never treated, got every area "
            "treated in some period"
        )
    if not treated_area.any():
        raise ValueError("treatment: expected at least one treated observation, got none")
    # earliest observed period of each area, and whether the area is treated there
    order = np.lexsort((panel.p, panel.a))
    first_idx = order[np.r_[0, np.flatnonzero(np.diff(panel.a[order])) + 1]]
    no_pre = panel.area_levels[np.unique(panel.a[first_idx[treated_rows[first_idx]]])]
    if no_pre.size:
        raise ValueError(
            "treated areas with no pre-period: expected every treated area to be observed "
            f"untreated at least once, got {no_pre[:5].tolist()}"
            + (f" and {no_pre.size - 5} more" if no_pre.size > 5 else "")
        )
    return int(np.unique(panel.cl[treated_rows]).size)


def _fit_ols(panel: _Panel, treated_rows: np.ndarray) -> tuple[_Fit, np.ndarray, np.ndarray]:
    n_treated = _treatment_checks(panel, treated_rows)
    if np.ptp(panel.y) == 0:
        raise ValueError(
            f"outcome: expected variation, got a constant ({panel.y[0]:g}) for all rows"
        )
    a_n, b_n = int(panel.a.max()) + 1, int(panel.p.max()) + 1
    absorb = _Absorber(panel.a, a_n, panel.p, b_n)
    xt = absorb(panel.x)
    _check_rank(xt, panel.x, absorb.w, panel.names)
    yt = absorb(panel.y)
    xtx = xt.T @ xt
    coef = np.linalg.solve(xtx, xt.T @ yt)
    resid = yt - xt @ coef
    ssc, g = _ssc(panel.y.size, xt.shape[1], panel.a, a_n, panel.p, b_n, panel.cl)
    bread = np.linalg.inv(xtx)
    vcov = ssc * bread @ _cluster_meat(xt * resid[:, None], panel.cl, g) @ bread
    fit = _Fit(
        coef, vcov, g - 1, panel.y.size, g, n_treated, 1, (), few_clusters_warning(n_treated)
    )
    return fit, xt, yt


def _deviance(y, mu):
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / mu), 0.0)
    return 2.0 * float(np.sum(term - (y - mu)))


def _fit_poisson(panel: _Panel, treated_rows, offset, *, tol, max_iter):
    y = panel.y
    if np.any(y < 0):
        raise ValueError(f"counts: expected non-negative counts, got minimum {y.min():g}")
    if not np.any(y > 0):
        raise ValueError("counts: expected some positive counts, got all-zero outcomes")
    # Separation: an area (or period) whose counts are all zero has a fixed effect of −inf;
    # like fixest and ppmlhdfe, drop it and say so.
    dropped = []
    while True:
        a_n, b_n = int(panel.a.max()) + 1, int(panel.p.max()) + 1
        a_pos = np.bincount(panel.a, panel.y, a_n) > 0
        p_pos = np.bincount(panel.p, panel.y, b_n) > 0
        if a_pos.all() and p_pos.all():
            break
        dropped.extend(panel.area_levels[np.unique(panel.a[~a_pos[panel.a]])].tolist())
        keep = a_pos[panel.a] & p_pos[panel.p]
        panel.area_levels = panel.area_levels[np.unique(panel.a[keep])]
        offset = offset[keep]
        treated_rows = treated_rows[keep]
        panel.subset(keep)
    n_treated = _treatment_checks(panel, treated_rows)
    y, x = panel.y, panel.x
    mu = (y + y.mean()) / 2.0  # fixest's starting values
    eta = np.log(mu)
    dev = _deviance(y, mu)
    coef = np.zeros(x.shape[1])
    converged = False
    for it in range(1, max_iter + 1):
        z = eta - offset + (y - mu) / mu
        absorb = _Absorber(panel.a, a_n, panel.p, b_n, weights=mu)
        xt = absorb(x)
        if it == 1:
            _check_rank(xt, x, mu, panel.names)
        zt = absorb(z)
        xw = xt * mu[:, None]
        coef = np.linalg.solve(xw.T @ xt, xw.T @ zt)
        eta_new = offset + z - (zt - xt @ coef)
        mu_new = np.exp(eta_new)
        dev_new = _deviance(y, mu_new)
        step = 1.0
        while not np.isfinite(dev_new) or dev_new > dev * (1 + 1e-12) + 1e-12:
            step /= 2.0  # step-halving (rarely needed)
            if step < 1e-6:
                break
            eta_new = eta + step * (eta_new - eta)
            mu_new = np.exp(eta_new)
            dev_new = _deviance(y, mu_new)
        crit = abs(dev_new - dev) / (0.1 + abs(dev_new))
        eta, mu, dev = eta_new, mu_new, dev_new
        if crit < tol:
            converged = True
            break
    if not converged:
        raise ValueError(
            f"Poisson fit: expected convergence within max_iter={max_iter} iterations, got a "
            f"relative deviance change of {crit:.3g} > tol={tol:g}; check for separation or "
            "raise max_iter"
        )
    absorb = _Absorber(panel.a, a_n, panel.p, b_n, weights=mu)
    xt = absorb(x)
    bread = np.linalg.inv((xt * mu[:, None]).T @ xt)
    ssc, g = _ssc(y.size, x.shape[1], panel.a, a_n, panel.p, b_n, panel.cl)
    vcov = ssc * bread @ _cluster_meat(xt * (y - mu)[:, None], panel.cl, g) @ bread
    warn = few_clusters_warning(n_treated)
    if dropped:
        warn += (
            f"dropped {len(dropped)} area(s) whose counts are all zero (their fixed effect is "
            "not estimable in a Poisson model)",
        )
    return _Fit(coef, vcov, None, y.size, g, n_treated, it, tuple(dropped), warn)


def _result(fit: _Fit, names, *, model: str, level: float) -> FeResult:
    se_all = np.sqrt(np.diag(fit.vcov))
    est, se = float(fit.coef[0]), float(se_all[0])
    if not se > 0:
        raise ValueError("standard error: expected a positive value, got 0 (degenerate design)")
    stat = est / se
    if fit.df_t is None:
        crit = stats.norm.ppf(0.5 + level / 2)
        p = 2 * stats.norm.sf(abs(stat))
    else:
        crit = stats.t.ppf(0.5 + level / 2, fit.df_t)
        p = 2 * stats.t.sf(abs(stat), fit.df_t)
    lo, hi = est - crit * se, est + crit * se
    rel = (float(np.expm1(est)), float(np.expm1(lo)), float(np.expm1(hi)))
    if model == "ols":
        rel = (None, None, None)
    return FeResult(
        estimate=est,
        se=se,
        ci_low=float(lo),
        ci_high=float(hi),
        p_value=float(p),
        statistic=float(stat),
        model=model,
        names=tuple(names),
        coef=fit.coef,
        std_errors=se_all,
        vcov=fit.vcov,
        relative=rel[0],
        relative_ci_low=rel[1],
        relative_ci_high=rel[2],
        level=level,
        n_obs=fit.n_obs,
        n_clusters=fit.n_clusters,
        n_treated_clusters=fit.n_treated_clusters,
        df_t=fit.df_t,
        iterations=fit.iterations,
        dropped_areas=fit.dropped_areas,
        warnings=fit.warnings,
    )


def _design(treatment, covariates, n, treatment_name="treatment"):
    d = as_float(treatment, treatment_name, n=n)
    cols = [d[:, None]]
    names = [treatment_name]
    if covariates is not None:
        c = as_float(covariates, "covariates", n=n, ndim=2)
        cols.append(c)
        names += [f"x{j + 1}" for j in range(c.shape[1])]
    return np.hstack(cols), names


def twfe(
    y,
    treatment,
    *,
    area,
    period,
    covariates=None,
    cluster=None,
    level: float = 0.95,
) -> FeResult:
    """Two-way fixed-effects (TWFE) difference-in-differences regression.

    Fits ``y_it = β·D_it + x_it'γ + α_i + λ_t + ε_it`` by OLS with area effects ``α_i`` and period
    effects ``λ_t`` absorbed exactly (within transformation plus Frisch–Waugh–Lovell), and
    cluster-robust CR1 standard errors with fixest's small-sample factor
    ``G/(G−1) · (N−1)/(N−K)`` (K = regressors + fixed effects not nested in the clusters) and
    t(G−1) intervals.

    Parameters
    ----------
    y : array_like, shape (n,)
        Outcome per area-period row (e.g. reports per 1,000 residents).
    treatment : array_like, shape (n,)
        Treatment indicator ``D_it`` (1 in treated areas from the start period on), or intensity.
    area, period : array_like, shape (n,)
        Area and period labels; one row per (area, period).
    covariates : array_like, shape (n, m), optional
        Further time-varying regressors.
    cluster : array_like, shape (n,), optional
        Cluster labels; default the areas.
    level : float
        Confidence level of the interval.

    Returns
    -------
    FeResult
        ``estimate`` is β; ``warnings`` flags fewer than 10 treated clusters.

    Raises
    ------
    ValueError
        No control areas, treated areas without a pre-period, a constant outcome, duplicated
        (area, period) rows, or a treatment absorbed by / collinear with the fixed effects.

    Notes
    -----
    With staggered start dates and heterogeneous effects the TWFE coefficient is a weighted
    average with possibly negative weights (Goodman-Bacon 2021); use :func:`sun_abraham`.

    References
    ----------
    Angrist, J. D., & Pischke, J.-S. (2009). Mostly Harmless Econometrics, ch. 5.
    Cameron, A. C., & Miller, D. L. (2015). J. Human Resources 50(2), 317–372.

    Examples
    --------
    >>> import numpy as np
    >>> from safetystats.evaluation import twfe
    >>> rng = np.random.default_rng(1)
    >>> area, year = np.repeat(np.arange(30), 6), np.tile(np.arange(2010, 2016), 30)
    >>> d = ((area < 10) & (year >= 2013)).astype(float)
    >>> y = 5 + 0.1 * area + 0.2 * (year - 2010) - 1.0 * d + rng.normal(0, 0.5, area.size)
    >>> res = twfe(y, d, area=area, period=year)
    >>> bool(res.ci_low < -1.0 < res.ci_high)
    True
    """
    level = check_level(level)
    x, names = _design(treatment, covariates, np.asarray(y).shape[0] if np.ndim(y) else -1)
    panel = _Panel(y, x, area=area, period=period, cluster=cluster, names=names)
    fit, _, _ = _fit_ols(panel, panel.x[:, 0] != 0)
    return _result(fit, names, model="ols", level=level)


def _offset(population, n):
    pop = as_float(population, "population", n=n)
    if np.any(pop <= 0):
        raise ValueError(
            f"population: expected a positive population in every row, got {int(np.sum(pop <= 0))} "
            "row(s) with zero or negative population (a rate needs a denominator)"
        )
    return np.log(pop)


def poisson_fe(
    counts,
    treatment,
    *,
    area,
    period,
    population=None,
    covariates=None,
    cluster=None,
    level: float = 0.95,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> FeResult:
    """Poisson regression of counts with a log-population offset and area and period effects.

    Fits ``E[y_it] = pop_it · exp(β·D_it + x_it'γ + α_i + λ_t)`` by maximum likelihood (IRLS:
    each step a weighted least-squares fit with weights ``μ`` in which the fixed effects are
    absorbed exactly, see the module notes), with cluster-robust CR1 standard errors (fixest's
    small-sample factor) and normal intervals, as in fixest ``fepois``. The rate ratio of
    treatment is ``exp(β)``; ``relative = exp(β) − 1``. Poisson QMLE needs only the mean to be
    right, so over-dispersed counts are fine with cluster-robust errors (Wooldridge 1999).

    Parameters
    ----------
    counts : array_like, shape (n,)
        Non-negative counts per area-period row.
    treatment : array_like, shape (n,)
        Treatment indicator (or intensity).
    area, period : array_like, shape (n,)
        Labels; one row per (area, period).
    population : array_like, shape (n,), optional
        Exposure; ``log(population)`` enters as offset. Must be positive.
    covariates : array_like, shape (n, m), optional
    cluster : array_like, shape (n,), optional
        Default the areas.
    level : float
    tol : float
        Convergence: relative change of the deviance, ``|Δdev| / (0.1 + dev)`` (fixest's rule).
    max_iter : int

    Returns
    -------
    FeResult
        Areas whose counts are all zero are dropped (``dropped_areas``, with a warning).

    Raises
    ------
    ValueError
        All-zero or negative counts, zero population, no control areas, treated areas without a
        pre-period, collinear designs, no convergence.

    References
    ----------
    Wooldridge, J. M. (1999). Distribution-free estimation of some nonlinear panel data models.
    Journal of Econometrics, 90(1), 77–97.
    Correia, Guimarães & Zylkin (2020), Stata Journal 20(1), 95–115.

    Examples
    --------
    >>> import numpy as np
    >>> from safetystats.evaluation import poisson_fe
    >>> rng = np.random.default_rng(2)
    >>> area, year = np.repeat(np.arange(40), 6), np.tile(np.arange(2010, 2016), 40)
    >>> pop = rng.integers(2000, 6000, 40)[area]
    >>> d = ((area < 10) & (year >= 2013)).astype(float)
    >>> counts = rng.poisson(pop / 1000 * 30 * np.exp(-0.3 * d))
    >>> res = poisson_fe(counts, d, area=area, period=year, population=pop)
    >>> bool(res.ci_low < -0.3 < res.ci_high), round(res.relative, 1)
    (True, -0.3)
    """
    level = check_level(level)
    n = np.asarray(counts).shape[0] if np.ndim(counts) else -1
    x, names = _design(treatment, covariates, n)
    panel = _Panel(
        counts, x, area=area, period=period, cluster=cluster, names=names, y_name="counts"
    )
    offset = np.zeros(panel.y.size) if population is None else _offset(population, panel.y.size)
    fit = _fit_poisson(panel, panel.x[:, 0] != 0, offset, tol=tol, max_iter=max_iter)
    return _result(fit, names, model="poisson", level=level)
