"""ORM -> arrays for survey shares: the one reader of the survey tally (``SurveyTally``: n, Σw and Σw²
per wave × area × item × answer), used by the measures layer (``indicators.measures``), the area pages
and the safety-index profile alike.

A share is Σw of the answers in the category / Σw of the answers in the coding
(``safetystats.survey.weighted_share``, METHODS.md §3); the effective n is Kish's (Σw)²/Σw² over the
coded answers; the interval is Wilson's on that n. Adding up the tally's sums per group of areas and
year gives the same figures as the raw answers do (a test checks it against ``grouped_shares``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from hotspot.surveys.models import SurveyTally
from safetystats import survey as ss


@dataclass(frozen=True)
class TallySums:
    """Sums per group and year, arrays (groups, years): respondents, Σw and Σw² of the coded answers
    and Σw of those in the category."""

    keys: tuple
    years: tuple[int, ...]
    n: np.ndarray
    sw: np.ndarray
    sw2: np.ndarray
    hit: np.ndarray

    def shares(self, *, min_n: int, level: float = 0.95) -> dict[str, np.ndarray]:
        """share (0–1), low, high, n_eff and suppressed (fewer than ``min_n`` respondents); NaN where
        suppressed or nobody answered."""
        shown = (self.n >= min_n) & (self.sw > 0)
        share = np.where(shown, self.hit / np.where(self.sw > 0, self.sw, 1.0), np.nan)
        n_eff = np.where(self.sw2 > 0, self.sw**2 / np.where(self.sw2 > 0, self.sw2, 1.0), 0.0)
        low, high = ss.wilson_interval(share, np.where(shown, n_eff, 1.0), level=level)
        return {
            "share": share,
            "low": np.where(shown, low, np.nan),
            "high": np.where(shown, high, np.nan),
            "n_eff": n_eff,
            "suppressed": self.n < min_n,
        }


def tally_sums(
    groups: Mapping[object, Sequence[int]],
    years: Sequence[int] | None,
    item: str,
    coding: Mapping[str, Sequence[int]],
    category: str,
) -> TallySums:
    """The tally of ``item`` summed per group ({key: ids of the areas whose answers it sums; an area
    may be in several groups}) and year (``years`` None: the years with answers to the item in these
    areas). An answer value off the ``coding`` is refused by ``safetystats.survey`` with the codes it
    expected, as on the raw answers (never counted)."""
    keys = list(groups)
    of_area: dict[int, list[int]] = {}
    for g, key in enumerate(keys):
        for area_id in groups[key]:
            of_area.setdefault(int(area_id), []).append(g)
    tally = SurveyTally.objects.filter(area_id__in=list(of_area), item__code=item)
    if years is not None:
        tally = tally.filter(wave__year__in=[int(y) for y in years])
    # in a fixed order: floating-point sums in the database's order of the day would differ in the last
    # digit from one query to the next (PostgreSQL), and with them an index run's inputs hash
    found = list(
        tally.order_by("area_id", "wave__year", "value").values_list(
            "area_id", "wave__year", "value", "n", "sw", "sw2"
        )
    )
    years = tuple(sorted({int(r[1]) for r in found}) if years is None else (int(y) for y in years))
    y_index = {y: j for j, y in enumerate(years)}
    rows = [
        (g, y_index[year], value, n, sw, sw2)
        for area_id, year, value, n, sw, sw2 in found
        for g in of_area.get(area_id, ())
    ]
    shape = (len(keys), len(years))
    out = {name: np.zeros(shape) for name in ("n", "sw", "sw2", "hit")}
    if rows:
        group, year, value, n, sw, sw2 = (np.array(col) for col in zip(*rows))
        value = value.astype(float)
        # the library's check of the coding, on the distinct values answered
        ss.weighted_share(np.unique(value), category=category, coding=coding, min_n=1)
        hit = np.isin(value, coding[category])
        at = (group.astype(int), year.astype(int))
        np.add.at(
            out["n"], at, n.astype(float)
        )  # every value in the tally is coded (checked above)
        np.add.at(out["sw"], at, sw.astype(float))
        np.add.at(out["sw2"], at, sw2.astype(float))
        np.add.at(out["hit"], (at[0][hit], at[1][hit]), sw.astype(float)[hit])
    return TallySums(tuple(keys), years, **out)


def share_rows(sums: TallySums, g: int, *, min_n: int, code: str | None = None) -> list[dict]:
    """Per year with respondents: the share, its interval (in %), n and n_eff of group ``g``, with
    ``suppressed`` and no figures below ``min_n`` (never shown as 0)."""
    s = sums.shares(min_n=min_n)
    out = []
    for j, year in enumerate(sums.years):
        if sums.n[g, j] <= 0:
            continue
        hidden = bool(s["suppressed"][g, j])
        row = {
            "year": int(year),
            "n": int(sums.n[g, j]),
            "n_eff": float(s["n_eff"][g, j]),
            "suppressed": hidden,
            "share": None if hidden else 100 * float(s["share"][g, j]),
            "low": None if hidden else 100 * float(s["low"][g, j]),
            "high": None if hidden else 100 * float(s["high"][g, j]),
        }
        out.append({"code": code, **row} if code else row)
    return out
