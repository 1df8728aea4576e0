"""State changes of surveys: the tally of the answers (``SurveyTally``), rebuilt when answers change.

The tally is a summary of the answers, like the report summary (``incidents.actions``): it writes no
audit row of its own; the import that changed the answers wrote one.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, F, IntegerField, Sum, Value
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Cast

from hotspot.surveys.models import SurveyItem, SurveyResponse, SurveyTally, SurveyWave


def refresh_tallies(municipality_id: int, wave_ids: Iterable[int] | None = None) -> int:
    """Rebuild the tally of one municipality's waves (all of them, or ``wave_ids``) from the answers
    -> the number of tally rows written.

    Set-based: one aggregate query gives n, Σw and Σw² per wave × area × item × value (per item known
    in ``SurveyItem`` the database reads the answer from the JSON column and casts it to an integer;
    the per-item queries are one UNION ALL), and the tally rows of those waves are swapped for it in
    one transaction (the caller's, when there is one: an import's commit or roll-back, so that the
    tally changes with the answers or not at all). A missing answer (no key, or a JSON null) is in no
    row; a value off the item's coding is kept as it is (the readers refuse it or leave it out, as
    ``safetystats.survey`` does). The same ORM query on SQLite and PostgreSQL (``KeyTransform`` and
    ``Cast``).
    """
    waves = SurveyWave.objects.filter(municipality_id=municipality_id)
    if wave_ids is not None:
        waves = waves.filter(pk__in=list(wave_ids))
    wave_ids = list(waves.values_list("pk", flat=True))
    items = list(SurveyItem.objects.values_list("pk", "code"))
    objs = []
    if wave_ids and items:
        answers = SurveyResponse.objects.filter(wave_id__in=wave_ids)
        parts = [
            answers.alias(key=KeyTransform(code, "answers"))
            .filter(key__isnull=False)  # the item was answered
            .exclude(key=None)  # and not with a JSON null (PostgreSQL refuses to cast it)
            .annotate(
                answer=Cast("key", IntegerField()),
                item_id=Value(item_id, output_field=IntegerField()),
            )
            .values("wave_id", "area_id", "item_id", "answer")
            .annotate(n=Count("id"), sw=Sum("weight"), sw2=Sum(F("weight") * F("weight")))
            .order_by()
            for item_id, code in items
        ]
        rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        objs = [
            SurveyTally(
                wave_id=r["wave_id"],
                area_id=r["area_id"],
                item_id=r["item_id"],
                value=r["answer"],
                n=r["n"],
                sw=r["sw"],
                sw2=r["sw2"],
            )
            for r in rows
        ]
    with transaction.atomic():
        SurveyTally.objects.filter(wave_id__in=wave_ids).delete()
        SurveyTally.objects.bulk_create(objs, batch_size=2000)
    return len(objs)


def waves_of_batch(batch_id: int) -> list[int]:
    """The waves whose answers an import batch wrote (read before a roll-back removes them)."""
    return list(
        SurveyResponse.objects.filter(batch_id=batch_id)
        .values_list("wave_id", flat=True)
        .distinct()
        .order_by()
    )
