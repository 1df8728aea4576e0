"""Every state change of the spatial app: atomic, with its audit row."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from hotspot import computations
from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose
from hotspot.spatial.inputs import SpatialInputError, grid_for, max_cells, study_bounds
from hotspot.spatial.models import GRID_METHODS, Method, SpatialRun

#: the cell sizes a run may have (metres): finer than a stairwell means nothing, coarser than a
#: district hides every place
MIN_CELL_SIZE, MAX_CELL_SIZE = 10, 5000


def check_run(municipality, *, area, method, first_day, last_day, cell_size, parameters) -> None:
    """Refuse, before anything is queued, what cannot be computed (the worker checks again)."""
    if area is not None and area.municipality_id != municipality.pk:
        raise SpatialInputError(_("The area belongs to another municipality."))
    if last_day < first_day:
        raise SpatialInputError(_("The period ends before it begins."))
    if not MIN_CELL_SIZE <= cell_size <= MAX_CELL_SIZE:
        raise SpatialInputError(
            _("The cell size must lie between %(lo)s and %(hi)s metres.")
            % {"lo": MIN_CELL_SIZE, "hi": MAX_CELL_SIZE}
        )
    bounds, _outline = study_bounds(municipality, area)
    grid = grid_for(bounds, float(cell_size))
    if method == Method.EMERGING:
        step = float(parameters.get("time_step", 7))
        slices = -(-((last_day - first_day).days + 1) // int(step))
        if slices < 3:
            raise SpatialInputError(
                _(
                    "A trend over time needs at least three periods: %(days)s days in steps of "
                    "%(step)s days give %(slices)s. Choose a longer period or a shorter step."
                )
                % {"days": (last_day - first_day).days + 1, "step": int(step), "slices": slices}
            )
        if slices * grid.rows * grid.cols > max_cells():
            raise SpatialInputError(
                _(
                    "%(slices)s periods × %(cells)s cells are more than the %(maximum)s cells "
                    "allowed. Choose larger cells, a longer step or a shorter period."
                )
                % {
                    "slices": slices,
                    "cells": f"{grid.rows * grid.cols:,}".replace(",", "."),
                    "maximum": f"{max_cells():,}".replace(",", "."),
                }
            )


def create_run(
    municipality,
    *,
    user,
    request=None,
    area,
    method: str,
    first_day: dt.date,
    last_day: dt.date,
    offence_groups: list[str],
    cell_size: int,
    parameters: dict,
    inline: bool = False,
) -> SpatialRun:
    """Queue a spatial run for the task worker (``inline``: compute it here; commands only)."""
    from hotspot.spatial.tasks import parameters_for, run_spatial_task

    params = parameters_for(method, parameters)
    check_run(
        municipality,
        area=area,
        method=method,
        first_day=first_day,
        last_day=last_day,
        cell_size=cell_size,
        parameters=params,
    )
    with transaction.atomic():
        run = SpatialRun.objects.create(
            municipality=municipality,
            area=area,
            method=method,
            first_day=first_day,
            last_day=last_day,
            offence_groups=sorted(offence_groups),
            cell_size=cell_size
            if method in GRID_METHODS or method == Method.CONCENTRATION
            else 100,
            parameters=params,
            created_by=user,
        )
        if "seed" not in params:  # reproducible: a run's random draws are seeded by its number
            run.parameters = {**params, "seed": run.pk}
            run.save(update_fields=["parameters"])
        record(
            Action.CREATE,
            actor=user,
            municipality=municipality,
            obj=run,
            purpose=Purpose.ANALYSIS,
            fields=["area", "method", "first_day", "last_day", "offence_groups", "cell_size"],
            request=request,
        )
    if inline:
        run_spatial_task.call(run.pk)
    else:
        run_spatial_task.enqueue(run.pk)
    run.refresh_from_db()
    return run


def finish_run(run: SpatialRun, *, figures: dict, inputs_hash: str, seconds: float) -> None:
    computations.finish_audited(
        run,
        municipality=run.municipality,
        purpose=Purpose.ANALYSIS,
        figures=figures,
        inputs_hash=inputs_hash,
        seconds=seconds,
    )


def fail_run(run: SpatialRun, message: str, *, seconds: float, figures=None) -> None:
    extra = {"figures": figures} if figures else {}
    computations.fail_audited(
        run,
        message,
        municipality=run.municipality,
        purpose=Purpose.ANALYSIS,
        seconds=seconds,
        **extra,
    )


@transaction.atomic
def delete_run(run: SpatialRun, *, user, request=None) -> None:
    record(
        Action.DELETE,
        actor=user,
        municipality=run.municipality,
        obj=run,
        purpose=Purpose.ANALYSIS,
        request=request,
    )
    run.delete()
