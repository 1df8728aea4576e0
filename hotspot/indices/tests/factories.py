"""Objects for the tests: definitions and computed runs on the demo city, built quickly.

Building the inputs (reports, charges, survey answers, registers) is the slow part and gives the same
array in every test (each test's transaction is rolled back, the demo city stays), so it is built once
per process and handed to ``tasks.compute_run``; everything else runs the real code.
"""

from hotspot.accounts.models import User
from hotspot.indices import actions
from hotspot.indices import inputs as ix
from hotspot.indices.models import IndexRun, Status
from hotspot.indices.tasks import compute_run

# The demo city at scale 0.1 has 5–17 respondents per area and wave: the default minimum of 20 would
# suppress nearly every survey cell, so the tests use 5 (a parameter stored with the definition).
MIN_N = 5
_INPUTS: dict = {}


def demo_spec(preset="copenhagen", **overrides) -> dict:
    spec = ix.preset_spec(preset, reference_year=2009, survey_min_n=MIN_N)
    spec.update(overrides)
    return spec


def make_definition(municipality, *, spec=None, name="Testindeks", user=None):
    user = user or User.objects.get(username="analyst")
    return actions.create_definition(
        municipality=municipality, user=user, name=name, spec=spec or demo_spec()
    )


def cached_inputs(municipality_id, spec) -> ix.Inputs:
    codes = tuple(r["code"] for r in spec["indicators"])
    key = (municipality_id, codes, spec.get("area_set", "tiling"), spec.get("survey_min_n"))
    if key not in _INPUTS:
        _INPUTS[key] = ix.build_inputs(
            municipality_id,
            codes,
            area_set=spec.get("area_set", "tiling"),
            survey_min_n=spec.get("survey_min_n", 20),
        )
    return _INPUTS[key]


def make_run(municipality, *, spec=None, definition=None) -> IndexRun:
    definition = definition or make_definition(municipality, spec=spec)
    version = definition.current
    run = IndexRun.objects.create(version=version, status=Status.QUEUED)
    compute_run(run.pk, cached_inputs(municipality.pk, version.spec))
    run.refresh_from_db()
    return run
