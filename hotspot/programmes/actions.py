"""Every state change of the programmes app: atomic, and each writes its audit row (field names only)."""

import math

import shapely
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from hotspot.areas.geo import BUFFER_METRES
from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose
from hotspot.programmes.access import organisation_owns
from hotspot.programmes.inputs import agenda_for
from hotspot.programmes.models import (
    ActionPlan,
    Approval,
    ApprovalDecision,
    Challenge,
    ChangeNode,
    CoreArea,
    CoreAreaWeight,
    Decision,
    DecisionKind,
    FocusArea,
    Goal,
    Initiative,
    Meeting,
    Place,
    PlaceKind,
    Programme,
    ProgrammeStatus,
    Task,
    TaskStatus,
    TaskUpdate,
    TheoryOfChange,
)


class Conflict(Exception):
    """Someone else saved the object after this user opened it (optimistic locking)."""

    def __init__(self, current):
        super().__init__(
            f"{current._meta.label} {current.pk} changed: now version {current.version}"
        )
        self.current = current


class HasDependants(Exception):
    """The object cannot be deleted while other objects depend on it; ``dependants`` lists them."""

    def __init__(self, dependants):
        super().__init__(f"{len(dependants)} dependants")
        self.dependants = dependants


def _municipality(obj):
    from hotspot.accounts.models import Municipality

    if isinstance(obj, CoreArea):  # a municipality's own addition to the shared catalogue
        return obj.municipality
    return Municipality.objects.get(pk=obj.tenant_id())


def _audit(action, obj, actor, fields, request=None):
    record(
        action,
        actor=actor,
        municipality=_municipality(obj),
        obj=obj,
        purpose=Purpose.ADMINISTRATION,
        fields=sorted(set(fields)),
        request=request,
    )


@transaction.atomic
def save_form(form, *, actor, request=None, **assign):
    """Create or change the object of a ModelForm; ``assign`` sets fields the form does not show
    (the parent programme, plan, ...). Audits the names of the fields that were set or changed."""
    creating = form.instance.pk is None
    obj = form.save(commit=False)
    for name, value in assign.items():
        setattr(obj, name, value)
    obj.save()
    form.save_m2m()
    fields = list(form.fields) + list(assign) if creating else form.changed_data
    if creating or fields:
        _audit(Action.CREATE if creating else Action.UPDATE, obj, actor, fields, request)
        new_draft_after_change(obj, fields, actor=actor, request=request)
    return obj


@transaction.atomic
def save_versioned(form, *, expected_version: int, actor, request=None):
    """Save a form on a versioned object (ActionPlan, Task) only if nobody saved it in between.

    Raises ``Conflict`` with the current row otherwise; nothing is written then, and the caller shows the
    user both their own input and what the other person saved. A form with nothing changed writes
    nothing: no new version, no audit row.
    """
    model = type(form.instance)
    if not [name for name in form.changed_data if name != "version"]:
        return form.instance
    updated = model.objects.filter(pk=form.instance.pk, version=expected_version).update(
        version=F("version") + 1
    )
    if not updated:
        raise Conflict(model.objects.get(pk=form.instance.pk))
    obj = form.save(commit=False)
    obj.version = expected_version + 1
    if isinstance(obj, Task):
        _stamp_done(obj)
    obj.save()
    form.save_m2m()
    _audit(Action.UPDATE, obj, actor, form.changed_data, request)
    new_draft_after_change(
        obj, form.changed_data, old_version=expected_version, actor=actor, request=request
    )
    return obj


def _stamp_done(task: Task) -> None:
    if task.status == TaskStatus.DONE and task.done_on is None:
        task.done_on = timezone.localdate()
    elif task.status != TaskStatus.DONE:
        task.done_on = None


@transaction.atomic
def set_task_status(task: Task, status: str, *, expected_version: int, actor, request=None):
    if status not in TaskStatus.values:
        raise ValueError(f"status must be one of {TaskStatus.values}; got {status!r}")
    updated = Task.objects.filter(pk=task.pk, version=expected_version).update(
        version=F("version") + 1
    )
    if not updated:
        raise Conflict(Task.objects.get(pk=task.pk))
    task.refresh_from_db()
    task.status = status
    _stamp_done(task)
    task.save(update_fields=["status", "done_on"])
    _audit(Action.UPDATE, task, actor, ["status", "done_on"], request)
    return task


def ensure_owned(task: Task, *, membership, user, request=None) -> None:
    """Raise ``PermissionDenied`` unless the organisation of ``membership`` owns ``task``, after an
    audit row of the refusal (``access_denied``, the task's model and id only). Not in a transaction:
    the row stays although nothing else is written."""
    if organisation_owns(membership, task):
        return
    record(
        Action.ACCESS_DENIED,
        actor=user,
        municipality=_municipality(task),
        obj=task,
        purpose=Purpose.ADMINISTRATION,
        fields=["status", "updates"],
        request=request,
    )
    raise PermissionDenied("the member's organisation does not own this task")


def report_progress(
    task: Task,
    *,
    membership,
    user,
    status: str,
    note: str = "",
    activities: int | None = None,
    participants: int | None = None,
    request=None,
) -> TaskUpdate:
    """A member's report on a task their organisation owns (``programmes.access.organisation_owns``):
    sets the task's status and appends a ``TaskUpdate`` with the note and counts.

    Refused with ``PermissionDenied`` (and an audit row of the refusal, ``ensure_owned``) when the
    organisation does not own the task."""
    ensure_owned(task, membership=membership, user=user, request=request)
    if status not in TaskStatus.values:
        raise ValueError(f"status must be one of {TaskStatus.values}; got {status!r}")
    for name, value in (("activities", activities), ("participants", participants)):
        if value is not None and value < 0:
            raise ValueError(f"{name} must be a count (0 or more); got {value!r}")
    return _save_progress(
        task,
        membership=membership,
        user=user,
        status=status,
        note=(note or "").strip(),
        activities=activities,
        participants=participants,
        request=request,
    )


@transaction.atomic
def _save_progress(task, *, membership, user, status, note, activities, participants, request):
    changed = task.status != status
    if changed:
        task.status = status
        _stamp_done(task)
        # a new version, so that a coordinator's form opened before this report sees the change
        Task.objects.filter(pk=task.pk).update(
            status=task.status, done_on=task.done_on, version=F("version") + 1
        )
        task.refresh_from_db(fields=["version"])
        _audit(Action.UPDATE, task, user, ["status", "done_on"], request)
    update = TaskUpdate.objects.create(
        task=task,
        status=status,
        note=note,
        activities=activities,
        participants=participants,
        by=user,
        organisation=membership.organisation.strip(),
    )
    filled = ["task", "status", "by", "organisation"] + [
        name
        for name, value in (
            ("note", note),
            ("activities", activities),
            ("participants", participants),
        )
        if value not in ("", None)
    ]
    _audit(Action.CREATE, update, user, filled, request)
    return update


@transaction.atomic
def set_weights(programme, weights: dict, *, actor, request=None):
    """``weights``: {(core_area_id, level): weight}. Audits one row for the programme."""
    changed = False
    for (core_area_id, level), weight in weights.items():
        row, created = CoreAreaWeight.objects.get_or_create(
            programme=programme, core_area_id=core_area_id, level=level, defaults={"weight": weight}
        )
        if not created and row.weight != weight:
            row.weight = weight
            row.save(update_fields=["weight"])
            changed = True
        changed = changed or created
    if changed:
        _audit(Action.UPDATE, programme, actor, ["weights"], request)


def initiative_dependants(initiative: Initiative) -> list[str]:
    """What stops an initiative from being deleted: goals, budget lines and spend that refer to it."""
    items = [_("Goal: %(title)s") % {"title": g.title} for g in initiative.goals.all()]
    items += [
        _("Budget line %(year)s: %(amount)s DKK") % {"year": b.year, "amount": b.amount}
        for b in initiative.budget_lines.all()
    ]
    items += [
        _("Spend %(date)s: %(amount)s DKK") % {"date": s.date.isoformat(), "amount": s.amount}
        for s in initiative.spend.all()
    ]
    return items


@transaction.atomic
def delete_initiative(initiative: Initiative, *, actor, request=None):
    dependants = initiative_dependants(initiative)
    if dependants:
        raise HasDependants(dependants)
    programme = initiative.programme
    pk = initiative.pk
    new_draft_after_change(initiative, ["name"], actor=actor, request=request)
    initiative.delete()
    record(
        Action.DELETE,
        actor=actor,
        municipality=programme.municipality,
        object_type="programmes.initiative",
        object_id=pk,
        purpose=Purpose.ADMINISTRATION,
        request=request,
    )


def theory_for(challenge) -> TheoryOfChange:
    theory, _created = TheoryOfChange.objects.get_or_create(
        challenge=challenge, defaults={"programme": challenge.programme}
    )
    return theory


@transaction.atomic
def save_node(form, *, challenge, actor, request=None):
    return save_form(form, actor=actor, request=request, theory=theory_for(challenge))


@transaction.atomic
def delete_node(node: ChangeNode, *, actor, request=None):
    programme = node.theory.programme
    pk = node.pk
    node.delete()
    record(
        Action.DELETE,
        actor=actor,
        municipality=programme.municipality,
        object_type="programmes.changenode",
        object_id=pk,
        purpose=Purpose.ADMINISTRATION,
        request=request,
    )


@transaction.atomic
def create_meeting(form, *, group, actor, request=None) -> Meeting:
    """A new meeting with its agenda pre-filled: goals whose band changed since the group's previous
    meeting, and overdue tasks. The bands are kept so the next agenda can compare."""
    meeting = form.save(commit=False)
    previous = group.meetings.filter(date__lt=meeting.date).order_by("-date").first()
    agenda, bands = agenda_for(group, previous=previous)
    meeting.group = group
    if not meeting.agenda.strip():
        meeting.agenda = agenda
    meeting.bands = bands
    meeting.save()
    _audit(Action.CREATE, meeting, actor, ["date", "place", "agenda", "bands"], request)
    return meeting


@transaction.atomic
def decision_to_task(decision: Decision, *, plan, owner, owner_name, due, actor, request=None):
    """An action item from a meeting becomes a task, followed to done like any other."""
    if decision.kind != DecisionKind.ACTION:
        raise ValueError(f"only action items become tasks; got a {decision.kind!r}")
    existing = Task.objects.filter(decision=decision).first()
    if existing is not None:
        return existing
    task = Task.objects.create(
        programme=decision.meeting.group.programme,
        plan=plan,
        title=decision.text[:200],
        owner=owner,
        owner_name=owner_name,
        due=due,
        decision=decision,
    )
    fields = ["title", "owner", "due", "decision", "plan"]
    _audit(Action.CREATE, task, actor, fields, request)
    new_draft_after_change(task, fields, actor=actor, request=request)
    return task


@transaction.atomic
def create_plan_with_focus_areas(form, titles, *, programme, actor, request=None) -> ActionPlan:
    plan = save_form(form, actor=actor, request=request, programme=programme)
    for number, title in enumerate(titles, start=1):
        focus = plan.focus_areas.create(number=number, title=title)
        _audit(Action.CREATE, focus, actor, ["number", "title"], request)
    return plan


# --- places ----------------------------------------------------------------------------------------


def check_place_point(programme, x, y) -> None:
    """Refuse (ValueError, a sentence for the user) a point that lies neither inside one of the
    programme's areas nor within ``BUFFER_METRES`` of one: a place of the programme is where it works.

    ``x``/``y`` are EPSG:25832 metres, as the areas' outlines (``Area.polygon``) are stored.
    """
    try:
        x, y = float(x), float(y)
    except (TypeError, ValueError):
        raise ValueError(
            _("The place needs a point: an easting and a northing in metres.")
        ) from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError(_("The place needs a point: an easting and a northing in metres."))
    polygons = [a.polygon for a in programme.areas.all() if a.polygon is not None]
    polygons = [p for p in polygons if not p.is_empty]
    if not polygons:
        raise ValueError(
            _(
                "None of the programme's areas has an outline, so a place cannot be checked against "
                "them. Import the areas' outlines first."
            )
        )
    point = shapely.Point(x, y)
    nearest = min(p.distance(point) for p in polygons)
    if nearest > BUFFER_METRES:
        raise ValueError(
            _(
                "The point lies %(distance)s m from the nearest of the programme's areas. A place must "
                "lie inside one of them or within %(metres)s m of one."
            )
            % {"distance": f"{nearest:.0f}", "metres": BUFFER_METRES}
        )


@transaction.atomic
def add_place(
    programme,
    *,
    user,
    request=None,
    name,
    kind,
    x,
    y,
    cell_size=None,
    source="",
    note="",
) -> Place:
    """A new place of ``programme`` at (``x``, ``y``) in EPSG:25832 metres: a hot cell of side
    ``cell_size`` metres (``source`` says which analysis found it), or a drawn point (no cell size).
    A name or source longer than its field is cut to it. Raises ValueError if the point is far from
    the programme's areas (``check_place_point``)."""
    name = (name or "").strip()
    if not name:
        raise ValueError(_("Give the place a name."))
    if kind not in PlaceKind.values:
        raise ValueError(f"kind must be one of {PlaceKind.values}; got {kind!r}")
    if cell_size is not None and (int(cell_size) != cell_size or cell_size <= 0):
        raise ValueError(f"cell_size must be a positive whole number of metres; got {cell_size!r}")
    check_place_point(programme, x, y)
    place = Place.objects.create(
        programme=programme,
        name=name[:160],
        kind=kind,
        x=float(x),
        y=float(y),
        cell_size=None if cell_size is None else int(cell_size),
        source=(source or "")[:300],
        note=note or "",
    )
    fields = ["name", "kind", "x", "y", "source", "note", "programme"]
    if cell_size is not None:
        fields.append("cell_size")
    _audit(Action.CREATE, place, user, fields, request)
    return place


@transaction.atomic
def delete_place(place: Place, *, user, request=None) -> None:
    """Delete a place; tasks that named it keep their other fields and lose the place."""
    programme = place.programme
    pk = place.pk
    place.delete()
    record(
        Action.DELETE,
        actor=user,
        municipality=programme.municipality,
        object_type="programmes.place",
        object_id=pk,
        purpose=Purpose.ADMINISTRATION,
        request=request,
    )


# --- council approval ------------------------------------------------------------------------------


class ApprovalRefused(Exception):
    """A submission or decision the approval rules do not allow. ``str()`` is a sentence for the user;
    ``url`` and ``link_text`` say where to go instead (the current draft)."""

    def __init__(self, message, *, url="", link_text=""):
        super().__init__(message)
        self.url = url
        self.link_text = link_text


def approval_steps(programme, plan=None):
    """The approval steps of the programme itself (``plan`` None) or of one plan, newest first."""
    return Approval.objects.filter(programme=programme, plan=plan).order_by("-created_at", "-pk")


def latest_step(programme, plan=None) -> Approval | None:
    return approval_steps(programme, plan).first()


def latest_approved(programme, plan=None) -> Approval | None:
    return approval_steps(programme, plan).filter(decision=ApprovalDecision.APPROVED).first()


def current_version(programme, plan=None) -> int:
    """The version stored now (not the one of the object in memory, which may be older)."""
    subject = plan if plan is not None else programme
    return type(subject).objects.values_list("version", flat=True).get(pk=subject.pk)


def draft_link(programme, plan=None) -> dict:
    """Where the current draft is: the edit form when the decided version is still the current one
    (saving there makes the new draft), otherwise the programme's or plan's page."""
    subject = plan if plan is not None else programme
    version = current_version(programme, plan)
    latest = latest_step(programme, plan)
    if latest is not None and latest.version == version:
        name = "programmes:plan_edit" if plan is not None else "programmes:edit"
        return {
            "url": reverse(name, args=[subject.pk]),
            "link_text": _("Edit it: saving makes a new draft (version %(version)s)")
            % {"version": version + 1},
        }
    return {
        "url": subject.get_absolute_url(),
        "link_text": _("Go to the current draft (version %(version)s)") % {"version": version},
    }


def _check_plan(programme, plan):
    if plan is not None and plan.programme_id != programme.pk:
        raise ValueError(f"action plan {plan.pk} is not a plan of programme {programme.pk}")


def _date(value):
    return value.isoformat() if value else None


def snapshot_of(programme, plan=None) -> dict:
    """The frozen copy of what the council gets: for the programme its name, areas, period, purposes,
    challenges, initiatives and goals; for a plan its title, period, focus areas and tasks. Plain JSON
    (codes, names, ISO dates), so it reads the same after the objects change or go."""
    if plan is not None:
        plan = ActionPlan.objects.get(pk=plan.pk)
        tasks = plan.tasks.select_related("owner", "focus_area").order_by("due", "pk")
        return {
            "kind": "plan",
            "version": plan.version,
            "title": plan.title,
            "start": _date(plan.start),
            "end": _date(plan.end),
            "focus_areas": [
                {"number": f.number, "title": f.title} for f in plan.focus_areas.order_by("number")
            ],
            "tasks": [
                {
                    "title": t.title,
                    "owner": t.owner_label,
                    "due": _date(t.due),
                    "focus_area": t.focus_area.number if t.focus_area_id else None,
                }
                for t in tasks
            ],
        }
    programme = Programme.objects.get(pk=programme.pk)
    initiatives = programme.initiatives.prefetch_related("core_areas").order_by("name", "pk")
    return {
        "kind": "programme",
        "version": programme.version,
        "name": programme.name,
        "areas": [{"code": a.code, "name": a.name} for a in programme.areas.order_by("code")],
        "start": _date(programme.start),
        "end": _date(programme.end),
        "purpose_short": programme.purpose_short,
        "purpose_long": programme.purpose_long,
        "challenges": [
            {"number": c.number, "title": c.title}
            for c in programme.challenges.order_by("number", "pk")
        ],
        "initiatives": [
            {
                "name": i.name,
                "owner": i.owner,
                "level": i.level,
                "core_areas": sorted(ca.code for ca in i.core_areas.all()),
            }
            for i in initiatives
        ],
        "goals": [
            {
                "title": g.title,
                "measure": g.measure,
                "baseline_value": g.baseline_value,
                "baseline_date": _date(g.baseline_date),
                "target_value": g.target_value,
                "deadline": _date(g.deadline),
            }
            for g in programme.goals.order_by("title", "pk")
        ],
    }


#: What a change touches, per model: the programme's or a plan's approved content and the fields of
#: it that the snapshot keeps. A change of any other field (status, evidence, a task's status) leaves
#: the approved version as it is.
_APPROVED_CONTENT = {
    Programme: ("programme", {"name", "areas", "start", "end", "purpose_short", "purpose_long"}),
    Challenge: ("programme", {"number", "title"}),
    Initiative: ("programme", {"name", "owner", "level", "core_areas"}),
    Goal: (
        "programme",
        {"title", "measure", "baseline_value", "baseline_date", "target_value", "deadline"},
    ),
    ActionPlan: ("plan", {"title", "start", "end"}),
    FocusArea: ("plan", {"number", "title"}),
    Task: ("plan", {"title", "owner", "owner_name", "due", "focus_area", "plan"}),
}


def new_draft_after_change(obj, fields, *, old_version=None, actor=None, request=None) -> bool:
    """After ``obj`` was created, changed or is about to be deleted: if that touches the content of a
    programme or plan whose current version was submitted or decided, the change goes into a new draft.
    The version number goes up (a programme or plan form's save has done that already: ``old_version``
    is the one it started from), and an approved programme is a draft again. The approval records and
    their snapshots are not touched. Returns whether a new draft was made."""
    entry = _APPROVED_CONTENT.get(type(obj))
    if entry is None or not set(fields) & entry[1]:
        return False
    if entry[0] == "programme":
        programme = obj if isinstance(obj, Programme) else obj.programme
        plan = None
    else:
        plan = obj if isinstance(obj, ActionPlan) else obj.plan
        if plan is None:
            return False
        programme = plan.programme
    subject = plan if plan is not None else programme
    latest = latest_step(programme, plan)
    if latest is None:
        return False
    before = old_version if obj is subject else current_version(programme, plan)
    if latest.version != before:
        return False  # the draft after the submitted or decided version exists already
    changed = []
    if obj is not subject:
        type(subject).objects.filter(pk=subject.pk).update(version=F("version") + 1)
        subject.version = before + 1
        changed.append("version")
    if plan is None and latest.decision == ApprovalDecision.APPROVED:
        if Programme.objects.filter(pk=programme.pk, status=ProgrammeStatus.APPROVED).update(
            status=ProgrammeStatus.DRAFT
        ):
            programme.status = ProgrammeStatus.DRAFT
            changed.append("status")
    if changed:
        _audit(Action.UPDATE, subject, actor, changed, request)
    return True


@transaction.atomic
def submit_for_approval(programme, *, plan=None, user, request=None) -> Approval:
    """Submit the current version of the programme (or of one of its plans) to the council, with the
    frozen copy of what is submitted. Refused (``ApprovalRefused``) while an earlier submission awaits
    its decision, and for a version that was decided already."""
    _check_plan(programme, plan)
    version = current_version(programme, plan)
    latest = latest_step(programme, plan)
    if latest is not None and latest.decision == ApprovalDecision.SUBMITTED:
        raise ApprovalRefused(
            _(
                "Version %(version)s was submitted on %(date)s and awaits the council's decision. "
                "Record the decision first."
            )
            % {"version": latest.version, "date": formats.date_format(latest.created_at.date())}
        )
    if latest is not None and latest.version == version:
        raise ApprovalRefused(_decided_sentence(latest), **draft_link(programme, plan))
    approval = Approval.objects.create(
        programme=programme,
        plan=plan,
        version=version,
        decision=ApprovalDecision.SUBMITTED,
        snapshot=snapshot_of(programme, plan),
        created_by=user,
    )
    _audit(Action.CREATE, approval, user, ["programme", "plan", "version", "decision"], request)
    return approval


def _decided_sentence(step: Approval) -> str:
    values = {
        "version": step.version,
        "date": formats.date_format(step.decided_on) if step.decided_on else "–",
        "case": step.case_number,
    }
    if step.decision == ApprovalDecision.APPROVED:
        return (
            _(
                "Version %(version)s was approved on %(date)s (case %(case)s). The approved version "
                "is frozen: its record cannot be changed. Changes go into a new draft."
            )
            % values
        )
    return (
        _(
            "Version %(version)s was sent back on %(date)s. Its record cannot be changed: change the "
            "draft, then submit the new version."
        )
        % values
    )


@transaction.atomic
def record_decision(
    programme,
    *,
    plan=None,
    decision,
    case_number,
    decided_on,
    body="",
    note="",
    user,
    request=None,
) -> Approval:
    """The council's decision on the submission that awaits it: approved (needs the case number, e.g.
    "BR 123/2008", and the date) or sent back (needs the date). Approving keeps the submission's frozen
    copy, sets the programme's date of approval and body, and makes a draft programme approved when
    nothing was changed since it was submitted (a running or ended programme keeps its status).
    Sending back changes nothing else. Refused (``ApprovalRefused``, with a link to the current draft)
    when nothing awaits a decision: a decided version's record is never changed."""
    _check_plan(programme, plan)
    if decision not in (ApprovalDecision.APPROVED, ApprovalDecision.SENT_BACK):
        raise ValueError(f"decision must be 'approved' or 'sent_back'; got {decision!r}")
    case_number = (case_number or "").strip()
    if decision == ApprovalDecision.APPROVED and not case_number:
        raise ValueError(_("An approval needs the council's case number."))
    if decided_on is None:
        raise ValueError(_("Give the date of the decision."))
    latest = latest_step(programme, plan)
    if latest is None:
        raise ApprovalRefused(_("Nothing has been submitted to the council yet. Submit it first."))
    if latest.decision != ApprovalDecision.SUBMITTED:
        raise ApprovalRefused(_decided_sentence(latest), **draft_link(programme, plan))
    approved = decision == ApprovalDecision.APPROVED
    body = (body or "").strip() or programme.approved_by or _("The city council")
    step = Approval.objects.create(
        programme=programme,
        plan=plan,
        version=latest.version,
        decision=decision,
        case_number=case_number,
        decided_on=decided_on,
        body=body[:160],
        note=note or "",
        snapshot=latest.snapshot if approved else {},
        created_by=user,
    )
    fields = ["programme", "plan", "version", "decision", "decided_on", "body"]
    if case_number:
        fields.append("case_number")
    if note:
        fields.append("note")
    _audit(Action.CREATE, step, user, fields, request)
    if approved and plan is None:
        programme = Programme.objects.get(pk=programme.pk)
        programme.approved_on = decided_on
        programme.approved_by = body[:160]
        changed = ["approved_on", "approved_by"]
        if programme.status == ProgrammeStatus.DRAFT and programme.version == latest.version:
            programme.status = ProgrammeStatus.APPROVED
            changed.append("status")
        programme.save(update_fields=changed)
        _audit(Action.UPDATE, programme, user, changed, request)
    return step


def changes_since_approval(programme, plan=None) -> list[dict]:
    """What differs between the latest approved version (its snapshot) and the programme (or plan) as it
    is now; empty when nothing was approved or nothing changed. See ``compare_snapshots``."""
    approved = latest_approved(programme, plan)
    if approved is None:
        return []
    return compare_snapshots(approved.snapshot, snapshot_of(programme, plan))


#: The parts of a snapshot: (key, model, key of an item's name) for the lists; the model gives labels.
_SNAPSHOT_LISTS = {
    "programme": [
        ("challenges", Challenge, "title"),
        ("initiatives", Initiative, "name"),
        ("goals", Goal, "title"),
    ],
    "plan": [("focus_areas", FocusArea, "title"), ("tasks", Task, "title")],
}
_SNAPSHOT_FIELDS = {
    "programme": (Programme, ["name", "areas", "start", "end", "purpose_short", "purpose_long"]),
    "plan": (ActionPlan, ["title", "start", "end"]),
}


def _label(model, name) -> str:
    return str(model._meta.get_field(name).verbose_name)


def _show(value, model=None, name=None) -> str:
    field = model._meta.get_field(name) if model is not None else None
    if field is not None and field.choices and isinstance(value, str):
        value = dict(field.flatchoices).get(value, value)
    if value is None or value == "":
        return "–"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, list):
        return ", ".join(
            f"{v['code']} {v['name']}" if isinstance(v, dict) else str(v) for v in value
        )
    return str(value)


def _keyed(items, name_key) -> dict:
    """Items by name; a repeated name gets its position among the items of that name."""
    keyed, seen = {}, {}
    for item in items:
        name = str(item.get(name_key, ""))
        seen[name] = seen.get(name, 0) + 1
        keyed[(name, seen[name])] = item
    return keyed


def compare_snapshots(before: dict, after: dict) -> list[dict]:
    """Rows ``{"part", "name", "change", "change_label", "fields", "before", "after"}``: the changed
    fields of the programme or plan itself (``part`` its own label), then each challenge, initiative or
    goal (focus area, task) added, removed, or changed (``fields`` names the changed fields)."""
    kind = after.get("kind", "programme")
    labels = {
        "added": _("added"),
        "removed": _("removed"),
        "changed": _("changed"),
    }
    rows = []
    model, names = _SNAPSHOT_FIELDS[kind]
    for name in names:
        if before.get(name) != after.get(name):
            rows.append(
                {
                    "part": str(model._meta.verbose_name),
                    "name": _label(model, name),
                    "change": "changed",
                    "change_label": labels["changed"],
                    "fields": [],
                    "before": _show(before.get(name), model, name),
                    "after": _show(after.get(name), model, name),
                }
            )
    for key, item_model, name_key in _SNAPSHOT_LISTS[kind]:
        old = _keyed(before.get(key, []), name_key)
        new = _keyed(after.get(key, []), name_key)
        part = str(item_model._meta.verbose_name)
        for k in list(old) + [k for k in new if k not in old]:
            a, b = old.get(k), new.get(k)
            if a == b:
                continue
            change = "added" if a is None else "removed" if b is None else "changed"
            fields = [] if change != "changed" else [f for f in b if a.get(f) != b.get(f)]
            rows.append(
                {
                    "part": part,
                    "name": k[0],
                    "change": change,
                    "change_label": labels[change],
                    "fields": [_label(item_model, f) for f in fields],
                    "before": "; ".join(_show(a.get(f), item_model, f) for f in fields),
                    "after": "; ".join(_show(b.get(f), item_model, f) for f in fields),
                }
            )
    return rows
