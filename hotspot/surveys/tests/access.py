"""Role x URL rows for the surveys app, collected by hotspot/accounts/tests/test_access.py.

The survey items are shared by every municipality and are what survey files are checked against: the
roles with ``import_data`` read and change them, the outsider (who imports in Lillekommune) too.
"""

from django.urls import reverse

from hotspot.accounts.tests.table import IMPORTERS, only


def _item(own, foreign):
    from hotspot.surveys.models import SurveyItem

    return reverse("surveys:item_edit", args=[SurveyItem.objects.order_by("pk").first().pk])


_SHARED = only(IMPORTERS, outsider=200)
TABLE = {
    "surveys:items": ("none", _SHARED, 302),
    "surveys:item_new": ("none", _SHARED, 302),
    "surveys:item_edit": (_item, _SHARED, 302),
}
