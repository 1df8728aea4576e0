"""Role x URL rows for the incidents app, collected by hotspot/accounts/tests/test_access.py."""

from django.urls import reverse

from hotspot.accounts.tests.table import IMPORTERS, only

# The catalogue is shared by every municipality: the outsider, who imports in Lillekommune, reads it.
TABLE = {
    "incidents:offences": ("none", only(IMPORTERS, outsider=200), 302),
    "incidents:offences_export": (
        lambda own, foreign: reverse("incidents:offences_export", args=["csv"]),
        only(IMPORTERS, outsider=200),
        302,
    ),
    "incidents:offences_export#xlsx": (
        lambda own, foreign: reverse("incidents:offences_export", args=["xlsx"]),
        only(IMPORTERS, outsider=200),
        302,
    ),
}
