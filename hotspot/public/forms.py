from django import forms

from hotspot.accounts.forms import styled
from hotspot.public.models import PublicPage


class PublicPageForm(forms.ModelForm):
    class Meta:
        model = PublicPage
        fields = ["enabled", "slug", "intro_da", "intro_en"]
        widgets = {
            "intro_da": forms.Textarea(attrs={"rows": 4}),
            "intro_en": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        styled(self)
