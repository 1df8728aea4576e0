"""Role x URL rows for the imports app, collected by hotspot/accounts/tests/test_access.py."""

from django.urls import reverse

from hotspot.accounts.tests.table import IMPORTERS, ROLES, only


def _batch(municipality):
    from hotspot.imports.models import ImportBatch

    batch, _ = ImportBatch.objects.get_or_create(
        municipality=municipality,
        file_name="access.csv",
        defaults={"kind": "reports", "status": "invalid", "inputs_hash": "0" * 64},
    )
    return batch


def _own(name, *args):
    return lambda own, foreign: reverse(name, args=[_batch(own).pk, *args])


def _foreign(name, *args):
    return lambda own, foreign: reverse(name, args=[_batch(foreign).pk, *args])


FOREIGN = {**only(IMPORTERS, other=403), **dict.fromkeys(IMPORTERS, 404), "outsider": 200}
POST_ONLY = {role: (405 if role in IMPORTERS else 403) for role in ROLES}
POST_ONLY["outsider"] = 405

TABLE = {
    "imports:home": ("none", only(IMPORTERS, outsider=200), 302),
    # Statistics Denmark: the page of the user's own municipality (the outsider's is Lillekommune's);
    # the fetch is POST only
    "imports:statbank": ("none", only(IMPORTERS, outsider=200), 302),
    "imports:statbank_fetch": ("none", POST_ONLY, 302),
    # GET on the upload URL sends the form back to the Data page.
    "imports:upload": (
        "none",
        {**only(IMPORTERS, outsider=302), **dict.fromkeys(IMPORTERS, 302)},
        302,
    ),
    "imports:batches_export": (
        lambda own, foreign: reverse("imports:batches_export", args=["csv"]),
        only(IMPORTERS, outsider=200),
        302,
    ),
    "imports:batches_export#xlsx": (
        lambda own, foreign: reverse("imports:batches_export", args=["xlsx"]),
        only(IMPORTERS, outsider=200),
        302,
    ),
    "imports:detail": (_own("imports:detail"), only(IMPORTERS, outsider=404), 302),
    "imports:detail#foreign": (_foreign("imports:detail"), FOREIGN, 302),
    "imports:commit": (_own("imports:commit"), POST_ONLY, 302),
    "imports:rollback": (_own("imports:rollback"), POST_ONLY, 302),
    "imports:problems_export": (
        _own("imports:problems_export", "csv"),
        only(IMPORTERS, outsider=404),
        302,
    ),
    "imports:problems_export#foreign": (_foreign("imports:problems_export", "csv"), FOREIGN, 302),
    "areas:export": (
        lambda own, foreign: reverse("areas:export", args=["csv"]),
        dict.fromkeys(ROLES, 200),
        302,
    ),
    "areas:export#xlsx": (
        lambda own, foreign: reverse("areas:export", args=["xlsx"]),
        dict.fromkeys(ROLES, 200),
        302,
    ),
}
