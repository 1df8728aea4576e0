"""What the casework pages show: functions of model objects, the municipality and the user (no request).

A case page shows only the fields the role may see (``hotspot.accounts.roles.CASE_FIELDS``): the others
are left out of the context, not hidden in the template. A name is decrypted only for a role that may see
it, where the municipality stores names.
"""

import datetime as dt
import statistics

from django.apps import apps
from django.db.models import Exists, Max, OuterRef, Prefetch, Q
from django.utils.translation import gettext_lazy as _

from hotspot import disclosure
from hotspot.accounts.roles import case_fields
from hotspot.audit.models import AuditEvent
from hotspot.casework import pseudonym
from hotspot.casework.models import (
    Agreement,
    Case,
    CaseLink,
    ConcernMeeting,
    FollowUp,
    FollowUpItem,
    ListEntry,
    MeetingTask,
    PriorityList,
    week_of,
)

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


def _overdue(programmes, now):
    """The cases on a priority list now with no follow-up for the current week (in Danish time)."""
    this_week = FollowUp.objects.filter(case=OuterRef("pk"), week=week_of(now))
    on_list = ListEntry.objects.filter(case=OuterRef("pk"), left_on__isnull=True)
    return (
        Case.objects.filter(programme__in=programmes)
        .filter(Exists(on_list))
        .exclude(Exists(this_week))
    )


def overdue_cases(programmes, now: dt.datetime | dt.date | None = None) -> list[dict]:
    """The due-this-week list: each overdue case with the last week it was followed up."""
    cases = (
        _overdue(programmes, now)
        .annotate(last_week=Max("follow_ups__week"))
        .select_related("programme")
        .order_by("programme__name", "alias", "pk")
    )
    return [{"case": c, "last_week": c.last_week} for c in cases]


def overdue_count(programmes, now: dt.datetime | dt.date | None = None) -> int:
    """How many cases the due-this-week list holds (Overblik: one COUNT, no person read)."""
    return _overdue(programmes, now).count()


# --- the follow-up queue ----------------------------------------------------------------------------


def queue_stats(items) -> dict:
    """Completion rate (answered items / all items, None without items) and the median response time
    in days over the answered items (``FollowUpItem.opened_on`` to ``responded_on``; None without
    any)."""
    items = list(items)
    days = [(i.responded_on - i.opened_on()).days for i in items if i.responded_on is not None]
    return {
        "total": len(items),
        "answered": len(days),
        "completion_rate": len(days) / len(items) if items else None,
        "median_days": statistics.median(days) if days else None,
    }


def queue(programme, today: dt.date) -> dict:
    """The queue page of ``programme``: the open items, soonest deadline first, each flagged overdue
    when its deadline is before ``today``; and ``queue_stats`` over all its items."""
    items = list(
        FollowUpItem.objects.filter(programme=programme).select_related(
            "crime_report__offence", "crime_report__area", "case"
        )
    )
    open_items = sorted(
        (i for i in items if i.responded_on is None), key=lambda i: (i.deadline, i.pk)
    )
    rows = [{"item": i, "overdue": i.deadline < today} for i in open_items]
    return {
        "rows": rows,
        "overdue_count": sum(r["overdue"] for r in rows),
        "today": today,
        **queue_stats(items),
    }


# --- concern meetings -------------------------------------------------------------------------------


def meetings(programme) -> list[ConcernMeeting]:
    """The concern meetings of ``programme``, latest first, with the cases discussed (by alias) and the
    action-plan tasks made of their decisions (``task_links``)."""
    return list(
        ConcernMeeting.objects.filter(programme=programme).prefetch_related(
            Prefetch("cases", queryset=Case.objects.order_by("alias", "pk")),
            Prefetch(
                "task_links",
                queryset=MeetingTask.objects.select_related("task__plan").order_by("pk"),
            ),
        )
    )


# --- aggregates for partners and the board ------------------------------------------------------------

#: How many ISO weeks the summary shows, the current one last.
SUMMARY_WEEKS = 12
_SUMMARY_COUNTS = ("on_list", "followed_up", "overdue")


def weekly_summary(programme, now: dt.datetime | dt.date | None = None) -> dict:
    """Counts by ISO week (Danish time) for the last ``SUMMARY_WEEKS`` weeks of ``programme``: cases
    on a priority list at some time in the week, how many of them had their follow-up that week, and
    how many did not (overdue). No alias and no row per person.

    The small-cell rule (:mod:`hotspot.disclosure`) applies to every viewer: a count from 1 to 4 is
    shown as "<5", and since on the list = followed up + overdue, a further count of that week is
    withheld ("..") where a hidden one could be worked out (``disclosure.protect``)."""
    last = week_of(now)
    mondays = [last - dt.timedelta(weeks=k) for k in range(SUMMARY_WEEKS - 1, -1, -1)]
    stays = ListEntry.objects.filter(
        priority_list__programme=programme, entered_on__lte=last + dt.timedelta(days=6)
    ).filter(Q(left_on__isnull=True) | Q(left_on__gte=mondays[0]))
    stays = list(stays.values_list("case_id", "entered_on", "left_on"))
    done = set(
        FollowUp.objects.filter(case__programme=programme, week__in=mondays).values_list(
            "case_id", "week"
        )
    )
    values, constraints = {}, []
    for monday in mondays:
        sunday = monday + dt.timedelta(days=6)
        on_list = {
            case
            for case, entered, left in stays
            if entered <= sunday and (left is None or left >= monday)
        }
        followed = sum((case, monday) in done for case in on_list)
        counts = (len(on_list), followed, len(on_list) - followed)
        for name, n in zip(_SUMMARY_COUNTS, counts):
            values[(monday, name)] = n
        constraints.append(((monday, "on_list"), [(monday, "followed_up"), (monday, "overdue")]))
    hidden = disclosure.protect(values, constraints)
    rows = []
    for monday in mondays:
        year, number, _weekday = monday.isocalendar()
        row = {"monday": monday, "year": year, "number": number}
        for name in _SUMMARY_COUNTS:
            row[name] = hidden.get((monday, name), values[(monday, name)])
        rows.append(row)
    return {"rows": rows, "any_hidden": bool(hidden), "note": disclosure.note() if hidden else ""}


# --- the data protection officer's per-subject extract --------------------------------------------------


def _records_of(cases) -> list[tuple[type, list[int]]]:
    """The records about ``cases`` that audit rows name: the cases, their list stays, follow-ups,
    agreements and links."""
    ids = [c.pk for c in cases]
    return [
        (Case, ids),
        (ListEntry, list(ListEntry.objects.filter(case__in=ids).values_list("pk", flat=True))),
        (FollowUp, list(FollowUp.objects.filter(case__in=ids).values_list("pk", flat=True))),
        (Agreement, list(Agreement.objects.filter(case__in=ids).values_list("pk", flat=True))),
        (
            FollowUpItem,
            list(FollowUpItem.objects.filter(case__in=ids).values_list("pk", flat=True)),
        ),
        (
            ConcernMeeting,
            list(
                ConcernMeeting.objects.filter(cases__in=ids).distinct().values_list("pk", flat=True)
            ),
        ),
        (
            CaseLink,
            list(
                CaseLink.objects.filter(Q(from_case__in=ids) | Q(to_case__in=ids)).values_list(
                    "pk", flat=True
                )
            ),
        ),
    ]


def subject_extract(cases, user) -> list[dict]:
    """Every audit row about ``cases`` (matched by object type and key, ``_records_of``) that ``user``
    may read, oldest first: when, what was done, to which kind of record, and for which purpose. No
    staff name, no address, no alias."""
    match = Q(pk__in=[])
    for model, ids in _records_of(cases):
        if ids:
            match |= Q(object_type=model._meta.label_lower, object_id__in=[str(i) for i in ids])
    events = (
        AuditEvent.objects.visible_to(user)
        .filter(match)
        .order_by("at", "pk")
        .values_list("at", "action", "object_type", "purpose")
    )
    action_labels = dict(AuditEvent._meta.get_field("action").choices)
    purpose_labels = dict(AuditEvent._meta.get_field("purpose").choices)
    return [
        {
            "at": at,
            "action": action_labels.get(action, action),
            "record": apps.get_model(object_type)._meta.verbose_name,
            "purpose": purpose_labels.get(purpose, purpose),
        }
        for at, action, object_type, purpose in events
    ]
