"""The demo's safety index: the Copenhagen preset computed once, and a selection dossier of its worst areas.

The definition is made with ``indices.actions.create_definition`` (as the preset form does) and computed
by the task the UI enqueues (``indices.tasks.compute_run_task``), called here synchronously as
``make_demo_studies`` runs the studies, so /indices/ shows a finished run. The dossier compares the four
lowest-scoring areas of the last year (``indices.actions.create_dossier``) and is left undecided, so the
coordinator can record the decision (journey 3). ``make_demo_city`` runs it; it is idempotent.
"""

from django.db import transaction

from hotspot.accounts.models import User
from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose
from hotspot.demo.models import DemoCity
from hotspot.indices import actions
from hotspot.indices import inputs as ix
from hotspot.indices.models import IndexRun, SafetyIndex, SafetyScore, Status
from hotspot.indices.tasks import compute_run_task

DEMO_INDEX = "Tryghedsindeks (demo, Københavnermodellen)"
PRESET = "copenhagen"
REFERENCE_YEAR = 2009  # the preset form's default: the second year with data
CANDIDATES = 4


def survey_min_n(scale: float) -> int:
    """Respondents an area-year needs before its survey figures count: the form's default of 20 at full
    scale; at scale 0.1 a vulnerable estate has about 17 a wave, so the small demo uses 5 (as the
    indices tests do)."""
    return 20 if scale >= 0.5 else 5


def make_demo_index(*, log=print) -> list:
    """The demo index of every demo city (``make_demo_city`` runs it after the studies)."""
    users = {u.username: u for u in User.objects.filter(username__in=["analyst", "coordinator"])}
    made = []
    for demo in DemoCity.objects.select_related("municipality"):
        built = build_demo_index(
            demo.municipality,
            analyst=users.get("analyst"),
            coordinator=users.get("coordinator"),
            log=log,
        )
        if built is not None:
            made.append(built)
    return made


def build_demo_index(municipality, *, analyst=None, coordinator=None, log=print):
    """(definition, run, dossier) of the demo index, made once; None where it exists already or the
    municipality is no demo city with a truth (Lillekommune gets none)."""
    demo = DemoCity.objects.filter(municipality=municipality).first()
    if demo is None or not (demo.truth or {}).get("hotspots"):
        return None
    if SafetyIndex.objects.filter(municipality=municipality, name=DEMO_INDEX).exists():
        return None
    spec = ix.preset_spec(
        PRESET, reference_year=REFERENCE_YEAR, survey_min_n=survey_min_n(demo.scale)
    )
    definition = actions.create_definition(
        municipality=municipality, user=analyst, name=DEMO_INDEX, spec=spec, preset=PRESET
    )
    # As actions.start_run, but computed here and now (a management command, never a request). Nobody
    # asked for the run, so nobody is told it finished (hotspot/notices.py), as with the demo studies.
    with transaction.atomic():
        run = IndexRun.objects.create(version=definition.current, status=Status.QUEUED)
        record(
            Action.CREATE,
            municipality=municipality,
            obj=run,
            purpose=Purpose.ANALYSIS,
            username="demo",
        )
    compute_run_task.call(run.pk)
    run.refresh_from_db()
    log(f"  safety index {definition.name}: run {run.status}")
    if run.status != Status.DONE:
        return definition, run, None
    year = run.last_year
    worst = list(
        SafetyScore.objects.filter(run=run, year=year, score__isnull=False)
        .select_related("area")
        .order_by("score", "area__code")[:CANDIDATES]
    )
    dossier = None
    if len(worst) >= 2:
        dossier = actions.create_dossier(
            run=run, year=year, areas=[s.area for s in worst], user=coordinator
        )
        log(f"  dossier {year}: " + ", ".join(s.area.name for s in worst))
    return definition, run, dossier
