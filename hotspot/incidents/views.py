"""The offence catalogue: the codes a crime-report or charge file may use, as a page and a download."""

from django.shortcuts import render
from django.utils.translation import gettext_lazy

from hotspot.accounts.access import require_capability
from hotspot.accounts.roles import Capability
from hotspot.incidents import pages
from hotspot.reports.exports import export_response


# For the roles that import: the catalogue is what their files are checked against.
@require_capability(Capability.IMPORT_DATA)
def offences(request):
    return render(request, "incidents/offences.html", {"offences": pages.offence_catalogue()})


OFFENCE_COLUMNS = [
    (gettext_lazy("code"), "code"),
    (gettext_lazy("name (Danish)"), "name_da"),
    (gettext_lazy("name (English)"), "name_en"),
    (gettext_lazy("group"), lambda o: o.get_group_display()),
    (gettext_lazy("hierarchy level"), "level"),
    (gettext_lazy("part of"), lambda o: o.parent.code if o.parent else ""),
    (gettext_lazy("citizen-directed"), "citizen_directed"),
    (gettext_lazy("serious and person-dangerous"), "serious"),
]


@require_capability(Capability.IMPORT_DATA)
def offences_export(request, fmt):
    return export_response(
        request, list(pages.offence_catalogue()), OFFENCE_COLUMNS, "offences", fmt,
        object_type="incidents.offence", sheet="Gerningskoder",
    )  # fmt: skip
