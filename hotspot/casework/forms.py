"""Forms of casework. A CPR number is typed in, never shown back: its field renders empty, always."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from hotspot.casework.models import (
    LIST_CASE_KIND,
    Agency,
    Agreement,
    CaseKind,
    FollowUpStatus,
    LegalBasis,
    PriorityList,
    week_of,
)
from hotspot.casework.pseudonym import normalise_cpr

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
