"""Synthetic control (Abadie) with in-space and in-time placebos.

Sources
-------
- Abadie, A., & Gardeazabal, J. (2003). The economic costs of conflict: a case study of the
  Basque Country. American Economic Review, 93(1), 113–132.
- Abadie, A., Diamond, A., & Hainmueller, J. (2010). Synthetic control methods for comparative
  case studies. Journal of the American Statistical Association, 105(490), 493–505
  (in-space placebos, post/pre RMSPE ratio and its rank p-value).
- Abadie, A., Diamond, A., & Hainmueller, J. (2015). Comparative politics and the synthetic
  control method. American Journal of Political Science, 59(2), 495–510 (in-time placebos).
- Abadie, A. (2021). Using synthetic controls: feasibility, data requirements, and methodological
  aspects. Journal of Economic Literature, 59(2), 391–425.
- Abadie, A., Diamond, A., & Hainmueller, J. (2011). Synth: an R package for synthetic control
  methods in comparative case studies. Journal of Statistical Software, 42(13) (the nested
  optimisation of the predictor weights V, its scaling and its regression-based start).
- Malo, P., Eskelinen, J., Zhou, X., & Kuosmanen, T. (2024). Computing synthetic controls using
  bilevel optimization. Computational Economics, 64, 1113–1136 (the V problem is non-convex and
  local searches stop at different optima: several starts are needed).
- Beck, A., & Teboulle, M. (2009). A fast iterative shrinkage-thresholding algorithm (FISTA).
  SIAM J. Imaging Sciences, 2(1), 183–202; Condat, L. (2016). Fast projection onto the simplex.
  Mathematical Programming, 158, 575–585 (the weight solver).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from safetystats.errors import SafetystatsError

from ._util import as_float, as_index_array, as_int

__all__ = ["SynthResult", "simplex_least_squares", "synthetic_control", "synth_in_time_placebo"]


def _project_simplex(v: np.ndarray) -> np.ndarray:
    """Euclidean projection onto {w >= 0, sum w = 1} (sort-based, Held et al. 1974)."""
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    ind = np.arange(1, v.size + 1)
    rho = np.nonzero(u - css / ind > 0)[0][-1]
    theta = css[rho] / (rho + 1)
    return np.maximum(v - theta, 0.0)


def simplex_least_squares(a, b, *, tol: float = 1e-10, max_iter: int = 3_000) -> np.ndarray:
    """Solve ``min_w ||b − A w||²`` subject to ``w >= 0`` and ``Σ w = 1``.

    A primal active-set method started at the closest single donor: each step solves the
    equality-constrained least-squares (KKT) system on the current support, so the result is
    exact at the optimum up to rounding. The optimum has at most ``m + 1`` non-zero weights, so
    few steps are needed even with thousands of donors (each step costs one product with ``A``).
    If it stalls, an accelerated projected gradient (FISTA) run seeds a second active-set pass.

    Parameters
    ----------
    a : array_like, shape (m, J)
        Donor columns.
    b : array_like, shape (m,)
        Target.

    Returns
    -------
    numpy.ndarray, shape (J,)
        Weights on the simplex.

    Examples
    --------
    >>> import numpy as np
    >>> from safetystats.evaluation import simplex_least_squares
    >>> a = np.array([[0.0, 2.0, 4.0], [0.0, 2.0, 0.0]])  # donors (0,0), (2,2), (4,0)
    >>> simplex_least_squares(a, np.array([1.0, 1.0])).round(6).tolist()
    [0.5, 0.5, 0.0]
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    j = a.shape[1]
    if j == 1:
        return np.ones(1)
    scale = max(np.abs(a).max(), np.abs(b).max(), 1e-300)
    a, b = a / scale, b / scale
    # Start from the single closest donor; the active set usually converges in a few dozen steps.
    w0 = np.zeros(j)
    w0[np.argmin(np.sum((a - b[:, None]) ** 2, axis=0))] = 1.0
    w, ok = _active_set(a, b, w0, max_steps=4 * a.shape[0] + 100)
    if ok:
        return w
    w, ok = _active_set(a, b, _fista(a, b, tol=tol, max_iter=max_iter), max_steps=2000)
    return w


def _simplex_ls_from(a, b, w0):
    """:func:`simplex_least_squares` started from the support of ``w0`` (a nearby solution).

    The outer V search solves thousands of inner problems whose solutions change little from one
    V to the next; starting the active set there takes a few steps instead of dozens.
    """
    scale = max(np.abs(a).max(), np.abs(b).max(), 1e-300)
    w, ok = _active_set(a / scale, b / scale, w0, max_steps=4 * a.shape[0] + 100)
    return w if ok else simplex_least_squares(a, b)


def _fista(a, b, *, tol, max_iter):
    """Accelerated projected gradient with adaptive restart (approximate, to seed the active set)."""
    j = a.shape[1]
    atb = a.T @ b
    lip = np.linalg.norm(a, 2) ** 2
    if lip == 0:
        return np.full(j, 1.0 / j)
    step = 1.0 / lip

    def obj(w):
        r = a @ w - b
        return float(r @ r)

    w = np.full(j, 1.0 / j)
    z, t_k, f_old = w.copy(), 1.0, obj(w)
    for _ in range(max_iter):
        w_new = _project_simplex(z - step * (a.T @ (a @ z) - atb))
        f_new = obj(w_new)
        if f_new > f_old:  # adaptive restart (O'Donoghue & Candès 2015)
            z, t_k = w.copy(), 1.0
            continue
        t_next = (1 + np.sqrt(1 + 4 * t_k * t_k)) / 2
        z = w_new + ((t_k - 1) / t_next) * (w_new - w)
        done = np.max(np.abs(w_new - w)) < tol
        w, t_k, f_old = w_new, t_next, f_new
        if done:
            break
    return w


def _active_set(a, b, w, *, max_steps):
    """Primal active-set method for the simplex-constrained least squares problem.

    Solves the KKT system on the current support; drops weights that would turn negative
    (stepping back to the boundary) and adds the donor that most violates optimality, until the
    KKT conditions hold (Nocedal & Wright 2006, Algorithm 16.3). Returns (weights, converged).
    """
    j = a.shape[1]
    support = w > 1e-12
    col_norm = float(np.sqrt(np.max(np.sum(a * a, axis=0))))
    b_norm = float(np.linalg.norm(b))
    for _ in range(max_steps):
        idx = np.flatnonzero(support)
        asub = a[:, idx]
        k = idx.size
        kkt = np.zeros((k + 1, k + 1))
        kkt[:k, :k] = asub.T @ asub
        kkt[:k, k] = 1.0
        kkt[k, :k] = 1.0
        rhs = np.r_[asub.T @ b, 1.0]
        try:
            sol = np.linalg.solve(kkt, rhs)
        except np.linalg.LinAlgError:  # collinear donors on the support
            sol = np.linalg.lstsq(kkt, rhs, rcond=None)[0]
        ws = sol[:k]
        if np.any(ws < -1e-12):
            # step from the current point towards ws until the first weight hits zero
            cur = w[idx]
            d = ws - cur
            neg = d < 0
            ratios = np.where(neg, cur / np.where(neg, -d, 1.0), np.inf)
            cur = cur + min(1.0, ratios.min()) * d
            cur[cur < 1e-14] = 0.0
            w = np.zeros(j)
            w[idx] = cur
            w /= w.sum()
            support = w > 0
            continue
        w = np.zeros(j)
        w[idx] = np.maximum(ws, 0.0)
        w /= w.sum()
        r = a @ w - b
        g = a.T @ r
        mu = g[idx].mean()  # multiplier of the sum constraint: g_i = mu on the support
        viol = g - mu
        viol[idx] = 0.0
        # Relative to the residual: when the fit is nearly exact (a treated area inside the
        # donors' hull, or V putting almost all weight on one predictor) the gradient is tiny,
        # and an absolute tolerance would stop far from the optimum.
        if viol.min() >= -col_norm * (1e-9 * np.linalg.norm(r) + 1e-12 * b_norm):
            return w, True
        support = w > 0
        support[np.argmin(viol)] = True
    return w, False


@dataclass(frozen=True)
class SynthResult:
    """Result of :func:`synthetic_control`.

    ``gap = treated − synthetic`` per period; ``estimate`` is the mean post-period gap (and
    ``relative`` = mean post gap / mean post synthetic). ``ratio`` is post/pre RMSPE; with
    ``placebos=True``, ``placebo_ratios`` holds each donor's ratio as if it were treated and
    ``p_value`` is the rank of the treated ratio among all ``J + 1`` (Abadie et al. 2010).
    ``v`` holds the predictor weights used (summing to 1, on the scale of the ``predictors`` as
    given, so passing them back as ``v`` reproduces ``weights``); ``None`` without predictors.
    ``v_loss`` is the pre-period outcome MSPE that ``v="optimise"`` minimised (``pre_rmspe²``).
    """

    estimate: float
    relative: float
    weights: np.ndarray
    donors: np.ndarray
    synthetic: np.ndarray = field(repr=False)
    gap: np.ndarray = field(repr=False)
    pre_rmspe: float = 0.0
    post_rmspe: float = 0.0
    ratio: float = 0.0
    p_value: float | None = None
    placebo_ratios: np.ndarray | None = field(default=None, repr=False)
    placebo_gaps: np.ndarray | None = field(default=None, repr=False)
    placebo_pre_rmspe: np.ndarray | None = field(default=None, repr=False)
    v: np.ndarray | None = None
    v_loss: float | None = None
    warnings: tuple[str, ...] = ()


def _prepare(outcomes, treated, donors, n_pre):
    y = as_float(outcomes, "outcomes", ndim=2)
    n_units, n_t = y.shape
    treated = as_int(treated, "treated", minimum=0, maximum=n_units - 1)
    if donors is None:
        donors = np.array([i for i in range(n_units) if i != treated])
    else:
        donors = as_index_array(donors, "donors", n_units)
        if treated in set(donors.tolist()):
            raise SafetystatsError(
                "synth.treated_in_donors",
                f"donors: expected the control pool without the treated area, got row {treated} "
                "in both",
                treated=treated,
            )
    if donors.size == 0:
        raise SafetystatsError(
            "panel.no_controls", "no control areas: expected at least one donor, got none"
        )
    n_pre = as_int(n_pre, "n_pre")
    if not 1 <= n_pre < n_t:
        raise SafetystatsError(
            "input.out_of_range",
            f"n_pre: expected between 1 and {n_t - 1} pre-periods (with a post period), got {n_pre}",
            name="n_pre",
            expected=f"[1, {n_t - 1}]",
            given=n_pre,
        )
    return y, treated, donors, n_pre


#: Accepted value of ``v`` that asks for the nested optimisation of the predictor weights.
OPTIMISE = "optimise"
#: Log-ratios of predictor weights are searched within ±THETA_MAX (e^±12: a weight below about
#: 1e-10 of another is zero for every practical purpose, and the search stays finite).
THETA_MAX = 12.0
#: Nelder–Mead restarts from the best point found until the loss improves by less than this
#: (relative), at most MAX_RESTARTS times: a collapsed simplex is the usual way it stalls.
RESTART_TOL = 1e-9
MAX_RESTARTS = 4


def _softmax(theta):
    e = np.exp(np.clip(theta, -THETA_MAX, THETA_MAX) - np.clip(theta, -THETA_MAX, THETA_MAX).max())
    return e / e.sum()


def _regression_start(xs, z):
    """Synth's regression-based start: V ∝ squared coefficients of the outcomes on the predictors.

    ``xs`` (units × k) are the scaled predictors and ``z`` (units × T0) the pre-period outcomes;
    each predictor's weight is the sum over periods of its squared coefficient in a regression of
    the outcome on all predictors (Abadie, Diamond & Hainmueller 2011). None when that regression
    is not identified (more predictors than units, or collinear predictors).
    """
    design = np.column_stack([np.ones(xs.shape[0]), xs])
    if design.shape[0] <= design.shape[1] or np.linalg.matrix_rank(design) < design.shape[1]:
        return None
    beta = np.linalg.lstsq(design, z, rcond=None)[0][1:]
    v0 = np.sum(beta**2, axis=1)
    if not np.all(np.isfinite(v0)) or v0.max() <= 0:
        return None
    return np.maximum(v0 / v0.sum(), np.exp(-THETA_MAX))


def _optimise_v(x, y, target, donors, n_pre):
    """Nested synthetic control: V minimising the pre-period outcome MSPE of W(V).

    For a diagonal V on the simplex, ``W(V) = argmin_w (X_1 − X_0 w)' V (X_1 − X_0 w)`` over the
    weight simplex; the outer loss is ``L(V) = Σ_{t<T0} (y_1t − Σ_j W_j(V) y_jt)² / T0``. The
    predictors are first divided by their standard deviation over the treated area and the donors
    (as Synth and pysyncon do), V is parametrised by softmax log-ratios, and Nelder–Mead is run
    from the equal-weights start and Synth's regression-based start, each restarted from its best
    point until it stops improving; the best V over all evaluations is kept. L is piecewise smooth
    and not convex, so this is a careful local search, not a certificate of the global optimum.

    Returns (v on the given predictors' scale, weights, loss, number of predictors dropped as
    constant).
    """
    units = np.r_[target, donors]
    sd = x[units].std(axis=0, ddof=1)
    keep = sd > 1e-12 * np.maximum(1.0, np.abs(x[units]).max(axis=0))
    if not keep.any():
        raise SafetystatsError(
            "matching.no_variation",
            "predictors: expected at least one predictor that varies over the treated area and "
            "the donors, got only constant ones",
        )
    xs = x[:, keep] / sd[keep]
    x0, x1 = xs[donors].T, xs[target]
    z0, z1 = y[donors, :n_pre].T, y[target, :n_pre]
    k = x0.shape[0]
    best = {"loss": np.inf, "v": None, "w": None}
    last = {"w": None}

    def evaluate(vs):
        sv = np.sqrt(vs)
        a, b = x0 * sv[:, None], x1 * sv
        w = simplex_least_squares(a, b) if last["w"] is None else _simplex_ls_from(a, b, last["w"])
        last["w"] = w
        r = z1 - z0 @ w
        loss = float(r @ r) / n_pre
        if loss < best["loss"]:
            best.update(loss=loss, v=vs, w=w)
        return loss

    if k == 1:
        evaluate(np.ones(1))
    else:
        starts = [np.zeros(k)]
        v_reg = _regression_start(xs[units], y[units, :n_pre])
        if v_reg is not None:
            starts.append(np.log(v_reg) - np.log(v_reg).mean())
        for theta0 in starts:
            theta = theta0
            for _ in range(MAX_RESTARTS + 1):
                before = evaluate(_softmax(theta))
                simplex = theta + np.vstack([np.zeros(k), np.eye(k)])
                res = minimize(
                    lambda t: evaluate(_softmax(t)),
                    theta,
                    method="Nelder-Mead",
                    options={
                        "initial_simplex": simplex,
                        "xatol": 1e-3,
                        "fatol": 1e-9 * max(before, 1e-300),
                        "maxfev": 400 * (k + 1),
                    },
                )
                theta = np.clip(res.x, -THETA_MAX, THETA_MAX)
                if res.fun >= before * (1 - RESTART_TOL):
                    break
    v = np.zeros(x.shape[1])
    v[keep] = best["v"] / sd[keep] ** 2
    return v / v.sum(), best["w"], best["loss"], int((~keep).sum())


def _fit_one(y, target, donors, n_pre, predictors, v):
    pre = slice(0, n_pre)
    loss = None
    if predictors is None:
        a = y[donors, pre].T
        b = y[target, pre]
        w = simplex_least_squares(a, b)
    elif isinstance(v, str):
        v, w, loss, _ = _optimise_v(predictors, y, target, donors, n_pre)
    else:
        sv = np.sqrt(v)[:, None]
        a = predictors[donors].T * sv
        b = predictors[target] * sv[:, 0]
        w = simplex_least_squares(a, b)
    synth = w @ y[donors]
    gap = y[target] - synth
    pre_rmspe = float(np.sqrt(np.mean(gap[:n_pre] ** 2)))
    post_rmspe = float(np.sqrt(np.mean(gap[n_pre:] ** 2)))
    return w, synth, gap, pre_rmspe, post_rmspe, v, loss


def synthetic_control(
    outcomes,
    *,
    treated: int,
    n_pre: int,
    donors=None,
    predictors=None,
    v=None,
    placebos: bool = True,
) -> SynthResult:
    """Synthetic control: a convex combination of donor areas that tracks the treated area.

    Weights ``w`` on the simplex (``w_j >= 0``, ``Σ w_j = 1``) minimise the pre-period mean
    squared prediction error ``Σ_{t<T0} (y_1t − Σ_j w_j y_jt)²``, or, with ``predictors``, the
    V-weighted distance ``(X_1 − X_0 w)ᵀ V (X_1 − X_0 w)`` (Abadie & Gardeazabal 2003). With
    ``v="optimise"`` the diagonal V is chosen so that W(V) minimises the pre-period outcome MSPE
    (the nested estimator of Abadie, Diamond & Hainmueller 2010; see :func:`_optimise_v`). The
    effect is the post-period gap. Inference by in-space placebos: each donor in turn is treated as if
    treated, against the other donors; ``p_value`` = rank of the treated post/pre RMSPE ratio
    among all (Abadie, Diamond & Hainmueller 2010).

    Parameters
    ----------
    outcomes : array_like, shape (n_areas, n_periods)
        Outcome per area (rows) and period (columns), periods in time order.
    treated : int
        Row of the treated area.
    n_pre : int
        Number of pre-treatment periods (the first ``n_pre`` columns).
    donors : array_like of int, optional
        Rows of the control pool; default all other rows. Must not contain ``treated``.
    predictors : array_like, shape (n_areas, m), optional
        Pre-period characteristics to match instead of the pre-period outcomes (standardise them).
    v : array_like, shape (m,), or "optimise", optional
        Non-negative predictor weights (default equal), or ``"optimise"``: V chosen to minimise
        the pre-period outcome MSPE, the predictors scaled by their standard deviation over the
        treated area and the donors first (Synth, pysyncon). The search is local (Nelder–Mead from
        two starts, restarted until it stops improving): the problem is not convex, so compare
        fits by their pre-period RMSPE, not by V, which is often not unique.
    placebos : bool
        Run the in-space placebos (one extra fit per donor; with ``v="optimise"`` each placebo
        optimises its own V, as in Abadie, Diamond & Hainmueller 2010).

    Returns
    -------
    SynthResult

    Raises
    ------
    ValueError
        No donors, the treated area among the donors, no pre or post period.

    Examples
    --------
    >>> import numpy as np
    >>> from safetystats.evaluation import synthetic_control
    >>> rng = np.random.default_rng(7)
    >>> base = rng.normal(10, 2, (20, 1)) + np.linspace(0, 1, 12)
    >>> y = base + rng.normal(0, 0.1, base.shape)
    >>> y[0] = 0.5 * y[3] + 0.5 * y[5]
    >>> y[0, 8:] -= 2.0
    >>> res = synthetic_control(y, treated=0, n_pre=8)
    >>> round(res.estimate, 1), res.p_value
    (-2.0, 0.05)
    """
    y, treated, donors, n_pre = _prepare(outcomes, treated, donors, n_pre)
    pred = None
    vv = None
    if isinstance(v, str) and v != OPTIMISE:
        raise SafetystatsError(
            "input.choice",
            f"v: expected predictor weights or {OPTIMISE!r}, got {v!r}",
            name="v",
            expected=[OPTIMISE],
            given=repr(v),
        )
    if predictors is not None:
        pred = as_float(predictors, "predictors", n=y.shape[0], ndim=2)
        if isinstance(v, str):
            vv = OPTIMISE
        else:
            vv = np.ones(pred.shape[1]) if v is None else as_float(v, "v")
            if vv.shape != (pred.shape[1],) or np.any(vv < 0) or not np.any(vv > 0):
                raise SafetystatsError(
                    "input.out_of_range",
                    f"v: expected {pred.shape[1]} non-negative weights, not all zero, got "
                    f"{vv.tolist()}",
                    name="v",
                    expected=f"{pred.shape[1]} non-negative weights, not all zero",
                    given=vv.tolist(),
                )
    elif v is not None:
        raise SafetystatsError(
            "synth.weights_without_predictors",
            "v: expected predictors to go with the predictor weights, got none",
        )
    w, synth, gap, pre, post, v_used, v_loss = _fit_one(y, treated, donors, n_pre, pred, vv)
    post_synth = synth[n_pre:].mean()
    warnings = ()
    if pre > 0 and np.sqrt(np.mean(y[treated, :n_pre] ** 2)) > 0:
        rel_fit = pre / np.sqrt(np.mean(y[treated, :n_pre] ** 2))
        if rel_fit > 0.1:
            warnings += (
                f"poor pre-period fit (RMSPE {pre:.3g}, {100 * rel_fit:.0f} % of the outcome's size): "
                "the treated area may lie outside the donors' range; the estimate is not credible",
            )
    p_value = ratios = gaps = pres = None
    ratio = post / pre if pre > 0 else np.inf
    if placebos:
        if donors.size < 2:
            raise SafetystatsError(
                "synth.too_few_donors",
                "donors: expected at least 2 donors for in-space placebos, got 1",
                given=1,
            )
        ratios = np.empty(donors.size)
        gaps = np.empty((donors.size, y.shape[1]))
        pres = np.empty(donors.size)
        for i, dnr in enumerate(donors):
            others = donors[donors != dnr]
            _, _, g_i, pre_i, post_i, _, _ = _fit_one(y, dnr, others, n_pre, pred, vv)
            ratios[i] = post_i / pre_i if pre_i > 0 else np.inf
            gaps[i], pres[i] = g_i, pre_i
        p_value = float((1 + np.sum(ratios >= ratio)) / (1 + donors.size))
        if donors.size < 19:
            warnings += (
                f"only {donors.size} donors: the smallest attainable placebo p-value is "
                f"1/{donors.size + 1} = {1 / (donors.size + 1):.2f}",
            )
    return SynthResult(
        estimate=float(gap[n_pre:].mean()),
        relative=float(gap[n_pre:].mean() / post_synth) if post_synth != 0 else float("inf"),
        weights=w,
        donors=donors,
        synthetic=synth,
        gap=gap,
        pre_rmspe=pre,
        post_rmspe=post,
        ratio=float(ratio),
        p_value=p_value,
        placebo_ratios=ratios,
        placebo_gaps=gaps,
        placebo_pre_rmspe=pres,
        v=None if v_used is None else np.asarray(v_used, dtype=float) / np.sum(v_used),
        v_loss=v_loss,
        warnings=warnings,
    )


def synth_in_time_placebo(
    outcomes, *, treated: int, n_pre: int, placebo_n_pre: int, donors=None
) -> SynthResult:
    """In-time placebo: pretend treatment started after ``placebo_n_pre`` periods.

    Only the real pre-period (first ``n_pre`` columns) is used, fitted on the first
    ``placebo_n_pre`` and "evaluated" on the rest; a gap far from zero there undermines the
    design (Abadie, Diamond & Hainmueller 2015). No in-space placebos are run.

    Examples
    --------
    >>> import numpy as np
    >>> from safetystats.evaluation import synth_in_time_placebo
    >>> rng = np.random.default_rng(8)
    >>> y = rng.normal(10, 2, (15, 1)) + rng.normal(0, 0.1, (15, 12))
    >>> res = synth_in_time_placebo(y, treated=0, n_pre=8, placebo_n_pre=5)
    >>> res.gap.shape
    (8,)
    """
    y, treated, donors, n_pre = _prepare(outcomes, treated, donors, n_pre)
    placebo_n_pre = as_int(placebo_n_pre, "placebo_n_pre")
    if not 1 <= placebo_n_pre < n_pre:
        raise SafetystatsError(
            "input.out_of_range",
            f"placebo_n_pre: expected between 1 and {n_pre - 1} (before the real start), "
            f"got {placebo_n_pre}",
            name="placebo_n_pre",
            expected=f"[1, {n_pre - 1}]",
            given=placebo_n_pre,
        )
    return synthetic_control(
        y[:, :n_pre], treated=treated, n_pre=placebo_n_pre, donors=donors, placebos=False
    )
