from django import forms
from django.utils.translation import gettext_lazy as _

from hotspot.areas.actions import COMPOSABLE_KINDS
from hotspot.areas.models import TILING_KINDS, Area, AreaKind


class CompositionForm(forms.Form):
    """A hotspot or control area made of existing areas of the municipality: a new one (code, name,
    kind) or an existing one's members. The choices are the municipality's own districts, police
    areas and housing areas, so another municipality's area cannot be posted in."""

    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[(k.value, k.label) for k in COMPOSABLE_KINDS]
    )
    members = forms.MultipleChoiceField(
        label=_("Made of"),
        help_text=_(
            "Districts, police areas and housing areas. The area's figures are the sum of their "
            "figures, each police or housing area counted once, and its outline their union."
        ),
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )

    def __init__(self, *args, municipality, area=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality, self.area = municipality, area
        self.fields["members"].choices = [
            (str(pk), f"{name} ({code})")
            for pk, name, code in Area.objects.filter(
                municipality=municipality, kind__in=(AreaKind.DISTRICT, *TILING_KINDS)
            )
            .order_by("kind", "code")
            .values_list("pk", "name", "code")
        ]
        if area is not None:
            for name in ("code", "name", "kind"):
                del self.fields[name]
            self.initial.setdefault(
                "members", [str(m) for m in area.members.values_list("pk", flat=True)]
            )

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if Area.objects.filter(municipality=self.municipality, code=code).exists():
            raise forms.ValidationError(_("An area with this code exists already."))
        return code

    def chosen(self) -> list[Area]:
        ids = [int(i) for i in self.cleaned_data["members"]]
        return list(
            Area.objects.filter(municipality=self.municipality, pk__in=ids).order_by("code")
        )
