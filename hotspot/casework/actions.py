"""Every state change of casework, and the audit row of every read and search of person data.

Each change is atomic and writes its audit row (action, the object, purpose ``casework``, the names of
the fields, never their values). A CPR number is hashed on entry and never reaches the database, the log
or an error message.
"""

import calendar
import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from hotspot.accounts.models import Municipality
from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose
from hotspot.casework import pseudonym
from hotspot.casework.models import (
    DANISH_TIME,
    LIST_CASE_KIND,
    Case,
    CaseLink,
    CaseworkSettings,
    ConcernMeeting,
    FollowUp,
    FollowUpItem,
    FollowUpRule,
    LegalBasis,
    ListEntry,
    MeetingTask,
    PriorityList,
    SourceKind,
    week_of,
)
from hotspot.incidents.models import CrimeReport


class ListFull(ValidationError):
    """The priority list has no free place."""


def _audit(action, obj, *, actor, municipality, fields=(), count=None, request=None):
    record(
        action,
        actor=actor,
        municipality=municipality,
        obj=obj,
        object_type="" if obj is not None else "casework.case",
        purpose=Purpose.CASEWORK,
        fields=sorted(set(fields)),
        count=count,
        request=request,
    )


# --- reads and searches ------------------------------------------------------------------------------


def audit_read(obj, *, municipality, actor, request=None, count=None, fields=()):
    """The audit row of a page that shows person data: ``obj`` is the case (or the programme whose
    lists are shown, or None for a list across programmes, with ``count`` cases); ``fields`` are the
    names of the case fields shown."""
    _audit(
        Action.READ_PERSON,
        obj,
        actor=actor,
        municipality=municipality,
        fields=fields,
        count=count,
        request=request,
    )


def audit_search(*, municipality, criteria, count, actor, request=None):
    """The audit row of a search: the names of the criteria used (never their values) and the number
    of cases found."""
    record(
        Action.SEARCH_PERSON,
        actor=actor,
        municipality=municipality,
        object_type="casework.case",
        purpose=Purpose.CASEWORK,
        fields=sorted(set(criteria)),
        count=count,
        request=request,
    )


def audit_denied(model, pk, *, actor, request=None):
    """The audit row of a refused lookup (the view answers 404): an id of another municipality, or
    none at all. Only the model's name and the id go in the row. It is written for the object's
    municipality where the object exists, so that its data protection officer sees the attempt (and
    the per-subject extract lists it), else for the user's own."""
    model = getattr(model, "model", model)  # a queryset or a model
    municipality = None
    tenant_id = (
        model.objects.filter(pk=pk).values_list(model.tenant_field, flat=True).first()
        if isinstance(pk, int)
        else None
    )
    if tenant_id is not None:
        municipality = Municipality.objects.filter(pk=tenant_id).first()
    if municipality is None and request is not None:
        municipality = getattr(request, "municipality", None)
    record(
        Action.ACCESS_DENIED,
        actor=actor,
        municipality=municipality,
        object_type=model._meta.label_lower,
        object_id=pk if isinstance(pk, int) else "",
        purpose=Purpose.CASEWORK,
        request=request,
    )


def audit_extract(*, municipality, count, actor, request=None):
    """The audit row of the data protection officer's per-subject extract: a search by the person key
    (never the CPR number), for oversight, with the number of cases found."""
    record(
        Action.SEARCH_PERSON,
        actor=actor,
        municipality=municipality,
        object_type="casework.case",
        purpose=Purpose.OVERSIGHT,
        fields=["person_key"],
        count=count,
        request=request,
    )


# --- cases -------------------------------------------------------------------------------------------


def _check_basis(legal_basis, consent_date):
    if legal_basis not in LegalBasis.values:
        raise ValidationError({"legal_basis": _("A case needs a legal basis.")})
    if legal_basis == LegalBasis.CONSENT and consent_date is None:
        raise ValidationError({"consent_date": _("Consent needs the date it was given.")})


@sensitive_variables("cpr", "name", "key", "token")
def create_case(
    programme,
    *,
    cpr: str,
    alias: str,
    kind: str,
    legal_basis: str,
    consent_date=None,
    social_note: str = "",
    name: str = "",
    actor,
    request=None,
) -> Case:
    """A new case in ``programme``. The CPR number is hashed here and dropped; ``name`` is stored, and
    then encrypted, only where the municipality stores names. Refused (ValidationError) without a legal
    basis, and when the person already has a case in the programme. Atomic; the number and the name
    stay out of an error report (``sensitive_variables``: no decorator frame between it and the body
    holds the arguments, so the transaction is a block here)."""
    with transaction.atomic():
        _check_basis(legal_basis, consent_date)
        try:
            key = pseudonym.person_key(cpr)
        except ValueError as exc:
            raise ValidationError({"cpr": str(exc)}) from None
        if Case.objects.filter(programme=programme, person_key=key).exists():
            raise ValidationError({"cpr": _("This person already has a case in this programme.")})
        token = ""
        if name:
            if not CaseworkSettings.stores_names(programme.municipality):
                raise ValidationError({"name": _("This municipality does not store names.")})
            token = pseudonym.encrypt_name(name)
        case = Case(
            programme=programme,
            kind=kind,
            person_key=key,
            alias=alias,
            name_encrypted=token,
            legal_basis=legal_basis,
            consent_date=consent_date if legal_basis == LegalBasis.CONSENT else None,
            social_note=social_note,
            created_by=actor,
        )
        case.full_clean(exclude=["created_by"])
        case.save()
        fields = ["person_key", "alias", "kind", "legal_basis", "purpose"]
        fields += [
            n for n, v in (("consent_date", case.consent_date), ("social_note", social_note)) if v
        ]
        if token:
            fields.append("name_encrypted")
        _audit(
            Action.CREATE,
            case,
            actor=actor,
            municipality=programme.municipality,
            fields=fields,
            request=request,
        )
        return case


@transaction.atomic
def rotate_names(queryset=None, *, actor=None) -> int:
    """Re-encrypt every stored name (of ``queryset``, default all cases) under the current key, after a
    new key was put first in CASEWORK_NAME_KEYS. Returns the number of cases re-encrypted."""
    queryset = Case.objects.all() if queryset is None else queryset
    done = 0
    for case in queryset.exclude(name_encrypted="").select_related("programme__municipality"):
        case.name_encrypted = pseudonym.rotate(case.name_encrypted)
        case.save(update_fields=["name_encrypted"])
        _audit(
            Action.UPDATE,
            case,
            actor=actor,
            municipality=case.programme.municipality,
            fields=["name_encrypted"],
        )
        done += 1
    return done


@transaction.atomic
def link_cases(from_case: Case, to_case: Case, kind: str, *, actor, request=None) -> CaseLink:
    if from_case.tenant_id() != to_case.tenant_id():
        raise ValidationError(_("Only cases of one municipality can be linked."))
    link = CaseLink.objects.create(from_case=from_case, to_case=to_case, kind=kind)
    _audit(
        Action.CREATE,
        link,
        actor=actor,
        municipality=from_case.programme.municipality,
        fields=["from_case", "to_case", "kind"],
        request=request,
    )
    return link


# --- priority lists ----------------------------------------------------------------------------------


@transaction.atomic
def save_form(form, *, municipality, actor, request=None, **assign):
    """Create or change the object of a ModelForm (a priority list, an agreement); ``assign`` sets the
    fields the form does not show. Audits the names of the fields set or changed."""
    creating = form.instance.pk is None
    obj = form.save(commit=False)
    for name, value in assign.items():
        setattr(obj, name, value)
    obj.save()
    fields = list(form.fields) + list(assign) if creating else form.changed_data
    if creating or fields:
        _audit(
            Action.CREATE if creating else Action.UPDATE,
            obj,
            actor=actor,
            municipality=municipality,
            fields=fields,
            request=request,
        )
    return obj


@transaction.atomic
def enter_list(
    priority_list: PriorityList,
    case: Case,
    *,
    entered_on: dt.date,
    reason: str,
    actor,
    request=None,
) -> ListEntry:
    """Put ``case`` on ``priority_list``; refused (``ListFull``) when every place is taken."""
    # Lock the list row so that two people cannot take the last place at once (PostgreSQL; SQLite
    # transactions hold the write lock from their start).
    priority_list = PriorityList.objects.select_for_update().get(pk=priority_list.pk)
    if case.programme_id != priority_list.programme_id:
        raise ValidationError(_("The case belongs to another programme."))
    if case.kind != LIST_CASE_KIND[priority_list.kind]:
        raise ValidationError(_("This list takes cases of another kind."))
    if not reason.strip():
        raise ValidationError({"entry_reason": _("Give the reason for the entry.")})
    entries = priority_list.open_entries()
    if entries.filter(case=case).exists():
        raise ValidationError(_("The case is on this list already."))
    if entries.count() >= priority_list.places:
        raise ListFull(
            _("The list is full: all %(places)d places are taken. Take a case off the list first.")
            % {"places": priority_list.places}
        )
    try:
        with transaction.atomic():
            entry = ListEntry.objects.create(
                priority_list=priority_list, case=case, entered_on=entered_on, entry_reason=reason
            )
    except IntegrityError:
        raise ValidationError(_("The case is on this list already.")) from None
    _audit(
        Action.CREATE,
        entry,
        actor=actor,
        municipality=priority_list.programme.municipality,
        fields=["priority_list", "case", "entered_on", "entry_reason"],
        request=request,
    )
    return entry


@transaction.atomic
def leave_list(
    entry: ListEntry, *, left_on: dt.date, reason: str, actor, request=None
) -> ListEntry:
    """Take a case off its list, dated and with a reason; the entry stays as history."""
    if entry.left_on is not None:
        raise ValidationError(_("The case has left this list already."))
    if left_on < entry.entered_on:
        raise ValidationError({"left_on": _("A case cannot leave before it entered.")})
    if not reason.strip():
        raise ValidationError({"exit_reason": _("Give the reason for leaving.")})
    entry.left_on = left_on
    entry.exit_reason = reason
    entry.save(update_fields=["left_on", "exit_reason"])
    _audit(
        Action.UPDATE,
        entry,
        actor=actor,
        municipality=entry.priority_list.programme.municipality,
        fields=["left_on", "exit_reason"],
        request=request,
    )
    return entry


# --- follow-up ---------------------------------------------------------------------------------------


@transaction.atomic
def record_follow_up(
    case: Case,
    *,
    week: dt.date,
    status: str,
    responsible_agency: str,
    actions_agreed: str = "",
    next_step: str = "",
    actor,
    request=None,
) -> FollowUp:
    """The follow-up of ``case`` for the week ``week`` falls in (its Monday); one per case and week."""
    monday = week_of(week)
    if FollowUp.objects.filter(case=case, week=monday).exists():
        raise ValidationError({"week": _("This case has a follow-up for that week already.")})
    follow_up = FollowUp(
        case=case,
        week=monday,
        status=status,
        responsible_agency=responsible_agency,
        actions_agreed=actions_agreed,
        next_step=next_step,
        created_by=actor,
    )
    follow_up.full_clean(exclude=["created_by"])
    follow_up.save()
    fields = ["case", "week", "status", "responsible_agency"]
    fields += [n for n, v in (("actions_agreed", actions_agreed), ("next_step", next_step)) if v]
    _audit(
        Action.CREATE,
        follow_up,
        actor=actor,
        municipality=case.programme.municipality,
        fields=fields,
        request=request,
    )
    return follow_up


# --- the follow-up queue ----------------------------------------------------------------------------


def danish_today(now: dt.datetime | dt.date | None = None) -> dt.date:
    if now is None:
        now = timezone.now()
    return now.astimezone(DANISH_TIME).date() if isinstance(now, dt.datetime) else now


def rule_for(programme) -> FollowUpRule:
    """The programme's follow-up rule; an unsaved default (no offence groups, 7 days) without one."""
    rule = FollowUpRule.objects.filter(programme=programme).first()
    return rule if rule is not None else FollowUpRule(programme=programme)


def queue_reports(programme, rule: FollowUpRule):
    """The police reports the rule takes: in the programme's areas (their tiling areas), of one of the
    rule's offence groups, occurred while the programme runs (from its start to its end, Danish
    time) and, when the rule has an age band, with a suspect of that age (a report without a known
    suspect's age is then left out)."""
    area_ids = set()
    for area in programme.areas.all():
        area_ids.update(area.tiling_descendant_ids())
    since = dt.datetime.combine(programme.start, dt.time(), tzinfo=DANISH_TIME)
    reports = CrimeReport.objects.filter(
        area_id__in=area_ids,
        offence__group__in=list(rule.offence_groups),
        occurred_at__gte=since,
    )
    if programme.end:
        until = dt.datetime.combine(programme.end + dt.timedelta(days=1), dt.time(), DANISH_TIME)
        reports = reports.filter(occurred_at__lt=until)
    if rule.suspect_age_min is not None:
        reports = reports.filter(suspect_age__gte=rule.suspect_age_min)
    if rule.suspect_age_max is not None:
        reports = reports.filter(suspect_age__lte=rule.suspect_age_max)
    return reports


def programmes_with_rule(municipality_id=None) -> list[int]:
    """The ids of the programmes (of one municipality, or all) whose follow-up rule names at least one
    offence group: the queues ``generate_queue`` can fill."""
    rules = FollowUpRule.objects.order_by("programme_id")
    if municipality_id is not None:
        rules = rules.filter(programme__municipality_id=municipality_id)
    return [pk for pk, groups in rules.values_list("programme_id", "offence_groups") if groups]


@transaction.atomic
def generate_queue(
    programme, *, today: dt.date | None = None, actor=None, request=None, username: str = ""
) -> int:
    """One queue item per police report the programme's rule takes (``queue_reports``) that has none
    yet; its deadline is ``today`` (Danish date) plus the rule's response days. Running it again adds
    nothing (and the unique constraint on programme and report holds even for two runs at once).
    Returns the number of items added; audited as one create row with that count (by ``actor``, or,
    run by no one, under ``username``).

    Run by the task worker (``tasks.generate_queue_task``): after every import or roll-back of reports
    or areas (``signals``), from the queue page's "Fetch new reports", and from ``manage.py
    generate_followup_queues``.
    """
    rule = rule_for(programme)
    if not rule.offence_groups:
        return 0
    today = danish_today(today)
    deadline = today + dt.timedelta(days=rule.response_days)
    have = FollowUpItem.objects.filter(programme=programme, crime_report__isnull=False)
    new = queue_reports(programme, rule).exclude(pk__in=have.values("crime_report_id"))
    items = [
        FollowUpItem(
            programme=programme,
            source=SourceKind.POLICE_REPORT,
            crime_report_id=pk,
            deadline=deadline,
            owning_agency=rule.owning_agency,
        )
        for pk in new.order_by("occurred_at", "pk").values_list("pk", flat=True)
    ]
    FollowUpItem.objects.bulk_create(items, ignore_conflicts=True)
    if items:
        record(
            Action.CREATE,
            actor=actor,
            municipality=programme.municipality,
            object_type="casework.followupitem",
            purpose=Purpose.CASEWORK,
            fields=["programme", "source", "crime_report", "deadline", "owning_agency"],
            count=len(items),
            request=request,
            username=username,
        )
    return len(items)


@transaction.atomic
def record_notification(
    programme,
    *,
    sent_on: dt.date,
    sent_by_agency: str,
    case: Case | None = None,
    legal_basis: str = "",
    consent_date: dt.date | None = None,
    owning_agency: str = "",
    actor,
    request=None,
) -> FollowUpItem:
    """A notification (underretning) in the queue: only *that* it was sent, when and by which agency;
    the deadline is ``sent_on`` plus the rule's response days. Linked to a case it is a share of person
    data, refused (ValidationError) without a legal basis."""
    if case is not None:
        if case.programme_id != programme.pk:
            raise ValidationError({"case": _("The case belongs to another programme.")})
        if legal_basis not in LegalBasis.values:
            raise ValidationError(
                {"legal_basis": _("A notification about a case needs a legal basis.")}
            )
    if legal_basis == LegalBasis.CONSENT and consent_date is None:
        raise ValidationError({"consent_date": _("Consent needs the date it was given.")})
    rule = rule_for(programme)
    item = FollowUpItem(
        programme=programme,
        source=SourceKind.NOTIFICATION,
        sent_on=sent_on,
        sent_by_agency=sent_by_agency,
        case=case,
        legal_basis=legal_basis,
        consent_date=consent_date if legal_basis == LegalBasis.CONSENT else None,
        deadline=sent_on + dt.timedelta(days=rule.response_days),
        owning_agency=owning_agency or rule.owning_agency,
    )
    item.full_clean()
    item.save()
    fields = ["programme", "source", "sent_on", "sent_by_agency", "deadline"]
    fields += [
        n
        for n, v in (
            ("case", case),
            ("legal_basis", legal_basis),
            ("consent_date", item.consent_date),
            ("owning_agency", item.owning_agency),
        )
        if v
    ]
    _audit(
        Action.CREATE,
        item,
        actor=actor,
        municipality=programme.municipality,
        fields=fields,
        request=request,
    )
    return item


@transaction.atomic
def respond(item: FollowUpItem, *, responded_on: dt.date, response: str, actor, request=None):
    """Answer a queue item, dated, with a short response."""
    if not response.strip():
        raise ValidationError({"response": _("Give the response.")})
    if responded_on < item.opened_on():
        raise ValidationError(
            {"responded_on": _("An item cannot be answered before it entered the queue.")}
        )
    item.responded_on = responded_on
    item.response = response
    item.save(update_fields=["responded_on", "response"])
    _audit(
        Action.UPDATE,
        item,
        actor=actor,
        municipality=item.programme.municipality,
        fields=["responded_on", "response"],
        request=request,
    )
    return item


# --- concern meetings -------------------------------------------------------------------------------


@transaction.atomic
def record_meeting(
    programme,
    *,
    date: dt.date,
    participants: list[str],
    cases=(),
    decisions: str = "",
    actor,
    request=None,
) -> ConcernMeeting:
    """A concern meeting of ``programme``: the agencies that took part, the cases discussed (only the
    programme's own) and the decisions."""
    cases = list(cases)
    if any(c.programme_id != programme.pk for c in cases):
        raise ValidationError({"cases": _("The case belongs to another programme.")})
    participants = [p.strip() for p in participants if p.strip()]
    if not participants:
        raise ValidationError({"participants": _("Give the agencies that took part.")})
    meeting = ConcernMeeting.objects.create(
        programme=programme,
        date=date,
        participants=participants,
        decisions=decisions,
        created_by=actor,
    )
    meeting.cases.set(cases)
    fields = ["programme", "date", "participants"]
    fields += [n for n, v in (("cases", cases), ("decisions", decisions)) if v]
    _audit(
        Action.CREATE,
        meeting,
        actor=actor,
        municipality=programme.municipality,
        fields=fields,
        request=request,
    )
    return meeting


@transaction.atomic
def meeting_task(
    meeting: ConcernMeeting,
    *,
    plan,
    title: str,
    due: dt.date,
    owner_name: str = "",
    actor,
    request=None,
):
    """A decision of a concern meeting becomes a task of one of the programme's action plans
    (``programmes.Task``), linked to the meeting (``MeetingTask``). The task reaches pages beyond
    casework, so its text names cases by alias only: a title or owner holding a CPR-like number is
    refused (ValidationError), as is a plan of another programme. Audited as the task's creation, with
    the link to the meeting among its fields."""
    from hotspot.programmes.models import Task

    if plan.programme_id != meeting.programme_id:
        raise ValidationError({"plan": _("The action plan belongs to another programme.")})
    title, owner_name = title.strip(), owner_name.strip()
    if not title:
        raise ValidationError({"title": _("Give the task.")})
    refused = _("No CPR number in a task: name a case by its alias only.")
    for name, text in (("title", title), ("owner_name", owner_name)):
        if pseudonym.contains_cpr(text):
            raise ValidationError({name: refused})
    task = Task(
        programme=meeting.programme,
        plan=plan,
        title=title,
        owner_name=owner_name,
        due=due,
    )
    task.full_clean(exclude=["owner", "focus_area", "initiative", "decision"])
    task.save()
    MeetingTask.objects.create(meeting=meeting, task=task, created_by=actor)
    fields = ["programme", "plan", "title", "due", "concern_meeting"]
    fields += ["owner_name"] if owner_name else []
    _audit(
        Action.CREATE,
        task,
        actor=actor,
        municipality=meeting.programme.municipality,
        fields=fields,
        request=request,
    )
    return task


# --- retention ---------------------------------------------------------------------------------------


def months_before(day: dt.date, months: int) -> dt.date:
    """``day`` ``months`` calendar months earlier (31 March less one month is 28 or 29 February)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def due_for_purge(municipality, now: dt.datetime | dt.date | None = None):
    """The cases of ``municipality`` past their retention (``CaseworkSettings.retention_for``) on the
    Danish date of ``now``: on no list now and the last list left more than that many months ago, or
    never on a list and created more than that many months ago."""
    if now is None:
        now = timezone.now()
    today = now.astimezone(DANISH_TIME).date() if isinstance(now, dt.datetime) else now
    cutoff = months_before(today, CaseworkSettings.retention_for(municipality))
    cases = Case.objects.filter(programme__municipality=municipality)
    entries = ListEntry.objects.filter(case=OuterRef("pk"))
    listed = (
        cases.filter(Exists(entries))
        .exclude(Exists(entries.filter(left_on__isnull=True)))
        .annotate(last_left=Max("list_entries__left_on"))
        .filter(last_left__lt=cutoff)
    )
    start_of_cutoff = dt.datetime.combine(cutoff, dt.time(), tzinfo=DANISH_TIME)
    never_listed = cases.exclude(Exists(entries)).filter(created_at__lt=start_of_cutoff)
    return sorted(
        set(listed.values_list("pk", flat=True)) | set(never_listed.values_list("pk", flat=True))
    )


@transaction.atomic
def purge_due(now: dt.datetime | dt.date | None = None) -> dict[int, int]:
    """Delete every case past its retention, with its list entries, follow-ups, agreements and links
    (they cascade). One audit row per municipality purged (action ``delete``, purpose ``casework``,
    the number of cases; no alias, no key). Running it again deletes nothing and writes nothing.
    Returns {municipality id: cases deleted}."""
    purged = {}
    municipalities = Municipality.objects.filter(
        pk__in=Case.objects.values("programme__municipality")
    ).order_by("pk")
    for municipality in municipalities:
        due = due_for_purge(municipality, now)
        if not due:
            continue
        Case.objects.filter(pk__in=due).delete()
        record(
            Action.DELETE,
            municipality=municipality,
            object_type="casework.case",
            purpose=Purpose.CASEWORK,
            count=len(due),
            username="manage.py purge_casework",
        )
        purged[municipality.pk] = len(due)
    return purged
