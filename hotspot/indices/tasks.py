"""Background work: compute a run's scores and a sensitivity analysis (``manage.py db_worker``).

The functions ``compute_run`` and ``compute_sensitivity`` do the work; the ``@task`` wrappers are what
``actions`` enqueue. Bad input (weights, directions, reference year, geometric mean over non-positive
values) ends the run as *failed* with the library's message, never as an exception in a request.
"""

import numpy as np
from django.db import transaction
from django_tasks import task

from hotspot import computations
from hotspot.indicators.library_messages import user_message
from hotspot.indices import inputs as ix
from hotspot.indices.models import (
    IndexRun,
    SafetyScore,
    SensitivityRun,
    SensitivityValue,
    Status,
)
from safetystats import index as sx

BATCH = 5000


def _f(x) -> float | None:
    return float(x) if np.isfinite(x) else None


def _ranks(score: np.ndarray) -> np.ndarray:
    """Rank per year among areas with a score: 1 = lowest score (least safe); NaN without a score."""
    order = np.argsort(score, axis=0, kind="stable")  # NaN last
    ranks = np.empty(score.shape)
    np.put_along_axis(ranks, order, np.arange(1, score.shape[0] + 1, dtype=float)[:, None], axis=0)
    return np.where(np.isnan(score), np.nan, ranks)


def evaluate(inputs: ix.Inputs, spec: dict):
    """(definition, result, divergence, ranks) for ``inputs`` under ``spec`` (pure, no database)."""
    definition = ix.build_definition(spec, inputs.years)
    if inputs.values.shape[0] == 0:
        raise ValueError("no areas to score: the area set is empty")
    result = sx.compute(inputs.values, definition)
    return definition, result, ix.divergence(result, definition), _ranks(result.score)


def score_rows(run_id, inputs, result, div, ranks):
    pillars = list(result.pillar_names)

    def pillar(a, y, name):
        return _f(result.pillar_scores[a, y, pillars.index(name)]) if name in pillars else None

    for a, area_id in enumerate(inputs.area_ids):
        for y, year in enumerate(inputs.years):
            s = result.score[a, y]
            yield SafetyScore(
                run_id=run_id,
                area_id=int(area_id),
                year=int(year),
                score=_f(s),
                band=int(result.band[a, y]),
                band_label=str(result.band_label[a, y]),
                objective=pillar(a, y, "objective"),
                subjective=pillar(a, y, "subjective"),
                socio_economic=pillar(a, y, "socio_economic"),
                n_missing=int(result.n_missing[a, y]),
                imputed=bool(result.imputed[a, y]),
                no_data=bool(result.no_data[a, y]),
                divergence=_f(div[a, y]),
                rank=None if np.isnan(ranks[a, y]) else int(ranks[a, y]),
            )


def run_inputs(run: IndexRun) -> ix.Inputs:
    """Today's inputs for the run's definition version; reading them is most of a run's time, so the
    run's progress moves from 5 to 40 % while they are read."""
    spec = run.version.spec
    return ix.build_inputs(
        run.version.definition.municipality_id,
        [r["code"] for r in spec["indicators"]],
        area_set=spec.get("area_set", "tiling"),
        survey_min_n=spec.get("survey_min_n", 20),
        progress=lambda share: computations.set_progress(run, 5 + 35 * share),
    )


def compute_run(run_id: int, inputs: ix.Inputs | None = None) -> str:
    """Compute and store every score of the run (``inputs`` given: tests reuse one build)."""
    run = IndexRun.objects.select_related("version__definition").get(pk=run_id)
    spec = run.version.spec
    computations.start(run, progress=5)
    try:
        if inputs is None:
            inputs = run_inputs(run)
        computations.set_progress(run, 40)
        _definition, result, div, ranks = evaluate(inputs, spec)
    except ValueError as exc:
        computations.fail(run, user_message(exc))
        return Status.FAILED
    computations.set_progress(run, 70)
    with transaction.atomic():
        SafetyScore.objects.filter(run_id=run_id).delete()
        SafetyScore.objects.bulk_create(
            score_rows(run_id, inputs, result, div, ranks), batch_size=BATCH
        )
        no_data = result.no_data
        computations.finish(
            run,
            inputs=inputs.to_bytes(),
            inputs_hash=inputs.digest(),
            years=[int(y) for y in inputs.years],
            parameters={
                "areas": len(inputs.area_ids),
                "indicators": list(inputs.codes),
                "survey_min_n": inputs.survey_min_n,
                "area_set": spec.get("area_set", "tiling"),
                "no_data_area_years": int(no_data.sum()),
                "imputed_area_years": int(result.imputed.sum()),
                "no_score_area_years": int(np.isnan(result.score).sum()),
            },
        )
    return Status.DONE


def verify_run(run: IndexRun) -> tuple[bool, str]:
    """Recompute a run from today's data and from its stored inputs; both must match exactly."""
    spec = run.version.spec
    stored = ix.Inputs.from_bytes(run.inputs)
    fresh = ix.build_inputs(
        run.version.definition.municipality_id,
        stored.codes,
        area_set=spec.get("area_set", "tiling"),
        survey_min_n=stored.survey_min_n,
    )
    if fresh.digest() != run.inputs_hash:
        return False, "the data changed since the run: inputs hash differs"
    _d, result, div, ranks = evaluate(stored, spec)
    saved = {
        (s.area_id, s.year): s
        for s in SafetyScore.objects.filter(run=run).only(
            "area_id", "year", "score", "divergence", "rank"
        )
    }
    for a, area_id in enumerate(stored.area_ids):
        for y, year in enumerate(stored.years):
            s = saved[(int(area_id), int(year))]
            if s.score != _f(result.score[a, y]) or s.divergence != _f(div[a, y]):
                return False, f"score differs for area {area_id} in {year}"
    if computations.method_version() != run.method_version:
        return True, "identical scores; the method version has changed since"
    return True, "identical"


def compute_sensitivity(sensitivity_id: int) -> str:
    sens = SensitivityRun.objects.select_related("run__version").get(pk=sensitivity_id)
    run = sens.run
    computations.start(sens)
    p = sens.parameters
    try:
        inputs = ix.Inputs.from_bytes(run.inputs)
        definition = ix.build_definition(run.version.spec, inputs.years)
        years = [int(y) for y in inputs.years]
        if sens.year not in years:
            raise ValueError(
                f"year {sens.year} is not among the run's years {years[0]}–{years[-1]}"
            )
        res = sx.sensitivity(
            inputs.values,
            definition,
            year=years.index(sens.year),
            draws=int(p.get("draws", 1000)),
            concentration=p.get("concentration", 50.0),
            normalisations=p.get("normalisations") or None,
            drop_indicator=bool(p.get("drop_indicator", False)),
            rng=int(p.get("seed", 1)),
        )
    except ValueError as exc:
        computations.fail(sens, user_message(exc))
        return Status.FAILED
    with transaction.atomic():
        SensitivityValue.objects.filter(sensitivity_id=sensitivity_id).delete()
        SensitivityValue.objects.bulk_create(
            (
                SensitivityValue(
                    sensitivity_id=sensitivity_id,
                    area_id=int(area_id),
                    rank=_f(res.rank[a]),
                    rank_low=_f(res.rank_low[a]),
                    rank_median=_f(res.rank_median[a]),
                    rank_high=_f(res.rank_high[a]),
                    score_low=_f(res.score_low[a]),
                    score_high=_f(res.score_high[a]),
                    band_change_share=_f(res.band_change_share[a]),
                )
                for a, area_id in enumerate(inputs.area_ids)
            ),
            batch_size=BATCH,
        )
        computations.finish(sens, inputs_hash=run.inputs_hash)
    return Status.DONE


@task()
def compute_run_task(run_id: int) -> str:
    """Background task: compute every area x year score of one run."""
    return compute_run(run_id)


@task()
def sensitivity_task(sensitivity_id: int) -> str:
    """Background task: Monte Carlo sensitivity of one run in one year."""
    return compute_sensitivity(sensitivity_id)
