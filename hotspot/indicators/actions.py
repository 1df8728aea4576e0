"""State changes of the indicator catalogue: register indicators and national reference values.

The catalogue is shared by every municipality (like the offence catalogue): a file of register values
is checked against it, so a municipality's analyst creates the codes their files use before importing
them. Each change is atomic and writes its audit row (names of the changed fields, never values).
Refusals are :class:`CatalogueRefused`, which names the field and says why.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from hotspot.audit.models import Purpose
from hotspot.indicators.models import Indicator, NationalValue

# The catalogue's refusal, its "used by data" test and its create and save steps are the survey
# catalogue's (the lower layer).
from hotspot.surveys.actions import (
    CatalogueRefused,
    changed_fields,
    create_entry,
    in_use,
    refuse_taken_code,
    save_changes,
)

INDICATOR_FIELDS = ("code", "name_da", "name_en", "unit", "direction", "source", "licence")
NATIONAL_FIELDS = ("indicator", "year", "value", "source")


@transaction.atomic
def create_indicator(
    data: dict, *, user, request=None, purpose=Purpose.ADMINISTRATION
) -> Indicator:
    """Create a register indicator from ``data`` (the form's cleaned data)."""
    refuse_taken_code(Indicator, data["code"])
    return create_entry(
        Indicator, data, INDICATOR_FIELDS, user=user, request=request, purpose=purpose
    )


@transaction.atomic
def update_indicator(
    indicator: Indicator, data: dict, *, user, request=None, purpose=Purpose.ADMINISTRATION
) -> list[str]:
    """Change an indicator; an unchanged form writes nothing. The code and the unit of an indicator
    that data use (values, national values, goals) stay as they are: the stored values were imported
    under them. Returns the changed field names."""
    stored = Indicator.objects.select_for_update().get(pk=indicator.pk)
    changed = changed_fields(stored, data, INDICATOR_FIELDS)
    if not changed:
        return []
    used = ("code" in changed or "unit" in changed) and in_use(stored)
    if used and "code" in changed:
        raise CatalogueRefused(
            "code",
            _(
                "code: %(code)s is used by data (values, national values or goals), so it cannot "
                "change. Create a new indicator for the new code."
            )
            % {"code": stored.code},
        )
    if used and "unit" in changed:
        raise CatalogueRefused(
            "unit",
            _(
                "unit: values of %(code)s are stored in %(unit)s, so the unit cannot change. Create "
                "a new indicator for values in another unit."
            )
            % {"code": stored.code, "unit": stored.unit},
        )
    if "code" in changed:
        refuse_taken_code(Indicator, data["code"])
    return save_changes(stored, data, changed, user=user, request=request, purpose=purpose)


def _check_national(data: dict, pk=None) -> None:
    duplicate = NationalValue.objects.filter(indicator=data["indicator"], year=data["year"])
    if pk is not None:
        duplicate = duplicate.exclude(pk=pk)
    if duplicate.exists():
        raise CatalogueRefused(
            "year",
            _("year: %(code)s has a national value for %(year)s already; change that one.")
            % {"code": data["indicator"].code, "year": data["year"]},
        )


@transaction.atomic
def create_national_value(
    data: dict, *, user, request=None, purpose=Purpose.ADMINISTRATION
) -> NationalValue:
    """Create a national (or regional) reference value of an indicator for one year."""
    _check_national(data)
    return create_entry(
        NationalValue, data, NATIONAL_FIELDS, user=user, request=request, purpose=purpose
    )


@transaction.atomic
def update_national_value(
    value: NationalValue, data: dict, *, user, request=None, purpose=Purpose.ADMINISTRATION
) -> list[str]:
    """Change a reference value; an unchanged form writes nothing. Returns the changed field names."""
    stored = NationalValue.objects.select_for_update().get(pk=value.pk)
    changed = changed_fields(stored, data, NATIONAL_FIELDS)
    if not changed:
        return []
    merged = {f: data.get(f, getattr(stored, f)) for f in NATIONAL_FIELDS}
    if "indicator" in changed or "year" in changed:
        _check_national(merged, pk=stored.pk)
    return save_changes(stored, data, changed, user=user, request=request, purpose=purpose)
