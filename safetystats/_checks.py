"""Argument checks shared by the modules of :mod:`safetystats` (private).

Integers are refused, not truncated: ``int(2.7)`` silently gives 2, so a treated row 2.7 or
``n_pre=5.9`` would run on the wrong row or period without a word.
"""

from __future__ import annotations

import numbers

import numpy as np

from .errors import SafetystatsError


def as_int(x, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``x`` as an int, refusing non-integers (2.7, "3", True) instead of truncating."""
    ok = isinstance(x, numbers.Integral) and not isinstance(x, bool)
    if not ok and isinstance(x, (float, np.floating)) and np.isfinite(x) and float(x).is_integer():
        ok = True  # 5.0 is the integer 5 (e.g. a year read from a float column)
    if not ok:
        raise SafetystatsError(
            "input.not_integer",
            f"{name}: expected an integer, got {x!r}",
            name=name,
            given=repr(x),
        )
    value = int(x)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        lo = "-inf" if minimum is None else minimum
        hi = "inf" if maximum is None else maximum
        raise SafetystatsError(
            "input.out_of_range",
            f"{name}: expected an integer in [{lo}, {hi}], got {value}",
            name=name,
            expected=f"[{lo}, {hi}]",
            given=value,
        )
    return value


def as_index_array(x, name: str, n: int) -> np.ndarray:
    """Row indices in ``[0, n)`` as an int array, refusing non-integers, duplicates, out of range."""
    raw = np.asarray(x)
    if raw.dtype == bool:
        raise SafetystatsError(
            "input.not_integer",
            f"{name}: expected row indices, got a boolean array",
            name=name,
            given="bool",
        )
    try:
        as_f = raw.astype(float).ravel()
    except (TypeError, ValueError):
        raise SafetystatsError(
            "input.not_integer",
            f"{name}: expected row indices, got {x!r}",
            name=name,
            given=repr(x),
        ) from None
    if raw.dtype.kind not in "iu" and not np.all(np.isfinite(as_f) & (as_f == np.round(as_f))):
        bad = as_f[~(np.isfinite(as_f) & (as_f == np.round(as_f)))]
        raise SafetystatsError(
            "input.not_integer",
            f"{name}: expected integer row indices, got {bad[:5].tolist()}",
            name=name,
            given=bad[:5].tolist(),
        )
    arr = as_f.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        raise SafetystatsError(
            "input.out_of_range",
            f"{name}: expected row indices in [0, {n}), got {arr.min()}..{arr.max()}",
            name=name,
            expected=f"[0, {n})",
            given=f"{arr.min()}..{arr.max()}",
        )
    if np.unique(arr).size != arr.size:
        raise SafetystatsError(
            "input.duplicates", f"{name}: expected distinct rows, got duplicates", name=name
        )
    return arr
