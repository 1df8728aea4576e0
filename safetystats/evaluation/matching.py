"""Control-area selection: nearest-neighbour matching with a balance table.

Sources
-------
- Rubin, D. B. (1980). Bias reduction using Mahalanobis-metric matching. Biometrics, 36(2), 293–298.
- Stuart, E. A. (2010). Matching methods for causal inference: a review and a look forward.
  Statistical Science, 25(1), 1–21 (greedy nearest neighbour, standardised mean differences).
- Austin, P. C. (2009). Balance diagnostics for comparing the distribution of baseline covariates
  between treatment groups in propensity-score matched samples. Statistics in Medicine, 28(25),
  3083–3107 (SMD with the pooled pre-matching SD; |SMD| < 0.1 as good balance).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from safetystats.errors import SafetystatsError

from ._util import as_float, as_index_array, as_int

__all__ = ["BalanceTable", "MatchResult", "match_controls", "balance_table"]


@dataclass(frozen=True)
class BalanceTable:
    """Means and standardised mean differences (SMD) before and after matching.

    ``smd = (mean_treated − mean_control) / sqrt((var_treated + var_pool) / 2)``, the same
    denominator (treated and full pool, before matching) for ``smd_before`` and ``smd_after``.
    """

    names: tuple[str, ...]
    mean_treated: np.ndarray
    mean_control_before: np.ndarray
    mean_control_after: np.ndarray
    smd_before: np.ndarray
    smd_after: np.ndarray


@dataclass(frozen=True)
class MatchResult:
    """Result of :func:`match_controls`.

    ``pairs[i]`` holds the control rows matched to ``treated[i]``; ``controls`` the distinct
    control rows (the suggested control areas); ``distances`` aligns with ``pairs``.
    """

    treated: np.ndarray
    controls: np.ndarray
    pairs: np.ndarray = field(repr=False)
    distances: np.ndarray = field(repr=False)
    balance: BalanceTable = field(repr=False)
    distance: str = "mahalanobis"
    warnings: tuple[str, ...] = ()


def _indices(x, name, n):
    return as_index_array(x, name, n)


def balance_table(features, *, treated, pool, matched, names=None) -> BalanceTable:
    """Balance of ``features`` between treated rows, the full pool and matched controls.

    ``matched`` may repeat rows (matching with replacement); repeats count as weights.

    Examples
    --------
    >>> import numpy as np
    >>> from safetystats.evaluation import balance_table
    >>> x = np.array([[1.0], [2.0], [1.1], [5.0]])
    >>> bt = balance_table(x, treated=[0, 1], pool=[2, 3], matched=[2, 2])
    >>> bt.mean_control_after.tolist()
    [1.1]
    """
    x = as_float(features, "features", ndim=2)
    t = x[np.asarray(treated, dtype=int)]
    p = x[np.asarray(pool, dtype=int)]
    m = x[np.asarray(matched, dtype=int)]
    var_t = t.var(axis=0, ddof=1) if t.shape[0] > 1 else np.zeros(x.shape[1])
    sd = np.sqrt((var_t + p.var(axis=0, ddof=1)) / 2)
    sd = np.where(sd > 0, sd, np.nan)
    with np.errstate(invalid="ignore"):
        smd_b = np.nan_to_num((t.mean(0) - p.mean(0)) / sd)
        smd_a = np.nan_to_num((t.mean(0) - m.mean(0)) / sd)
    if names is None:
        names = tuple(f"x{j + 1}" for j in range(x.shape[1]))
    return BalanceTable(tuple(names), t.mean(0), p.mean(0), m.mean(0), smd_b, smd_a)


def match_controls(
    features,
    *,
    treated,
    candidates=None,
    n_matches: int = 1,
    distance: str = "mahalanobis",
    replace: bool = False,
    names=None,
) -> MatchResult:
    """Suggest control areas by nearest-neighbour matching on pre-period characteristics.

    Features (pre-period rates, the safety index, statutory criteria variables …) are
    standardised over treated and candidate rows. ``distance="z"``: Euclidean distance of the
    z-scores; ``"mahalanobis"``: ``sqrt(dᵀ S⁻¹ d)`` with ``S`` the pooled covariance (pseudo-inverse
    if features are collinear), so correlated features are not double counted (Rubin 1980).
    Without replacement, pairs are formed greedily by the smallest remaining distance
    (Stuart 2010); with replacement each treated row takes its ``n_matches`` nearest.

    Parameters
    ----------
    features : array_like, shape (n_areas, p)
    treated : array_like of int
        Rows of the treated areas.
    candidates : array_like of int, optional
        Rows of the control pool; default every other row. Must not contain a treated row.
    n_matches : int
        Controls per treated area.
    distance : {"mahalanobis", "z"}
    replace : bool
    names : sequence of str, optional
        Feature names for the balance table.

    Returns
    -------
    MatchResult
        With the balance table (means and SMD before/after); a warning when some
        ``|SMD after| > 0.25`` (Stuart 2010: poor balance).

    Examples
    --------
    >>> import numpy as np
    >>> from safetystats.evaluation import match_controls
    >>> x = np.array([[10.0, 1.0], [20.0, 2.0], [10.5, 1.1], [19.0, 2.1], [40.0, 0.0]])
    >>> res = match_controls(x, treated=[0, 1])
    >>> res.pairs[:, 0].tolist()
    [2, 3]
    """
    x = as_float(features, "features", ndim=2)
    n = x.shape[0]
    tr = _indices(treated, "treated", n)
    if tr.size == 0:
        raise SafetystatsError(
            "panel.no_treated", "treated: expected at least one treated row, got none"
        )
    if candidates is None:
        cand = np.setdiff1d(np.arange(n), tr)
    else:
        cand = _indices(candidates, "candidates", n)
        both = np.intersect1d(cand, tr)
        if both.size:
            raise SafetystatsError(
                "matching.treated_in_pool",
                f"candidates: expected a control pool without treated areas, got treated rows "
                f"{both.tolist()} in the pool",
                rows=both.tolist(),
            )
    if cand.size == 0:
        raise SafetystatsError(
            "panel.no_controls", "no control areas: expected candidate rows, got none"
        )
    n_matches = as_int(n_matches, "n_matches", minimum=1)
    if not replace and cand.size < tr.size * n_matches:
        raise SafetystatsError(
            "matching.too_few_candidates",
            f"candidates: expected at least {tr.size * n_matches} controls to match without "
            f"replacement, got {cand.size}",
            expected=int(tr.size * n_matches),
            given=int(cand.size),
        )
    if distance not in ("mahalanobis", "z"):
        raise SafetystatsError(
            "input.choice",
            f"distance: expected 'mahalanobis' or 'z', got {distance!r}",
            name="distance",
            expected=["mahalanobis", "z"],
            given=repr(distance),
        )
    rows = np.r_[tr, cand]
    mu = x[rows].mean(0)
    sd = x[rows].std(0, ddof=1)
    const = sd == 0
    if const.all():
        raise SafetystatsError(
            "matching.no_variation",
            "features: expected variation over treated and candidate rows, got none",
        )
    z = (x[:, ~const] - mu[~const]) / sd[~const]
    diff = z[tr][:, None, :] - z[cand][None, :, :]
    if distance == "z":
        dist = np.sqrt(np.sum(diff**2, axis=2))
    else:
        s_inv = np.linalg.pinv(np.atleast_2d(np.cov(z[rows], rowvar=False)))
        dist = np.sqrt(np.maximum(np.einsum("ijk,kl,ijl->ij", diff, s_inv, diff), 0.0))
    pairs = np.empty((tr.size, n_matches), dtype=int)
    dists = np.empty((tr.size, n_matches))
    if replace:
        order = np.argsort(dist, axis=1, kind="stable")[:, :n_matches]
        pairs = cand[order]
        dists = np.take_along_axis(dist, order, axis=1)
    else:
        work = dist.copy()
        filled = np.zeros(tr.size, dtype=int)
        for _ in range(tr.size * n_matches):
            i, j = np.unravel_index(np.argmin(work), work.shape)
            pairs[i, filled[i]] = cand[j]
            dists[i, filled[i]] = dist[i, j]
            filled[i] += 1
            work[:, j] = np.inf
            if filled[i] == n_matches:
                work[i, :] = np.inf
    balance = balance_table(x, treated=tr, pool=cand, matched=pairs.ravel(), names=names)
    warnings = ()
    bad = [balance.names[k] for k in np.flatnonzero(np.abs(balance.smd_after) > 0.25)]
    if bad:
        warnings += (
            f"poor balance after matching (|SMD| > 0.25) on {bad}: the matched controls differ "
            "from the treated areas; widen the pool or match on fewer variables",
        )
    return MatchResult(
        treated=tr,
        controls=np.unique(pairs),
        pairs=pairs,
        distances=dists,
        balance=balance,
        distance=distance,
        warnings=warnings,
    )
