"""The small-cell rule: what a role without raw-data rights may see of counts from reports and charges.

One rule for every page, map, export and API response that shows a count of reports or charges, or a
rate derived from one, to a role that holds ``view_aggregates`` but not ``view_raw_data`` (partners, the
board, the data protection officer, caseworkers):

1. **Primary suppression.** A count from 1 to ``SMALL_CELL_MIN - 1`` (default 4) is not shown: it is
   replaced by :data:`SUPPRESSED` (rendered "<5"), and every rate computed from it becomes ``None``
   (rendered "–"). Zero is shown: "no report" is not a fact about a person. Survey shares have their own
   rule (fewer than ``min_n`` answers, :mod:`safetystats.survey`).
2. **Complementary suppression.** Where a row of cells is shown beside its total (offence groups and
   the year's total; the tiling areas of a district and the district), a single hidden cell could be
   recovered by subtraction. Further cells, smallest first, are hidden until the hidden cells add up to
   at least ``SMALL_CELL_MIN`` — so the hidden part can never be solved for.

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


def hidden(cells, *, raw: bool) -> list[bool]:
    """Which of a row of counts (shown beside their total) to hide: primary, then complementary.

    >>> hidden([3, 40, 0, 12], raw=False)
    [True, False, False, True]
    >>> hidden([0, 40, 12], raw=False)
    [False, False, False]
    >>> hidden([2, 1, 3, 40], raw=False)
    [True, True, True, False]
    """
    cells = [int(c or 0) for c in cells]
    out = [not raw and is_small(c) for c in cells]
    if raw or not any(out):
        return out
    limit = min_cell()
    total_hidden = sum(c for c, h in zip(cells, out) if h)
    # smallest non-zero shown cells first (a zero adds nothing to the hidden sum)
    for k in sorted(
        (k for k, c in enumerate(cells) if c > 0 and not out[k]), key=cells.__getitem__
    ):
        if total_hidden >= limit:
            break
        out[k] = True
        total_hidden += cells[k]
    return out


def row(cells, *, raw: bool) -> list:
    """A row of counts shown beside their total, with :func:`hidden` applied."""
    return [SUPPRESSED if h else c for c, h in zip(cells, hidden(cells, raw=raw))]


def js(value):
    """A value for JSON (charts, GeoJSON, the API): a hidden count is ``None``."""
    return None if isinstance(value, Suppressed) else value


def note() -> str:
    """The sentence pages and exports show under a table with hidden cells."""
    return _(
        "Counts from 1 to %(max)d and the rates computed from them are hidden (shown as “<%(min)d” and "
        "“–”) so that no person can be recognised; other cells may be hidden so the hidden ones cannot "
        "be worked out from the totals."
    ) % {"max": min_cell() - 1, "min": min_cell()}
