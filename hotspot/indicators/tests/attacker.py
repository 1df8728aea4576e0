"""A reader who knows the small-cell rule and sees every page: for each small count, its smallest and
largest value over all tables that agree with what was published (a linear programme over every cell,
written apart from the rule's own audit). Shown cells are fixed, "<5" is 1–4, ".." at least 1, cells
never published at least 0."""

import math

import numpy as np
from scipy.optimize import linprog


def recoverable(values, constraints, published, unpublished=(), limit=5):
    """Small cells the reader pins to one whole number. ``published`` maps every published cell to
    what the pages show: an int, or the text "<5" / ".."."""
    cells = sorted({c for t, ps in constraints for c in (t, *ps)}, key=repr)
    pos = {c: j for j, c in enumerate(cells)}
    a_eq = np.zeros((len(constraints), len(cells)))
    for i, (t, ps) in enumerate(constraints):
        a_eq[i, pos[t]] -= 1
        for p in ps:
            a_eq[i, pos[p]] += 1
    b_eq = np.zeros(len(constraints))
    bounds = []
    for c in cells:
        if c in unpublished:
            bounds.append((0, None))
        elif published[c] == f"<{limit}":
            bounds.append((1, limit - 1))
        elif published[c] == "..":
            bounds.append((1, None))
        else:
            bounds.append((published[c], published[c]))
    found = {}
    for c in cells:
        if not 0 < values[c] < limit:
            continue
        goal = np.zeros(len(cells))
        goal[pos[c]] = 1
        lo = linprog(goal, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        hi = linprog(-goal, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        assert lo.status == 0, lo.message  # the true table is always feasible
        if hi.status == 3:  # no upper bound
            continue
        if math.floor(-hi.fun + 1e-6) - math.ceil(lo.fun - 1e-6) < 1:
            found[c] = values[c]
    return found
