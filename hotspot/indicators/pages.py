"""What the indicator pages show: register indicators and national reference values."""

from django.db.models import Exists, OuterRef

from hotspot.indicators.models import Indicator, IndicatorValue, NationalValue


def indicator_catalogue():
    """Every register indicator in code order, with ``used``: whether values or national values
    are stored under it (in any municipality: the catalogue is shared)."""
    values = IndicatorValue.objects.filter(indicator=OuterRef("pk"))
    national = NationalValue.objects.filter(indicator=OuterRef("pk"))
    return Indicator.objects.annotate(used=Exists(values) | Exists(national)).order_by("code")


def national_values():
    """Every national reference value, by indicator code and year."""
    return NationalValue.objects.select_related("indicator").order_by("indicator__code", "year")


def initial_indicator(params) -> dict:
    """The new-indicator form's first values from the address (``?code=`` from an import's problem)."""
    code = (params.get("code") or "").strip()[:40]
    return {"code": code} if code else {}


def initial_national(params) -> dict:
    """``?indicator=<code>`` chooses the indicator of a new national value."""
    code = (params.get("indicator") or "").strip()
    indicator = Indicator.objects.filter(code=code).first() if code else None
    return {"indicator": indicator} if indicator else {}


# -- Statistics Denmark ------------------------------------------------------------------------------
