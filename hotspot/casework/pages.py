"""What the casework pages show: functions of model objects, the municipality and the user (no request).

A case page shows only the fields the role may see (``hotspot.accounts.roles.CASE_FIELDS``): the others
are left out of the context, not hidden in the template. A name is decrypted only for a role that may see
it, where the municipality stores names.
"""

import datetime as dt

from django.db.models import Exists, Max, OuterRef, Prefetch
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.roles import case_fields
from hotspot.casework import pseudonym
from hotspot.casework.models import Case, FollowUp, ListEntry, PriorityList, week_of

#: The case fields a page may show, in order, with their labels.
CASE_FIELD_LABELS = [
    ("alias", _("Alias")),
    ("name", _("Name")),
    ("kind", _("Kind")),
    ("legal_basis", _("Legal basis")),
    ("consent_date", _("Consent given on")),
    ("purpose", _("Purpose")),
    ("social_note", _("Social note")),
    ("created_at", _("Created")),
]


def role_of(user, municipality_id) -> str | None:
    membership = user.membership_for(municipality_id)
    return membership.role if membership is not None else None


def fields_for(user, case: Case) -> list[str]:
    """The names of the case fields ``user`` sees on ``case``, in page order."""
    allowed = case_fields(role_of(user, case.tenant_id()))
    shown = [name for name, _label in CASE_FIELD_LABELS if name in allowed]
    if not case.name_encrypted:
        shown = [n for n in shown if n != "name"]
    return shown


def _value(case: Case, name: str):
    if name == "name":
        return pseudonym.decrypt_name(case.name_encrypted)
    if name in ("kind", "legal_basis", "purpose"):
        return getattr(case, f"get_{name}_display")()
    return getattr(case, name)


def case_context(case: Case, user) -> dict:
    """The case page: the visible fields as (label, value), its list history, follow-ups, agreements
    and links. ``fields`` are the names shown (for the audit row)."""
    fields = fields_for(user, case)
    labels = dict(CASE_FIELD_LABELS)
    links = [(link.get_kind_display(), link.to_case) for link in case.links_from.all()]
    links += [(link.get_kind_display(), link.from_case) for link in case.links_to.all()]
    return {
        "case": case,
        "fields": fields,
        "rows": [(labels[name], _value(case, name)) for name in fields],
        "entries": case.list_entries.select_related("priority_list"),
        "follow_ups": case.follow_ups.all(),
        "agreements": case.agreements.all(),
        "links": links,
        "this_week": week_of(),
        "has_this_week": case.follow_ups.filter(week=week_of()).exists(),
    }


def programme_lists(programme) -> list[dict]:
    """Each priority list of ``programme`` with its open entries (the cases on it now)."""
    open_entries = ListEntry.objects.filter(left_on__isnull=True).select_related("case")
    lists = PriorityList.objects.filter(programme=programme).prefetch_related(
        Prefetch("entries", queryset=open_entries, to_attr="open")
    )
    return [
        {"list": pl, "entries": pl.open, "free": max(pl.places - len(pl.open), 0)} for pl in lists
    ]


def overdue_cases(programmes, now: dt.datetime | dt.date | None = None) -> list[dict]:
    """Cases on a priority list now with no follow-up for the current week (in Danish time)."""
    week = week_of(now)
    this_week = FollowUp.objects.filter(case=OuterRef("pk"), week=week)
    on_list = ListEntry.objects.filter(case=OuterRef("pk"), left_on__isnull=True)
    cases = (
        Case.objects.filter(programme__in=programmes)
        .filter(Exists(on_list))
        .exclude(Exists(this_week))
        .annotate(last_week=Max("follow_ups__week"))
        .select_related("programme")
        .order_by("programme__name", "alias", "pk")
    )
    return [{"case": c, "last_week": c.last_week} for c in cases]
