from django import forms
from django.utils.translation import gettext_lazy as _

from hotspot.areas.models import Area, AreaKind
from hotspot.evaluations.models import SCORE_OUTCOMES, Design, Inference, Outcome, Study
from hotspot.indices.models import SafetyIndexVersion
from hotspot.programmes.models import Programme


def check_years(form, data, last_complete_year) -> None:
    """The period's rules, for the new-study and the edit form: the last year after the first, and
    no later than the latest complete year with population (a later one has no rates: the run fails)."""
    first, last = data.get("first_year"), data.get("last_year")
    if first and last and first >= last:
        form.add_error("last_year", _("The last year must come after the first year."))
    elif last and last_complete_year and last > last_complete_year:
        form.add_error(
            "last_year",
            _(
                "%(year)s is not a complete year with population and crime reports yet: the "
                "latest is %(latest)s."
            )
            % {"year": last, "latest": last_complete_year},
        )


class AreaChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        if obj.kind == AreaKind.HOTSPOT and obj.valid_from:
            return f"{obj.name} ({obj.code}, {obj.valid_from:%d.%m.%Y})"
        return f"{obj.name} ({obj.code})"


class IndexVersionField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.definition.name} v{obj.number}"


class StudyForm(forms.Form):
    name = forms.CharField(label=_("Name of the study"), max_length=200)
    # the programme the study evaluates (picked above the form; carried as a hidden field)
    programme = forms.ModelChoiceField(
        queryset=Programme.objects.none(), required=False, widget=forms.HiddenInput
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    index_version = IndexVersionField(
        label=_("Index (for the safety index score)"),
        queryset=SafetyIndexVersion.objects.none(),
        required=False,
        empty_label="–",
        help_text=_("The definition version whose latest successful run gives the scores."),
    )
    start = forms.DateField(
        label=_("Start date of the effort"),
        required=False,
        widget=forms.DateInput(
            attrs={"type": "date", "class": "form-input input-width-s"}, format="%Y-%m-%d"
        ),
        help_text=_(
            "Empty: each hotspot's own start date. Starting from a programme fills in its start."
        ),
    )
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
    # the recommendation the form showed: a design or inference still equal to it was left to the
    # platform and follows the recommendation when the study's shape changes; another is kept
    recommended_design = forms.CharField(required=False, widget=forms.HiddenInput)
    recommended_inference = forms.CharField(required=False, widget=forms.HiddenInput)
    buffer_m = forms.IntegerField(
        label=_("Buffer ring for displacement (m)"), min_value=0, max_value=2000, initial=300
    )
    controls_per_hotspot = forms.IntegerField(
        label=_("Suggested controls per hotspot"), min_value=1, max_value=10, initial=4
    )

    def __init__(
        self,
        *args,
        treated_qs,
        pool,
        programmes=None,
        index_versions=None,
        last_complete_year=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.last_complete_year = last_complete_year
        if programmes is not None:
            self.fields["programme"].queryset = programmes
        if index_versions is not None:
            self.fields["index_version"].queryset = index_versions
        self.fields["treated"].queryset = treated_qs
        ids = [a.pk for a in pool]
        if self.is_bound:
            # Accept a hotspot posted as a control so that the study refuses it with a clear message
            # (actions.validate_areas) instead of a bare "not a valid choice".
            ids += list(treated_qs.values_list("pk", flat=True))
        self.fields["controls"].queryset = Area.objects.filter(pk__in=ids).order_by("code")

    def left_to_platform(self, name: str) -> bool:
        """Whether the posted design (``name="design"``) or inference is still the recommendation the
        form showed, i.e. the user did not pick another."""
        data = getattr(self, "cleaned_data", {})
        shown = data.get(f"recommended_{name}")
        return bool(shown) and data.get(name) == shown

    def clean(self):
        data = super().clean()
        check_years(self, data, self.last_complete_year)
        treated = data.get("treated") or []
        missing = [a.code for a in treated if a.valid_from is None]
        if data.get("outcome") in SCORE_OUTCOMES:
            from hotspot.evaluations.tasks import poisson_refused

            if not data.get("index_version"):
                self.add_error(
                    "index_version",
                    _("Choose the index definition version whose scores are the outcome."),
                )
            # a design left at the recommendation is replaced by the score's recommendation
            if data.get("design") == Design.POISSON_FE and not self.left_to_platform("design"):
                self.add_error("design", poisson_refused())
        if missing and not data.get("start"):
            self.add_error(
                "treated",
                _("These hotspot areas have no start date: %(areas)s")
                % {"areas": ", ".join(missing)},
            )
        return data


class StudyEditForm(forms.ModelForm):
    """What may change in a study after it was made: its name, period, design, inference, ring and
    seed. Its areas and its outcome define the study; to change those, make a new study."""

    class Meta:
        model = Study
        fields = ["name", "first_year", "last_year", "design", "inference", "buffer_m", "seed"]

    def __init__(self, *args, last_complete_year: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.last_complete_year = last_complete_year
        self.fields["first_year"].help_text = _("The first year of the study panel.")
        if last_complete_year:
            self.fields["last_year"].help_text = _(
                "At most %(year)s, the latest complete year with population and crime reports."
            ) % {"year": last_complete_year}

    def clean(self):
        data = super().clean()
        check_years(self, data, self.last_complete_year)
        if self.instance.outcome in SCORE_OUTCOMES and data.get("design") == Design.POISSON_FE:
            from hotspot.evaluations.tasks import poisson_refused

            self.add_error("design", poisson_refused())
        return data
