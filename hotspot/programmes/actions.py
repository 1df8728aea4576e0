"""Every state change of the programmes app: atomic, and each writes its audit row (field names only)."""

import math

import shapely
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from hotspot.areas.geo import BUFFER_METRES
from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose
from hotspot.programmes.inputs import agenda_for
from hotspot.programmes.models import (
    ActionPlan,
    ChangeNode,
    CoreArea,
    CoreAreaWeight,
    Decision,
    DecisionKind,
    Initiative,
    Meeting,
    Place,
    PlaceKind,
    Task,
    TaskStatus,
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
    _audit(Action.CREATE, task, actor, ["title", "owner", "due", "decision", "plan"], request)
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
