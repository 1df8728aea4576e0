"""Casework's measures of the catalogue (``hotspot.indicators.measures``): how the follow-up queue of
police reports is kept, per area and year, so that programme goals and evaluations can read it beside
the crime outcome (issue 15, part 4).

- ``followup_completion``: the share (%) of the queue items of police reports that were answered on or
  before their deadline, over the items that are *decided*: answered, or past their deadline (Danish
  date) unanswered. An open item whose deadline has not come yet counts for neither side.
- ``followup_median_days``: the median number of days from an item's entering the queue
  (``FollowUpItem.opened_on``) to its answer, over the answered items.

An item counts in the area its police report lies in and the (Danish) year the offence occurred; a
unit of several areas pools their items (the median is the median of the pooled items, not a mean of
medians). Items of every programme count (a report followed up by two programmes is two items).
Notifications have no place and are not in these measures; items whose report an import roll-back
removed have none either. Cells with 1–4 items (completion) or 1–4 answers (median) are flagged small
(``hotspot.disclosure``), as counts of reports are.

Registered in ``apps.CaseworkConfig.ready`` (indicators sits below casework and cannot import it).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
from django.utils.translation import gettext_lazy as _

from hotspot import disclosure
from hotspot.casework.actions import danish_today
from hotspot.casework.models import DANISH_TIME, FollowUpItem, SourceKind
from hotspot.indicators.measures import BuiltMeasure, Measure

COMPLETION = "followup_completion"
MEDIAN_DAYS = "followup_median_days"


def measures() -> list[Measure]:
    return [
        Measure(
            COMPLETION,
            _("Police reports followed up within their deadline"),
            "%",
            "good",
            "work",
            "follow_up",
            False,
            "queue_items",
            "count",
        ),
        Measure(
            MEDIAN_DAYS,
            _("Median days to follow up a police report"),
            _("days"),
            "bad",
            "work",
            "follow_up",
            False,
            "answered_items",
            "count",
        ),
    ]


def _items(units: Mapping, years: Sequence[int], municipality_id: int):
    """(units' row indices, year, opened_on, deadline, responded_on) of every police-report item of the
    municipality whose report lies in one of the units' areas and occurred in one of the years."""
    of_area = defaultdict(list)
    for u, key in enumerate(units):
        for area_id in units[key]:
            of_area[int(area_id)].append(u)
    if not of_area or not years:
        return []
    first, last = min(years), max(years)
    since = dt.datetime(first, 1, 1, tzinfo=DANISH_TIME)
    until = dt.datetime(last + 1, 1, 1, tzinfo=DANISH_TIME)
    rows = (
        FollowUpItem.objects.filter(
            programme__municipality_id=municipality_id,
            source=SourceKind.POLICE_REPORT,
            crime_report__area_id__in=list(of_area),
            crime_report__occurred_at__gte=since,
            crime_report__occurred_at__lt=until,
        )
        .order_by()
        .values_list(
            "crime_report__area_id",
            "crime_report__occurred_at",
            "sent_on",
            "created_at",
            "deadline",
            "responded_on",
        )
    )
    wanted = set(years)
    out = []
    for area_id, occurred, sent_on, created, deadline, responded in rows:
        year = occurred.astimezone(DANISH_TIME).year
        if year not in wanted:
            continue
        opened = sent_on or created.astimezone(DANISH_TIME).date()  # FollowUpItem.opened_on
        out.append((of_area[area_id], year, opened, deadline, responded))
    return out


def _known_years(municipality_id: int) -> frozenset[int]:
    """The years of the reports the municipality's queues hold (the measure's data)."""
    occurred = FollowUpItem.objects.filter(
        programme__municipality_id=municipality_id, source=SourceKind.POLICE_REPORT
    ).values_list("crime_report__occurred_at", flat=True)
    return frozenset(t.astimezone(DANISH_TIME).year for t in occurred if t is not None)


def completion(units, years, *, municipality_id: int, today: dt.date | None = None) -> BuiltMeasure:
    today = danish_today(today)
    y_index = {int(y): j for j, y in enumerate(years)}
    shape = (len(units), len(years))
    on_time, decided = np.zeros(shape), np.zeros(shape)
    for rows, year, _opened, deadline, responded in _items(units, years, municipality_id):
        if responded is None and deadline >= today:
            continue  # still open, and not late yet
        j = y_index[year]
        for u in rows:
            decided[u, j] += 1
            on_time[u, j] += responded is not None and responded <= deadline
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(decided > 0, 100.0 * on_time / decided, np.nan)
    return BuiltMeasure(
        values=values,
        counts=on_time,
        denominators=decided,
        small=disclosure.is_small_array(decided),
        known_years=_known_years(municipality_id),
    )


def median_days(units, years, *, municipality_id: int) -> BuiltMeasure:
    y_index = {int(y): j for j, y in enumerate(years)}
    shape = (len(units), len(years))
    days = defaultdict(list)
    for rows, year, opened, _deadline, responded in _items(units, years, municipality_id):
        if responded is None:
            continue
        for u in rows:
            days[u, y_index[year]].append((responded - opened).days)
    values = np.full(shape, np.nan)
    answered = np.zeros(shape)
    for (u, j), ds in days.items():
        values[u, j] = float(np.median(ds))
        answered[u, j] = len(ds)
    return BuiltMeasure(
        values=values,
        counts=answered,
        denominators=answered,
        small=disclosure.is_small_array(answered),
        known_years=_known_years(municipality_id),
    )


def register() -> None:
    """Put the two measures in the catalogue (called from ``apps.CaseworkConfig.ready``)."""
    from hotspot.indicators.measures import register_measure

    builders = {COMPLETION: completion, MEDIAN_DAYS: median_days}
    for measure in measures():
        register_measure(measure, builders[measure.code])
