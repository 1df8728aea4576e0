"""Forms of the indicator catalogue: a register indicator and a national reference value."""

import math
import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.forms import styled
from hotspot.indicators.models import Indicator, NationalValue

# A register file names an indicator by this code, as written: no spaces, so that a cell can hold it.
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
FIRST_YEAR = 1900


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = Indicator
        fields = ["code", "name_da", "name_en", "unit", "direction", "source", "licence"]
        help_texts = {
            "code": _(
                "The code a register file uses in its indicator column: letters, digits, _ . and - "
                "(no spaces). It cannot change once data use it."
            ),
            "unit": _(
                "What a value is, e.g. per cent or persons. It cannot change once values use it."
            ),
            "direction": _(
                "Whether a higher value is better or worse for an area; context only for figures "
                "that enter the statutory criteria but not the index."
            ),
            "source": _("Where the figures come from, e.g. Statistics Denmark, table BY3."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        styled(self)

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not CODE.match(code):
            raise forms.ValidationError(
                _("code: use letters, digits, _ . and - only, without spaces."), code="code"
            )
        return code


class NationalValueForm(forms.ModelForm):
    """A national or regional reference value of an indicator in one year."""

    value = forms.FloatField(label=_("value"), localize=True)

    class Meta:
        model = NationalValue
        fields = ["indicator", "year", "value", "source"]
        help_texts = {
            "value": _("In the indicator's unit, e.g. 1.9 for a national share of 1.9 %."),
            "source": _("Where the value comes from, e.g. Statistics Denmark, table STRAF40."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = Indicator.objects.order_by("code")
        self.fields["indicator"].label_from_instance = lambda i: i.name  # codes are on the list
        styled(self)

    def clean_year(self):
        year = self.cleaned_data["year"]
        last = timezone.localdate().year
        if not FIRST_YEAR <= year <= last:
            raise forms.ValidationError(
                _("year: must be from %(first)s to %(last)s.")
                % {"first": FIRST_YEAR, "last": last},
                code="year",
            )
        return year

    def clean(self):
        data = super().clean()
        indicator, value = data.get("indicator"), data.get("value")
        if value is not None and not math.isfinite(value):
            self.add_error("value", _("value: must be a number."))
            value = None
        if indicator is not None and data.get("year") is not None:
            same = NationalValue.objects.filter(indicator=indicator, year=data["year"])
            if same.exclude(pk=self.instance.pk).exists():  # said on the field, not as Django does
                self.add_error(
                    "year",
                    _("year: %(code)s has a national value for %(year)s already; change that one.")
                    % {"code": indicator.code, "year": data["year"]},
                )
        if indicator is not None and value is not None and indicator.unit.strip() == "%":
            if not 0 <= value <= 100:
                self.add_error(
                    "value",
                    _("value: %(code)s is a share in %%, so the value lies from 0 to 100.")
                    % {"code": indicator.code},
                )
        return data
