"""An independent recomputation of the survey tally from the raw answers, in Python (``math.fsum``),
for the tests of ``surveys.actions.refresh_tallies`` and of the import hooks."""

import math
from collections import defaultdict

from hotspot.surveys.models import SurveyItem, SurveyResponse, SurveyTally

#: Σw and Σw² of the database (one SUM per cell, in its own order) against fsum: a relative tolerance
#: of 1e-12 is some thousand times the rounding of a sum of a few thousand weights of size ~100.
REL = 1e-12


def raw_tally(municipality_id: int) -> dict:
    """{(wave id, area id, item code, value): (n, Σw, Σw²)} from the answers themselves (the items
    known in ``SurveyItem``; a null is a missing answer)."""
    items = set(SurveyItem.objects.values_list("code", flat=True))
    cells = defaultdict(list)
    for wave_id, area_id, weight, answers in SurveyResponse.objects.filter(
        wave__municipality_id=municipality_id
    ).values_list("wave_id", "area_id", "weight", "answers"):
        for code, value in answers.items():
            if value is not None and code in items:
                cells[wave_id, area_id, code, int(value)].append(weight)
    return {key: (len(w), math.fsum(w), math.fsum(x * x for x in w)) for key, w in cells.items()}


def stored_tally(municipality_id: int) -> dict:
    """The same mapping read from ``SurveyTally``."""
    return {
        (wave_id, area_id, code, value): (n, sw, sw2)
        for wave_id, area_id, code, value, n, sw, sw2 in SurveyTally.objects.filter(
            wave__municipality_id=municipality_id
        ).values_list("wave_id", "area_id", "item__code", "value", "n", "sw", "sw2")
    }


def assert_tally_is_the_answers(municipality_id: int) -> None:
    raw, stored = raw_tally(municipality_id), stored_tally(municipality_id)
    assert stored.keys() == raw.keys(), (
        sorted(stored.keys() - raw.keys())[:5],
        sorted(raw.keys() - stored.keys())[:5],
    )
    for key, (n, sw, sw2) in raw.items():
        got = stored[key]
        assert got[0] == n, key
        assert math.isclose(got[1], sw, rel_tol=REL), (key, got, sw)
        assert math.isclose(got[2], sw2, rel_tol=REL), (key, got, sw2)
