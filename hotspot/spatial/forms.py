"""The new-run form: what to analyse, where, when, and the method's parameters."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.forms import styled
from hotspot.areas.models import Area, AreaKind
from hotspot.incidents.models import CrimeReport, OffenceGroup
from hotspot.spatial.actions import MAX_CELL_SIZE, MIN_CELL_SIZE
from hotspot.spatial.models import Method


class SpatialRunForm(forms.Form):
    method = forms.ChoiceField(label=_("Analysis"), choices=Method.choices)
    area = forms.ModelChoiceField(
        label=_("Area"),
        queryset=Area.objects.none(),
        required=False,
        empty_label=_("The whole municipality"),
        help_text=_("The grid covers the area and 250 m around it."),
    )
    first_day = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    last_day = forms.DateField(
        label=_("To (inclusive)"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    offence_groups = forms.MultipleChoiceField(
        label=_("Offence groups"),
        choices=OffenceGroup.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: all offences."),
    )
    cell_size = forms.IntegerField(
        label=_("Cell size (m)"),
        initial=100,
        min_value=MIN_CELL_SIZE,
        max_value=MAX_CELL_SIZE,
        help_text=_("The side of a grid cell. 50–100 m finds squares and passages."),
    )
    contiguity = forms.ChoiceField(
        label=_("Neighbours of a cell"),
        choices=[
            ("queen", _("The 8 surrounding cells (queen)")),
            ("rook", _("The 4 cells sharing a side (rook)")),
        ],
        initial="queen",
    )
    permutations = forms.TypedChoiceField(
        label=_("Permutations (pseudo p-values)"),
        choices=[(0, _("None (normal approximation)")), (99, "99"), (999, "999"), (9999, "9999")],
        coerce=int,
        initial=999,
        help_text=_("Hot spots and clusters: how many random rearrangements test each cell."),
    )
    fdr = forms.BooleanField(
        label=_("Correct for testing many cells (false discovery rate)"), required=False
    )
    time_step = forms.TypedChoiceField(
        label=_("Time step (days)"),
        choices=[(7, _("7 (a week)")), (14, "14"), (30, _("30 (about a month)"))],
        coerce=int,
        initial=7,
        help_text=_("Emerging hot spots: one period of the trend. Near repeat: one time band."),
    )
    bandwidth = forms.ChoiceField(
        label=_("Bandwidth of the density"),
        choices=[
            ("scott", _("Scott's rule")),
            ("silverman", _("Silverman's rule")),
            ("fixed", _("Fixed, in metres")),
        ],
        initial="scott",
    )
    bandwidth_m = forms.IntegerField(
        label=_("Fixed bandwidth (m)"), required=False, min_value=10, max_value=10_000
    )
    distance_step = forms.IntegerField(
        label=_("Near repeat: width of a distance band (m)"),
        initial=100,
        min_value=10,
        max_value=2000,
    )

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        styled(self)
        self.municipality = municipality
        self.fields["area"].queryset = Area.objects.filter(
            municipality=municipality, geometry__isnull=False
        ).exclude(kind=AreaKind.CONTROL)
        if not self.is_bound:
            last = CrimeReport.objects.filter(municipality=municipality).aggregate(
                Max("occurred_at")
            )["occurred_at__max"]
            end = last.date() if last else dt.date.today()
            self.initial.setdefault("last_day", end)
            self.initial.setdefault("first_day", end - dt.timedelta(days=364))

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", _("The period ends before it begins."))
        if data.get("bandwidth") == "fixed" and not data.get("bandwidth_m"):
            self.add_error("bandwidth_m", _("Give the fixed bandwidth in metres."))
        return data

    def parameters(self) -> dict:
        """The method's parameters from the form (``tasks.parameters_for`` keeps those it uses)."""
        d = self.cleaned_data
        bandwidth = d["bandwidth"] if d["bandwidth"] != "fixed" else float(d["bandwidth_m"])
        return {
            "contiguity": d["contiguity"],
            "permutations": d["permutations"],
            "fdr": bool(d["fdr"]),
            "time_step": d["time_step"],
            "bandwidth": bandwidth,
            "distance_step": d["distance_step"],
        }
