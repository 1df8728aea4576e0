"""What the survey item catalogue pages show."""

from django.db.models import Exists, OuterRef

from hotspot.surveys.models import SurveyItem, SurveyTally


def item_catalogue():
    """Every survey item in code order, with ``used``: whether answers are stored under it (the
    tally, which every import of answers rebuilds)."""
    used = SurveyTally.objects.filter(item=OuterRef("pk"))
    return SurveyItem.objects.annotate(used=Exists(used)).order_by("code")


def initial_item(params) -> dict:
    """The new-item form's first values from the address (``?code=`` from an import's problem)."""
    code = (params.get("code") or "").strip()[:40]
    return {"code": code} if code else {}
