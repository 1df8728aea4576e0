"""Shared input checks and small helpers for :mod:`safetystats.evaluation` (private)."""

from __future__ import annotations

import numpy as np

#: Below this many treated clusters, cluster-robust inference is flagged (MacKinnon & Webb 2017).
FEW_TREATED_CLUSTERS = 10


def as_float(x, name: str, *, n: int | None = None, ndim: int = 1) -> np.ndarray:
    """Return ``x`` as a float array, refusing wrong shapes and non-finite values."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected numbers, got {type(x).__name__} ({exc})") from None
    if arr.ndim == 0 and ndim == 1:
        raise ValueError(f"{name}: expected a 1-d array, got a scalar")
    if ndim == 2 and arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-d array, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name}: expected {n} rows (one per observation), got {arr.shape[0]}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr)))
        raise ValueError(f"{name}: expected finite numbers, got {bad} NaN/inf value(s)")
    return arr


def as_labels(x, name: str, *, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Factorise labels: return (unique levels, integer codes). Refuses length mismatch."""
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-d array of labels, got shape {arr.shape}")
    if arr.shape[0] != n:
        raise ValueError(f"{name}: expected {n} labels (one per observation), got {arr.shape[0]}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected labels, got NaN")
    if arr.dtype == object and any(v is None for v in arr):
        raise ValueError(f"{name}: expected labels, got None")
    levels, codes = np.unique(arr, return_inverse=True)
    return levels, codes.ravel()


def first_treated_array(x, name: str, *, n: int) -> np.ndarray:
    """First treated period per row as float, NaN (or None) meaning never treated."""
    arr = np.asarray(x, dtype=object if np.asarray(x).dtype == object else None)
    if arr.dtype == object:
        arr = np.array([np.nan if v is None else v for v in arr], dtype=float)
    arr = np.asarray(arr, dtype=float)
    if arr.shape != (n,):
        raise ValueError(
            f"{name}: expected {n} values (one per observation), got shape {arr.shape}"
        )
    if np.any(np.isinf(arr)):
        raise ValueError(f"{name}: expected a period or NaN for never treated, got inf")
    return arr


def make_rng(rng) -> np.random.Generator:
    """``numpy.random.default_rng`` accepting a Generator, a seed or None."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def check_level(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level: expected a confidence level in (0, 1), got {level!r}")
    return float(level)


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
    if np.unique(key).size != key.size:
        raise ValueError(
            "area/period: expected one row per area and period, got duplicated (area, period) pairs; "
            "aggregate the panel first"
        )
