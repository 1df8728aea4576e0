"""Role x URL rows for the spatial app, collected by hotspot/accounts/tests/test_access.py.

Rule: everyone with aggregates (every role) reads runs, their map, cells and downloads (a reader without
raw-data rights gets the coarse grid, tested in test_spatial.py); the roles with ``view_raw_data``
(coordinator, analyst, police, admin) create and delete runs, because a run reads incident-level
reports; the programme editors save a cell as a programme's place. Strangers get 404 for another
municipality's run.
"""

from django.urls import reverse

from hotspot.accounts.tests.table import ALL, PROGRAMME_EDITORS, RAW, ROLES, foreign_only, only


def _run(municipality):
    import datetime as dt

    from hotspot.spatial.models import Method, SpatialRun

    return SpatialRun.objects.create(
        municipality=municipality,
        method=Method.GI_STAR,
        first_day=dt.date(2024, 1, 1),
        last_day=dt.date(2024, 12, 31),
        status="done",
        figures={},
    )


def _own(name):
    return lambda own, foreign: reverse(name, args=[_run(own).pk])


def _foreign(name):
    return lambda own, foreign: reverse(name, args=[_run(foreign).pk])


_OWN = {**ALL, "outsider": 404}
# POST-only pages answer GET with 405 once the role may act and sees the run
_DELETE_OWN = {r: (405 if r in RAW else 403) for r in ROLES} | {"outsider": 404}
_DELETE_FOREIGN = {r: (404 if r in RAW else 403) for r in ROLES} | {"outsider": 405}
_PLACE_OWN = {r: (405 if r in PROGRAMME_EDITORS else 403) for r in ROLES} | {"outsider": 404}

TABLE: dict = {
    "spatial:list": ("none", ALL, 302),
    "spatial:new": ("none", only(RAW, outsider=200), 302),
    "spatial:detail": (_own("spatial:detail"), _OWN, 302),
    "spatial:detail#foreign": (_foreign("spatial:detail"), foreign_only(), 302),
    "spatial:geojson": (_own("spatial:geojson"), _OWN, 302),
    "spatial:geojson#foreign": (_foreign("spatial:geojson"), foreign_only(), 302),
    "spatial:csv": (_own("spatial:csv"), _OWN, 302),
    "spatial:csv#foreign": (_foreign("spatial:csv"), foreign_only(), 302),
    "spatial:xlsx": (_own("spatial:xlsx"), _OWN, 302),
    "spatial:delete": (_own("spatial:delete"), _DELETE_OWN, 302),
    "spatial:delete#foreign": (_foreign("spatial:delete"), _DELETE_FOREIGN, 302),
    "spatial:save_place": (_own("spatial:save_place"), _PLACE_OWN, 302),
}
