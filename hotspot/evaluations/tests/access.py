"""Role x URL rows for the evaluations app, collected by hotspot/accounts/tests/test_access.py.

Rule: everyone with aggregates (every role) reads studies, results and the report PDF; the roles with
``import_data`` (coordinator, analyst, admin: the data workers) create and run studies and download the
panel. Strangers get 404 for another municipality's study.
"""

from django.urls import reverse

from hotspot.accounts.tests.table import ALL, IMPORTERS, ROLES, foreign_only, only


def _study(municipality):
    from hotspot.areas.models import Area, AreaKind
    from hotspot.evaluations.models import Study, StudyArea

    areas = list(Area.objects.filter(municipality=municipality).exclude(kind=AreaKind.MUNICIPALITY))
    hotspot = next((a for a in areas if a.kind == AreaKind.HOTSPOT), areas[0])
    control = next(a for a in areas if a.kind == AreaKind.HOUSING and a.pk != hotspot.pk)
    study = Study.objects.create(
        municipality=municipality, name="Access test", first_year=2008, last_year=2015
    )
    StudyArea.objects.create(study=study, area=hotspot, role="treated", start="2010-07-01")
    StudyArea.objects.create(study=study, area=control, role="control")
    return study


def _own(name):
    return lambda own, foreign: reverse(name, args=[_study(own).pk])


def _foreign(name):
    return lambda own, foreign: reverse(name, args=[_study(foreign).pk])


_OWN_DETAIL = {**ALL, "outsider": 404}
# run answers GET with 405 (POST only) once the role may run studies and sees the study
_RUN_OWN = {r: (405 if r in IMPORTERS else 403) for r in ROLES} | {"outsider": 404}
_RUN_FOREIGN = {r: (404 if r in IMPORTERS else 403) for r in ROLES} | {"outsider": 405}
_PANEL_FOREIGN = {r: (404 if r in IMPORTERS else 403) for r in ROLES} | {"outsider": 200}

TABLE: dict = {
    "evaluations:list": ("none", ALL, 302),
    "evaluations:new": ("none", only(IMPORTERS, outsider=200), 302),
    "evaluations:detail": (_own("evaluations:detail"), _OWN_DETAIL, 302),
    "evaluations:detail#foreign": (_foreign("evaluations:detail"), foreign_only(), 302),
    "evaluations:run": (_own("evaluations:run"), _RUN_OWN, 302),
    "evaluations:run#foreign": (_foreign("evaluations:run"), _RUN_FOREIGN, 302),
    "evaluations:pdf": (_own("evaluations:pdf"), _OWN_DETAIL, 302),
    "evaluations:pdf#foreign": (_foreign("evaluations:pdf"), foreign_only(), 302),
    "evaluations:panel_csv": (_own("evaluations:panel_csv"), only(IMPORTERS, outsider=404), 302),
    "evaluations:panel_csv#foreign": (_foreign("evaluations:panel_csv"), _PANEL_FOREIGN, 302),
    "evaluations:panel_xlsx": (_own("evaluations:panel_xlsx"), only(IMPORTERS, outsider=404), 302),
    "evaluations:edit": (_own("evaluations:edit"), only(IMPORTERS, outsider=404), 302),
    "evaluations:edit#foreign": (_foreign("evaluations:edit"), _PANEL_FOREIGN, 302),
    # delete answers GET with 405 (POST only), like run
    "evaluations:delete": (_own("evaluations:delete"), _RUN_OWN, 302),
    "evaluations:delete#foreign": (_foreign("evaluations:delete"), _RUN_FOREIGN, 302),
}
