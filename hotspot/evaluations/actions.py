"""State changes of the evaluations app: each atomic, each writing its audit row."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from hotspot import computations
from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose
from hotspot.evaluations.inputs import StudyInputError, first_treated_year, tilings
from hotspot.evaluations.models import (
    SCORE_OUTCOMES,
    Design,
    Outcome,
    Study,
    StudyArea,
    StudyResult,
)


def validate_areas(treated, controls) -> None:
    """Refuse what can never be a study: no treated areas, no controls, a treated area in the pool."""
    if not treated:
        raise StudyInputError(_("Choose at least one treated (hotspot) area."))
    if not controls:
        raise StudyInputError(
            _("The study has no control areas: add comparable areas without a hotspot.")
        )
    treated_ids = {a.pk for a, _start in treated}
    tiles_of = tilings([*(a for a, _start in treated), *controls])
    treated_tiles = set().union(*(tiles_of[a.pk] for a, _start in treated))
    clash = sorted(
        a.code
        for a in controls
        if a.pk in treated_ids or treated_tiles.intersection(tiles_of[a.pk])
    )
    if clash:
        raise StudyInputError(
            _(
                "A treated area cannot also be a control area: %(areas)s share territory with a hotspot."
            )
            % {"areas": ", ".join(clash)}
        )
    for area, start in treated:
        if start is None:
            raise StudyInputError(
                _("The treated area %(area)s has no start date.") % {"area": area.code}
            )


def check_period(treated, first_year: int, last_year: int) -> None:
    """Refuse a period without a pre-period for a treated area; ``treated``: (Area, start) pairs."""
    if first_year >= last_year:
        raise StudyInputError(_("The first year must come before the last year."))
    for area, start in treated:
        if first_treated_year(start) <= first_year:
            raise StudyInputError(
                _(
                    "The treated area %(area)s has no pre-period: its effort counts from %(year)s, "
                    "but the study starts in %(first)s. Start the study at least one year earlier."
                )
                % {"area": area.code, "year": first_treated_year(start), "first": first_year}
            )


@transaction.atomic
def create_study(
    *,
    municipality,
    user,
    name: str,
    outcome: str,
    treated,
    controls,
    first_year: int,
    last_year: int,
    design: str,
    inference: str,
    buffer_m: int = 300,
    seed: int = 1,
    programme=None,
    index_version=None,
    request=None,
) -> Study:
    """Create a study; ``treated`` is a list of (Area, start date), ``controls`` a list of Areas.

    ``programme``: the programme evaluated (recorded on the study); ``index_version``: the index
    definition version whose scores are the outcome (the safety index outcome only).
    """
    validate_areas(treated, controls)
    if outcome in SCORE_OUTCOMES:
        from hotspot.evaluations.tasks import poisson_refused

        if index_version is None:
            raise StudyInputError(
                _("Choose the index definition version whose scores are the outcome of the study.")
            )
        if index_version.definition.municipality_id != municipality.pk:
            raise StudyInputError(_("The index must belong to the municipality of the study."))
        if design == Design.POISSON_FE:
            raise StudyInputError(poisson_refused())
    if outcome != Outcome.SAFETY_INDEX:
        index_version = None
    if programme is not None and programme.municipality_id != municipality.pk:
        raise StudyInputError(_("The programme must belong to the municipality of the study."))
    check_period(treated, first_year, last_year)
    for area in [a for a, _s in treated] + list(controls):
        if area.municipality_id != municipality.pk:
            raise StudyInputError(_("All areas must belong to the municipality of the study."))
    study = Study.objects.create(
        municipality=municipality,
        name=name,
        outcome=outcome,
        first_year=first_year,
        last_year=last_year,
        design=design,
        inference=inference,
        buffer_m=buffer_m,
        seed=seed,
        programme=programme,
        index_version=index_version,
        created_by=user,
    )
    StudyArea.objects.bulk_create(
        [StudyArea(study=study, area=a, role=StudyArea.Role.TREATED, start=s) for a, s in treated]
        + [StudyArea(study=study, area=a, role=StudyArea.Role.CONTROL) for a in controls]
    )
    record(
        Action.CREATE,
        actor=user,
        municipality=municipality,
        obj=study,
        purpose=Purpose.ANALYSIS,
        fields=[
            "name",
            "outcome",
            "areas",
            "first_year",
            "last_year",
            "design",
            "inference",
            "programme",
            "index_version",
        ],
        request=request,
    )
    return study


def start_run(study: Study, *, user, request=None, inline: bool = False) -> StudyResult:
    """Queue a run of ``study`` for the task worker (tests: the immediate backend runs it at once).

    ``inline`` computes it here and now (management commands only, never a request).
    """
    from hotspot.evaluations.tasks import run_study_task, study_parameters

    with transaction.atomic():
        result = StudyResult.objects.create(
            study=study, parameters=study_parameters(study), created_by=user
        )
        record(
            Action.CREATE,
            actor=user,
            municipality=study.municipality,
            obj=result,
            purpose=Purpose.ANALYSIS,
            fields=["parameters"],
            request=request,
        )
    if inline:
        run_study_task.call(result.pk)
    else:
        run_study_task.enqueue(result.pk)
    result.refresh_from_db()
    return result


def finish_result(result: StudyResult, *, figures: dict, inputs_hash: str, seconds: float) -> None:
    computations.finish_audited(
        result,
        municipality=result.study.municipality,
        purpose=Purpose.ANALYSIS,
        figures=figures,
        inputs_hash=inputs_hash,
        seconds=seconds,
    )


def fail_result(result: StudyResult, message: str, *, seconds: float, details=None) -> None:
    """``details`` (a library refusal's context, code and params) go into ``figures["error"]``, so the
    page words the refusal in the reader's language (hotspot.indicators.library_messages)."""
    extra = {"figures": {"error": details}} if details else {}
    computations.fail_audited(
        result,
        message,
        municipality=result.study.municipality,
        purpose=Purpose.ANALYSIS,
        seconds=seconds,
        **extra,
    )


#: the study fields the edit form may change (its areas and outcome define it)
EDITABLE = ("name", "first_year", "last_year", "design", "inference", "buffer_m", "seed")


@transaction.atomic
def update_study(study: Study, changes: dict, *, user, request=None) -> list[str]:
    """Change the editable fields of ``study``; an unchanged form writes nothing (no audit row).
    Stored results stay: the page says when the latest was computed with other parameters. Returns
    the changed field names."""
    stored = Study.objects.select_for_update().get(pk=study.pk)  # a model form alters ``study``
    changed = [f for f in EDITABLE if f in changes and getattr(stored, f) != changes[f]]
    if not changed:
        return []
    new = {f: changes[f] for f in changed}
    treated = [(sa.area, sa.start) for sa in stored.treated()]
    check_period(
        treated, new.get("first_year", stored.first_year), new.get("last_year", stored.last_year)
    )
    for name, value in new.items():
        setattr(stored, name, value)
        setattr(study, name, value)
    stored.save(update_fields=changed)
    record(
        Action.UPDATE,
        actor=user,
        municipality=study.municipality,
        obj=study,
        purpose=Purpose.ANALYSIS,
        fields=changed,
        request=request,
    )
    return changed


@transaction.atomic
def delete_study(study: Study, *, user, request=None) -> None:
    """Delete ``study`` with its areas and stored results (the audit row keeps that it existed).
    A study being computed is not deleted: the worker would write into a removed row."""
    running = study.results.filter(
        status__in=(StudyResult.Status.QUEUED, StudyResult.Status.RUNNING)
    )
    if running.exists():
        raise StudyInputError(
            _("The study is being computed: wait until it has finished, then delete it.")
        )
    record(
        Action.DELETE,
        actor=user,
        municipality=study.municipality,
        obj=study,
        purpose=Purpose.ANALYSIS,
        fields=["name", "results"],
        request=request,
    )
    study.delete()
