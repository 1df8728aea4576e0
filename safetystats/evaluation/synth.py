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
- Beck, A., & Teboulle, M. (2009). A fast iterative shrinkage-thresholding algorithm (FISTA).
  SIAM J. Imaging Sciences, 2(1), 183–202; Condat, L. (2016). Fast projection onto the simplex.
  Mathematical Programming, 158, 575–585 (the weight solver).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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
    for _ in range(max_steps):
        idx = np.flatnonzero(support)
        asub = a[:, idx]
        k = idx.size
        kkt = np.zeros((k + 1, k + 1))
        kkt[:k, :k] = asub.T @ asub
        kkt[:k, k] = 1.0
        kkt[k, :k] = 1.0
        rhs = np.r_[asub.T @ b, 1.0]
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
        g = a.T @ (a @ w - b)
        mu = -sol[k]  # multiplier of the sum constraint: g_i = mu on the support
        viol = g - mu
        viol[idx] = 0.0
        if viol.min() >= -1e-10 * max(1.0, abs(mu)):
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


def _fit_one(y, target, donors, n_pre, predictors, v):
    pre = slice(0, n_pre)
    if predictors is None:
        a = y[donors, pre].T
        b = y[target, pre]
    else:
        sv = np.sqrt(v)[:, None]
        a = predictors[donors].T * sv
        b = predictors[target] * sv[:, 0]
    w = simplex_least_squares(a, b)
    synth = w @ y[donors]
    gap = y[target] - synth
    pre_rmspe = float(np.sqrt(np.mean(gap[:n_pre] ** 2)))
    post_rmspe = float(np.sqrt(np.mean(gap[n_pre:] ** 2)))
    return w, synth, gap, pre_rmspe, post_rmspe


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
    V-weighted distance ``(X_1 − X_0 w)ᵀ V (X_1 − X_0 w)`` (Abadie & Gardeazabal 2003). The effect
    is the post-period gap. Inference by in-space placebos: each donor in turn is treated as if
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
    v : array_like, shape (m,), optional
        Non-negative predictor weights (default equal). Not optimised here.
    placebos : bool
        Run the in-space placebos (one extra fit per donor).

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
    if predictors is not None:
        pred = as_float(predictors, "predictors", n=y.shape[0], ndim=2)
        vv = np.ones(pred.shape[1]) if v is None else as_float(v, "v")
        if vv.shape != (pred.shape[1],) or np.any(vv < 0) or not np.any(vv > 0):
            raise SafetystatsError(
                "input.out_of_range",
                f"v: expected {pred.shape[1]} non-negative weights, not all zero, got {vv.tolist()}",
                name="v",
                expected=f"{pred.shape[1]} non-negative weights, not all zero",
                given=vv.tolist(),
            )
    elif v is not None:
        raise SafetystatsError(
            "synth.weights_without_predictors",
            "v: expected predictors to go with the predictor weights, got none",
        )
    w, synth, gap, pre, post = _fit_one(y, treated, donors, n_pre, pred, vv)
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
            _, _, g_i, pre_i, post_i = _fit_one(y, dnr, others, n_pre, pred, vv)
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
