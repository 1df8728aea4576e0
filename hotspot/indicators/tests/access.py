"""Role x URL rows for the indicators app, collected by hotspot/accounts/tests/test_access.py.

The catalogue is shared by every municipality and is what import files are checked against: the
roles with ``import_data`` read and change it, the outsider (who imports in Lillekommune) too.
"""

from django.urls import reverse

from hotspot.accounts.tests.table import IMPORTERS, only


def _indicator(own, foreign):
    from hotspot.indicators.models import Indicator

    return reverse("indicators:indicator_edit", args=[Indicator.objects.order_by("pk").first().pk])


def _national(own, foreign):
    from hotspot.indicators.models import NationalValue

    return reverse(
        "indicators:national_edit", args=[NationalValue.objects.order_by("pk").first().pk]
    )


_SHARED = only(IMPORTERS, outsider=200)
TABLE = {
    "indicators:catalogue": ("none", _SHARED, 302),
    "indicators:indicator_new": ("none", _SHARED, 302),
    "indicators:indicator_edit": (_indicator, _SHARED, 302),
    "indicators:national_new": ("none", _SHARED, 302),
    "indicators:national_edit": (_national, _SHARED, 302),
}
