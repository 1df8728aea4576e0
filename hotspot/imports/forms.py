from django import forms
from django.utils.translation import gettext_lazy as _

from hotspot.imports.models import Kind


def file_kinds():
    """The kinds a file can be uploaded as: those with a file adapter (a Statbank fetch is not a file)."""
    from hotspot.imports.kinds import ADAPTERS

    return [(k, label) for k, label in Kind.choices if k in ADAPTERS]


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of data"), choices=file_kinds)
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (comma or semicolon), XLSX or, for areas, GeoJSON. UTF-8 or Windows-1252."
        ),
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=300,
        required=False,
        help_text=_("E.g. Kilde: Danmarks Statistik, statistikbanken.dk/STRAF11"),
    )
    licence = forms.CharField(label=_("Licence"), max_length=300, required=False)
    crs = forms.CharField(
        label=_("Coordinate system"),
        max_length=40,
        required=False,
        help_text=_("Only when the file does not say: e.g. EPSG:25832 (default), EPSG:4326."),
    )
    sheet = forms.CharField(
        label=_("Sheet"),
        max_length=100,
        required=False,
        help_text=_("Only for workbooks with several sheets."),
    )
