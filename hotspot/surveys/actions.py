"""State changes of surveys: the survey items of the catalogue, and the tally of the answers
(``SurveyTally``), rebuilt when answers change.

The items are shared by every municipality (like the offence catalogue): a survey file's answer
columns are checked against them, so an analyst creates the items a file uses before importing it.
Each change of an item is atomic and writes its audit row. The tally is a summary of the answers,
like the report summary (``incidents.actions``): it writes no audit row of its own; the import that
changed the answers wrote one.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, F, IntegerField, Max, Min, Sum, Value
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose
from hotspot.surveys.models import SurveyItem, SurveyResponse, SurveyTally, SurveyWave

ITEM_FIELDS = ("code", "text_da", "text_en", "scale_min", "scale_max")


class CatalogueRefused(ValueError):
    """A change the catalogue refuses (survey items, indicators, national values): ``field`` is the
    form field it concerns, ``message`` says why, naming the field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def in_use(obj) -> bool:
    """Whether any row refers to catalogue entry ``obj``: every reverse relation (hidden ones, with
    ``related_name="+"``, too), so that a relation added later counts without a change here."""
    for rel in obj._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and rel.one_to_many):
            continue
        if rel.related_model._base_manager.filter(**{rel.field.name: obj}).exists():
            return True
    return False


def item_in_use(item: SurveyItem) -> bool:
    """An item is used once a municipality's answers hold its code (or its tally has rows)."""
    return in_use(item) or SurveyResponse.objects.filter(answers__has_key=item.code).exists()


# --- the catalogue's shared steps (survey items here, indicators and national values above) ---------


def refuse_taken_code(model, code: str) -> None:
    """Refuse a code another entry of ``model`` has."""
    if model.objects.filter(code=code).exists():
        raise CatalogueRefused(
            "code", _("code: %(code)s is in the catalogue already.") % {"code": code}
        )


def changed_fields(stored, data: dict, fields) -> list[str]:
    """The ``fields`` of ``data`` that differ from ``stored`` (an unchanged form changes none)."""
    return [f for f in fields if f in data and getattr(stored, f) != data[f]]


def create_entry(model, data: dict, fields, *, user, request=None, purpose=Purpose.ADMINISTRATION):
    """Create a catalogue entry from the ``fields`` of ``data``, with its audit row (field names)."""
    given = [f for f in fields if f in data]
    obj = model.objects.create(**{f: data[f] for f in given})
    record(Action.CREATE, actor=user, obj=obj, purpose=purpose, fields=given, request=request)
    return obj


def save_changes(
    stored, data: dict, changed, *, user, request=None, purpose=Purpose.ADMINISTRATION
):
    """Write the ``changed`` fields of ``data`` to ``stored``, with its audit row; -> ``changed``."""
    for name in changed:
        setattr(stored, name, data[name])
    stored.save(update_fields=changed)
    record(Action.UPDATE, actor=user, obj=stored, purpose=purpose, fields=changed, request=request)
    return changed


@transaction.atomic
def create_item(data: dict, *, user, request=None, purpose=Purpose.ADMINISTRATION) -> SurveyItem:
    """Create a survey item from ``data`` (the form's cleaned data)."""
    refuse_taken_code(SurveyItem, data["code"])
    return create_entry(SurveyItem, data, ITEM_FIELDS, user=user, request=request, purpose=purpose)


@transaction.atomic
def update_item(
    item: SurveyItem, data: dict, *, user, request=None, purpose=Purpose.ADMINISTRATION
) -> list[str]:
    """Change a survey item; an unchanged form writes nothing. The code of an item that answers use
    stays as it is, and its scale keeps every answer stored. Returns the changed field names."""
    stored = SurveyItem.objects.select_for_update().get(pk=item.pk)
    changed = changed_fields(stored, data, ITEM_FIELDS)
    if not changed:
        return []
    if "code" in changed:
        if item_in_use(stored):
            raise CatalogueRefused(
                "code",
                _(
                    "code: answers to %(code)s are stored under this code, so it cannot change. "
                    "Create a new item for the new code."
                )
                % {"code": stored.code},
            )
        refuse_taken_code(SurveyItem, data["code"])
    if "scale_min" in changed or "scale_max" in changed:
        seen = SurveyTally.objects.filter(item=stored).aggregate(lo=Min("value"), hi=Max("value"))
        lo, hi = data.get("scale_min", stored.scale_min), data.get("scale_max", stored.scale_max)
        if seen["lo"] is not None and (seen["lo"] < lo or seen["hi"] > hi):
            raise CatalogueRefused(
                "scale_min" if seen["lo"] < lo else "scale_max",
                _(
                    "scale: stored answers to %(code)s run from %(lo)s to %(hi)s, so the scale must "
                    "include them."
                )
                % {"code": stored.code, "lo": seen["lo"], "hi": seen["hi"]},
            )
    return save_changes(stored, data, changed, user=user, request=request, purpose=purpose)


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
