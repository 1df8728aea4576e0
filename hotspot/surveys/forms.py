"""The survey item form: what a survey file's answer column means and which answers it may hold."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from hotspot.surveys.models import SurveyItem

# A survey file names an item by its column header, read in lower case: a code is what a column can be.
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class SurveyItemForm(forms.ModelForm):
    class Meta:
        model = SurveyItem
        fields = ["code", "text_da", "text_en", "scale_min", "scale_max"]
        help_texts = {
            "code": _(
                "The column header of the item in a survey file: lower-case letters a–z, digits, _ "
                "and -. It cannot change once answers use it."
            ),
            "scale_min": _("The lowest answer a respondent can give, e.g. 1 on a scale of 1–7."),
            "scale_max": _("The highest answer; an answer outside the scale is refused on import."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-input")

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not CODE.match(code):
            raise forms.ValidationError(
                _(
                    "code: use lower-case letters a–z, digits, _ and - only (a file's column header)."
                ),
                code="code",
            )
        return code

    def clean(self):
        data = super().clean()
        lo, hi = data.get("scale_min"), data.get("scale_max")
        if lo is not None and hi is not None and lo >= hi:
            self.add_error(
                "scale_max",
                _("highest answer: must be above the lowest answer (%(lo)s).") % {"lo": lo},
            )
        return data
