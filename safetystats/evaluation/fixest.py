"""Fixed-effects regressions on an area × period panel: linear (TWFE) and Poisson with exposure.

Both absorb area and period fixed effects **exactly**, without iterating over the fixed effects:
the factor with more levels (normally the areas) is swept out by a (weighted) within transformation,
and the factor with fewer levels (normally the years, 10–30 of them) enters as explicit dummies that
are then partialled out by the Frisch–Waugh–Lovell theorem (Frisch & Waugh 1933; Lovell 1963).
The coefficients, residuals and cluster scores are those of the regression with all dummies, so
standard errors equal fixest's (Bergé 2018) with its default small-sample correction. Observation
weights enter the absorption, the normal equations and the scores (pyfixest ``weights=``).
Covariance choices (``vcov=``): CR1 by one or two cluster variables (the default, by area), HC1
(heteroskedasticity-robust, no clustering), CR2 (Bell–McCaffrey, for few clusters, with the
Bell–McCaffrey degrees of freedom) and CR3 (the leave-one-cluster-out jackknife).

The Poisson model is fitted by IRLS to the maximum-likelihood estimate (see :func:`_fit_poisson`
for the step control and the convergence rule), after dropping areas and periods whose counts are
all zero and zeros separated by the regressors (iterative rectifier). Zeros separated by a
covariate are dropped with a warning and the fit goes on; separation of the treatment (or of an
event-time indicator) is refused. Covariates collinear with the fixed effects or the other
regressors are dropped and named; a collinear treatment is refused.

Sources
-------
- Bergé, L. (2018). Efficient estimation of maximum likelihood models with multiple fixed-effects:
  the R package FENmlm. CREA Discussion Paper 2018-13 (the algorithms behind R ``fixest``).
- Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
  Journal of Human Resources, 50(2), 317–372 (CR1 and its small-sample factor).
- Cameron, A. C., Gelbach, J. B., & Miller, D. L. (2011). Robust inference with multiway
  clustering. Journal of Business & Economic Statistics, 29(2), 238–249 (two-way CR1).
- MacKinnon, J. G., Nielsen, M. Ø., & Webb, M. D. (2023). Cluster-robust inference: a guide to
  empirical practice. Journal of Econometrics, 232(2), 272–299 (CR3 as the cluster jackknife).
- Bell, R. M., & McCaffrey, D. F. (2002). Bias reduction in standard errors for linear regression
  with multi-stage samples. Survey Methodology, 28(2), 169–181 (CR2 and its df).
- Imbens, G. W., & Kolesár, M. (2016). Robust standard errors in small samples: some practical
  advice. Review of Economics and Statistics, 98(4), 701–712 (the Bell–McCaffrey df with CR2).
- Pustejovsky, J. E., & Tipton, E. (2018). Small-sample methods for cluster-robust variance
  estimation and hypothesis testing in fixed effects models. Journal of Business & Economic
  Statistics, 36(4), 672–683 (CR2 with absorbed fixed effects, Theorem 2).
- White, H. (1980). A heteroskedasticity-consistent covariance matrix estimator and a direct test
  for heteroskedasticity. Econometrica, 48(4), 817–838 (HC; HC1 = HC0 · N/(N−K)).
- McCullagh, P., & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed., ch. 2 (IRLS).
- Correia, S., Guimarães, P., & Zylkin, T. (2020). Fast Poisson estimation with high-dimensional
  fixed effects. Stata Journal, 20(1), 95–115 (separation: areas whose counts are all zero).
- Correia, S., Guimarães, P., & Zylkin, T. (2021). Verifying the existence of maximum likelihood
  estimates for generalized linear models. arXiv:1903.01633 (the iterative rectifier).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import scipy.sparse
from scipy import stats

from safetystats.errors import SafetystatsError

from ._util import (
    as_float,
    as_int,
    as_labels,
    check_level,
    check_panel_unique,
    factorise,
    few_clusters_warning,
    n_unique_codes,
)

__all__ = ["FeResult", "VCOV_TYPES", "twfe", "poisson_fe"]


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
    #: t degrees of freedom of the interval (OLS; None: normal): G − 1 (CR1, CR3), N − K (HC1),
    #: or the Bell–McCaffrey df of the treatment coefficient, a float (CR2)
    df_t: float | None
    iterations: int
    dropped_areas: tuple = ()
    warnings: tuple[str, ...] = ()
    #: covariates dropped as collinear with the fixed effects or the other regressors (named in
    #: ``warnings``; ``names``/``coef`` cover the kept regressors only)
    dropped_regressors: tuple[str, ...] = ()
    #: periods dropped because every count in them is zero (Poisson)
    dropped_periods: tuple = ()
    weighted: bool = False
    #: covariance estimator: "CR1" (one- or two-way clustered), "CR2" (Bell–McCaffrey), "CR3"
    #: (jackknife) or "HC1"
    vcov_type: str = "CR1"
    #: clusters of the second clustering variable (two-way CR1), else None
    n_clusters2: int | None = None
    #: zero counts dropped as separated by the regressors and fixed effects (Poisson)
    n_separated: int = 0
    #: positions (0-based) of the input rows the fit used; the others were dropped (Poisson:
    #: all-zero areas and periods, separated zeros)
    rows_used: np.ndarray | None = field(default=None, repr=False)


# ----------------------------------------------------------------------------------------------
# The engine: exact absorption of two fixed effects
# ----------------------------------------------------------------------------------------------

#: A regressor is dropped as collinear when less than this share of its (weighted, centred)
#: variation is left after absorbing the fixed effects and the regressors before it
#: (fixest's ``collin.tol`` 1e-10, applied relative to the column's own scale).
COLLIN_TOL = 1e-10


class _Absorber:
    """Partials area and period fixed effects out of columns, with optional weights.

    The factor with more levels is swept out by a within transformation (weighted group means);
    the other enters as dummies (first level dropped) that are partialled out by weighted least
    squares. Both steps are exact projections, so there is no convergence tolerance. The dummies
    are never formed: with ``S[a, t]`` the weight of area ``a`` in period ``t``, the Gram matrix
    of the within-transformed dummies is ``diag(Σ_a S[a, t]) − Sᵀ diag(1/Σ_t S[a, t]) S`` and
    every product with them is a group sum, so one projection costs O(n · columns).
    The group-sum operators are built once; :meth:`reweight` only changes the weights (one IRLS
    iteration of the Poisson fit). For the bootstrap, ``basis()`` gives an orthonormal basis of
    the partialled dummies.
    """

    def __init__(self, a_codes, a_n, b_codes, b_n, weights=None, *, keep_order=False):
        if b_n > a_n and not keep_order:
            a_codes, a_n, b_codes, b_n = b_codes, b_n, a_codes, a_n
        self.n = n = a_codes.size
        self.a_codes, self.a_n = a_codes, a_n
        self.b_codes, self.b_n = b_codes, b_n
        self._ops = []
        for codes, n_lev in ((a_codes, a_n), (b_codes, b_n)):
            order = np.argsort(codes, kind="stable")
            indptr = np.zeros(n_lev + 1, dtype=np.int64)
            np.cumsum(np.bincount(codes, minlength=n_lev), out=indptr[1:])
            self._ops.append((order, indptr, n_lev))
        self._dense = a_n * b_n <= max(4 * n, 1_000_000)
        if self._dense:
            self._cell = a_codes.astype(np.int64) * b_n + b_codes
        self.reweight(weights)

    def _sum_op(self, which: int) -> scipy.sparse.csr_matrix:
        order, indptr, n_lev = self._ops[which]
        return scipy.sparse.csr_matrix((self.w[order], order, indptr), shape=(n_lev, self.n))

    def reweight(self, weights) -> None:
        """Use new observation weights (same fixed effects)."""
        self.w = np.ones(self.n) if weights is None else np.asarray(weights, dtype=float)
        self._ga = self._sum_op(0)  # weighted sums by level of the swept factor
        self._sw = np.bincount(self.a_codes, self.w, self.a_n)
        if self.b_n < 2:
            self._gb = None
            return
        self._gb = self._sum_op(1)
        if self._dense:
            s = np.bincount(self._cell, self.w, self.a_n * self.b_n).reshape(self.a_n, self.b_n)
            s1 = s[:, 1:]
            self._m = s1 / self._sw[:, None]
            cross = s1.T @ self._m
        else:
            s = scipy.sparse.csr_matrix(
                (self.w, (self.a_codes, self.b_codes)), shape=(self.a_n, self.b_n)
            )
            s1 = s[:, 1:]
            self._m = scipy.sparse.diags(1.0 / self._sw) @ s1
            cross = np.asarray((s1.T @ self._m).todense())
        colw = np.bincount(self.b_codes, self.w, self.b_n)[1:]
        gram = np.diag(colw) - cross
        # The pseudo-inverse (eigendecomposition) keeps the projection exact when odd panels
        # make the dummies dependent (a disconnected area × period graph).
        self._ginv = scipy.linalg.pinvh((gram + gram.T) / 2, rtol=1e-10)

    def _within(self, z):
        means = (self._ga @ z) / self._sw[:, None]
        return z - means[self.a_codes]

    def dummies(self) -> np.ndarray:
        """The within-transformed period dummies (N × (b_n − 1)); for :meth:`basis` only."""
        d = np.zeros((self.n, max(self.b_n - 1, 0)))
        rows = np.flatnonzero(self.b_codes > 0)
        d[rows, self.b_codes[rows] - 1] = 1.0
        return self._within(d)

    def basis(self) -> np.ndarray:
        """Orthonormal basis (N × r) of the sqrt(w)-weighted, within-transformed dummies."""
        if self.b_n < 2:
            return np.zeros((self.n, 0))
        q, r, _ = scipy.linalg.qr(
            self.dummies() * np.sqrt(self.w)[:, None], mode="economic", pivoting=True
        )
        diag = np.abs(np.diag(r))
        return q[:, diag > 1e-10 * max(diag.max(initial=0.0), 1.0)]

    def __call__(self, z: np.ndarray) -> np.ndarray:
        """Return M z: the columns of z with both fixed effects partialled out (weighted)."""
        two_d = z.ndim == 2
        z2 = z if two_d else z[:, None]
        zw = self._within(z2)
        if self._gb is not None:
            c = self._ginv @ (self._gb @ zw)[1:]  # (DᵀW D̃)⁻¹ D̃ᵀ W zw, as D̃ᵀ W zw = Dᵀ W zw
            cp = np.vstack([np.zeros((1, c.shape[1])), c])
            zw = zw - (cp[self.b_codes] - np.asarray(self._m @ c)[self.a_codes])
        return zw if two_d else zw[:, 0]


def _unit(w: np.ndarray) -> bool:
    """All weights one (an unweighted fit): products with them can be skipped."""
    return bool(w.size) and w.min() == 1.0 == w.max()


def _weighted(xt: np.ndarray, w: np.ndarray) -> np.ndarray:
    """W·X̃, without the N × k product when the weights are all one."""
    return xt if _unit(w) else xt * w[:, None]


def _collinear(xt, x, w, names, n_required):
    """Columns to keep: drop regressors absorbed by the fixed effects or collinear with earlier ones.

    Sequential Cholesky on the weighted Gram matrix of the demeaned regressors (the algorithm of
    fixest and pyfixest): column j is dropped when its squared residual norm after the fixed
    effects and the kept earlier columns is below ``COLLIN_TOL`` times its weighted centred sum
    of squares. The first ``n_required`` columns (the treatment, the event-time dummies) are not
    dropped but refused. Returns (keep mask, dropped names).
    """
    k = x.shape[1]
    if _unit(w):  # unweighted (the usual case): no N × k products with ones
        gram = xt.T @ xt
        scale = np.sum((x - x.mean(axis=0)) ** 2, axis=0)
    else:
        xs = xt * np.sqrt(w)[:, None]
        gram = xs.T @ xs
        scale = np.sum((x - np.average(x, axis=0, weights=w)) ** 2 * w[:, None], axis=0)
    r = np.zeros((k, k))
    keep = np.ones(k, dtype=bool)
    for j in range(k):
        kept = np.flatnonzero(keep[:j])
        r_jj = gram[j, j] - np.sum(r[kept, j] ** 2)
        if not r_jj > COLLIN_TOL * scale[j]:
            if j < n_required:
                alone = gram[j, j] <= COLLIN_TOL * scale[j]
                if alone:
                    raise SafetystatsError(
                        "design.treatment_absorbed",
                        f"collinear design: expected regressors that vary within areas and "
                        f"periods, got ['{names[j]}'] fully explained by the area and period "
                        "fixed effects",
                        name=names[j],
                    )
                raise SafetystatsError(
                    "design.treatment_collinear",
                    f"collinear design: expected linearly independent regressors, got "
                    f"['{names[j]}'] as a linear combination of the other regressors and the "
                    "fixed effects",
                    name=names[j],
                )
            keep[j] = False
            continue
        r[j, j] = np.sqrt(r_jj)
        later = np.arange(j + 1, k)
        r[j, later] = (gram[j, later] - r[kept, j] @ r[kept][:, later]) / r[j, j]
    dropped = tuple(names[j] for j in np.flatnonzero(~keep))
    return keep, dropped


def _collinear_warning(dropped) -> tuple[str, ...]:
    if not dropped:
        return ()
    return (
        f"dropped {len(dropped)} regressor(s) collinear with the fixed effects or the other "
        f"regressors: {list(dropped)} (no coefficient reported for them)",
    )


def _nested(codes: np.ndarray, n_lev: int, cl_codes: np.ndarray) -> bool:
    """Whether each level of ``codes`` lies in exactly one cluster."""
    ref = np.zeros(n_lev, dtype=cl_codes.dtype)
    ref[codes] = cl_codes  # any cluster of the level
    return bool(np.all(ref[codes] == cl_codes))


def _df_k(k, a_codes, a_n, b_codes, b_n, cluster_codes=()):
    """fixest's K: regressors plus the fixed-effect levels not nested in any clustering variable.

    ``K = k + (a_n + b_n − 1) − (levels of FE nested in a cluster variable) + (number of such
    FE)``: pyfixest's ``ssc(k_adj=True, k_fixef="nonnested")``, the same for ``feols`` and
    ``fepois``. Without clusters (HC1) nothing is nested and every level counts.
    """
    k_fe_adj = a_n + b_n - 1  # two fixed effects: one level of the second is redundant
    nested_levels = 0
    n_nested = 0
    for codes, n_lev in ((a_codes, a_n), (b_codes, b_n)):
        if any(_nested(codes, n_lev, cl) for cl in cluster_codes):
            nested_levels += n_lev
            n_nested += 1
    return k + k_fe_adj - nested_levels + n_nested


def _ssc(n_obs, k, a_codes, a_n, b_codes, b_n, cl_codes):
    """fixest's default small-sample factor for CR1 (K excludes FE nested in the cluster).

    ``G/(G−1) · (N−1)/(N−K)`` with K from :func:`_df_k`: pyfixest's ``ssc(k_adj=True,
    k_fixef="nonnested", G_adj=True, G_df="min")``, the same for ``feols`` and ``fepois``.
    """
    df_k = _df_k(k, a_codes, a_n, b_codes, b_n, (cl_codes,))
    g = int(cl_codes.max()) + 1
    return (g / (g - 1)) * ((n_obs - 1) / (n_obs - df_k)), g


def _cluster_meat(scores: np.ndarray, cl_codes: np.ndarray, g: int) -> np.ndarray:
    summed = np.vstack([np.bincount(cl_codes, scores[:, j], g) for j in range(scores.shape[1])]).T
    return summed.T @ summed


#: The covariance estimators of :func:`twfe` and :func:`poisson_fe`.
VCOV_TYPES = ("CR1", "CR2", "CR3", "HC1")


def check_vcov(vcov, *, cluster, cluster2) -> str:
    """Validate ``vcov=`` against the clustering arguments; returns the estimator's name."""
    if not isinstance(vcov, str) or vcov not in VCOV_TYPES:
        raise SafetystatsError(
            "input.choice",
            f"vcov: expected one of {list(VCOV_TYPES)}, got {vcov!r}",
            name="vcov",
            expected=list(VCOV_TYPES),
            given=repr(vcov),
        )
    if vcov == "HC1" and (cluster is not None or cluster2 is not None):
        raise SafetystatsError(
            "input.choice",
            "vcov: expected 'CR1', 'CR2' or 'CR3' with cluster labels, got 'HC1' "
            "(heteroskedasticity-robust, no clusters) together with cluster/cluster2; drop the "
            "labels or cluster",
            name="vcov",
            expected=["CR1", "CR2", "CR3"],
            given=repr(vcov),
        )
    if vcov in ("CR2", "CR3") and cluster2 is not None:
        what = (
            "the jackknife leaves out one cluster of one clustering variable"
            if vcov == "CR3"
            else "the Bell–McCaffrey adjustment is defined for one clustering variable"
        )
        raise SafetystatsError(
            "input.choice",
            f"vcov: expected 'CR1' for two-way clustering (cluster2), got {vcov!r} ({what})",
            name="vcov",
            expected=["CR1"],
            given=repr(vcov),
        )
    return vcov


@dataclass(frozen=True)
class _Vcov:
    vcov: np.ndarray
    #: t degrees of freedom for OLS: G − 1 (min over the cluster variables), N − K, or the
    #: Bell–McCaffrey df of the treatment coefficient (CR2, a float)
    df_t: float
    n_clusters: int
    n_clusters2: int | None = None
    #: CR2 only: computes the Bell–McCaffrey df of any linear combination of the coefficients
    bm: _BellMcCaffrey | None = None


#: CR2: eigenvalues of ``I − H_gg`` at or below this are taken as 0 (the Moore–Penrose inverse
#: square root; they are exactly 0, up to rounding, for fixed effects nested in the clusters).
CR2_EIG_TOL = 1e-10
#: CR2 factorises one (rows × columns) block per cluster; larger blocks are refused (memory).
CR2_MAX_BLOCK = 50_000_000


def _cr2_blocks(cl: np.ndarray, g: int):
    order = np.argsort(cl, kind="stable")
    bounds = np.zeros(g + 1, dtype=np.int64)
    np.cumsum(np.bincount(cl, minlength=g), out=bounds[1:])
    return [order[bounds[j] : bounds[j + 1]] for j in range(g)]


class _BellMcCaffrey:
    """Bell–McCaffrey degrees of freedom for CR2 (Bell & McCaffrey 2002; Imbens & Kolesár 2016).

    For a contrast ``c``, ``cᵀ V_CR2 c = Σ_g (ε*ᵀ M_{·g} u_g)²`` with ``u_g = A_g X*_g B c``
    (``M = I − H`` of the full dummy model, ``B`` the bread). Under the working model of iid
    errors (in the √ω-scaled regression) its Satterthwaite df is ``(tr Γ)² / tr(Γ²)`` with
    ``Γ_gh = u_gᵀ M_gh u_h = δ_gh u_gᵀu_g − u_gᵀ H_gh u_h``. The hat ``H = P_A + Q Qᵀ +
    X* B X*ᵀ`` is the sum of three orthogonal projections (swept factor, its within-transformed
    dummies ``Q``, the fully absorbed regressors), so Γ is assembled from cluster sums without
    forming any n × n matrix; when the swept factor is nested in the clusters, ``P_A u = 0``.
    """

    def __init__(self, ax, xs, bread, chol, q, cl, g, area):
        self.ax, self.xs, self.bread, self.chol = ax, xs, bread, chol
        self.q, self.cl, self.g = q, cl, g
        self.area = area  # None when the swept factor is nested, else (codes, n_lev, sqrt(ω/Ω_a))

    def df(self, c) -> np.ndarray:
        c2 = np.asarray(c, dtype=float)
        c2 = c2[:, None] if c2.ndim == 1 else c2
        u_all = self.ax @ (self.bread @ c2)  # n × m
        out = np.empty(u_all.shape[1])
        for j in range(u_all.shape[1]):
            u = u_all[:, j]
            d = np.bincount(self.cl, u * u, self.g)
            parts = [
                _cluster_sum_cols(self.q * u[:, None], self.cl, self.g),
                _cluster_sum_cols(self.xs * u[:, None], self.cl, self.g) @ self.chol,
            ]
            k_mat = sum(p @ p.T for p in parts)
            if self.area is not None:
                codes, n_lev, scale = self.area
                s = scipy.sparse.csr_matrix((scale * u, (self.cl, codes)), shape=(self.g, n_lev))
                k_mat = k_mat + (s @ s.T).toarray()
            gamma = np.diag(d) - k_mat
            tr2 = float(np.sum(gamma * gamma))
            out[j] = np.trace(gamma) ** 2 / tr2 if tr2 > 0 else np.nan
        return out


def _cluster_sum_cols(values: np.ndarray, codes: np.ndarray, g: int) -> np.ndarray:
    if values.shape[1] == 0:
        return np.zeros((g, 0))
    return np.vstack([np.bincount(codes, values[:, j], g) for j in range(values.shape[1])]).T


def _cr2(panel: _Panel, xt, resid, omega, bread) -> _Vcov:
    """CR2 (Bell & McCaffrey 2002) with the fixed effects absorbed, and its Bell–McCaffrey df.

    In the √ω-scaled regression (``ω`` the observation weights, times ``μ`` for Poisson) with
    the full dummy design, the meat is ``Σ_g X*_gᵀ A_g e*_g e*_gᵀ A_g X*_g`` with
    ``A_g = (I − H_gg)^(+1/2)``, the Moore–Penrose inverse square root (clubSandwich's
    convention), and the bread ``B = (X̃*ᵀX̃*)⁻¹``; no further small-sample factor. ``H_gg`` is
    the block of the full-dummy hat matrix, ``P_A + Q Qᵀ + X* B X*ᵀ`` restricted to the cluster.
    When the swept fixed effect (the areas) is nested in the clusters its projection is left
    out: its directions carry neither residuals nor absorbed regressors, so the result is the
    same (Pustejovsky & Tipton 2018, Theorem 2) and ``I − H_gg`` is then non-singular in the
    directions that matter. ``A_g`` comes from a thin SVD ``U S Vᵀ`` of the cluster's factor
    ``R_g`` (``H_gg = R_g R_gᵀ``): ``A_g = I + U (f(S) − 1) Uᵀ``, ``f(s) = (1 − s²)^(−1/2)``
    (0 for eigenvalues of ``I − H_gg`` at or below :data:`CR2_EIG_TOL`).
    """
    a_n, b_n = int(panel.a.max()) + 1, int(panel.p.max()) + 1
    absorb = _Absorber(panel.a, a_n, panel.p, b_n, weights=omega)
    q = absorb.basis()
    sw = np.sqrt(omega)
    xs = xt * sw[:, None]
    es = resid * sw
    chol = np.linalg.cholesky((bread + bread.T) / 2)
    cl = panel.cl
    g = int(cl.max()) + 1
    nested = _nested(absorb.a_codes, absorb.a_n, cl)
    area_scale = None
    if not nested:
        area_scale = sw / np.sqrt(np.bincount(absorb.a_codes, omega, absorb.a_n))[absorb.a_codes]
    k = xs.shape[1]
    ax = np.empty_like(xs)
    meat = np.zeros((k, k))
    for rows in _cr2_blocks(cl, g):
        parts = [q[rows], xs[rows] @ chol]
        if not nested:
            _, local = factorise(absorb.a_codes[rows])
            ind = np.zeros((rows.size, int(local.max()) + 1))
            ind[np.arange(rows.size), local] = area_scale[rows]
            parts.insert(0, ind)
        r_g = np.hstack(parts)
        if r_g.size > CR2_MAX_BLOCK:
            raise SafetystatsError(
                "input.choice",
                f"vcov: expected 'CR1' or 'CR3' for clusters this large, got 'CR2' (its "
                f"adjustment matrices need rows × columns ≤ {CR2_MAX_BLOCK:,} per cluster, got "
                f"a cluster of {rows.size} rows × {r_g.shape[1]} columns)",
                name="vcov",
                expected=["CR1", "CR3"],
                given="'CR2'",
            )
        u, s, _ = np.linalg.svd(r_g, full_matrices=False)
        gap = 1.0 - s * s
        with np.errstate(divide="ignore"):
            f = np.where(gap > CR2_EIG_TOL, 1.0 / np.sqrt(np.maximum(gap, CR2_EIG_TOL)), 0.0) - 1.0
        xg = xs[rows]
        ax[rows] = adj = xg + u @ (f[:, None] * (u.T @ xg))  # A_g X*_g (A_g symmetric)
        score = adj.T @ es[rows]
        meat += np.outer(score, score)
    v = bread @ meat @ bread
    area = None if nested else (absorb.a_codes, absorb.a_n, area_scale)
    bm = _BellMcCaffrey(ax, xs, bread, chol, q, cl, g, area)
    df0 = float(bm.df(np.eye(k)[:, 0])[0])
    return _Vcov(v, df0, g, None, bm)


def _sandwich(bread, scores, panel: _Panel, k: int, vcov_type: str) -> _Vcov:
    """CR1 (one- or two-way) or HC1 covariance from the bread and the per-row scores.

    Two-way CR1 (Cameron, Gelbach & Miller 2011): ``V₁ + V₂ − V₁₂`` with ``V₁₂`` clustered by
    the intersection, every term with the factor of the smaller number of clusters G (pyfixest's
    ``G_df="min"``) and t(G−1). HC1: ``N/(N−K)`` with every fixed-effect level in K and t(N−K),
    as pyfixest ``vcov="HC1"``.
    """
    n = panel.y.size
    a_n, b_n = int(panel.a.max()) + 1, int(panel.p.max()) + 1
    if vcov_type == "HC1":
        df_k = _df_k(k, panel.a, a_n, panel.p, b_n)
        v = (n / (n - df_k)) * bread @ (scores.T @ scores) @ bread
        return _Vcov(v, n - df_k, n)
    if panel.cl2 is None:
        ssc, g = _ssc(n, k, panel.a, a_n, panel.p, b_n, panel.cl)
        return _Vcov(ssc * bread @ _cluster_meat(scores, panel.cl, g) @ bread, g - 1, g)
    g1, g2 = int(panel.cl.max()) + 1, int(panel.cl2.max()) + 1
    _, cl12 = factorise(panel.cl.astype(np.int64) * g2 + panel.cl2)
    g12 = int(cl12.max()) + 1
    df_k = _df_k(k, panel.a, a_n, panel.p, b_n, (panel.cl, panel.cl2, cl12))
    g = min(g1, g2)
    ssc = (g / (g - 1)) * ((n - 1) / (n - df_k))
    meat = (
        _cluster_meat(scores, panel.cl, g1)
        + _cluster_meat(scores, panel.cl2, g2)
        - _cluster_meat(scores, cl12, g12)
    )
    return _Vcov(ssc * bread @ meat @ bread, g - 1, g1, g2)


def _jackknife(panel: _Panel, coef: np.ndarray, refit, n_treated: int) -> _Vcov:
    """CR3: the leave-one-cluster-out jackknife ``(G−1)/G · Σ_g (β̂₍g₎ − β̂)(β̂₍g₎ − β̂)ᵀ``.

    MacKinnon, Nielsen & Webb (2023), centred at the full-sample estimate. ``refit(rows)`` fits
    the same model (fixed effects re-estimated) on the kept rows. With one treated cluster the
    refit without it has no treatment, so CR3 is refused; a refit that fails otherwise (e.g.
    separation in the remaining rows) raises its own error, naming the cluster left out.
    """
    if n_treated < 2:
        raise SafetystatsError(
            "panel.too_few_clusters",
            f"CR3 jackknife: expected at least 2 treated clusters (each is left out in turn), "
            f"got {n_treated}; use CR1 with randomization_inference instead",
            given=n_treated,
        )
    g = int(panel.cl.max()) + 1
    levels = panel.cluster_levels
    dev = np.empty((g, coef.size))
    for j in range(g):
        try:
            dev[j] = refit(panel.cl != j) - coef
        except SafetystatsError as exc:
            label = levels[j].item() if isinstance(levels[j], np.generic) else levels[j]
            exc.params["left_out"] = label
            exc.args = (f"CR3 jackknife, refit without cluster {label!r}: {exc}",)
            raise
    return _Vcov((g - 1) / g * dev.T @ dev, g - 1, g)


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
    keep: np.ndarray | None = None  # regressors kept (None: all)
    dropped_regressors: tuple = ()
    dropped_periods: tuple = ()
    vcov_type: str = "CR1"
    n_clusters2: int | None = None
    n_separated: int = 0
    rows: np.ndarray | None = None  # input rows used
    bm: _BellMcCaffrey | None = None  # CR2: Bell–McCaffrey df of any contrast


def _check_weights(weights, n):
    w = as_float(weights, "weights", n=n)
    bad = int(np.sum(w <= 0))
    if bad:
        raise SafetystatsError(
            "weights.not_positive",
            f"weights: expected a positive weight in every row, got {bad} row(s) with zero or "
            "negative weight (leave such rows out instead)",
            count=bad,
        )
    return w


class _Panel:
    """Validated long panel: codes for areas, periods and clusters, and observation weights."""

    def __init__(
        self, y, x, *, area, period, cluster, names, y_name="y", weights=None, cluster2=None
    ):
        self.y = as_float(y, y_name)
        n = self.y.size
        if n == 0:
            raise SafetystatsError(
                "input.empty", f"{y_name}: expected at least one observation, got none", name=y_name
            )
        self.x = as_float(x, "regressors", n=n, ndim=2)
        self.names = tuple(names)
        if len(self.names) != self.x.shape[1]:
            raise SafetystatsError(
                "input.length",
                f"names: expected {self.x.shape[1]} names, got {len(self.names)}",
                name="names",
                expected=int(self.x.shape[1]),
                given=len(self.names),
            )
        self.w = np.ones(n) if weights is None else _check_weights(weights, n)
        self.weighted = weights is not None
        self.rows = np.arange(n)
        self.area_levels, self.a = as_labels(area, "area", n=n)
        self.period_levels, self.p = as_labels(period, "period", n=n)
        check_panel_unique(self.a, self.p, self.period_levels.size)
        if cluster is None:
            self.cluster_levels, self.cl = self.area_levels, self.a
        else:
            self.cluster_levels, self.cl = as_labels(cluster, "cluster", n=n)
        self.cl2 = None
        if cluster2 is not None:
            _, self.cl2 = as_labels(cluster2, "cluster2", n=n)
        for name, codes in (("cluster", self.cl), ("cluster2", self.cl2)):
            if codes is not None and int(codes.max()) + 1 < 2:
                raise SafetystatsError(
                    "panel.too_few_clusters",
                    f"{name}: expected at least 2 clusters, got 1",
                    given=1,
                )

    def subset(self, keep: np.ndarray) -> None:
        self.y, self.x, self.w = self.y[keep], self.x[keep], self.w[keep]
        self.rows = self.rows[keep]
        a_used, self.a = factorise(self.a[keep])
        p_used, self.p = factorise(self.p[keep])
        self.area_levels = self.area_levels[a_used]
        self.period_levels = self.period_levels[p_used]
        cl_used, self.cl = factorise(self.cl[keep])
        self.cluster_levels = self.cluster_levels[cl_used]
        if self.cl2 is not None:
            _, self.cl2 = factorise(self.cl2[keep])

    def take(self, keep: np.ndarray) -> _Panel:
        """A new panel of the kept rows (this one unchanged)."""
        other = copy.copy(self)
        other.subset(keep)
        return other


def _treatment_checks(panel: _Panel, treated_rows: np.ndarray) -> int:
    """Refuse designs without controls or with treated areas lacking a pre-period.

    Returns the number of treated clusters.
    """
    a_n = int(panel.a.max()) + 1
    treated_area = np.bincount(panel.a, treated_rows.astype(float), a_n) > 0
    if treated_area.all():
        raise SafetystatsError(
            "panel.no_controls",
            "no control areas: expected at least one area that is never treated, got every area "
            "treated in some period",
        )
    if not treated_area.any():
        raise SafetystatsError(
            "panel.no_treated", "treatment: expected at least one treated observation, got none"
        )
    # earliest observed period of each area, and whether the area is treated there
    first_p = np.full(a_n, np.iinfo(np.intp).max, dtype=np.intp)
    np.minimum.at(first_p, panel.a, panel.p)
    at_first = panel.p == first_p[panel.a]
    bad = np.zeros(a_n, dtype=bool)
    bad[panel.a[at_first & treated_rows]] = True
    no_pre = panel.area_levels[np.flatnonzero(bad)]
    if no_pre.size:
        raise SafetystatsError(
            "panel.no_pre_period",
            "treated areas with no pre-period: expected every treated area to be observed "
            f"untreated at least once, got {no_pre[:5].tolist()}"
            + (f" and {no_pre.size - 5} more" if no_pre.size > 5 else ""),
            areas=no_pre[:5].tolist(),
            more=max(int(no_pre.size) - 5, 0),
        )
    return n_unique_codes(panel.cl[treated_rows])


def _ols_core(panel: _Panel, treated_rows: np.ndarray, n_required: int):
    """Checks, absorption and the OLS coefficients: (coef, x̃, ỹ, keep, dropped, treated)."""
    n_treated = _treatment_checks(panel, treated_rows)
    if np.ptp(panel.y) == 0:
        raise SafetystatsError(
            "outcome.constant",
            f"outcome: expected variation, got a constant ({panel.y[0]:g}) for all rows",
            value=float(panel.y[0]),
        )
    a_n, b_n = int(panel.a.max()) + 1, int(panel.p.max()) + 1
    w = panel.w
    absorb = _Absorber(panel.a, a_n, panel.p, b_n, weights=w if panel.weighted else None)
    yx = absorb(np.column_stack([panel.y, panel.x]))
    yt, xt = yx[:, 0], yx[:, 1:]
    keep, dropped = _collinear(xt, panel.x, w, panel.names, n_required)
    xt = xt[:, keep]
    xw = _weighted(xt, w)
    coef = np.linalg.solve(xw.T @ xt, xw.T @ yt)
    return coef, xt, yt, keep, dropped, n_treated


def _kept(panel: _Panel, keep: np.ndarray) -> _Panel:
    """The panel with only the kept regressors (for jackknife refits)."""
    other = copy.copy(panel)
    other.x = panel.x[:, keep]
    other.names = tuple(nm for nm, k in zip(panel.names, keep) if k)
    return other


def _vcov_warning(vcov_type: str) -> tuple[str, ...]:
    if vcov_type != "HC1":
        return ()
    return (
        "HC1 standard errors treat every area-period row as independent; counts and rates of "
        "an area are correlated over the years, so in a panel they are usually too small "
        "(Bertrand, Duflo & Mullainathan 2004); prefer the default CR1 by area",
    )


def _fit_ols(
    panel: _Panel, treated_rows: np.ndarray, *, n_required: int = 1, vcov_type: str = "CR1"
) -> tuple[_Fit, np.ndarray, np.ndarray]:
    coef, xt, yt, keep, dropped, n_treated = _ols_core(panel, treated_rows, n_required)
    xw = _weighted(xt, panel.w)
    bread = np.linalg.inv(xw.T @ xt)
    if vcov_type == "CR3":
        sub_panel = _kept(panel, keep)

        def refit(rows):
            sub = sub_panel.take(rows)
            return _ols_core(sub, treated_rows[rows], sub.x.shape[1])[0]

        v = _jackknife(panel, coef, refit, n_treated)
    elif vcov_type == "CR2":
        v = _cr2(panel, xt, yt - xt @ coef, panel.w, bread)
    else:
        v = _sandwich(bread, xw * (yt - xt @ coef)[:, None], panel, xt.shape[1], vcov_type)
    warn = few_clusters_warning(n_treated) + _vcov_warning(vcov_type) + _collinear_warning(dropped)
    fit = _Fit(
        coef,
        v.vcov,
        v.df_t,
        panel.y.size,
        v.n_clusters,
        n_treated,
        1,
        (),
        warn,
        keep,
        dropped,
        vcov_type=vcov_type,
        n_clusters2=v.n_clusters2,
        rows=panel.rows,
        bm=v.bm,
    )
    return fit, xt, yt


def _deviance(y, mu, w):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        term = np.where(y > 0, y * np.log(y / mu), 0.0)
        return 2.0 * float(np.sum(w * (term - (y - mu))))


def _drop_separated_fe(panel: _Panel, offset, treated_rows):
    """Drop areas and periods whose counts are all zero (their fixed effect is −∞).

    pyfixest's ``separation_check=["fe"]`` and ppmlhdfe do the same. Dropping all-zero groups of
    one factor removes only zeros, so one pass over both factors suffices.
    """
    a_n, b_n = int(panel.a.max()) + 1, int(panel.p.max()) + 1
    a_pos = np.bincount(panel.a, panel.y, a_n) > 0
    p_pos = np.bincount(panel.p, panel.y, b_n) > 0
    if a_pos.all() and p_pos.all():
        return offset, treated_rows, (), ()
    dropped_a = tuple(panel.area_levels[~a_pos].tolist())
    dropped_p = tuple(panel.period_levels[~p_pos].tolist())
    keep = a_pos[panel.a] & p_pos[panel.p]
    panel.subset(keep)
    return offset[keep], treated_rows[keep], dropped_a, dropped_p


def _separation_error(name: str, n_rows: int) -> SafetystatsError:
    return SafetystatsError(
        "poisson.separation",
        f"separation: expected counts that identify the effect of '{name}', got {n_rows} zero "
        f"count(s) that a combination of '{name}' and the fixed effects predicts exactly; "
        "without them the effect is not identified (its rate ratio is 0 or infinite and not "
        "estimable by Poisson regression)",
        name=name,
    )


def _check_regressor_separation(panel: _Panel, n_required: int) -> None:
    """Refuse a required regressor whose non-zero rows all have count zero (coefficient ±∞).

    The typical case: every treated post-period count is zero. The likelihood then rises without
    bound as the coefficient goes to −∞; fixest and pyfixest's default return a huge finite
    number with p ≈ 0, pyfixest with ``separation_check=["ir"]`` drops those rows and then
    refuses the all-zero regressor. We refuse at once and name the regressor. Only the first
    ``n_required`` columns (the treatment, the event-time indicators) are checked: a covariate
    separated this way is left to the iterative rectifier, which drops its zero rows, after
    which the covariate is constant and dropped as collinear (as pyfixest does).
    """
    y, x = panel.y, panel.x
    for j, name in enumerate(panel.names[:n_required]):
        nz = x[:, j] != 0
        if not nz.any():
            continue
        one_sign = bool(np.all(x[nz, j] > 0) or np.all(x[nz, j] < 0))
        if one_sign and not np.any(y[nz] > 0):
            raise SafetystatsError(
                "poisson.separation",
                f"separation: expected some positive counts where '{name}' is non-zero, got "
                f"only zero counts in its {int(nz.sum())} row(s); its rate ratio would be 0 "
                "(coefficient −∞) and is not estimable by Poisson regression",
                name=name,
            )


def _separated_rows(panel: _Panel, *, tol: float = 1e-4, max_iter: int = 100) -> np.ndarray:
    """Rows separated by the regressors and fixed effects: the iterative rectifier.

    Correia, Guimarães & Zylkin (2021), "Verifying the existence of maximum likelihood estimates
    for generalized linear models", arXiv:1903.01633, as ppmlhdfe and pyfixest's
    ``separation_check=["ir"]``: regress ``u = 1{y = 0}`` on the regressors and both fixed effects
    with weight ``K = N₊/tol²`` on the positive counts (N₊ of them) and 1 on the zeros; fitted
    values within ``(−0.1·tol, tol)`` count as 0; when every fitted value is ≥ 0, the zeros
    fitted above 0 are separated (their expected count is 0 at the MLE); otherwise
    ``u ← max(fitted, 0)`` on the zeros and repeat. Returns a boolean mask (all False when
    nothing is separated or the rectifier does not settle).

    The weights span 1 to ~10¹⁵, so the separating direction of the regressors carries a share
    of ~10⁻¹⁴ of their weighted variation: normal equations (which square the condition number)
    lose it on large panels, and so does a collinearity check scaled by the weighted variation.
    Hence collinearity is judged on the unweighted design (the column space does not depend on
    positive weights) and the weighted regression is solved by a QR factorisation of
    ``√K·X̃`` with the rank cut of an SVD least-squares solver.
    """
    y, x = panel.y, panel.x
    boundary = y == 0
    if not boundary.any():
        return boundary
    interior = ~boundary
    k_w = interior.sum() / tol**2
    omega = np.where(interior, k_w, 1.0)
    a_n, b_n = int(panel.a.max()) + 1, int(panel.p.max()) + 1
    if x.shape[1]:
        plain = _Absorber(panel.a, a_n, panel.p, b_n)
        ones = np.ones(y.size)
        keep, _ = _collinear(plain(x), x, ones, panel.names, 0)
        x = x[:, keep]
    absorb = _Absorber(panel.a, a_n, panel.p, b_n, weights=omega)
    sw = np.sqrt(omega)
    basis = None
    if x.shape[1]:
        q, r = np.linalg.qr(absorb(x) * sw[:, None])
        u_r, sv, _ = np.linalg.svd(r)
        rank = int(np.sum(sv > np.finfo(float).eps * max(q.shape) * sv[0])) if sv[0] > 0 else 0
        basis = q @ u_r[:, :rank]
    u = boundary.astype(float)
    for _ in range(max_iter):
        ut = absorb(u)
        if basis is None:
            resid = ut
        else:
            uw = ut * sw
            resid = (uw - basis @ (basis.T @ uw)) / sw
        fitted = u - resid
        fitted[interior | ((fitted > -0.1 * tol) & (fitted < tol))] = 0.0
        if np.all(fitted >= 0):
            return fitted > 0
        u = np.where(boundary, np.maximum(fitted, 0.0), 0.0)
    return np.zeros(y.size, dtype=bool)  # undecided: the fit's own checks take over


def _poisson_prepare(panel: _Panel, treated_rows, offset, n_required: int):
    """Checks and separation (the panel is subset in place).

    Returns (offset, treated_rows, dropped areas, dropped periods, treated clusters, number of
    separated zeros).
    """
    y = panel.y
    if np.any(y < 0):
        raise SafetystatsError(
            "outcome.negative_counts",
            f"counts: expected non-negative counts, got minimum {y.min():g}",
            minimum=float(y.min()),
        )
    if not np.any(y > 0):
        raise SafetystatsError(
            "outcome.all_zero", "counts: expected some positive counts, got all-zero outcomes"
        )
    offset, treated_rows, dropped_a, dropped_p = _drop_separated_fe(panel, offset, treated_rows)
    n_treated = _treatment_checks(panel, treated_rows)
    _check_regressor_separation(panel, n_required)
    separated = _separated_rows(panel)
    n_separated = int(separated.sum())
    if n_separated:
        keep_rows = ~separated
        offset, treated_rows = offset[keep_rows], treated_rows[keep_rows]
        panel.subset(keep_rows)
        offset, treated_rows, more_a, more_p = _drop_separated_fe(panel, offset, treated_rows)
        dropped_a, dropped_p = dropped_a + more_a, dropped_p + more_p
        try:
            n_treated = _treatment_checks(panel, treated_rows)
        except SafetystatsError as exc:
            raise _separation_error(panel.names[0], n_separated) from exc
    return offset, treated_rows, dropped_a, dropped_p, n_treated, n_separated


def _irls(panel: _Panel, offset, *, tol, max_iter, n_required: int, n_separated: int):
    """IRLS to the MLE on a prepared panel.

    Returns (coef, μ, kept columns, dropped names, iterations, the absorber).
    """
    y, x, w0 = panel.y, panel.x, panel.w
    a_n, b_n = int(panel.a.max()) + 1, int(panel.p.max()) + 1
    mu = (y + np.average(y, weights=w0)) / 2.0  # fixest's starting values
    eta = np.log(mu)
    absorb = _Absorber(panel.a, a_n, panel.p, b_n, weights=w0 * mu)
    coef = None
    dev = None
    keep = dropped = None
    converged = False
    crit = np.inf
    for it in range(1, max_iter + 1):
        if it > 1:
            absorb.reweight(w0 * mu)
        z = eta - offset + (y - mu) / mu
        zx = absorb(np.column_stack([z, x]))
        zt, xt = zx[:, 0], zx[:, 1:]
        if keep is None:
            try:
                keep, dropped = _collinear(xt, x, w0 * mu, panel.names, n_required)
            except SafetystatsError as exc:
                if not n_separated:
                    raise
                raise _separation_error(exc.params["name"], n_separated) from exc
            x, xt = x[:, keep], xt[:, keep]
        xw = xt * (w0 * mu)[:, None]
        coef_full = np.linalg.solve(xw.T @ xt, xw.T @ zt)
        eta_full = offset + z - (zt - xt @ coef_full)
        with np.errstate(over="ignore"):
            dev_full = _deviance(y, np.exp(eta_full), w0)
        eta_new, coef_new, dev_new = eta_full, coef_full, dev_full
        step = 1.0
        ref = dev if dev is not None else np.inf  # the start is not a model point: no halving
        # rounding noise near the optimum is not a rise of the deviance
        while not np.isfinite(dev_new) or dev_new - ref > 1e-13 * (0.1 + abs(ref)):
            step /= 2.0
            if step < 2.0**-30:
                raise SafetystatsError(
                    "poisson.no_convergence",
                    f"Poisson fit: expected convergence within max_iter={max_iter} iterations, "
                    f"got no step that lowers the deviance at iteration {it}; check for "
                    "separation",
                    max_iter=max_iter,
                    change=float("nan"),
                    tol=tol,
                )
            eta_new = eta + step * (eta_full - eta)
            if coef is not None:
                coef_new = coef + step * (coef_full - coef)
            with np.errstate(over="ignore"):
                dev_new = _deviance(y, np.exp(eta_new), w0)
        if dev is not None:
            crit = max(abs(dev_new - dev), abs(dev_full - dev)) / (0.1 + abs(dev_new))
        eta, coef, dev = eta_new, coef_new, dev_new
        mu = np.exp(eta)
        if crit < tol:
            converged = True
            break
    if not converged:
        raise SafetystatsError(
            "poisson.no_convergence",
            f"Poisson fit: expected convergence within max_iter={max_iter} iterations, got a "
            f"relative deviance change of {crit:.3g} > tol={tol:g}; check for separation or "
            "raise max_iter",
            max_iter=max_iter,
            change=float(crit),
            tol=tol,
        )
    return coef, mu, keep, dropped, it, absorb


def _fit_poisson(
    panel: _Panel,
    treated_rows,
    offset,
    *,
    tol,
    max_iter,
    n_required: int = 1,
    vcov_type: str = "CR1",
):
    """Poisson MLE with area and period effects by IRLS (McCullagh & Nelder 1989, §2.5).

    Each iteration is one weighted least-squares fit of the working response
    ``z = η − offset + (y − μ)/μ`` with weights ``w·μ``, both fixed effects absorbed exactly.
    The first iteration starts from fixest's ``μ = (y + ȳ)/2``, which is not a point of the
    model, so it is taken in full; from then on, when the deviance rises above the PREVIOUS
    iterate's (or is not finite), the step is halved towards that iterate (a convex combination
    of two points of the model is a point of the model). Converged when
    ``|dev − dev_old| / (0.1 + |dev|) < tol`` for both the step taken and the full step, so a
    halved step never passes for convergence (the bug of version 1).
    """
    offset, treated_rows, dropped_a, dropped_p, n_treated, n_separated = _poisson_prepare(
        panel, treated_rows, offset, n_required
    )
    coef, mu, keep, dropped, it, absorb = _irls(
        panel, offset, tol=tol, max_iter=max_iter, n_required=n_required, n_separated=n_separated
    )
    y, w0 = panel.y, panel.w
    x = panel.x[:, keep]
    if vcov_type == "CR3":
        sub_panel = _kept(panel, keep)

        def refit(rows):
            sub = sub_panel.take(rows)
            k = sub.x.shape[1]
            off, _, _, _, _, n_sep = _poisson_prepare(sub, treated_rows[rows], offset[rows], k)
            return _irls(sub, off, tol=tol, max_iter=max_iter, n_required=k, n_separated=n_sep)[0]

        v = _jackknife(panel, coef, refit, n_treated)
    else:
        # the sandwich at the converged μ: bread (X̃ᵀWX̃)⁻¹, scores w·(y − μ)·x̃
        absorb.reweight(w0 * mu)
        xt = absorb(x)
        bread = np.linalg.inv((xt * (w0 * mu)[:, None]).T @ xt)
        if vcov_type == "CR2":
            # the IRLS regression at the MLE: weights w·μ, working residuals (y − μ)/μ
            v = _cr2(panel, xt, (y - mu) / mu, w0 * mu, bread)
        else:
            v = _sandwich(bread, xt * (w0 * (y - mu))[:, None], panel, x.shape[1], vcov_type)
    warn = few_clusters_warning(n_treated) + _vcov_warning(vcov_type)
    if dropped_a:
        warn += (
            f"dropped {len(dropped_a)} area(s) whose counts are all zero (their fixed effect is "
            f"not estimable in a Poisson model): {list(dropped_a[:10])}"
            + (f" and {len(dropped_a) - 10} more" if len(dropped_a) > 10 else ""),
        )
    if dropped_p:
        warn += (
            f"dropped {len(dropped_p)} period(s) whose counts are all zero in every area (their "
            f"fixed effect is not estimable in a Poisson model): {list(dropped_p)}",
        )
    if n_separated:
        warn += (
            f"dropped {n_separated} zero count(s) separated by the regressors and fixed effects "
            "(their expected count is 0 at the maximum of the likelihood; iterative rectifier, "
            "Correia, Guimarães & Zylkin 2021); the estimates use the other rows",
        )
    warn += _collinear_warning(dropped)
    tiny = (y == 0) & (mu < 1e-10 * np.average(y, weights=w0))
    if tiny.any():
        warn += (
            f"{int(tiny.sum())} zero count(s) fitted with an expected count near 0: possible "
            "separation (a combination of regressors that predicts zero counts exactly); the "
            "coefficients involved are not reliable",
        )
    return _Fit(
        coef,
        v.vcov,
        None,
        y.size,
        v.n_clusters,
        n_treated,
        it,
        dropped_a,
        warn,
        keep,
        dropped,
        dropped_p,
        vcov_type=vcov_type,
        n_clusters2=v.n_clusters2,
        n_separated=n_separated,
        rows=panel.rows,
    )


def _result(fit: _Fit, names, *, model: str, level: float, weighted: bool = False) -> FeResult:
    if fit.keep is not None:
        names = [nm for nm, k in zip(names, fit.keep) if k]
    with np.errstate(invalid="ignore"):  # two-way CR1 can have negative variances
        se_all = np.sqrt(np.diag(fit.vcov))
    est, se = float(fit.coef[0]), float(se_all[0])
    if not se > 0:
        why = (
            "a negative two-way variance (V₁ + V₂ − V₁₂ is not positive semi-definite here)"
            if fit.n_clusters2 is not None and not np.isfinite(se)
            else "0 (degenerate design)"
        )
        raise SafetystatsError(
            "design.degenerate_se",
            f"standard error: expected a positive value, got {why}",
        )
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
        dropped_regressors=fit.dropped_regressors,
        dropped_periods=fit.dropped_periods,
        weighted=weighted,
        vcov_type=fit.vcov_type,
        n_clusters2=fit.n_clusters2,
        n_separated=fit.n_separated,
        rows_used=fit.rows,
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
    cluster2=None,
    vcov: str = "CR1",
    weights=None,
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
    cluster2 : array_like, shape (n,), optional
        Labels of a second clustering variable for two-way CR1 (e.g. ``cluster`` the areas and
        ``cluster2`` the years): ``V₁ + V₂ − V₁₂`` (Cameron, Gelbach & Miller 2011), each with
        fixest's factor for the smaller number of clusters G, and t(G−1), as pyfixest
        ``vcov={"CRV1": "c1+c2"}``.
    vcov : {"CR1", "CR2", "CR3", "HC1"}
        ``"CR1"`` (default): cluster-robust, by ``cluster`` (and ``cluster2``). ``"CR2"``:
        Bell & McCaffrey's (2002) bias-reduced estimator for few clusters, the meat
        ``Σ_g X̃_gᵀ A_g ũ_g ũ_gᵀ A_g X̃_g`` with ``A_g = (I − H_gg)^(+1/2)`` from the hat matrix
        of the full dummy-variable regression (Moore–Penrose inverse square root, as R
        clubSandwich; with the areas nested in the clusters this equals the absorbed version
        of Pustejovsky & Tipton 2018), no further factor, and t intervals with the
        Bell–McCaffrey degrees of freedom of the treatment coefficient (Imbens & Kolesár 2016;
        ``df_t`` is then a float, often far below G − 1 when few clusters are treated). With
        weights, CR2 is that of the √w-scaled regression (inverse-variance weights). ``"CR3"``: the
        cluster jackknife ``(G−1)/G · Σ_g (β̂₍g₎ − β̂)(β̂₍g₎ − β̂)ᵀ`` (MacKinnon, Nielsen & Webb
        2023), refitting without one cluster at a time; it is more conservative than CR1 with
        few clusters and t(G−1). ``"HC1"``: heteroskedasticity-robust, every row on its own,
        factor N/(N−K) (K counts every fixed-effect level), t(N−K), as pyfixest
        ``vcov="HC1"``; it ignores the correlation of an area's rows over time (a warning
        says so) and takes no cluster labels.
    weights : array_like, shape (n,), optional
        Positive observation weights (e.g. the population, for a population-weighted regression
        of rates): weighted least squares, with the weights in the fixed-effect absorption and
        in the cluster scores ``w·x̃·ũ``, as pyfixest ``feols(weights=...)`` (analytic weights:
        N in the small-sample factor is the number of rows).
    level : float
        Confidence level of the interval.

    Returns
    -------
    FeResult
        ``estimate`` is β; ``warnings`` flags fewer than 10 treated clusters and names covariates
        dropped as collinear (``dropped_regressors``).

    Raises
    ------
    SafetystatsError (a ValueError with a stable ``code``)
        No control areas, treated areas without a pre-period, a constant outcome, duplicated
        (area, period) rows, non-positive weights, or a treatment absorbed by / collinear with the
        fixed effects. Covariates absorbed by or collinear with the fixed effects and the earlier
        regressors are dropped with a warning instead (as fixest and pyfixest do).

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
    vcov = check_vcov(vcov, cluster=cluster, cluster2=cluster2)
    x, names = _design(treatment, covariates, np.asarray(y).shape[0] if np.ndim(y) else -1)
    panel = _Panel(
        y,
        x,
        area=area,
        period=period,
        cluster=cluster,
        names=names,
        weights=weights,
        cluster2=cluster2,
    )
    fit, _, _ = _fit_ols(panel, panel.x[:, 0] != 0, vcov_type=vcov)
    return _result(fit, names, model="ols", level=level, weighted=weights is not None)


def _offset(population, n):
    pop = as_float(population, "population", n=n)
    if np.any(pop <= 0):
        bad = int(np.sum(pop <= 0))
        raise SafetystatsError(
            "population.not_positive",
            f"population: expected a positive population in every row, got {bad} "
            "row(s) with zero or negative population (a rate needs a denominator)",
            count=bad,
        )
    return np.log(pop)


def check_iteration(tol, max_iter) -> tuple[float, int]:
    """Validate the IRLS options: ``tol`` in (0, 1), ``max_iter`` a positive integer."""
    try:
        ok = 0.0 < float(tol) < 1.0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise SafetystatsError(
            "input.out_of_range",
            f"tol: expected a tolerance in (0, 1), got {tol!r}",
            name="tol",
            expected="(0, 1)",
            given=repr(tol),
        )
    return float(tol), as_int(max_iter, "max_iter", minimum=2)


def poisson_fe(
    counts,
    treatment,
    *,
    area,
    period,
    population=None,
    covariates=None,
    cluster=None,
    cluster2=None,
    vcov: str = "CR1",
    weights=None,
    level: float = 0.95,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> FeResult:
    """Poisson regression of counts with a log-population offset and area and period effects.

    Fits ``E[y_it] = pop_it · exp(β·D_it + x_it'γ + α_i + λ_t)`` by maximum likelihood (IRLS:
    each step a weighted least-squares fit with weights ``μ`` in which the fixed effects are
    absorbed exactly, see the module notes; step-halving only when the deviance rises above the
    previous iterate's; converged when ``|dev − dev_old| / (0.1 + |dev|) < tol``), with
    cluster-robust CR1 standard errors (fixest's small-sample factor) and normal intervals, as in
    fixest ``fepois``. The rate ratio of
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
    cluster2 : array_like, shape (n,), optional
        Second clustering variable for two-way CR1, as in :func:`twfe`.
    vcov : {"CR1", "CR2", "CR3", "HC1"}
        As in :func:`twfe`, with normal intervals; ``"CR3"`` refits the Poisson model without
        each cluster in turn (the fixed effects, the all-zero checks and the separation check
        are redone on every refit); ``"CR2"`` is computed on the IRLS regression at the MLE
        (weights ``w·μ``, working residuals ``(y − μ)/μ``), as clubSandwich does for a GLM, with
        normal intervals like the other Poisson choices.
    weights : array_like, shape (n,), optional
        Positive observation weights: each row's log-likelihood is multiplied by its weight (IRLS
        weights ``w·μ``, scores ``w·(y − μ)·x̃``), as pyfixest ``fepois(weights=...)``.
    level : float
    tol : float
        Convergence: relative change of the deviance, ``|Δdev| / (0.1 + |dev|)`` (fixest's rule).
    max_iter : int

    Returns
    -------
    FeResult
        Areas whose counts are all zero are dropped (``dropped_areas``), and so are periods whose
        counts are all zero (``dropped_periods``), each with a warning naming them, as pyfixest's
        ``separation_check=["fe"]`` does; zero counts separated by the regressors and fixed
        effects are dropped (``n_separated``, with a warning), as pyfixest's
        ``separation_check=["ir"]`` does; collinear covariates are dropped with a warning.

    Raises
    ------
    SafetystatsError (a ValueError with a stable ``code``)
        All-zero or negative counts, zero population, non-positive weights, no control areas,
        treated areas without a pre-period, a treatment collinear with the fixed effects,
        separation of the treatment (every count zero where the treatment is on, or separated
        zeros whose removal leaves the treatment unidentified: code ``poisson.separation``; a
        covariate's separation only drops rows), no convergence, a cluster without which the
        CR3 refit fails (the refit's own code).

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
    vcov = check_vcov(vcov, cluster=cluster, cluster2=cluster2)
    tol, max_iter = check_iteration(tol, max_iter)
    n = np.asarray(counts).shape[0] if np.ndim(counts) else -1
    x, names = _design(treatment, covariates, n)
    panel = _Panel(
        counts,
        x,
        area=area,
        period=period,
        cluster=cluster,
        names=names,
        y_name="counts",
        weights=weights,
        cluster2=cluster2,
    )
    offset = np.zeros(panel.y.size) if population is None else _offset(population, panel.y.size)
    fit = _fit_poisson(
        panel, panel.x[:, 0] != 0, offset, tol=tol, max_iter=max_iter, vcov_type=vcov
    )
    return _result(fit, names, model="poisson", level=level, weighted=weights is not None)
