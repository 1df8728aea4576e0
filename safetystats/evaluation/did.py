"""Difference-in-differences: the 2×2 comparison of rates, the event study, and Sun–Abraham.

Sources
-------
- Danish hotspot evaluation (2015): reports fell 38 % in hotspots vs 16 % in controls — the 2×2
  relative DiD ``(r_T,post / r_T,pre) / (r_C,post / r_C,pre) − 1`` (METHODS.md §5).
- Rothman, K. J., Greenland, S., & Lash, T. L. (2008). Modern Epidemiology, 3rd ed., ch. 14:
  Poisson variance of a log rate, ``Var(log r) = 1 / count``.
- Sun, L., & Abraham, S. (2021). Estimating dynamic treatment effects in event studies with
  heterogeneous treatment effects. Journal of Econometrics, 225(2), 175–199.
- Freyaldenhoven, S., Hansen, C., Pérez, J. P., & Shapiro, J. M. (2021). Visualization, identification,
  and estimation in the linear panel event-study design. NBER WP 29170 (binned endpoints, ref −1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from safetystats.errors import SafetystatsError

from ._util import as_float, as_int, as_labels, check_level, first_treated_array
from .fixest import _fit_ols, _fit_poisson, _offset, _Panel, check_iteration, check_vcov

__all__ = [
    "DidResult",
    "did_rates",
    "EventStudyResult",
    "event_study",
    "StaggeredResult",
    "sun_abraham",
]


# ----------------------------------------------------------------------------------------------
# 2 × 2 on rates
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DidResult:
    """Result of :func:`did_rates`.

    ``estimate`` is the relative DiD ``(r_T,post/r_T,pre)/(r_C,post/r_C,pre) − 1`` with its
    interval; ``absolute`` is ``(r_T,post − r_T,pre) − (r_C,post − r_C,pre)`` per ``per`` residents.
    ``rates`` is ``[[T_pre, T_post], [C_pre, C_post]]`` per ``per`` residents.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    absolute: float
    absolute_se: float
    absolute_ci_low: float
    absolute_ci_high: float
    rates: np.ndarray = field(repr=False)
    change_treated: float = 0.0
    change_control: float = 0.0
    per: float = 1000.0
    level: float = 0.95
    warnings: tuple[str, ...] = ()


def _pair(x, name):
    arr = as_float(x, name)
    if arr.shape != (2,):
        raise SafetystatsError(
            "input.shape",
            f"{name}: expected (pre, post), got shape {arr.shape}",
            name=name,
            expected="(2,)",
            given=str(arr.shape),
        )
    return arr


def did_rates(
    *,
    treated_counts,
    treated_population,
    control_counts,
    control_population,
    per: float = 1000.0,
    level: float = 0.95,
) -> DidResult:
    """2×2 difference-in-differences on rates, relative and absolute, with Poisson intervals.

    With counts ``y`` and populations ``n`` summed over the areas and years of each cell, rates
    ``r = per · y / n``. Relative effect ``(r_T1/r_T0)/(r_C1/r_C0) − 1``: its log is a sum of four
    log rates, and with Poisson counts ``Var(log r) = 1/y``, so
    ``se(log RR) = sqrt(1/y_T0 + 1/y_T1 + 1/y_C0 + 1/y_C1)`` (delta method); the interval is
    ``exp(log RR ± z·se) − 1`` and the p-value tests ``log RR = 0``. Absolute effect
    ``(r_T1 − r_T0) − (r_C1 − r_C0)`` with ``Var(r) = per² · y / n²``.

    Parameters
    ----------
    treated_counts, treated_population, control_counts, control_population : (pre, post)
        Counts and populations (person-years) of the pre and post period.
    per : float
        Rates per this many residents.
    level : float

    Returns
    -------
    DidResult

    Raises
    ------
    ValueError
        A zero count (the log rate is undefined) or a non-positive population.

    Notes
    -----
    The Poisson variance ignores over-dispersion and the clustering of counts in areas, so the
    interval is too narrow when areas differ beyond chance; use :func:`poisson_fe` with
    cluster-robust errors or :func:`randomization_inference` for the inference you report.

    Examples
    --------
    >>> from safetystats.evaluation import did_rates
    >>> res = did_rates(treated_counts=(500, 310), treated_population=(10000, 10000),
    ...                 control_counts=(2000, 1680), control_population=(50000, 50000))
    >>> round(res.estimate, 3)  # (310/500) / (1680/2000) - 1
    -0.262
    """
    level = check_level(level)
    y = np.vstack(
        [_pair(treated_counts, "treated_counts"), _pair(control_counts, "control_counts")]
    )
    n = np.vstack(
        [
            _pair(treated_population, "treated_population"),
            _pair(control_population, "control_population"),
        ]
    )
    if np.any(n <= 0):
        raise SafetystatsError(
            "did.population",
            f"population: expected positive populations in every cell, got {n.tolist()} "
            "(a period with zero population has no rate)",
            populations=n.tolist(),
        )
    if np.any(y < 0):
        raise SafetystatsError(
            "outcome.negative_counts",
            f"counts: expected non-negative counts, got {y.tolist()}",
            minimum=float(y.min()),
        )
    if np.any(y == 0):
        raise SafetystatsError(
            "did.zero_count",
            f"counts: expected a positive count in every cell (log rates), got {y.tolist()}; "
            "pool more years or areas",
            counts=y.tolist(),
        )
    r = per * y / n
    log_rr = np.log(r[0, 1] / r[0, 0]) - np.log(r[1, 1] / r[1, 0])
    se = float(np.sqrt(np.sum(1.0 / y)))
    z = stats.norm.ppf(0.5 + level / 2)
    absolute = (r[0, 1] - r[0, 0]) - (r[1, 1] - r[1, 0])
    abs_se = float(np.sqrt(np.sum(per**2 * y / n**2)))
    warnings = ()
    if np.any(y < 10):
        warnings = (
            f"small counts (minimum {int(y.min())}): the normal approximation on the log scale is rough",
        )
    return DidResult(
        estimate=float(np.expm1(log_rr)),
        se=se,
        ci_low=float(np.expm1(log_rr - z * se)),
        ci_high=float(np.expm1(log_rr + z * se)),
        p_value=float(2 * stats.norm.sf(abs(log_rr) / se)),
        absolute=float(absolute),
        absolute_se=abs_se,
        absolute_ci_low=float(absolute - z * abs_se),
        absolute_ci_high=float(absolute + z * abs_se),
        rates=r,
        change_treated=float(r[0, 1] / r[0, 0] - 1),
        change_control=float(r[1, 1] / r[1, 0] - 1),
        per=float(per),
        level=level,
        warnings=warnings,
    )


# ----------------------------------------------------------------------------------------------
# Panel helpers shared by the event study and Sun–Abraham
# ----------------------------------------------------------------------------------------------


def _staggered_panel(y, *, area, period, first_treated, y_name):
    yv = as_float(y, y_name)
    n = yv.size
    per = as_float(period, "period", n=n)
    ft = first_treated_array(first_treated, "first_treated", n=n)
    _, a = as_labels(area, "area", n=n)
    a_n = int(a.max()) + 1
    # first_treated must be constant within an area
    ft_key = np.where(np.isnan(ft), -np.inf, ft)
    lo = np.full(a_n, np.inf)
    hi = np.full(a_n, -np.inf)
    np.minimum.at(lo, a, ft_key)
    np.maximum.at(hi, a, ft_key)
    if np.any(lo != hi):
        raise SafetystatsError(
            "panel.first_treated_varies",
            "first_treated: expected one value per area, got areas with several",
        )
    treated = ~np.isnan(ft)
    if not np.any(treated):
        raise SafetystatsError(
            "panel.no_treated",
            "first_treated: expected at least one treated area, got none (all NaN)",
        )
    if np.all(treated):
        raise SafetystatsError(
            "panel.no_controls",
            "no control areas: expected never-treated areas (first_treated NaN), got every area "
            "treated",
        )
    return yv, per, ft, treated


def _wald(b, v, df_t):
    if b.size == 0:
        return float("nan"), float("nan")
    w = float(b @ np.linalg.solve(v, b))
    if df_t is None:
        return w, float(stats.chi2.sf(w, b.size))
    return w / b.size, float(stats.f.sf(w / b.size, b.size, df_t))


def check_model(model) -> str:
    if model not in ("ols", "poisson"):
        raise SafetystatsError(
            "input.choice",
            f"model: expected 'ols' or 'poisson', got {model!r}",
            name="model",
            expected=["ols", "poisson"],
            given=repr(model),
        )
    return model


def _fit(
    model,
    yv,
    x,
    names,
    *,
    area,
    period,
    cluster,
    population,
    treated_rows,
    tol,
    max_iter,
    weights=None,
    covariates=None,
    vcov="CR1",
):
    """Fit the event-time dummies ``x`` and the covariates.

    The dummies are all required (a collinear or separated one is refused, not dropped); the
    covariates follow them and may be dropped as collinear. Returns the fit and a
    :class:`_Covariates` with the event-time part split off.
    """
    check_model(model)
    m = x.shape[1]
    cov_names: list[str] = []
    if covariates is not None:
        c = as_float(covariates, "covariates", n=yv.size, ndim=2)
        cov_names = [f"x{j + 1}" for j in range(c.shape[1])]
        x = np.hstack([x, c])
    panel = _Panel(
        yv, x, area=area, period=period, cluster=cluster, names=names + cov_names, weights=weights
    )
    if model == "ols":
        fit, _, _ = _fit_ols(panel, treated_rows, n_required=m, vcov_type=vcov)
    else:
        offset = np.zeros(yv.size) if population is None else _offset(population, yv.size)
        fit = _fit_poisson(
            panel, treated_rows, offset, tol=tol, max_iter=max_iter, n_required=m, vcov_type=vcov
        )
    kept = [nm for nm, k in zip(cov_names, fit.keep[m:]) if k]
    se = np.sqrt(np.diag(fit.vcov))
    return fit, _Covariates(tuple(kept), fit.coef[m:], se[m:], fit.dropped_regressors, m)


@dataclass(frozen=True)
class _Covariates:
    names: tuple
    coef: np.ndarray
    se: np.ndarray
    dropped: tuple
    m: int  # number of event-time columns, which come first


def _contrast_df(fit, contrasts):
    """t degrees of freedom for rows of ``contrasts`` (over the event-time coefficients).

    CR2 (OLS): the Bell–McCaffrey df of each contrast; otherwise the fit's own (one number for
    all, or None for normal inference).
    """
    if fit.bm is None:
        return fit.df_t
    c = np.zeros((fit.coef.size, contrasts.shape[0]))
    c[: contrasts.shape[1]] = contrasts.T
    return fit.bm.df(c)


def _wald_df(fit):
    """Denominator df of the joint pre-trend F test: G − 1 with CR2 (not the AHT test)."""
    return fit.n_clusters - 1 if fit.bm is not None else fit.df_t


def _crit(df_t, level):
    if df_t is None:
        return stats.norm.ppf(0.5 + level / 2)
    return stats.t.ppf(0.5 + level / 2, df_t)


def _pvals(est, se, df_t):
    z = np.abs(est / se)
    return 2 * (stats.norm.sf(z) if df_t is None else stats.t.sf(z, df_t))


# ----------------------------------------------------------------------------------------------
# Event study
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventStudyResult:
    """Result of :func:`event_study`: one coefficient per relative period, −1 the reference.

    ``rel_time[0]`` and ``rel_time[-1]`` are binned endpoints (all earlier / later periods).
    ``pretrend_p`` tests that all leads (``rel_time <= -2``) are zero (F test for OLS with
    G−1 denominator degrees of freedom — N−K with HC1 —, χ² for Poisson). ``df_t`` holds each
    coefficient's t degrees of freedom (None: normal); with CR2 they are the Bell–McCaffrey
    df of each coefficient.
    """

    rel_time: np.ndarray
    coef: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    pretrend_stat: float
    pretrend_p: float
    vcov: np.ndarray = field(repr=False)
    model: str = "ols"
    level: float = 0.95
    n_obs: int = 0
    n_clusters: int = 0
    n_treated_clusters: int = 0
    warnings: tuple[str, ...] = ()
    #: the covariates kept (``x1``, ``x2``, … in the order of the ``covariates`` columns), their
    #: coefficients and standard errors; collinear ones are in ``dropped_regressors``
    covariate_names: tuple[str, ...] = ()
    covariate_coef: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    covariate_se: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    dropped_regressors: tuple[str, ...] = ()
    #: covariance estimator (``vcov=``): "CR1", "CR2", "CR3" or "HC1"
    vcov_type: str = "CR1"
    df_t: np.ndarray | None = field(default=None, repr=False)


def event_study(
    y,
    *,
    area,
    period,
    first_treated,
    leads: int = 4,
    lags: int = 4,
    model: str = "ols",
    population=None,
    covariates=None,
    cluster=None,
    weights=None,
    vcov: str = "CR1",
    level: float = 0.95,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> EventStudyResult:
    """Event-study regression with leads and lags, reference period −1 and binned endpoints.

    ``y_it = Σ_{e ≠ −1} β_e · 1{t − g_i = e} + α_i + λ_t + ε_it`` for areas first treated in
    period ``g_i``; relative periods below ``−leads`` are pooled into ``−leads`` and above
    ``lags`` into ``lags`` (binned endpoints). Never-treated areas (``first_treated`` NaN) have
    all indicators zero and anchor the period effects. ``model="poisson"`` fits the same
    indicators in :func:`poisson_fe` (log rate scale, with ``population`` as exposure).

    Parameters
    ----------
    y : array_like, shape (n,)
        Outcome (OLS) or counts (Poisson).
    area, period : array_like, shape (n,)
        Labels; ``period`` numeric (e.g. years), one row per (area, period).
    first_treated : array_like, shape (n,)
        First treated period of the row's area, NaN (or None) for never-treated areas.
    leads, lags : int
        Number of pre periods (≥ 2) and post periods (≥ 0) shown before binning.
    model : {"ols", "poisson"}
    covariates : array_like, shape (n, k), optional
        Time-varying control variables added to the regression
        (``… + x_it'γ + α_i + λ_t``), as pyfixest ``feols("y ~ i(rel, ref=-1) + x1 + x2 |
        area + year")``. A covariate collinear with the fixed effects or the indicators is
        dropped with a warning; one that separates zero counts (Poisson) loses those rows.
        Their coefficients are in ``covariate_coef``.
    population, cluster, weights, level, tol, max_iter
        As in :func:`twfe` / :func:`poisson_fe` (``weights``: positive observation weights).
    vcov : {"CR1", "CR2", "CR3", "HC1"}
        Covariance of the coefficients, as in :func:`twfe` (pyfixest ``feols(..., vcov=...)``:
        ``{"CRV1": "area"}``, ``"HC1"``, CR3 = pyfixest's CRV3 without its CR1 factor). With
        ``"CR2"`` every coefficient gets its own Bell–McCaffrey df (``df_t``) and the pre-trend
        F test uses G − 1.

    Returns
    -------
    EventStudyResult

    References
    ----------
    Freyaldenhoven, Hansen, Pérez & Shapiro (2021), NBER WP 29170; Sun & Abraham (2021) on why
    these coefficients mix cohorts under heterogeneous effects (use :func:`sun_abraham` then).

    Examples
    --------
    >>> import numpy as np
    >>> from safetystats.evaluation import event_study
    >>> rng = np.random.default_rng(3)
    >>> area, year = np.repeat(np.arange(40), 10), np.tile(np.arange(2005, 2015), 40)
    >>> start = np.where(area < 10, 2010.0, np.nan)
    >>> y = 0.1 * area + np.where(year >= start, -1.0, 0.0) + rng.normal(0, 0.3, area.size)
    >>> es = event_study(y, area=area, period=year, first_treated=start, leads=3, lags=3)
    >>> es.rel_time.tolist()
    [-3, -2, 0, 1, 2, 3]
    >>> bool(abs(es.coef[2] + 1.0) < 0.3)
    True
    """
    level = check_level(level)
    check_model(model)
    vcov = check_vcov(vcov, cluster=cluster, cluster2=None)
    tol, max_iter = check_iteration(tol, max_iter)
    leads = as_int(leads, "leads", minimum=2)
    lags = as_int(lags, "lags", minimum=0)
    yv, per, ft, treated = _staggered_panel(
        y, area=area, period=period, first_treated=first_treated, y_name="y"
    )
    rel = np.where(treated, per - np.where(treated, ft, 0.0), np.nan)
    if np.any(treated & (rel != np.round(rel))):
        raise SafetystatsError(
            "panel.first_treated_off_grid",
            "first_treated: expected values on the period grid, got non-integer offsets",
        )
    rel_b = np.clip(rel, -leads, lags)
    present = np.unique(rel_b[treated]).astype(int)
    grid = [e for e in range(-int(leads), int(lags) + 1) if e != -1 and e in set(present.tolist())]
    if not grid:
        raise SafetystatsError(
            "event_study.no_cells",
            "event_study: expected treated observations off the reference period, got none",
        )
    x = np.column_stack([(treated & (rel_b == e)).astype(float) for e in grid])
    names = [f"rel_{e}" for e in grid]
    fit, cov = _fit(
        model,
        yv,
        x,
        names,
        area=area,
        period=period,
        cluster=cluster,
        population=population,
        treated_rows=treated & (rel >= 0),
        tol=tol,
        max_iter=max_iter,
        weights=weights,
        covariates=covariates,
        vcov=vcov,
    )
    vcov_type = vcov
    coef, vcov = fit.coef[: cov.m], fit.vcov[: cov.m, : cov.m]
    se = np.sqrt(np.diag(vcov))
    df = _contrast_df(fit, np.eye(cov.m))
    crit = _crit(df, level)
    grid_a = np.array(grid)
    pre = grid_a <= -2
    stat, p_pre = _wald(coef[pre], vcov[np.ix_(pre, pre)], _wald_df(fit))
    return EventStudyResult(
        rel_time=grid_a,
        coef=coef,
        se=se,
        ci_low=coef - crit * se,
        ci_high=coef + crit * se,
        p_value=_pvals(coef, se, df),
        pretrend_stat=stat,
        pretrend_p=p_pre,
        vcov=vcov,
        model=model,
        level=level,
        n_obs=fit.n_obs,
        n_clusters=fit.n_clusters,
        n_treated_clusters=fit.n_treated_clusters,
        warnings=fit.warnings,
        covariate_names=cov.names,
        covariate_coef=cov.coef,
        covariate_se=cov.se,
        dropped_regressors=cov.dropped,
        vcov_type=vcov_type,
        df_t=None if df is None else np.broadcast_to(np.asarray(df, dtype=float), coef.shape),
    )


# ----------------------------------------------------------------------------------------------
# Sun–Abraham interaction-weighted estimator
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaggeredResult:
    """Result of :func:`sun_abraham`.

    ``estimate`` is the aggregated ATT: the average of the cohort × relative-period effects over
    all post cells (``e >= 0``), weighted by the number of treated observations in each cell.
    ``rel_time``/``event_coef`` is the interaction-weighted event study (cohort shares as weights).
    ``cells`` lists ``(cohort, e)`` for ``cell_coef``. For Poisson, ``relative = exp(estimate) − 1``.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    relative: float | None
    rel_time: np.ndarray
    event_coef: np.ndarray
    event_se: np.ndarray
    cohorts: np.ndarray
    cells: np.ndarray = field(repr=False)
    cell_coef: np.ndarray = field(repr=False)
    vcov: np.ndarray = field(repr=False)
    model: str = "ols"
    level: float = 0.95
    n_obs: int = 0
    n_clusters: int = 0
    n_treated_clusters: int = 0
    warnings: tuple[str, ...] = ()
    #: as in :class:`EventStudyResult`
    covariate_names: tuple[str, ...] = ()
    covariate_coef: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    covariate_se: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    dropped_regressors: tuple[str, ...] = ()
    #: covariance estimator (``vcov=``) and the t degrees of freedom of ``estimate`` (None:
    #: normal; with CR2 the Bell–McCaffrey df of the ATT contrast)
    vcov_type: str = "CR1"
    df_t: float | None = None


def sun_abraham(
    y,
    *,
    area,
    period,
    first_treated,
    model: str = "ols",
    population=None,
    covariates=None,
    cluster=None,
    weights=None,
    vcov: str = "CR1",
    level: float = 0.95,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> StaggeredResult:
    """Sun–Abraham interaction-weighted estimator for staggered start dates.

    Fits the saturated regression ``y_it = Σ_g Σ_{e ≠ −1} δ_{g,e} · 1{g_i = g, t − g = e} +
    α_i + λ_t + ε_it`` with never-treated areas as the only controls, so each ``δ_{g,e}`` is a
    clean cohort-specific DiD against period ``g − 1``, free of the negative weights that bias
    TWFE under heterogeneous effects (Goodman-Bacon 2021). Aggregates:

    * event study ``β_e = Σ_g w_{g,e} δ_{g,e}`` with ``w_{g,e}`` the cohort's share of treated
      observations at ``e``;
    * ATT ``= Σ_{g, e≥0} n_{g,e} δ_{g,e} / Σ n_{g,e}`` (fixest ``aggregate(..., "att")``),

    each with a delta-method standard error ``aᵀ V a`` from the covariance ``vcov=`` (CR1 by
    default; weights fixed).

    Parameters
    ----------
    y, area, period, first_treated, model, population, covariates, cluster, weights, level, tol, max_iter
        As in :func:`event_study` (no binning here: every relative period is its own cell).
        With ``covariates`` the cohort × relative-period effects are conditional on them; the
        aggregation is unchanged.
        With ``weights`` the regression is weighted; the cohort shares behind the aggregates
        stay numbers of observations (as fixest's ``aggregate``).
    vcov : {"CR1", "CR2", "CR3", "HC1"}
        As in :func:`event_study`; with ``"CR2"`` the ATT's interval uses the Bell–McCaffrey df
        of its contrast ``a`` (``df_t``).

    Returns
    -------
    StaggeredResult

    References
    ----------
    Sun, L., & Abraham, S. (2021). Journal of Econometrics, 225(2), 175–199.
    Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment timing.
    Journal of Econometrics, 225(2), 254–277.

    Examples
    --------
    >>> import numpy as np
    >>> from safetystats.evaluation import sun_abraham
    >>> rng = np.random.default_rng(4)
    >>> area, year = np.repeat(np.arange(60), 10), np.tile(np.arange(2005, 2015), 60)
    >>> start = np.select([area < 10, area < 20], [2008.0, 2011.0], np.nan)
    >>> y = 0.1 * area + np.where(year >= start, -1.0, 0.0) + rng.normal(0, 0.3, area.size)
    >>> res = sun_abraham(y, area=area, period=year, first_treated=start)
    >>> bool(res.ci_low < -1.0 < res.ci_high)
    True
    """
    level = check_level(level)
    check_model(model)
    vcov = check_vcov(vcov, cluster=cluster, cluster2=None)
    tol, max_iter = check_iteration(tol, max_iter)
    yv, per, ft, treated = _staggered_panel(
        y, area=area, period=period, first_treated=first_treated, y_name="y"
    )
    rel = np.where(treated, per - np.where(treated, ft, 0.0), np.nan)
    if np.any(treated & (rel != np.round(rel))):
        raise SafetystatsError(
            "panel.first_treated_off_grid",
            "first_treated: expected values on the period grid, got non-integer offsets",
        )
    cell_keys = sorted({(g, int(e)) for g, e in zip(ft[treated], rel[treated]) if e != -1})
    cells = np.array(cell_keys, dtype=float).reshape(-1, 2)
    x = np.column_stack([(treated & (ft == g) & (rel == e)).astype(float) for g, e in cell_keys])
    counts = x.sum(axis=0)  # treated observations per cell (unweighted, as fixest's aggregate)
    names = [f"g{g:g}_e{e}" for g, e in cell_keys]
    fit, cov = _fit(
        model,
        yv,
        x,
        names,
        area=area,
        period=period,
        cluster=cluster,
        population=population,
        treated_rows=treated & (rel >= 0),
        tol=tol,
        max_iter=max_iter,
        weights=weights,
        covariates=covariates,
        vcov=vcov,
    )
    vcov_type = vcov
    coef, vcov = fit.coef[: cov.m], fit.vcov[: cov.m, : cov.m]
    post = cells[:, 1] >= 0
    if not post.any():
        raise SafetystatsError(
            "event_study.no_cells",
            "first_treated: expected treated observations at or after the start, got none",
        )
    a = np.where(post, counts, 0.0)
    a /= a.sum()
    est = float(a @ coef)
    se = float(np.sqrt(a @ vcov @ a))
    df = _contrast_df(fit, a[None, :])
    df = None if df is None else float(np.asarray(df).ravel()[0])
    crit = _crit(df, level)
    rel_grid = np.unique(cells[:, 1]).astype(int)
    agg = np.zeros((rel_grid.size, cells.shape[0]))
    for i, e in enumerate(rel_grid):
        m = cells[:, 1] == e
        agg[i, m] = counts[m] / counts[m].sum()
    ev = agg @ coef
    ev_se = np.sqrt(np.einsum("ij,jk,ik->i", agg, vcov, agg))
    return StaggeredResult(
        estimate=est,
        se=se,
        ci_low=est - crit * se,
        ci_high=est + crit * se,
        p_value=float(_pvals(np.array(est), np.array(se), df)),
        relative=float(np.expm1(est)) if model == "poisson" else None,
        rel_time=rel_grid,
        event_coef=ev,
        event_se=ev_se,
        cohorts=np.unique(cells[:, 0]),
        cells=cells,
        cell_coef=coef,
        vcov=vcov,
        model=model,
        level=level,
        n_obs=fit.n_obs,
        n_clusters=fit.n_clusters,
        n_treated_clusters=fit.n_treated_clusters,
        warnings=fit.warnings,
        covariate_names=cov.names,
        covariate_coef=cov.coef,
        covariate_se=cov.se,
        dropped_regressors=cov.dropped,
        vcov_type=vcov_type,
        df_t=df,
    )
