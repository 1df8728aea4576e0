"""Argument checks shared by the modules of :mod:`safetystats` (private).

One home for the checks every module needs (numbers, finite, non-negative, integer-valued,
shares, confidence levels, integer options), so a refusal reads and is coded the same wherever it
comes from. Each raises :class:`~safetystats.errors.SafetystatsError` with ``name`` (the
argument) and, where there is one, ``given`` (the offending value), which the translated texts
of the Django layer use. A module with a code of its own for the same check (``rates.negative``,
``survey.level``) passes ``code=``, so stored codes stay stable.

Integers are refused, not truncated: ``int(2.7)`` silently gives 2, so a treated row 2.7 or
``n_pre=5.9`` would run on the wrong row or period without a word.
"""

from __future__ import annotations

import numbers

import numpy as np

from .errors import SafetystatsError


def check_choice(value, name: str, allowed):
    """``value`` if it is one of ``allowed``, else ``input.choice`` naming the options."""
    if not isinstance(value, str) or value not in allowed:
        raise SafetystatsError(
            "input.choice",
            f"{name}: expected one of {list(allowed)}, got {value!r}",
            name=name,
            expected=list(allowed),
            given=repr(value),
        )
    return value


def as_numbers(x, name: str) -> np.ndarray:
    """``x`` as a float array (any shape), refusing what is not numeric ("a", None in a list)."""
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise SafetystatsError(
            "input.not_numbers",
            f"{name}: expected numbers, got {type(x).__name__} ({exc})",
            name=name,
            given=type(x).__name__,
        ) from None


def check_finite(
    arr: np.ndarray, name: str, *, missing_ok: bool = False, expected: str = "finite numbers"
) -> None:
    """Refuse infinite values, and NaN too unless ``missing_ok`` (NaN then means "missing")."""
    bad = np.isinf(arr) if missing_ok else ~np.isfinite(arr)
    if bad.any():
        count = int(bad.sum())
        what = "infinite" if missing_ok else "NaN/inf"
        raise SafetystatsError(
            "input.not_finite",
            f"{name}: expected {expected}{' (NaN for missing)' if missing_ok else ''}, got "
            f"{count} {what} value(s)",
            name=name,
            count=count,
        )


def check_non_negative(
    arr: np.ndarray, name: str, *, code: str = "input.out_of_range", finite: bool = False
) -> None:
    """Refuse negative values (NaN passes as missing unless ``finite``), naming the first."""
    flat = np.ravel(arr)
    bad = (flat < 0) | ~np.isfinite(flat) if finite else flat < 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where = "index" if np.ndim(arr) <= 1 else "flat index"
        raise SafetystatsError(
            code,
            f"{name}: expected {'finite ' if finite else ''}values >= 0, got {flat[i]!r} "
            f"at {where} {i}",
            name=name,
            expected=">= 0",
            given=float(flat[i]),
            count=int(bad.sum()),
        )


def check_integer_valued(arr: np.ndarray, name: str, *, what: str = "values") -> None:
    """Refuse values that are not whole numbers (2.7); NaN passes as missing, infinity does not."""
    flat = np.ravel(arr)
    bad = ~np.isnan(flat) & ~(np.isfinite(flat) & (flat == np.round(flat)))
    if bad.any():
        given = flat[bad][:5].tolist()
        raise SafetystatsError(
            "input.not_integer",
            f"{name}: expected integer {what}, got {given}",
            name=name,
            given=given,
        )


def check_share(arr: np.ndarray, name: str = "share") -> None:
    """Refuse shares outside [0, 1] and infinite ones (a count passed as a share); NaN passes."""
    flat = np.ravel(arr)
    outside = ~np.isnan(flat) & ((flat < 0) | (flat > 1))
    if outside.any():
        bad = float(flat[outside][0])
        raise SafetystatsError(
            "survey.share_out_of_range",
            f"{name}: expected a share in [0, 1] (successes / n) or NaN, got {bad!r}",
            name=name,
            given=bad,
        )


def check_level(level, *, code: str = "input.level") -> float:
    """A confidence level in (0, 1) as a float."""
    try:
        ok = bool(0.0 < level < 1.0)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise SafetystatsError(
            code,
            f"level: expected a confidence level in (0, 1), got {level!r}",
            name="level",
            given=repr(level),
        )
    return float(level)


def check_ndim(arr: np.ndarray, name: str, ndim: int, *, what: str = "array") -> None:
    """Refuse an array of another number of dimensions."""
    if arr.ndim != ndim:
        given = "scalar" if arr.ndim == 0 else str(arr.shape)
        raise SafetystatsError(
            "input.shape",
            f"{name}: expected a {ndim}-d {what}, got "
            + ("a scalar" if arr.ndim == 0 else f"shape {arr.shape}"),
            name=name,
            expected=f"{ndim}-d",
            given=given,
        )


def check_length(arr: np.ndarray, name: str, n: int, *, what: str = "rows") -> None:
    """Refuse an array whose first axis is not ``n`` long (one value per observation)."""
    if arr.ndim == 0 or arr.shape[0] != n:
        given = int(arr.shape[0]) if arr.ndim else 0
        raise SafetystatsError(
            "input.length",
            f"{name}: expected {n} {what} (one per observation), got {given}",
            name=name,
            expected=n,
            given=given,
        )


def as_float(x, name: str, *, n: int | None = None, ndim: int = 1) -> np.ndarray:
    """``x`` as a finite float array of ``ndim`` dimensions (and ``n`` rows when given)."""
    arr = as_numbers(x, name)
    if ndim == 2 and arr.ndim == 1:
        arr = arr[:, None]
    check_ndim(arr, name, ndim)
    if n is not None:
        check_length(arr, name, n)
    check_finite(arr, name)
    return arr


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


def as_axis(axis, ndim: int, name: str = "axis") -> int:
    """An axis of an ``ndim``-dimensional array (negative counts from the end)."""
    return as_int(axis, name, minimum=-ndim, maximum=ndim - 1)


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
    if raw.dtype.kind not in "iu":
        if np.isnan(as_f).any():  # a missing row index is not a row either
            raise SafetystatsError(
                "input.not_integer",
                f"{name}: expected integer row indices, got NaN",
                name=name,
                given="nan",
            )
        check_integer_valued(as_f, name, what="row indices")
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
