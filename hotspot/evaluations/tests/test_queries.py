"""Building a study's panel and the control pool costs a fixed number of queries, not one per area."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from hotspot.areas.models import Area, AreaKind
from hotspot.evaluations.actions import create_study
from hotspot.evaluations.inputs import control_pool, study_panel
from hotspot.evaluations.models import Design, Inference, Outcome


def _count(fn):
    with CaptureQueriesContext(connection) as ctx:
        out = fn()
    return len(ctx.captured_queries), out


def test_control_pool_and_panel_queries_do_not_grow_with_the_areas(demo_municipality):
    hotspots = list(Area.objects.filter(municipality=demo_municipality, kind=AreaKind.HOTSPOT))
    n_pool, pool = _count(lambda: control_pool(demo_municipality, hotspots))
    assert len(pool) >= 5
    study = create_study(
        municipality=demo_municipality,
        user=None,
        treated=[(a, dt.date(2010, 7, 1)) for a in hotspots[:1]],
        controls=pool,
        name="Queries",
        outcome=Outcome.REPORTS_CITIZEN,
        first_year=2008,
        last_year=2016,
        design=Design.POISSON_FE,
        inference=Inference.RANDOMIZATION,
    )
    n_panel, panel = _count(lambda: study_panel(study))
    assert len(panel.areas) == len(pool) + 1
    # measured before the fix: 16 and 12 (one tiling query per hotspot and control area); the
    # tiling map reads the areas and their compositions (Area.members): one query each
    assert (n_pool, n_panel) == (4, 5)
    assert panel.areas[0].tiling == tuple(sorted(hotspots[0].tiling_descendant_ids()))
    assert [a.tiling for a in panel.areas[1:]] == [
        tuple(sorted(a.tiling_descendant_ids())) for a in sorted(pool, key=lambda a: a.code)
    ]
