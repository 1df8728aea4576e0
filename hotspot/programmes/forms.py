"""Forms of the programmes app. Choice fields only offer the municipality's own objects."""

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.models import User
from hotspot.areas.geo import WGS84, transformer
from hotspot.areas.models import STORAGE_SRID, Area
from hotspot.indicators.models import Indicator
from hotspot.indices.models import SafetyIndex
from hotspot.parsing import parse_number
from hotspot.programmes.inputs import core_areas_for
from hotspot.programmes.models import (
    ActionPlan,
    ApprovalDecision,
    Challenge,
    ChangeNode,
    CoreArea,
    Decision,
    FocusArea,
    Funder,
    Goal,
    GoalMilestone,
    GoalValue,
    Grant,
    Group,
    GroupMember,
    Initiative,
    Meeting,
    Place,
    Programme,
    Spend,
    Task,
    TaskStatus,
    Weight,
)
from hotspot.programmes.models import BudgetLine as BudgetLineModel

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _members(municipality):
    return User.objects.filter(memberships__municipality=municipality).order_by("username")


class ProgrammeForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Programme
        fields = [
            "name",
            "areas",
            "start",
            "end",
            "purpose_short",
            "purpose_long",
            "status",
            "approved_on",
            "approved_by",
        ]
        widgets = {
            "start": DATE,
            "end": DATE,
            "approved_on": DATE,
            "areas": forms.SelectMultiple(attrs={"size": 8}),
            "purpose_short": forms.Textarea(attrs={"rows": 3}),
            "purpose_long": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].queryset = Area.objects.in_municipality(municipality).order_by(
            "kind", "code"
        )
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version


class ChallengeForm(forms.ModelForm):
    class Meta:
        model = Challenge
        fields = ["number", "title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class CoreAreaForm(forms.ModelForm):
    class Meta:
        model = CoreArea
        fields = ["code", "pillar", "name_da", "name_en", "order"]

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality = municipality

    def clean_code(self):
        code = self.cleaned_data["code"]
        if CoreArea.objects.for_municipality(self.municipality).filter(code=code).exists():
            raise forms.ValidationError(_("A core area with this code exists already."))
        return code


class WeightsForm(forms.Form):
    """One select per core area x field: ``w_<core area id>_<level>``."""

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        from hotspot.programmes.models import CoreAreaWeight, Level

        current = {
            (w.core_area_id, w.level): w.weight
            for w in CoreAreaWeight.objects.filter(programme=programme)
        }
        self.cells = []
        for ca in core_areas_for(programme.municipality):
            row = []
            for level, label in Level.choices:
                name = f"w_{ca.pk}_{level}"
                self.fields[name] = forms.TypedChoiceField(
                    label=f"{ca.code} {ca.name}: {label}",
                    choices=Weight.choices,
                    coerce=int,
                    initial=current.get((ca.pk, level), 0),
                )
                row.append(name)
            self.cells.append((ca, [self[n] for n in row]))

    def weights(self) -> dict:
        result = {}
        for name, value in self.cleaned_data.items():
            _w, ca, level = name.split("_", 2)
            result[(int(ca), level)] = value
        return result


class InitiativeForm(forms.ModelForm):
    class Meta:
        model = Initiative
        fields = [
            "name",
            "owner",
            "core_areas",
            "level",
            "target_group",
            "target_group_size",
            "funders",
            "start",
            "end",
            "evidence",
            "evidence_source",
            "contact",
            "is_new",
        ]
        widgets = {
            "start": DATE,
            "end": DATE,
            "core_areas": forms.CheckboxSelectMultiple,
            "funders": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["core_areas"].queryset = core_areas_for(municipality)
        self.fields["funders"].queryset = Funder.objects.in_municipality(municipality)


class GoalForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    milestones = forms.CharField(
        label=_("Yearly milestones"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One year per line, e.g. 2027: 95 — the value the goal should have reached by the end "
            "of that year. The scorecard then compares each year with its milestone instead of a "
            "straight line from the baseline to the target."
        ),
    )

    class Meta:
        model = Goal
        fields = [
            "title",
            "kind",
            "challenge",
            "measure",
            "indicator",
            "action_plan",
            "index",
            "area",
            "unit",
            "baseline_value",
            "baseline_date",
            "target_value",
            "deadline",
            "initiatives",
        ]
        widgets = {
            "baseline_date": DATE,
            "deadline": DATE,
            "initiatives": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["challenge"].queryset = programme.challenges.all()
        self.fields["indicator"].queryset = Indicator.objects.all()
        self.fields["action_plan"].queryset = programme.plans.all()
        self.fields["area"].queryset = Area.objects.in_municipality(programme.municipality)
        self.fields["initiatives"].queryset = programme.initiatives.all()
        self.fields["index"].queryset = SafetyIndex.objects.filter(
            municipality=programme.municipality
        )
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["milestones"].initial = "\n".join(
                f"{m.year}: {formats.number_format(m.target_value, use_l10n=True)}"
                for m in self.instance.milestones.all()
            )

    def clean_milestones(self) -> dict[int, float]:
        """{year: value} from lines "2027: 95" (a decimal comma is fine); each bad line is named."""
        out: dict[int, float] = {}
        errors = []
        text = self.cleaned_data.get("milestones") or ""
        for number, line in enumerate(text.replace(";", "\n").splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            year, sep, value = line.partition(":")
            try:
                y = int(year.strip())
                v = parse_number(value)
                if not sep or not 1900 < y < 2200:
                    raise ValueError(line)
            except ValueError:
                errors.append(
                    _("Line %(n)s, “%(line)s”: write a year, a colon and a number, e.g. 2027: 95.")
                    % {"n": number, "line": line}
                )
                continue
            if y in out:
                errors.append(_("Year %(year)s is given twice.") % {"year": y})
            out[y] = v
        if errors:
            raise forms.ValidationError(errors)
        return out

    def clean(self):
        data = super().clean()
        first, last = data.get("baseline_date"), data.get("deadline")
        outside = [
            y
            for y in data.get("milestones") or {}
            if first and last and not first.year <= y <= last.year
        ]
        if outside:
            self.add_error(
                "milestones",
                _("Milestones must lie between the baseline year and the deadline: %(years)s.")
                % {"years": ", ".join(str(y) for y in sorted(outside))},
            )
        return data

    def _save_m2m(self):
        super()._save_m2m()
        wanted = self.cleaned_data.get("milestones") or {}
        goal = self.instance
        goal.milestones.exclude(year__in=list(wanted)).delete()
        for year, value in wanted.items():
            GoalMilestone.objects.update_or_create(
                goal=goal, year=year, defaults={"target_value": value}
            )


class GoalValueForm(forms.ModelForm):
    class Meta:
        model = GoalValue
        fields = ["date", "value"]
        widgets = {"date": DATE}


class NodeForm(forms.ModelForm):
    class Meta:
        model = ChangeNode
        fields = ["kind", "text", "leads_to", "initiatives", "goals"]
        widgets = {
            "leads_to": forms.CheckboxSelectMultiple,
            "initiatives": forms.CheckboxSelectMultiple,
            "goals": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, challenge, **kwargs):
        super().__init__(*args, **kwargs)
        programme = challenge.programme
        nodes = ChangeNode.objects.filter(theory__challenge=challenge)
        if self.instance.pk:
            nodes = nodes.exclude(pk=self.instance.pk)
        self.fields["leads_to"].queryset = nodes
        self.fields["initiatives"].queryset = programme.initiatives.all()
        self.fields["goals"].queryset = programme.goals.all()


class ActionPlanForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ActionPlan
        fields = ["title", "area", "start", "end", "notes"]
        widgets = {"start": DATE, "end": DATE, "notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = programme.areas.all()
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version


class NewActionPlanForm(ActionPlanForm):
    focus_areas = forms.CharField(
        label=_("Focus areas"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("One per line."),
    )

    def focus_titles(self) -> list[str]:
        return [
            line.strip()
            for line in self.cleaned_data.get("focus_areas", "").splitlines()
            if line.strip()
        ]


class FocusAreaForm(forms.ModelForm):
    class Meta:
        model = FocusArea
        fields = ["number", "title", "initiatives"]
        widgets = {"initiatives": forms.CheckboxSelectMultiple}

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["initiatives"].queryset = programme.initiatives.all()


class TaskForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Task
        fields = [
            "title",
            "focus_area",
            "initiative",
            "place",
            "owner",
            "owner_name",
            "due",
            "status",
        ]
        widgets = {"due": DATE}

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["focus_area"].queryset = plan.focus_areas.all()
        self.fields["initiative"].queryset = plan.programme.initiatives.all()
        # only the programme's own places: one of another programme posted is not a valid choice
        self.fields["place"].queryset = plan.programme.places.all()
        self.fields["owner"].queryset = _members(plan.programme.municipality)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version


class NumberField(forms.CharField):
    """A number as people type it: 1234.5, 1234,5 (Danish decimal comma); empty is None."""

    default_error_messages = {"invalid": _("Enter a number.")}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_number(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class PlaceForm(forms.ModelForm):
    """A place of the programme. The point is given either as easting/northing in EPSG:25832 (as the
    areas are stored) or as latitude/longitude in WGS 84 (a GPS, a web map), converted here; a click on
    the form's map fills the latitude and longitude. ``cleaned_data["point"]`` is (x, y) in EPSG:25832.
    Whether the point lies near the programme's areas is ``actions.check_place_point``'s to say."""

    x = NumberField(label=_("Easting (EPSG:25832, m)"))
    y = NumberField(label=_("Northing (EPSG:25832, m)"))
    latitude = NumberField(label=_("Latitude (WGS 84)"), help_text=_("E.g. 55.6761."))
    longitude = NumberField(label=_("Longitude (WGS 84)"), help_text=_("E.g. 12.5683."))

    POINT_FIELDS = ("x", "y", "latitude", "longitude")

    class Meta:
        model = Place
        fields = ["name", "kind", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["name", "kind", *self.POINT_FIELDS, "note"])

    def _pair(self, first, second, missing_first, missing_second):
        """The pair of values, None if neither was given; an error on the missing one otherwise."""
        a, b = self.cleaned_data.get(first), self.cleaned_data.get(second)
        if first in self.errors or second in self.errors:
            return "invalid"
        if a is None and b is None:
            return None
        if a is None:
            self.add_error(first, missing_first)
            return "invalid"
        if b is None:
            self.add_error(second, missing_second)
            return "invalid"
        return a, b

    def clean(self):
        data = super().clean()
        xy = self._pair(
            "x",
            "y",
            _("Give the easting too, or leave both empty and give latitude and longitude."),
            _("Give the northing too, or leave both empty and give latitude and longitude."),
        )
        latlon = self._pair(
            "latitude",
            "longitude",
            _("Give the latitude too, or leave both empty and give easting and northing."),
            _("Give the longitude too, or leave both empty and give easting and northing."),
        )
        if xy == "invalid" or latlon == "invalid":
            return data
        if xy is None and latlon is None:
            raise forms.ValidationError(
                _(
                    "Give the point: either easting and northing (EPSG:25832, metres) or latitude "
                    "and longitude (WGS 84)."
                ),
                code="no_point",
            )
        if xy is not None and latlon is not None:
            raise forms.ValidationError(
                _(
                    "Give the point one way only: either easting and northing or latitude and "
                    "longitude. Empty the other pair."
                ),
                code="two_points",
            )
        if xy is not None:
            data["point"] = xy
            return data
        lat, lon = latlon
        if not -90 <= lat <= 90:
            self.add_error("latitude", _("A latitude lies between -90 and 90 degrees."))
        if not -180 <= lon <= 180:
            self.add_error("longitude", _("A longitude lies between -180 and 180 degrees."))
        if "latitude" not in self.errors and "longitude" not in self.errors:
            # always_xy: (longitude, latitude) in, (easting, northing) out
            x, y = transformer(WGS84, STORAGE_SRID).transform(lon, lat)
            data["point"] = (float(x), float(y))
        return data


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(choices=TaskStatus.choices)
    version = forms.IntegerField()


class TaskProgressForm(forms.Form):
    """A partner's report on one of its organisation's tasks (``actions.report_progress``)."""

    status = forms.ChoiceField(label=_("Status"), choices=TaskStatus.choices)
    note = forms.CharField(
        label=_("Progress note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
        help_text=_("What was done since the last report (at most 500 characters, no names)."),
    )
    activities = forms.IntegerField(label=_("Activities held"), min_value=0, required=False)
    participants = forms.IntegerField(label=_("Participants"), min_value=0, required=False)


class FunderForm(forms.ModelForm):
    class Meta:
        model = Funder
        fields = ["name"]

    def __init__(self, *args, municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality = municipality

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Funder.objects.in_municipality(self.municipality).filter(name__iexact=name).exists():
            raise forms.ValidationError(_("This funder exists already."))
        return name


class GrantForm(forms.ModelForm):
    class Meta:
        model = Grant
        fields = ["funder", "title", "amount", "start", "end", "earmark"]
        widgets = {"start": DATE, "end": DATE}

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["funder"].queryset = Funder.objects.in_municipality(programme.municipality)


class BudgetLineForm(forms.ModelForm):
    class Meta:
        model = BudgetLineModel
        fields = ["grant", "initiative", "year", "amount"]

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grant"].queryset = programme.grants.all()
        self.fields["initiative"].queryset = programme.initiatives.all()


class SpendForm(forms.ModelForm):
    class Meta:
        model = Spend
        fields = ["grant", "initiative", "date", "amount", "description"]
        widgets = {"date": DATE}

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grant"].queryset = programme.grants.all()
        self.fields["initiative"].queryset = programme.initiatives.all()


class GroupForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ["kind", "name"]


class MemberForm(forms.ModelForm):
    class Meta:
        model = GroupMember
        fields = ["name", "organisation", "core_area", "user"]

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["core_area"].queryset = core_areas_for(programme.municipality)
        self.fields["user"].queryset = _members(programme.municipality)


class MeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["date", "place", "agenda"]
        widgets = {"date": DATE, "agenda": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"agenda": _("Leave empty to have the agenda drafted for you.")}


class MinutesForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Meeting
        fields = ["agenda", "minutes"]
        widgets = {
            "agenda": forms.Textarea(attrs={"rows": 10}),
            "minutes": forms.Textarea(attrs={"rows": 10}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version


class DecisionForm(forms.ModelForm):
    class Meta:
        model = Decision
        fields = ["kind", "text"]


class ActionItemTaskForm(forms.Form):
    plan = forms.ModelChoiceField(queryset=ActionPlan.objects.none(), required=False)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    owner_name = forms.CharField(required=False, max_length=160)
    due = forms.DateField(widget=DATE)

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = programme.plans.all()
        self.fields["plan"].label = _("action plan")
        self.fields["owner"].queryset = _members(programme.municipality)
        self.fields["owner"].label = _("owner")
        self.fields["owner_name"].label = _("owner (without a user account)")
        self.fields["due"].label = _("due date")


class ApprovalSubjectForm(forms.Form):
    """Which part goes to the council: the programme itself (no plan) or one of its action plans."""

    plan = forms.ModelChoiceField(
        label=_("What"),
        queryset=ActionPlan.objects.none(),
        required=False,
        empty_label=_("The programme"),
    )

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = programme.plans.order_by("start", "pk")


class ApprovalDecisionForm(ApprovalSubjectForm):
    """The council's decision on a submission: approved with the case number and date, or sent back."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (ApprovalDecision.APPROVED, ApprovalDecision.APPROVED.label),
            (ApprovalDecision.SENT_BACK, ApprovalDecision.SENT_BACK.label),
        ],
    )
    case_number = forms.CharField(
        label=_("Case number"),
        max_length=40,
        required=False,
        help_text=_("The council's case number, e.g. BR 123/2008. Needed for an approval."),
    )
    decided_on = forms.DateField(label=_("Date of the decision"), widget=DATE)
    body = forms.CharField(
        label=_("Decided by"), max_length=160, required=False, help_text=_("E.g. the city council.")
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("decision") == ApprovalDecision.APPROVED
            and not (data.get("case_number") or "").strip()
        ):
            self.add_error("case_number", _("An approval needs the council's case number."))
        return data
