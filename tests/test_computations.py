"""The stored-computation shape (hotspot.computations): one model, one lifecycle, for every kind."""

import ast
from pathlib import Path

import pytest
from django.apps import apps

import safetystats
from hotspot import computations
from hotspot.computations import Computation, Status

ROOT = Path(__file__).resolve().parents[1]
SHARED = {f.name for f in Computation._meta.get_fields()}


def test_every_stored_computation_has_the_one_shape():
    kinds = {m._meta.label for m in apps.get_models() if issubclass(m, Computation)}
    assert kinds >= {
        "indices.IndexRun",
        "indices.SensitivityRun",
        "evaluations.StudyResult",
        "imports.ImportBatch",
    }
    for label in kinds:
        names = {f.name for f in apps.get_model(label)._meta.get_fields()}
        assert names >= SHARED, (label, SHARED - names)
        # no second spelling of a time stamp or a count beside the shared ones
        assert not names & {"created", "finished", "versions", "library_version", "sha256"}, label


@pytest.mark.django_db
def test_the_lifecycle_moves_a_run_and_stores_the_versions(demo_municipality):
    from hotspot.indices.models import IndexRun
    from hotspot.indices.tests.factories import make_definition

    run = IndexRun.objects.create(version=make_definition(demo_municipality).current)
    assert (run.status, run.progress, run.finished_at) == (Status.QUEUED, 0, None)
    computations.start(run)
    assert run.status == Status.RUNNING and run.heartbeat is not None
    computations.set_progress(run, 140)
    assert IndexRun.objects.get(pk=run.pk).progress == 100  # clipped to 0–100
    computations.fail(run, "no data for the reference year")
    stored = IndexRun.objects.get(pk=run.pk)
    assert (stored.status, stored.error) == (Status.FAILED, "no data for the reference year")
    assert stored.finished_at is not None and stored.method_version == ""
    computations.finish(stored, inputs_hash="a" * 64)
    stored = IndexRun.objects.get(pk=run.pk)
    assert (stored.status, stored.error, stored.progress) == (Status.DONE, "", 100)
    assert stored.method_version == safetystats.__version__
    assert stored.library_versions["safetystats"] == safetystats.__version__
    assert {"python", "numpy", "scipy"} <= set(stored.library_versions)


@pytest.mark.django_db
def test_an_import_batch_finishes_in_its_own_status(demo_municipality):
    from hotspot.imports.models import ImportBatch
    from hotspot.imports.models import Status as ImportStatus

    batch = ImportBatch.objects.create(
        municipality=demo_municipality, kind="reports", file_name="r.csv", inputs_hash="0" * 64
    )
    assert batch.status == ImportStatus.QUEUED
    computations.finish(batch)
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.COMMITTED
    computations.fail(batch, "stopped")
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.FAILED


def _status_writes(path: Path) -> list[int]:
    """Lines of ``path`` that set a status through a queryset's update(status=…)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "update"
            and any(k.arg == "status" for k in node.keywords)
        ):
            lines.append(node.lineno)
    return lines


def test_runs_and_studies_change_status_only_through_the_lifecycle():
    """Index, sensitivity and study runs have one writer of their status; import batches move through
    their own guarded steps (two requests may race for one batch), so imports is not checked here."""
    found = {
        str(p.relative_to(ROOT)): _status_writes(p)
        for app in ("indices", "evaluations")
        for p in (ROOT / "hotspot" / app).rglob("*.py")
        if "tests" not in p.parts and "migrations" not in p.parts
    }
    assert not {f: lines for f, lines in found.items() if lines}


def test_the_status_check_sees_an_update(tmp_path):
    rogue = tmp_path / "tasks.py"
    rogue.write_text("IndexRun.objects.filter(pk=1).update(status='done')\n", encoding="utf-8")
    assert _status_writes(rogue) == [1]
