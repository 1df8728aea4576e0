"""Shared input checks and small helpers for :mod:`safetystats.evaluation` (private)."""

from __future__ import annotations

import numpy as np

from safetystats._checks import (  # noqa: F401 (re-exported for the evaluation modules)
    as_float,
    as_index_array,
    as_int,
    as_numbers,
    check_finite,
    check_length,
    check_level,
    check_ndim,
)
from safetystats.errors import SafetystatsError

#: Below this many treated clusters, cluster-robust inference is flagged (MacKinnon & Webb 2017).
FEW_TREATED_CLUSTERS = 10


def factorise(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted unique levels, integer codes) of a 1-d array, by one stable argsort.

    ``np.unique`` without ``return_inverse`` is hash-based under numpy 2.x and about 20× slower
    on 300,000 distinct integers; a sort gives levels and codes at once.
    """
    n = arr.shape[0]
    if n == 0:
        return arr[:0], np.zeros(0, dtype=np.intp)
    if arr.dtype == object:
        levels, codes = np.unique(arr, return_inverse=True)
        return levels, codes.ravel().astype(np.intp)
    order = np.argsort(arr, kind="stable")
    s = arr[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(s[1:], s[:-1], out=new[1:])
    codes = np.empty(n, dtype=np.intp)
    codes[order] = np.cumsum(new) - 1
    return s[new], codes


def n_unique_codes(codes: np.ndarray) -> int:
    """Number of distinct values of an integer array (sort-based, see :func:`factorise`)."""
    if codes.size == 0:
        return 0
    s = np.sort(codes)
    return int(np.count_nonzero(s[1:] != s[:-1])) + 1


def as_labels(x, name: str, *, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Factorise labels: return (unique levels, integer codes). Refuses length mismatch."""
    arr = np.asarray(x)
    check_ndim(arr, name, 1, what="array of labels")
    check_length(arr, name, n, what="labels")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise SafetystatsError(
            "input.labels_missing", f"{name}: expected labels, got NaN", name=name
        )
    if arr.dtype == object and any(v is None for v in arr):
        raise SafetystatsError(
            "input.labels_missing", f"{name}: expected labels, got None", name=name
        )
    return factorise(arr)


def first_treated_array(x, name: str, *, n: int) -> np.ndarray:
    """First treated period per row as float, NaN (or None) meaning never treated."""
    arr = np.asarray(x, dtype=object if np.asarray(x).dtype == object else None)
    if arr.dtype == object:
        arr = np.array([np.nan if v is None else v for v in arr], dtype=float)
    arr = as_numbers(arr, name)
    check_ndim(arr, name, 1)
    check_length(arr, name, n, what="values")
    check_finite(arr, name, missing_ok=True, expected="a period or NaN for never treated")
    return arr


def make_rng(rng) -> np.random.Generator:
    """``numpy.random.default_rng`` accepting a Generator, a seed or None."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def few_clusters_warning(n_treated: int, *, what: str = "clusters") -> tuple[str, ...]:
    """The few-treated-clusters caveat, or an empty tuple."""
    if n_treated >= FEW_TREATED_CLUSTERS:
        return ()
    return (
        f"only {n_treated} treated {what} (< {FEW_TREATED_CLUSTERS}): cluster-robust standard "
        "errors and their t/normal p-values over-reject when few clusters are treated "
        "(MacKinnon & Webb 2017; Conley & Taber 2011); prefer randomization_inference or "
        "wild_cluster_bootstrap, and with fewer than about 5 treated clusters even the wild "
        "bootstrap is unreliable (it tends to under-reject)",
    )


def check_panel_unique(area_codes: np.ndarray, period_codes: np.ndarray, n_periods: int) -> None:
    key = area_codes.astype(np.int64) * n_periods + period_codes
    if n_unique_codes(key) != key.size:
        raise SafetystatsError(
            "panel.duplicated_rows",
            "area/period: expected one row per area and period, got duplicated (area, period) pairs; "
            "aggregate the panel first",
        )
