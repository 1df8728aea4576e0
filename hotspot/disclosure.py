"""The small-cell rule: what a role without raw-data rights may see of counts from reports and charges.

One rule for every page, map, export and API response that shows a count of reports or charges, or a
rate derived from one, to a role that holds ``view_aggregates`` but not ``view_raw_data`` (partners, the
board, the data protection officer, caseworkers):

1. **Primary suppression.** A count from 1 to ``SMALL_CELL_MIN - 1`` (default 4) is not shown: it is
   replaced by :data:`SUPPRESSED` (rendered "<5"), and every rate computed from it becomes ``None``
   (rendered "–"). Zero is shown: "no report" is not a fact about a person. Survey shares have their own
   rule (fewer than ``min_n`` answers, :mod:`safetystats.survey`).
2. **Complementary suppression.** Counts are tied by sums across pages (a district is the sum of its
   tiling areas, a year the sum of its offence groups, a hotspot the sum of the areas it covers), so a
   hidden count could be worked out from others. :func:`protect` withholds further counts (shown as
   "..") until no small count can be worked out — checked cell by cell as a reader who knows the rule
   and sees every page would, with a linear programme over all the sums at once. One plan per
   municipality and year (``hotspot.areas.inputs.disclosure_plan``) serves every page, map, export,
   index and study.

Roles with raw-data rights see every figure as it is: they may see the incidents themselves. Residents
per age band are published statistics and stay exact; because a hidden count's rate is hidden too, the
count cannot be recovered from rate × residents.

The rule (Danmarks Statistik's discretion practice and the ONS/Eurostat guidance on small cells) is
documented for users in ``docs/user-guide.md`` ("Små tal skjules").
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from hotspot.accounts.roles import Capability


def min_cell() -> int:
    """The smallest count shown to roles without raw-data rights (setting ``SMALL_CELL_MIN``, default 5)."""
    return int(getattr(settings, "SMALL_CELL_MIN", 5))


class Suppressed:
    """A hidden count. Renders as "<5" in templates, CSV and XLSX; JSON gets ``None`` (see :func:`js`)."""

    __slots__ = ()

    def __str__(self) -> str:
        return f"<{min_cell()}"

    def __repr__(self) -> str:
        return "SUPPRESSED"

    def __bool__(self) -> bool:
        return True


SUPPRESSED = Suppressed()


def is_small(n) -> bool:
    """True for a count that must be hidden: 0 < n < SMALL_CELL_MIN."""
    return n is not None and not isinstance(n, Suppressed) and 0 < n < min_cell()


def is_small_array(counts):
    """:func:`is_small` on an array of counts (NaN counts are not small)."""
    import numpy as np

    c = np.asarray(counts, dtype=float)
    with np.errstate(invalid="ignore"):
        return (c > 0) & (c < min_cell())


def may_see_raw(user, municipality) -> bool:
    """Whether ``user`` sees exact small counts in ``municipality`` (``view_raw_data``)."""
    if user is None or not user.is_authenticated:
        return False
    municipality_id = getattr(municipality, "pk", municipality)
    membership = user.membership_for(municipality_id)
    return membership is not None and membership.can(Capability.VIEW_RAW_DATA)


def count(n, *, raw: bool):
    """One count as the viewer may see it: ``n`` or :data:`SUPPRESSED`."""
    return n if raw or not is_small(n) else SUPPRESSED


def rate(value, n, *, raw: bool):
    """A rate computed from count ``n``: ``None`` when ``n`` is hidden."""
    return value if raw or not is_small(n) else None


def rate_of(shown_count, value):
    """A rate beside a count as shown: ``None`` when the count is hidden (:class:`Suppressed`)."""
    return None if isinstance(shown_count, Suppressed) else value


def js(value):
    """A value for JSON (charts, GeoJSON, the API): a hidden count is ``None``."""
    return None if isinstance(value, Suppressed) else value


def note() -> str:
    """The sentence pages and exports show under a table with hidden cells."""
    return _(
        "Counts from 1 to %(max)d and the rates computed from them are hidden (shown as “<%(min)d” and "
        "“–”) so that no person can be recognised; counts shown as “..” are hidden too, small or not, "
        "so that no small count can be worked out from the totals on this or any other page."
    ) % {"max": min_cell() - 1, "min": min_cell()}


# -- one plan of hidden cells for every page ---------------------------------------------------------


class Withheld(Suppressed):
    """A count hidden so that a small one cannot be worked out (complementary suppression). Renders as
    "..": hidden, small or not — a reader may take it for any count from 1 up, so it gives nothing
    away, where "<5" says 1–4."""

    __slots__ = ()

    def __str__(self) -> str:
        return ".."

    def __repr__(self) -> str:
        return "WITHHELD"


WITHHELD = Withheld()
INF = float("inf")


def protect(values, constraints, *, unpublished=()) -> dict:
    """Which cells of a set of additive tables to hide, so no small count can be worked out.

    ``values`` maps each cell to its count; ``constraints`` are ``(total, parts)`` pairs meaning
    ``values[total] == sum(values[p] for p in parts)`` (a district and its tiling areas, a year's total
    and its offence groups, …); ``unpublished`` cells are never shown but follow from others (reports
    that are not citizen-directed: the total minus the citizen-directed ones).

    Returns ``{cell: SUPPRESSED | WITHHELD}`` for the published cells to hide. Primary: every count from
    1 to ``SMALL_CELL_MIN - 1`` ("<5": the reader learns it is 1–4). Secondary, in two passes, each
    done as a reader who knows this rule and sees every page would attack it:

    1. Each sum alone, with the bounds the page gives away ("<5" is 1–4, ".." at least 1, a cell never
       published at least 0) and the cells other sums pin down taken as known; where a small cell
       comes out as one value, the smallest non-zero shown cell of that sum (a part before the total)
       is withheld (".."), and the check runs again.
    2. All sums at once: for each small cell, its smallest and largest value over every table that
       agrees with the page (a linear programme, :func:`_pinned`); where one whole number is left, the
       cheapest change that frees it (:func:`_freeing`: withhold shown cells, or show "<5" cells as
       "..") is made.

    Pass 1 is the one-equation audit of statistical offices' secondary suppression (Hundepool et al.,
    *Statistical Disclosure Control*, 2012, §4.4); pass 2 is their linear-programming audit and the
    cell suppression model of Kelly, Golden & Assad (1992), over the relaxation (a reader solving
    for whole numbers could in rare cases do better). Zero is never hidden.
    """
    lo_small, hi_small = 1, min_cell() - 1
    unpublished = set(unpublished)
    sensitive = {c for c, v in values.items() if is_small(v)}
    hide = {c: SUPPRESSED for c in sensitive if c not in unpublished}
    index: dict = {}
    for k, (total, parts) in enumerate(constraints):
        for c in (total, *parts):
            index.setdefault(c, []).append(k)

    def derive():
        """Unknown cells pinned down exactly: a constraint with one unknown left, repeatedly. Returns
        the cells still unknown and the constraints that pinned down a small one."""
        left = list(unknown_count)
        queue = [k for k, n in enumerate(left) if n == 1]
        known, leaks = set(), []
        while queue:
            k = queue.pop()
            t, ps = constraints[k]
            c = next((c for c in (t, *ps) if c in unknown and c not in known), None)
            if c is None:
                continue
            known.add(c)
            if c in sensitive:
                leaks.append(k)
            for j in index[c]:
                left[j] -= 1
                if left[j] == 1:
                    queue.append(j)
        return unknown - known, leaks

    unknown = set(hide) | unpublished
    unknown_count = [sum(c in unknown for c in (t, *ps)) for t, ps in constraints]

    def bounds(c, unknown):
        if c not in unknown:
            return values[c], values[c]
        if c in unpublished:
            return 0, INF
        return (lo_small, hi_small) if hide[c] is SUPPRESSED else (lo_small, INF)

    def exposed(k, unknown) -> bool:
        """Whether constraint ``k`` alone gives a small unknown cell one possible value."""
        t, ps = constraints[k]
        signed = [(t, -1), *((p, 1) for p in ps)]  # Σ parts − total = 0
        targets = [j for j, (c, _) in enumerate(signed) if c in sensitive and c in unknown]
        if not targets:
            return False
        span = [bounds(c, unknown) for c, _ in signed]
        for j in targets:
            # s·x = −R, R = Σ of the other signed terms, R in [r_low, r_high]
            r_low = sum(
                s * (lo if s > 0 else hi)
                for i, ((_, s), (lo, hi)) in enumerate(zip(signed, span))
                if i != j
            )
            r_high = sum(
                s * (hi if s > 0 else lo)
                for i, ((_, s), (lo, hi)) in enumerate(zip(signed, span))
                if i != j
            )
            s = signed[j][1]
            x_low, x_high = (-r_high, -r_low) if s > 0 else (r_low, r_high)
            lo, hi = span[j]
            if max(lo, x_low) >= min(hi, x_high):
                return True
        return False

    def withhold(c):
        hide[c] = WITHHELD
        unknown.add(c)
        for j in index[c]:
            unknown_count[j] += 1

    # Hiding a cell only widens the bounds of the others, so a constraint found safe stays safe: the
    # scan goes on from the last constraint that needed a cell hidden.
    given_up: set[int] = set()
    start = 0
    while True:
        still, leaks = derive()
        bad = next((k for k in leaks if k not in given_up), None)
        if bad is None:
            bad = next(
                (
                    k
                    for k in range(start, len(constraints))
                    if k not in given_up and exposed(k, still)
                ),
                None,
            )
            if bad is None:
                break
            start = bad
        t, ps = constraints[bad]
        choices = [c for c in ps if c not in hide and c not in unpublished and values[c] > 0]
        if not choices and t not in hide and t not in unpublished and values[t] > 0:
            choices = [t]
        if choices:
            withhold(min(choices, key=lambda c: values[c]))
        else:  # nothing left to hide in it: the joint audit below has the last word
            given_up.add(bad)

    # The joint audit: the equations together can pin a cell that none pins alone (a table of areas ×
    # offence groups with both margins shown). For each small cell, its smallest and largest value
    # over every table consistent with the page (a linear programme); where only one whole number is
    # left, the nearest non-zero shown cell (by the constraints linking them) is withheld as well.
    freed: set = set()

    def pinned(c):
        return _pinned(
            c, values, constraints, index, hide, unknown, unpublished, lo_small, hi_small, freed
        )

    for c in sorted(sensitive, key=repr):
        while pinned(c):
            cells, relabel = _freeing(c, values, constraints, hide, unpublished, lo_small, hi_small)
            if not cells and not relabel:
                break
            for d in cells:
                withhold(d)
            for d in relabel:
                hide[d] = WITHHELD  # still hidden; a reader may no longer take it for 1–4
    return hide


def _pinned(
    cell, values, constraints, index, hide, unknown, unpublished, lo_small, hi_small, freed
):
    """Whether the published cells leave ``cell`` (unknown to the reader) one whole-number value.

    Each programme solved gives a table the reader cannot tell from the true one; every small cell
    that is at least one off its true value there is not pinned either, and is added to ``freed``
    (hiding more cells later only widens what the reader must allow, so it stays free)."""
    import numpy as np
    import scipy.sparse
    from scipy.optimize import linprog

    if cell not in unknown:
        return True
    if cell in freed:
        return False
    # the unknowns linked to `cell` through constraints with unknowns (the rest cannot matter)
    rows, seen, todo, used = [], {cell}, [cell], set()
    while todo:
        c = todo.pop()
        for k in index.get(c, ()):
            if k in used:
                continue
            used.add(k)
            t, ps = constraints[k]
            linked = [d for d in (t, *ps) if d in unknown]
            rows.append(k)
            for d in linked:
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
    cells = sorted(seen, key=repr)
    pos = {c: j for j, c in enumerate(cells)}
    r, col, val = [], [], []
    b_eq = np.zeros(len(rows))
    for i, k in enumerate(rows):
        t, ps = constraints[k]
        for c, sign in ((t, -1.0), *((p, 1.0) for p in ps)):
            if c in pos:
                r.append(i)
                col.append(pos[c])
                val.append(sign)
            else:
                b_eq[i] -= sign * values[c]
    a_eq = scipy.sparse.csr_array((val, (r, col)), shape=(len(rows), len(cells)))
    bounds = [
        (0, None)
        if c in unpublished
        else (lo_small, hi_small)
        if hide[c] is SUPPRESSED
        else (lo_small, None)
        for c in cells
    ]
    goal = np.zeros(len(cells))
    goal[pos[cell]] = 1.0
    for sign in (1.0, -1.0):
        res = linprog(sign * goal, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if res.status == 3:
            return False  # unbounded: any larger value fits
        if res.status != 0:
            continue
        for c, x in zip(cells, res.x):
            if abs(x - values[c]) >= 1 - 1e-6:
                freed.add(c)
        if cell in freed:
            return False
    return True


def _freeing(cell, values, constraints, hide, unpublished, lo_small, hi_small):
    """The cheapest change that lets ``cell`` take another value: shown non-zero cells to withhold, and
    cells shown as "<5" to show as ".." instead (which lets a reader allow them more than 4).

    A linear programme over every cell (the cell suppression model of Kelly, Golden & Assad 1992):
    ``cell`` is set one below or one above its value, shown non-zero cells may move at a cost of one
    per unit, "<5" cells may exceed 4 at half that, and the cheaper of the two solutions says what to
    change. Returns ``(to_withhold, to_relabel)``."""
    import numpy as np
    import scipy.sparse
    from scipy.optimize import linprog

    cells = sorted({c for t, ps in constraints for c in (t, *ps)}, key=repr)
    pos = {c: j for j, c in enumerate(cells)}
    movable = [
        c for c in cells if c not in hide and c not in unpublished and c != cell and values[c] > 0
    ]
    small = [c for c in cells if hide.get(c) is SUPPRESSED]
    n, m, q = len(cells), len(movable), len(small)
    # variables: x (every cell), up and down moves of the movable shown cells, excess of "<5" cells
    rows, cols, vals = [], [], []
    for i, (t, ps) in enumerate(constraints):
        rows += [i] * (1 + len(ps))
        cols += [pos[t], *(pos[p] for p in ps)]
        vals += [-1.0] + [1.0] * len(ps)
    b_eq = np.zeros(len(constraints) + m)
    for j, c in enumerate(movable):  # x = value + up − down
        i = len(constraints) + j
        rows += [i, i, i]
        cols += [pos[c], n + j, n + m + j]
        vals += [1.0, -1.0, 1.0]
        b_eq[i] = values[c]
    width = n + 2 * m + q
    a_eq = scipy.sparse.csr_array((vals, (rows, cols)), shape=(len(constraints) + m, width))
    a_ub = scipy.sparse.csr_array(  # x − excess ≤ hi_small for every "<5" cell
        (
            [1.0] * q + [-1.0] * q,
            ([*range(q), *range(q)], [*(pos[c] for c in small), *range(n + 2 * m, width)]),
        ),
        shape=(q, width),
    )
    b_ub = np.full(q, float(hi_small))
    cost = np.concatenate([np.zeros(n), np.ones(2 * m), np.full(q, 0.5)])
    best = None
    for target in (values[cell] - 1, values[cell] + 1):
        if target < lo_small:
            continue
        bounds = []
        for c in cells:
            if c == cell:
                bounds.append((target, target))
            elif c in unpublished:
                bounds.append((0, None))
            elif c in hide or c in movable:
                bounds.append((lo_small, None))
            else:
                bounds.append((values[c], values[c]))
        bounds += [(0, None)] * (2 * m + q)
        res = linprog(
            cost,
            A_ub=a_ub if q else None,
            b_ub=b_ub if q else None,
            A_eq=a_eq,
            b_eq=b_eq,
            bounds=bounds,
            method="highs",
        )
        if res.status == 0 and (best is None or res.fun < best.fun):
            best = res
    if best is None:
        return [], []
    moved = best.x[n : n + m] + best.x[n + m : n + 2 * m]
    excess = best.x[n + 2 * m :]
    return (
        [c for c, d in zip(movable, moved) if d > 1e-7],
        [c for c, e in zip(small, excess) if e > 1e-7],
    )
