"""State changes of the indices app: each atomic, each writing its audit row."""

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from hotspot.areas.actions import CompositionRefused, compose_area
from hotspot.areas.models import Area, AreaKind
from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose
from hotspot.indices import inputs as ix
from hotspot.indices.models import (
    NEED_OF_BAND,
    Candidate,
    IndexRun,
    Need,
    SafetyIndex,
    SafetyIndexVersion,
    SafetyScore,
    SelectionDossier,
    SensitivityRun,
    Status,
)

MAX_CANDIDATES = 8


@transaction.atomic
def create_definition(*, municipality, user, name, spec, preset="", request=None):
    """A new definition with version 1. ``spec`` must pass ``inputs.validate_spec`` (ValueError)."""
    ix.validate_spec(spec)
    definition = SafetyIndex.objects.create(
        municipality=municipality, name=name, preset=preset, created_by=user
    )
    version = SafetyIndexVersion.objects.create(
        definition=definition, number=1, spec=spec, created_by=user
    )
    record(
        Action.CREATE,
        actor=user,
        municipality=municipality,
        obj=definition,
        purpose=Purpose.ANALYSIS,
        fields=["name", "preset"],
        request=request,
    )
    record(
        Action.CREATE,
        actor=user,
        municipality=municipality,
        obj=version,
        purpose=Purpose.ANALYSIS,
        fields=["spec"],
        request=request,
    )
    return definition


@transaction.atomic
def new_version(*, definition, user, spec, note="", request=None):
    """Versions are immutable: a change is a new version; earlier runs keep pointing to theirs."""
    ix.validate_spec(spec)
    definition = SafetyIndex.objects.select_for_update().get(pk=definition.pk)
    number = (definition.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = SafetyIndexVersion.objects.create(
        definition=definition, number=number, spec=spec, note=note[:300], created_by=user
    )
    record(
        Action.CREATE,
        actor=user,
        municipality=definition.municipality,
        obj=version,
        purpose=Purpose.ANALYSIS,
        fields=["spec", "note"],
        request=request,
    )
    return version


def start_run(*, version, user, request=None) -> IndexRun:
    """Queue the computation of ``version`` for all areas and years (the task does the work)."""
    from hotspot.indices.tasks import compute_run_task

    with transaction.atomic():
        run = IndexRun.objects.create(version=version, status=Status.QUEUED, created_by=user)
        record(
            Action.CREATE,
            actor=user,
            municipality=version.definition.municipality,
            obj=run,
            purpose=Purpose.ANALYSIS,
            request=request,
        )
    compute_run_task.enqueue(run.pk)
    run.refresh_from_db()
    return run


def start_sensitivity(*, run, user, year, parameters, request=None) -> SensitivityRun:
    from hotspot.indices.tasks import sensitivity_task

    with transaction.atomic():
        sens = SensitivityRun.objects.create(
            run=run, year=year, parameters=parameters, status=Status.QUEUED, created_by=user
        )
        record(
            Action.CREATE,
            actor=user,
            municipality=run.version.definition.municipality,
            obj=sens,
            purpose=Purpose.ANALYSIS,
            fields=sorted(parameters),
            request=request,
        )
    sensitivity_task.enqueue(sens.pk)
    sens.refresh_from_db()
    return sens


@transaction.atomic
def create_dossier(*, run, year, areas, user, request=None) -> SelectionDossier:
    """A dossier comparing ``areas`` (2 to MAX_CANDIDATES scored areas of the run)."""
    municipality = run.version.definition.municipality
    areas = list(dict.fromkeys(areas))
    if not 2 <= len(areas) <= MAX_CANDIDATES:
        raise ValueError(f"pick between 2 and {MAX_CANDIDATES} candidate areas, got {len(areas)}")
    if any(a.municipality_id != municipality.pk for a in areas):
        raise ValueError("candidates must be areas of the run's municipality")
    dossier = SelectionDossier.objects.create(
        municipality=municipality, run=run, year=year, created_by=user
    )
    Candidate.objects.bulk_create(
        Candidate(dossier=dossier, area=a, position=k) for k, a in enumerate(areas)
    )
    record(
        Action.CREATE,
        actor=user,
        municipality=municipality,
        obj=dossier,
        purpose=Purpose.ANALYSIS,
        fields=["run", "year", "candidates"],
        count=len(areas),
        request=request,
    )
    return dossier


def _hotspot_code(parent: Area, year: int) -> str:
    base = f"HS-{parent.code}"
    taken = set(
        Area.objects.filter(
            municipality_id=parent.municipality_id, code__startswith=base
        ).values_list("code", flat=True)
    )
    for code in (base, f"{base}-{year}", *(f"{base}-{year}-{k}" for k in range(2, 100))):
        if code not in taken:
            return code
    raise ValueError(f"no free hotspot code for {parent.code}")


@transaction.atomic
def decide_dossier(
    *,
    dossier,
    user,
    selected_area_ids,
    rationale: str,
    valid_from: dt.date,
    needs=None,
    with_areas=None,
    request=None,
):
    """Record the decision; each selected candidate becomes a ``hotspot`` Area (same polygon).

    ``needs`` ({candidate area id: Need}) is the level of need decided for each selected area; where
    it is not given, the one the area's index band suggests (``NEED_OF_BAND``), and the band is kept
    beside it. ``with_areas`` ({candidate area id: [areas]}) widens a hotspot to more areas ("distrikt
    12 inklusiv rode 157"): the hotspot is then made of the candidate and those areas
    (``areas.actions.compose_area``: figures summed once, outline their union)."""
    needs = {int(k): v for k, v in (needs or {}).items()}
    with_areas = {int(k): list(v) for k, v in (with_areas or {}).items()}
    bad_need = {v for v in needs.values() if v and v not in Need.values}
    if bad_need:
        raise ValueError(f"need: expected one of {Need.values}, got {sorted(bad_need)}")
    dossier = SelectionDossier.objects.select_for_update().get(pk=dossier.pk)
    if dossier.decided:
        raise ValueError("this dossier has already been decided")
    rationale = (rationale or "").strip()
    if len(rationale) < 20:
        raise ValueError("write the rationale for the decision (at least 20 characters)")
    candidates = list(dossier.candidates.select_related("area"))
    chosen = set(selected_area_ids)
    unknown = chosen - {c.area_id for c in candidates}
    if unknown:
        raise ValueError("only candidates of this dossier can be selected")
    for c in candidates:
        if c.area_id not in chosen:
            continue
        parent = c.area
        hotspot = Area(
            municipality_id=parent.municipality_id,
            code=_hotspot_code(parent, valid_from.year),
            name=f"Hotspot {parent.name}"[:120],
            kind=AreaKind.HOTSPOT,
            parent=parent,
            valid_from=valid_from,
        )
        if parent.geometry:
            hotspot.set_polygon(parent.polygon)
        hotspot.save()
        if with_areas.get(c.area_id):
            try:
                compose_area(hotspot, [parent, *with_areas[c.area_id]], user=user, request=request)
            except CompositionRefused as exc:
                raise ValueError(str(exc)) from exc
        band = (
            SafetyScore.objects.filter(run=dossier.run, area_id=c.area_id, year=dossier.year)
            .values_list("band_label", flat=True)
            .first()
        ) or ""
        c.selected = True
        c.hotspot = hotspot
        c.need_band = band
        c.need = needs.get(c.area_id) or NEED_OF_BAND.get(band, "")
        c.save(update_fields=["selected", "hotspot", "need", "need_band"])
        record(
            Action.CREATE,
            actor=user,
            municipality=dossier.municipality,
            obj=hotspot,
            purpose=Purpose.ANALYSIS,
            fields=["code", "kind", "parent", "geometry", "valid_from"],
            request=request,
        )
    dossier.rationale = rationale
    dossier.decided_by = user
    dossier.decided_at = timezone.now()
    dossier.valid_from = valid_from
    dossier.save(update_fields=["rationale", "decided_by", "decided_at", "valid_from"])
    record(
        Action.UPDATE,
        actor=user,
        municipality=dossier.municipality,
        obj=dossier,
        purpose=Purpose.ANALYSIS,
        fields=["rationale", "decided_by", "decided_at", "valid_from", "selected"],
        count=len(chosen),
        request=request,
    )
    return dossier
