from django import forms
from django.core.validators import MaxValueValidator

from hotspot.accounts.forms import styled
from hotspot.notifications.models import Preferences

MAX_REMINDER_DAYS = 30


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = Preferences
        fields = ["email", "weekly_digest", "reminder_days", "invitations"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        days = self.fields["reminder_days"]
        days.widget.attrs["max"] = MAX_REMINDER_DAYS
        days.validators.append(MaxValueValidator(MAX_REMINDER_DAYS))
        styled(self)
