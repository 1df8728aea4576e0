"""Overdispersion after a Poisson fixed-effects fit, and a negative-binomial (NB2) alternative.

Poisson regression with area and period effects (:func:`~safetystats.evaluation.poisson_fe`)
needs only the mean to be right: with cluster-robust standard errors its estimate and interval
stay valid when the counts vary more than a Poisson count would (Wooldridge 1999). Overdispersion
still matters in two ways: model-based (non-robust) Poisson standard errors are then too small,
and a model whose variance fits the data, the negative binomial NB2 with
``Var(y) = μ + α·μ²``, estimates the effect more efficiently. :func:`overdispersion` measures it
after the Poisson fit; :func:`negbin_fe` fits NB2 with the same area and period effects.

Sources
-------
- Cameron, A. C., & Trivedi, P. K. (1990). Regression-based tests for overdispersion in the
  Poisson model. *Journal of Econometrics* 46(3), 347–364 (the auxiliary regression).
- Cameron, A. C., & Trivedi, P. K. (2013). *Regression Analysis of Count Data*, 2nd ed., §3.3
  (NB2 likelihood and its IRLS for fixed α), §3.4 (the Pearson statistic, the boundary
  likelihood-ratio test of α = 0).
- Allison, P. D., & Waterman, R. P. (2002). Fixed-effects negative binomial regression models.
  *Sociological Methodology* 32, 247–265 (NB2 with area dummies: small bias in β, none of the
  conditional model's problems).
- Wooldridge, J. M. (1999). Distribution-free estimation of some nonlinear panel data models.
  *Journal of Econometrics* 90(1), 77–97.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from scipy import optimize, special, stats

from safetystats._checks import check_integer_valued
from safetystats.errors import SafetystatsError

from ._util import check_level
from .fixest import (
    FeResult,
    _Absorber,
    _design,
    _df_k,
    _Fit,
    _irls,
    _offset,
    _Panel,
    _result,
    _sandwich,
    check_iteration,
    poisson_fe,
)

__all__ = ["DispersionResult", "NegBinFeResult", "negbin_fe", "overdispersion"]

#: The dispersion α is searched in [ALPHA_MIN, ALPHA_MAX]; at ALPHA_MIN NB2 is Poisson to within
#: the precision of the fit (α·μ ≤ 1e-6 for counts up to 100).
ALPHA_MIN = 1e-8
ALPHA_MAX = 1e4


@dataclass(frozen=True)
class DispersionResult:
    """Overdispersion of counts around a Poisson fixed-effects fit (:func:`overdispersion`).

    ``dispersion`` is the Pearson statistic over its degrees of freedom, about 1 for Poisson
    counts, above 1 when they are overdispersed. ``ct_alpha`` is the Cameron–Trivedi estimate of
    α in ``Var(y) = μ + α·μ²`` (a moment estimate; it can be negative) with its t statistic and
    one-sided p-value for H₁: α > 0.
    """

    dispersion: float
    pearson_chi2: float
    df_resid: int
    ct_alpha: float
    ct_se: float
    ct_statistic: float
    ct_p_value: float
    n_obs: int
    poisson: FeResult
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class NegBinFeResult(FeResult):
    """:class:`FeResult` of :func:`negbin_fe` (``model == "negbin"``), with the dispersion.

    ``alpha`` is the NB2 dispersion (``Var(y) = μ + α·μ²``), ``loglik`` and ``loglik_poisson``
    the log-likelihoods of the NB2 and the Poisson fit on the same rows, and ``lr_statistic`` /
    ``lr_p_value`` the likelihood-ratio test of α = 0 (on the boundary: p = ½·P(χ²₁ > LR)).
    """

    alpha: float = float("nan")
    loglik: float = float("nan")
    loglik_poisson: float = float("nan")
    lr_statistic: float = float("nan")
    lr_p_value: float = float("nan")


def _poisson_fit_rows(
    counts, treatment, area, period, population, covariates, cluster, tol, it, weights=None
):
    """The Poisson fit, then the inputs restricted to the rows it used (all-zero areas and
    periods and separated zeros left out), as a fresh panel with its offset (and weights)."""
    pois = poisson_fe(
        counts,
        treatment,
        area=area,
        period=period,
        population=population,
        covariates=covariates,
        cluster=cluster,
        weights=weights,
        tol=tol,
        max_iter=it,
    )
    rows = pois.rows_used
    n = np.asarray(counts).shape[0]
    x, names = _design(treatment, covariates, n)

    def take(v):
        return None if v is None else np.asarray(v)[rows]

    panel = _Panel(
        take(counts),
        x[rows],
        area=take(area),
        period=take(period),
        cluster=take(cluster),
        names=names,
        y_name="counts",
        weights=take(weights),
    )
    offset = np.zeros(rows.size) if population is None else _offset(take(population), rows.size)
    return pois, panel, offset, names


def _poisson_mu(panel, offset, pois: FeResult, tol, max_iter):
    coef, mu, keep, _, _, _ = _irls(
        panel, offset, tol=tol, max_iter=max_iter, n_required=1, n_separated=pois.n_separated
    )
    return coef, mu, keep


def overdispersion(
    counts,
    treatment,
    *,
    area,
    period,
    population=None,
    covariates=None,
    cluster=None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> DispersionResult:
    """Is there more variation in the counts than a Poisson fixed-effects model allows?

    Fits :func:`~safetystats.evaluation.poisson_fe` (same arguments) and, at its fitted means μ̂
    (area and period effects included), computes

    - the Pearson dispersion ``Σ (y − μ̂)²/μ̂ / (N − K)``, K = regressors + area and period
      effects (``N − K`` the residual degrees of freedom of the model with all dummies);
    - the Cameron–Trivedi (1990) auxiliary regression: OLS without intercept of
      ``((y − μ̂)² − y)/μ̂`` on ``μ̂``; its coefficient estimates α of ``Var(y) = μ + α·μ²``
      (NB2), and ``t = α̂/se`` is compared with the standard normal, one-sided (H₁: α > 0).

    Returns
    -------
    DispersionResult
        With the Poisson fit itself in ``poisson``.

    Notes
    -----
    Overdispersion does not invalidate the Poisson estimate and its cluster-robust interval
    (Wooldridge 1999); it says that model-based Poisson errors would be too small and that
    :func:`negbin_fe` may estimate the effect more efficiently. With few years per area the area
    effects absorb part of the variation, so both statistics are somewhat too small (the
    Pearson statistic's N − K corrects for it to first order). Same as statsmodels' GLM Poisson
    with area and period dummies (``pearson_chi2 / df_resid``) and its ``"CT nb2"`` test.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(5)
    >>> area, year = np.repeat(np.arange(25), 8), np.tile(np.arange(2015, 2023), 25)
    >>> d = ((area < 5) & (year >= 2019)).astype(float)
    >>> mu = 2.0 * np.exp(rng.normal(0, 0.3, 25))[area] * np.exp(-0.3 * d)
    >>> y = rng.negative_binomial(1 / 0.8, 1 / (1 + 0.8 * mu))  # α = 0.8
    >>> res = overdispersion(y, d, area=area, period=year)
    >>> bool(res.dispersion > 1.3), bool(res.ct_p_value < 0.01)
    (True, True)
    """
    tol, max_iter = check_iteration(tol, max_iter)
    pois, panel, offset, _ = _poisson_fit_rows(
        counts, treatment, area, period, population, covariates, cluster, tol, max_iter
    )
    _, mu, keep = _poisson_mu(panel, offset, pois, tol, max_iter)
    y = panel.y
    a_n, b_n = int(panel.a.max()) + 1, int(panel.p.max()) + 1
    df_resid = int(y.size - _df_k(int(keep.sum()), panel.a, a_n, panel.p, b_n))
    pearson = float(np.sum((y - mu) ** 2 / mu))
    aux = ((y - mu) ** 2 - y) / mu
    # OLS through the origin on μ̂: slope, residual variance on N − 1
    ct_alpha = float(np.sum(aux * mu) / np.sum(mu * mu))
    resid = aux - ct_alpha * mu
    ct_se = float(np.sqrt(np.sum(resid**2) / (y.size - 1) / np.sum(mu * mu)))
    stat = ct_alpha / ct_se
    warn = ()
    if df_resid < 1:
        warn += ("no residual degrees of freedom: the Pearson dispersion is undefined",)
    return DispersionResult(
        dispersion=pearson / df_resid if df_resid > 0 else float("nan"),
        pearson_chi2=pearson,
        df_resid=df_resid,
        ct_alpha=ct_alpha,
        ct_se=ct_se,
        ct_statistic=float(stat),
        ct_p_value=float(stats.norm.sf(stat)),
        n_obs=int(y.size),
        poisson=pois,
        warnings=warn,
    )


# ------------------------------------------------------------------------------------------------
# NB2 with area and period effects


class _NB2:
    """The NB2 log-likelihood of whole-number counts ``y`` as a function of μ and α.

    Written as ``Σ_{j<y} log(1 + αj) − (y + 1/α)·log(1 + αμ) + y·log μ − log y!`` (the
    Γ-function ratio expanded for whole y), which is exact and stable down to α → 0, where it
    is the Poisson log-likelihood.
    """

    def __init__(self, y: np.ndarray, w: np.ndarray):
        self.y, self.w = y, w
        self.yi = y.astype(np.int64)
        self.j = np.arange(int(self.yi.max()))
        self.const = float(np.sum(w * special.gammaln(y + 1.0)))

    def _cumulative(self, terms: np.ndarray) -> np.ndarray:
        # Σ_{j<y} terms[j] for every row, by one cumulative sum over 0..max(y)−1
        table = np.concatenate([[0.0], np.cumsum(terms)])
        return table[self.yi]

    def loglik(self, mu: np.ndarray, alpha: float) -> float:
        y, w = self.y, self.w
        with np.errstate(divide="ignore", invalid="ignore"):
            log_mu = np.where(y > 0, np.log(mu), 0.0)
        if alpha == 0.0:
            return float(np.sum(w * (y * log_mu - mu))) - self.const
        head = self._cumulative(np.log1p(alpha * self.j))
        body = head - (y + 1.0 / alpha) * np.log1p(alpha * mu) + y * log_mu
        return float(np.sum(w * body)) - self.const

    def score_alpha(self, mu: np.ndarray, alpha: float) -> float:
        """∂ℓ/∂α at fixed μ (used to find α̂ by root search)."""
        y, w = self.y, self.w
        head = self._cumulative(self.j / (1.0 + alpha * self.j))
        am = alpha * mu
        body = head + np.log1p(am) / alpha**2 - (y + 1.0 / alpha) * mu / (1.0 + am)
        return float(np.sum(w * body))


def _alpha_mle(nb: _NB2, mu: np.ndarray) -> float:
    """α̂ at fixed μ: the root of the score in log α, or ALPHA_MIN when the score is ≤ 0 there
    (no overdispersion: the likelihood falls as soon as α leaves 0)."""
    lo, hi = np.log(ALPHA_MIN), np.log(ALPHA_MAX)
    if nb.score_alpha(mu, ALPHA_MIN) <= 0:
        return ALPHA_MIN
    if nb.score_alpha(mu, ALPHA_MAX) >= 0:
        return ALPHA_MAX
    root = optimize.brentq(lambda t: nb.score_alpha(mu, float(np.exp(t))), lo, hi, xtol=1e-13)
    return float(np.exp(root))


def _nb_irls(panel, offset, nb: _NB2, alpha, eta, x, *, tol, max_iter):
    """IRLS for β and both fixed effects at fixed α, from the model point ``eta``.

    The working response ``z = η − offset + (y − μ)/μ`` and weights ``w·μ/(1 + αμ)`` (log link,
    variance μ + αμ²); step-halving when the log-likelihood falls, as in the Poisson fit.
    Returns (coef, η, iterations).
    """
    y, w0 = panel.y, panel.w
    a_n, b_n = int(panel.a.max()) + 1, int(panel.p.max()) + 1
    mu = np.exp(eta)
    absorb = _Absorber(panel.a, a_n, panel.p, b_n, weights=w0 * mu / (1 + alpha * mu))
    ll = nb.loglik(mu, alpha)
    coef = None
    for it in range(1, max_iter + 1):
        if it > 1:
            absorb.reweight(w0 * mu / (1 + alpha * mu))
        weight = w0 * mu / (1 + alpha * mu)
        z = eta - offset + (y - mu) / mu
        zx = absorb(np.column_stack([z, x]))
        zt, xt = zx[:, 0], zx[:, 1:]
        xw = xt * weight[:, None]
        coef_full = np.linalg.solve(xw.T @ xt, xw.T @ zt)
        eta_full = offset + z - (zt - xt @ coef_full)
        eta_new, step = eta_full, 1.0
        with np.errstate(over="ignore"):
            ll_new = nb.loglik(np.exp(eta_new), alpha)
        while not np.isfinite(ll_new) or ll - ll_new > 1e-13 * (0.1 + abs(ll)):
            step /= 2.0
            if step < 2.0**-30:
                raise SafetystatsError(
                    "poisson.no_convergence",
                    f"NB2 fit: expected convergence within max_iter={max_iter} iterations, got "
                    f"no step that raises the likelihood at iteration {it}",
                    max_iter=max_iter,
                    change=float("nan"),
                    tol=tol,
                )
            eta_new = eta + step * (eta_full - eta)
            with np.errstate(over="ignore"):
                ll_new = nb.loglik(np.exp(eta_new), alpha)
        coef_new = coef_full if coef is None else coef + step * (coef_full - coef)
        crit = abs(ll_new - ll) / (0.1 + abs(ll_new))
        eta, coef, ll = eta_new, coef_new, ll_new
        mu = np.exp(eta)
        if crit < tol and step == 1.0:
            return coef, eta, it
    raise SafetystatsError(
        "poisson.no_convergence",
        f"NB2 fit: expected convergence within max_iter={max_iter} iterations, got a relative "
        f"log-likelihood change of {crit:.3g} > tol={tol:g}; raise max_iter",
        max_iter=max_iter,
        change=float(crit),
        tol=tol,
    )


def negbin_fe(
    counts,
    treatment,
    *,
    area,
    period,
    population=None,
    covariates=None,
    cluster=None,
    weights=None,
    level: float = 0.95,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> NegBinFeResult:
    """Negative-binomial (NB2) regression of counts with area and period dummies.

    Fits ``E[y_it] = pop_it · exp(β·D_it + x_it'γ + α_i + λ_t)`` with
    ``Var(y_it) = μ_it + α·μ_it²`` by maximum likelihood over β, γ, both sets of fixed effects and
    α (the "unconditional" fixed-effects NB2 of Allison & Waterman 2002: the area effects are
    dummies, not conditioned out). The fit alternates (i) α̂ given μ (root of the score in log α)
    and (ii) IRLS for the coefficients and both fixed effects given α (weights ``μ/(1 + αμ)``,
    fixed effects absorbed exactly as in :func:`~safetystats.evaluation.poisson_fe`), from the
    Poisson fit, until the log-likelihood changes by less than ``tol`` (relative) and log α by
    less than 1e-8. Rows the Poisson fit leaves out (areas and periods whose counts are all
    zero, separated zeros) are left out here too. Standard errors are cluster-robust CR1 with
    fixest's small-sample factor (clusters default to the areas), treating α̂ as known: NB2 at
    fixed α is a GLM, so its score for β has mean zero whatever the true variance; the bread is
    the observed Hessian of β (the log link is not NB2's canonical link).

    Parameters
    ----------
    counts : array_like, shape (n,)
        Whole-number counts ≥ 0 (the NB2 likelihood is for counts).
    treatment, area, period, population, covariates, cluster, level, tol, max_iter
        As for :func:`~safetystats.evaluation.poisson_fe`.
    weights : array_like, shape (n,), optional
        Positive observation weights, as in :func:`~safetystats.evaluation.poisson_fe`: each
        row's NB2 log-likelihood is multiplied by its weight (a row of weight 2 counts as two
        identical rows), for α as for the coefficients; IRLS weights ``w·μ/(1 + αμ)``, scores
        ``w·(y − μ)/(1 + αμ)·x̃``. This is statsmodels GLM ``NegativeBinomial`` with
        ``freq_weights`` (``var_weights`` would scale the variance instead and give another
        likelihood for α). ``loglik`` and ``loglik_poisson`` are the weighted log-likelihoods.

    Returns
    -------
    NegBinFeResult
        An :class:`FeResult` (``model="negbin"``, ``relative = exp(β) − 1``) with ``alpha``, the
        log-likelihoods and the likelihood-ratio test of α = 0.

    Notes
    -----
    Prefer :func:`~safetystats.evaluation.poisson_fe` as the main estimate: it is consistent
    with area dummies however few the years, whatever the variance; NB2 with dummies has a small
    incidental-parameter bias with few years (Allison & Waterman 2002) and α̂ is then too small.
    NB2 is the check that the effect does not rest on a few overdispersed area-years, and the
    more efficient estimate when its variance fits (:func:`overdispersion`).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(5)
    >>> area, year = np.repeat(np.arange(25), 8), np.tile(np.arange(2015, 2023), 25)
    >>> d = ((area < 5) & (year >= 2019)).astype(float)
    >>> mu = 2.0 * np.exp(rng.normal(0, 0.3, 25))[area] * np.exp(-0.3 * d)
    >>> y = rng.negative_binomial(1 / 0.8, 1 / (1 + 0.8 * mu))
    >>> res = negbin_fe(y, d, area=area, period=year)
    >>> res.model, bool(0.3 < res.alpha < 1.5), bool(res.lr_p_value < 0.01)
    ('negbin', True, True)
    """
    level = check_level(level)
    tol, max_iter = check_iteration(tol, max_iter)
    pois, panel, offset, names = _poisson_fit_rows(
        counts, treatment, area, period, population, covariates, cluster, tol, max_iter, weights
    )
    # the rows the Poisson fit left out are zeros, so the rows used carry every non-integer
    check_integer_valued(panel.y, "counts", what="counts (the NB2 likelihood is for counts)")
    _, mu, keep = _poisson_mu(panel, offset, pois, tol, max_iter)
    x = panel.x[:, keep]
    nb = _NB2(panel.y, panel.w)
    ll_poisson = nb.loglik(mu, 0.0)
    eta, alpha, ll = np.log(mu), 0.0, ll_poisson
    iterations = 0
    for _ in range(max_iter):
        alpha_new = _alpha_mle(nb, np.exp(eta))
        coef, eta, inner = _nb_irls(
            panel, offset, nb, alpha_new, eta, x, tol=tol, max_iter=max_iter
        )
        iterations += inner
        ll_new = nb.loglik(np.exp(eta), alpha_new)
        done = abs(ll_new - ll) / (0.1 + abs(ll_new)) < tol and (
            alpha > 0 and abs(np.log(alpha_new / alpha)) < 1e-8
        )
        alpha, ll = alpha_new, ll_new
        if done:
            break
    else:
        raise SafetystatsError(
            "poisson.no_convergence",
            f"NB2 fit: expected α and the coefficients to settle within max_iter={max_iter} "
            "rounds, got no convergence; raise max_iter",
            max_iter=max_iter,
            change=float("nan"),
            tol=tol,
        )
    mu = np.exp(eta)
    # the observed Hessian of β at fixed α, −∂²ℓ/∂η² = μ(1 + αy)/(1 + αμ)² (the log link is not
    # NB2's canonical link, so it differs from the IRLS weights μ/(1 + αμ)), as statsmodels' GLM
    weight = panel.w * mu * (1 + alpha * panel.y) / (1 + alpha * mu) ** 2
    a_n, b_n = int(panel.a.max()) + 1, int(panel.p.max()) + 1
    xt = _Absorber(panel.a, a_n, panel.p, b_n, weights=weight)(x)
    bread = np.linalg.inv((xt * weight[:, None]).T @ xt)
    scores = xt * (panel.w * (panel.y - mu) / (1 + alpha * mu))[:, None]
    v = _sandwich(bread, scores, panel, x.shape[1], "CR1")
    warn = tuple(pois.warnings)
    if alpha <= ALPHA_MIN:
        warn += (
            "no overdispersion: the NB2 dispersion alpha is 0 at the maximum of the likelihood, "
            "so the NB2 fit is the Poisson fit",
        )
    fit = _Fit(
        coef,
        v.vcov,
        None,
        panel.y.size,
        v.n_clusters,
        pois.n_treated_clusters,
        iterations,
        pois.dropped_areas,
        warn,
        keep,
        pois.dropped_regressors,
        pois.dropped_periods,
        vcov_type="CR1",
        n_separated=pois.n_separated,
        rows=pois.rows_used,
    )
    base = _result(fit, names, model="negbin", level=level, weighted=weights is not None)
    lr = max(2.0 * (ll - ll_poisson), 0.0)
    return NegBinFeResult(
        **{f.name: getattr(base, f.name) for f in fields(base)},
        alpha=alpha if alpha > ALPHA_MIN else 0.0,
        loglik=ll,
        loglik_poisson=ll_poisson,
        lr_statistic=lr,
        lr_p_value=float(0.5 * stats.chi2.sf(lr, 1)) if lr > 0 else 1.0,
    )
