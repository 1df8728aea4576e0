from django import forms
from django.utils.translation import gettext_lazy as _

from hotspot.areas.models import Area, AreaKind
from hotspot.evaluations.models import Design, Inference, Outcome


class AreaChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        if obj.kind == AreaKind.HOTSPOT and obj.valid_from:
            return f"{obj.name} ({obj.code}, {obj.valid_from:%d.%m.%Y})"
        return f"{obj.name} ({obj.code})"


class StudyForm(forms.Form):
    name = forms.CharField(label=_("Name of the study"), max_length=200)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    treated = AreaChoiceField(
        label=_("Treated hotspot areas"),
        queryset=Area.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Each hotspot counts from its start date; the start year itself counts as before."
        ),
    )
    controls = AreaChoiceField(
        label=_("Control areas"),
        queryset=Area.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "Comparable areas without a hotspot. Let the platform suggest them, or pick them."
        ),
    )
    first_year = forms.IntegerField(label=_("First year"), min_value=1990, max_value=2100)
    last_year = forms.IntegerField(label=_("Last year"), min_value=1990, max_value=2100)
    design = forms.ChoiceField(label=_("Design"), choices=Design.choices, initial=Design.POISSON_FE)
    inference = forms.ChoiceField(
        label=_("How sure are we?"), choices=Inference.choices, initial=Inference.RANDOMIZATION
    )
    buffer_m = forms.IntegerField(
        label=_("Buffer ring for displacement (m)"), min_value=0, max_value=2000, initial=300
    )
    controls_per_hotspot = forms.IntegerField(
        label=_("Suggested controls per hotspot"), min_value=1, max_value=10, initial=4
    )

    def __init__(self, *args, treated_qs, pool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["treated"].queryset = treated_qs
        ids = [a.pk for a in pool]
        if self.is_bound:
            # Accept a hotspot posted as a control so that the study refuses it with a clear message
            # (actions.validate_areas) instead of a bare "not a valid choice".
            ids += list(treated_qs.values_list("pk", flat=True))
        self.fields["controls"].queryset = Area.objects.filter(pk__in=ids).order_by("code")

    def clean(self):
        data = super().clean()
        if (
            data.get("first_year")
            and data.get("last_year")
            and data["first_year"] >= data["last_year"]
        ):
            self.add_error("last_year", _("The last year must come after the first year."))
        treated = data.get("treated") or []
        missing = [a.code for a in treated if a.valid_from is None]
        if missing:
            self.add_error(
                "treated",
                _("These hotspot areas have no start date: %(areas)s")
                % {"areas": ", ".join(missing)},
            )
        return data
