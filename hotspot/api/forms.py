from django import forms
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.forms import styled
from hotspot.accounts.roles import Capability
from hotspot.api.actions import MAX_DAYS
from hotspot.api.models import Scope


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80, help_text=_("What the token is for."))
    scopes = forms.MultipleChoiceField(
        label=_("May also"),
        choices=[(Scope.WRITE, Scope.WRITE.label), (Scope.PERSON, Scope.PERSON.label)],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Every token may read what your role may read."),
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"), initial=90, min_value=1, max_value=MAX_DAYS
    )

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        if not membership.can(Capability.VIEW_PERSON_DATA):
            self.fields["scopes"].choices = [(Scope.WRITE, Scope.WRITE.label)]
        styled(self)
