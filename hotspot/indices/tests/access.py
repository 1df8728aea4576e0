"""Role x URL rows for the indices app, collected by hotspot/accounts/tests/test_access.py.

Decisions (documented in docs/safety-index.md):
- Every member role sees definitions, runs, the map, the ranking, profiles, sensitivity results,
  dossiers and their PDF, and may export scores and inputs: these are aggregates, no person data.
- Defining an index, starting a computation or a sensitivity run needs ``import_data`` (coordinator,
  analyst, administrator). Starting a dossier and recording its decision needs ``manage_programmes``
  (coordinator only).
- POST-only URLs answer 405 to a GET from a role that may use them, 403 to one that may not. The
  outsider passes the capability check in their own municipality, so a GET gives 405 before any
  object is looked up; a foreign object gives 404 (below, the object rows).
"""

from django.urls import reverse

from hotspot.accounts.tests.table import ALL, IMPORTERS, PROGRAMME_EDITORS, ROLES, only

OWN = {**ALL, "outsider": 404}


def _post_only(allowed):
    return {role: (405 if role in allowed else 403) for role in ROLES} | {"outsider": 405}


def _run(own, foreign):
    from hotspot.indices.tests.factories import make_run

    return make_run(own)


def _dossier(own):
    from hotspot.accounts.models import User
    from hotspot.areas.models import Area
    from hotspot.indices.actions import create_dossier
    from hotspot.indices.models import SafetyScore

    run = _run(own, None)
    ids = list(
        SafetyScore.objects.filter(run=run, year=2025, score__isnull=False)
        .order_by("score")
        .values_list("area_id", flat=True)[:2]
    )
    return create_dossier(
        run=run,
        year=2025,
        areas=list(Area.objects.filter(pk__in=ids)),
        user=User.objects.get(username="coordinator"),
    )


def _area_of(run):
    from hotspot.indices.models import SafetyScore

    return SafetyScore.objects.filter(run=run, score__isnull=False).first().area_id


TABLE = {
    "indices:home": ("none", ALL, 302),
    "indices:from_preset": ("none", _post_only(IMPORTERS), 302),
    "indices:definition_new": ("none", only(IMPORTERS, outsider=200), 302),
    "indices:definition": (
        lambda own, foreign: reverse(
            "indices:definition", args=[_run(own, foreign).version.definition_id]
        ),
        OWN,
        302,
    ),
    "indices:definition_edit": (
        lambda own, foreign: reverse(
            "indices:definition_edit", args=[_run(own, foreign).version.definition_id]
        ),
        only(IMPORTERS, outsider=404),
        302,
    ),
    "indices:compute": (
        lambda own, foreign: reverse(
            "indices:compute", args=[_run(own, foreign).version.definition_id]
        ),
        _post_only(IMPORTERS),
        302,
    ),
    "indices:run": (lambda o, f: reverse("indices:run", args=[_run(o, f).pk]), OWN, 302),
    "indices:map": (lambda o, f: reverse("indices:map", args=[_run(o, f).pk]), OWN, 302),
    "indices:geojson": (lambda o, f: reverse("indices:geojson", args=[_run(o, f).pk]), OWN, 302),
    "indices:ranking": (lambda o, f: reverse("indices:ranking", args=[_run(o, f).pk]), OWN, 302),
    "indices:profile": (
        lambda o, f: (lambda r: reverse("indices:profile", args=[r.pk, _area_of(r)]))(_run(o, f)),
        OWN,
        302,
    ),
    "indices:sensitivity": (
        lambda o, f: reverse("indices:sensitivity", args=[_run(o, f).pk]),
        OWN,
        302,
    ),
    "indices:export": (
        lambda o, f: reverse("indices:export", args=[_run(o, f).pk, "csv"]),
        OWN,
        302,
    ),
    "indices:export#foreign": (
        lambda o, f: reverse("indices:export", args=[_run(f, o).pk, "xlsx"]),
        {**dict.fromkeys(ROLES, 404), "outsider": 200},
        302,
    ),
    "indices:dossier_new": (
        lambda o, f: reverse("indices:dossier_new", args=[_run(o, f).pk]),
        _post_only(PROGRAMME_EDITORS),
        302,
    ),
    "indices:dossier": (lambda o, f: reverse("indices:dossier", args=[_dossier(o).pk]), OWN, 302),
    "indices:dossier_decide": (
        lambda o, f: reverse("indices:dossier_decide", args=[_dossier(o).pk]),
        _post_only(PROGRAMME_EDITORS),
        302,
    ),
    "indices:dossier_pdf": (
        lambda o, f: reverse("indices:dossier_pdf", args=[_dossier(o).pk]),
        OWN,
        302,
    ),
}
