"""Forms of casework. A CPR number is typed in, never shown back: its field renders empty, always."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from hotspot.casework.models import (
    LIST_CASE_KIND,
    Agency,
    Agreement,
    CaseKind,
    FollowUpRule,
    FollowUpStatus,
    LegalBasis,
    PriorityList,
    week_of,
)
from hotspot.casework.pseudonym import normalise_cpr
from hotspot.incidents.models import OffenceGroup

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_errors(form, exc: ValidationError) -> None:
    """Put the messages of an action's ValidationError on ``form``: on the field it names, where the
    form has that field, else on the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class NoEchoInput(forms.TextInput):
    """A text input that never renders its value (a form with errors does not echo a CPR number)."""

    def format_value(self, value):
        return None


class CprField(forms.CharField):
    widget = NoEchoInput(
        attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}
    )

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return value
        try:
            return normalise_cpr(value)
        except ValueError:
            raise forms.ValidationError(
                _("Enter a CPR number as 10 digits, e.g. ddmmyy-xxxx."), code="cpr"
            ) from None


class PriorityListForm(forms.ModelForm):
    class Meta:
        model = PriorityList
        fields = ["kind", "places", "entry_criteria", "exit_criteria"]
        widgets = {
            "entry_criteria": forms.Textarea(attrs={"rows": 3}),
            "exit_criteria": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.programme = programme

    def clean_kind(self):
        kind = self.cleaned_data["kind"]
        if PriorityList.objects.filter(programme=self.programme, kind=kind).exists():
            raise forms.ValidationError(_("The programme has this list already."))
        return kind


class CaseForm(forms.Form):
    cpr = CprField(
        label=_("CPR number"),
        max_length=11,
        help_text=_("Turned into a pseudonymous key on entry; the number itself is not stored."),
    )
    alias = forms.CharField(
        label=_("Alias"),
        max_length=60,
        help_text=_("The name used in meetings; never the real name."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=CaseKind.choices)
    legal_basis = forms.ChoiceField(
        label=_("Legal basis"), choices=[("", "—"), *LegalBasis.choices]
    )
    consent_date = forms.DateField(label=_("Consent given on"), required=False, widget=DATE)
    social_note = forms.CharField(
        label=_("Social note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Not shown to the police."),
    )

    def __init__(self, *args, store_names: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if store_names:
            self.fields["name"] = forms.CharField(
                label=_("Name"),
                required=False,
                max_length=200,
                widget=NoEchoInput(attrs={"autocomplete": "off"}),
                help_text=_("Stored encrypted."),
            )

    def clean(self):
        data = super().clean()
        if data.get("legal_basis") == LegalBasis.CONSENT and not data.get("consent_date"):
            self.add_error("consent_date", _("Consent needs the date it was given."))
        return data


class EntryForm(forms.Form):
    case = forms.ModelChoiceField(label=_("Case"), queryset=None)
    entered_on = forms.DateField(label=_("Entered on"), widget=DATE)
    entry_reason = forms.CharField(
        label=_("Reason for entry"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, priority_list, **kwargs):
        super().__init__(*args, **kwargs)
        on_list = priority_list.open_entries().values("case_id")
        self.fields["case"].queryset = priority_list.programme.cases.filter(
            kind=LIST_CASE_KIND[priority_list.kind]
        ).exclude(pk__in=on_list)


class LeaveForm(forms.Form):
    left_on = forms.DateField(label=_("Left on"), widget=DATE)
    exit_reason = forms.CharField(
        label=_("Reason for leaving"), widget=forms.Textarea(attrs={"rows": 3})
    )


class FollowUpForm(forms.Form):
    week = forms.DateField(
        label=_("Week"),
        widget=DATE,
        help_text=_("Any day of the week; the follow-up is kept under its Monday."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=FollowUpStatus.choices)
    responsible_agency = forms.ChoiceField(label=_("Responsible agency"), choices=Agency.choices)
    actions_agreed = forms.CharField(
        label=_("Actions agreed across agencies"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    next_step = forms.CharField(
        label=_("Next step"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["week"].initial = week_of()


class AgreementForm(forms.ModelForm):
    class Meta:
        model = Agreement
        fields = ["kind", "start", "review_on", "status"]
        widgets = {"start": DATE, "review_on": DATE}

    def clean(self):
        data = super().clean()
        start, review = data.get("start"), data.get("review_on")
        if start and review and review < start:
            self.add_error("review_on", _("The review cannot come before the start."))
        return data


class SearchForm(forms.Form):
    cpr = CprField(label=_("CPR number"), max_length=11, required=False)
    alias = forms.CharField(label=_("Alias"), max_length=60, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("cpr") and not data.get("alias"):
            raise forms.ValidationError(_("Enter a CPR number or an alias."))
        return data

    def criteria(self) -> list[str]:
        return [name for name in ("cpr", "alias") if self.cleaned_data.get(name)]


class SubjectForm(forms.Form):
    """The data protection officer's per-subject extract: one CPR number, hashed on entry."""

    cpr = CprField(
        label=_("CPR number"),
        max_length=11,
        help_text=_("Turned into a pseudonymous key on entry; the number itself is not stored."),
    )


class FollowUpRuleForm(forms.ModelForm):
    offence_groups = forms.MultipleChoiceField(
        label=_("Offence groups"),
        choices=OffenceGroup.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Police reports of these groups in the programme's areas enter the queue."),
    )

    class Meta:
        model = FollowUpRule
        fields = [
            "offence_groups",
            "suspect_age_min",
            "suspect_age_max",
            "response_days",
            "owning_agency",
        ]
        help_texts = {
            "suspect_age_min": _(
                "Only reports whose suspect is at least this old (e.g. 10 for the SSP's children "
                "and youths); blank: any age. A report without a known suspect's age is then left "
                "out."
            ),
            "suspect_age_max": _("Only reports whose suspect is at most this old (e.g. 17)."),
        }

    def clean(self):
        data = super().clean()
        low, high = data.get("suspect_age_min"), data.get("suspect_age_max")
        if low is not None and high is not None and low > high:
            self.add_error(
                "suspect_age_max",
                _("The oldest age must be at least the youngest (%(low)s).") % {"low": low},
            )
        return data


class RespondForm(forms.Form):
    responded_on = forms.DateField(label=_("Responded on"), widget=DATE)
    response = forms.CharField(label=_("Response"), max_length=200)


class NotificationForm(forms.Form):
    """A notification (underretning): only that it was sent, when and by whom; no content."""

    sent_on = forms.DateField(label=_("Sent on"), widget=DATE)
    sent_by_agency = forms.CharField(label=_("Sent by (agency)"), max_length=100)
    case = forms.ModelChoiceField(label=_("Case"), queryset=None, required=False)
    legal_basis = forms.ChoiceField(
        label=_("Legal basis"),
        choices=[("", "—"), *LegalBasis.choices],
        required=False,
        help_text=_("Needed when the notification is linked to a case."),
    )
    consent_date = forms.DateField(label=_("Consent given on"), required=False, widget=DATE)
    owning_agency = forms.CharField(
        label=_("Owning agency"),
        max_length=100,
        required=False,
        help_text=_("Empty: the agency of the programme's follow-up rule."),
    )

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = programme.cases.all()


class MeetingForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    participants = forms.CharField(
        label=_("Participants (agencies)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One agency a line; no staff names."),
    )
    cases = forms.ModelMultipleChoiceField(
        label=_("Cases discussed"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    decisions = forms.CharField(
        label=_("Decisions"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cases"].queryset = programme.cases.all()

    def clean_participants(self):
        lines = [line.strip() for line in self.cleaned_data["participants"].splitlines()]
        return [line for line in lines if line]


class MeetingTaskForm(forms.Form):
    """A decision of a concern meeting as a task of one of the programme's action plans."""

    plan = forms.ModelChoiceField(label=_("Action plan"), queryset=None)
    title = forms.CharField(
        label=_("Task"),
        max_length=200,
        help_text=_("Name cases by their alias only; never a CPR number or a name."),
    )
    owner_name = forms.CharField(label=_("Responsible (agency)"), max_length=160, required=False)
    due = forms.DateField(label=_("Due date"), widget=DATE)

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = meeting.programme.plans.all()
        first = next((line.strip() for line in meeting.decisions.splitlines() if line.strip()), "")
        self.fields["title"].initial = first[:200]
