"""Forms: a definition from a preset, an own definition (or a new version), sensitivity, decision."""

import re
from fractions import Fraction

from django import forms
from django.utils.translation import gettext_lazy as _

from hotspot.indicators.library_messages import user_message
from hotspot.indices import inputs as ix
from hotspot.indices import pages
from safetystats import index as sx

PRESET_LABELS = {
    "rotterdam-2002": _("Rotterdam Veiligheidsindex 2002 (as published; 1–10 grade)"),
    "wijkprofiel-2014": _("Rotterdam Wijkprofiel 2014 (as published; 100 = base year)"),
    "copenhagen": _("Copenhagen Tryghedsindeks (our reading; three pillars)"),
}
DIRECTION_CHOICES = [
    ("", _("– choose –")),
    ("good", _("higher is safer")),
    ("bad", _("higher is less safe")),
]


def parse_number(text: str) -> float:
    """'0,5', '0.5' or '1/3' -> float; ValueError with the text otherwise."""
    t = str(text).strip().replace(" ", "")
    if re.fullmatch(r"-?\d+/\d+", t):
        return float(Fraction(t))
    return float(t.replace(",", "."))


def _number_list(text: str) -> list[float]:
    return [parse_number(p) for p in re.split(r";", text) if p.strip()]


class PresetForm(forms.Form):
    preset = forms.ChoiceField(label=_("Preset"), choices=list(PRESET_LABELS.items()))
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    reference_year = forms.TypedChoiceField(label=_("Reference year"), coerce=int, choices=())
    area_set = forms.ChoiceField(label=_("Areas"), choices=list(ix.AREA_SET_LABELS.items()))
    survey_min_n = forms.IntegerField(
        label=_("Minimum respondents per area and year"),
        min_value=1,
        max_value=1000,
        initial=20,
        help_text=_("Survey cells with fewer respondents are suppressed and count as missing."),
    )

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reference_year"].choices = [(y, str(y)) for y in years]


class DefinitionForm(forms.Form):
    """The whole method. Indicator rows are fields named ``use_<code>``, ``dir_<code>``, …"""

    name = forms.CharField(label=_("Name"), max_length=120)
    note = forms.CharField(label=_("What changed / why"), max_length=300, required=False)
    w_objective = forms.CharField(label=_("Objective"), initial="1/3")
    w_subjective = forms.CharField(label=_("Subjective"), initial="1/3")
    w_socio_economic = forms.CharField(label=_("Socio-economic"), initial="1/3")
    normalisation = forms.ChoiceField(
        label=_("Normalisation"), choices=list(ix.NORMALISATION_LABELS.items())
    )
    aggregation = forms.ChoiceField(
        label=_("Aggregation"),
        choices=[("linear", _("linear (weighted mean)")), ("geometric", _("geometric"))],
    )
    missing = forms.ChoiceField(
        label=_("Missing values"),
        choices=[
            ("reweight", _("reweight within the theme and flag the score")),
            ("strict", _("no score when an indicator is missing")),
        ],
    )
    reference_year = forms.IntegerField(label=_("Reference year"))
    area_set = forms.ChoiceField(label=_("Areas"), choices=list(ix.AREA_SET_LABELS.items()))
    scale_a = forms.CharField(label=_("Scale: a"), initial="100")
    scale_b = forms.CharField(label=_("Scale: b"), initial="10")
    clip = forms.CharField(
        label=_("Clip to (low; high)"), required=False, help_text=_("e.g. 1; 10 for a grade")
    )
    band_cuts = forms.CharField(
        label=_("Band cut-offs"), required=False, help_text=_("separated by ;, increasing")
    )
    band_labels = forms.CharField(
        label=_("Band labels"), required=False, help_text=_("one more than the cut-offs, by ;")
    )
    survey_min_n = forms.IntegerField(
        label=_("Minimum respondents per area and year"), min_value=1, initial=20
    )
    divergence_threshold = forms.CharField(
        label=_("Divergence flag from (reference SDs)"), initial="1"
    )

    def __init__(self, *args, catalogue=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.catalogue = catalogue or ix.catalogue()
        pillar_choices = [(p, ix.PILLAR_LABELS[p]) for p in ix.PILLARS]
        for code, e in self.catalogue.items():
            self.fields[f"use_{code}"] = forms.BooleanField(required=False, label=e.label)
            self.fields[f"dir_{code}"] = forms.ChoiceField(
                required=False, choices=DIRECTION_CHOICES, label=_("Direction")
            )
            self.fields[f"pillar_{code}"] = forms.ChoiceField(
                choices=pillar_choices, label=_("Pillar")
            )
            self.fields[f"theme_{code}"] = forms.CharField(max_length=40, label=_("Theme"))
            self.fields[f"weight_{code}"] = forms.CharField(
                required=False, max_length=20, label=_("Weight in theme")
            )

    @classmethod
    def initial_from_spec(cls, spec: dict, name: str, catalogue) -> dict:
        initial = {
            "name": name,
            "normalisation": spec.get("normalisation", "z"),
            "aggregation": spec.get("aggregation", "linear"),
            "missing": spec.get("missing", "reweight"),
            "reference_year": spec.get("reference_year"),
            "area_set": spec.get("area_set", "tiling"),
            "survey_min_n": spec.get("survey_min_n", 20),
            "divergence_threshold": _fmt(spec.get("divergence_threshold", 1.0)),
        }
        for p in ix.PILLARS:
            initial[f"w_{p}"] = _fmt(spec["pillar_weights"].get(p, 0.0))
        scale = spec.get("scale") or {"a": 100, "b": 10, "clip": None}
        initial["scale_a"], initial["scale_b"] = _fmt(scale["a"]), _fmt(scale["b"])
        initial["clip"] = "; ".join(_fmt(c) for c in scale["clip"]) if scale.get("clip") else ""
        bands = spec.get("bands")
        if bands:
            initial["band_cuts"] = "; ".join(_fmt(c) for c in bands["cuts"])
            initial["band_labels"] = "; ".join(pages.band_text(label) for label in bands["labels"])
        chosen = {r["code"]: r for r in spec.get("indicators", [])}
        for code, e in catalogue.items():
            r = chosen.get(code)
            initial[f"use_{code}"] = r is not None
            initial[f"dir_{code}"] = (r or {}).get("direction") or e.direction or ""
            initial[f"pillar_{code}"] = (r or {}).get("pillar", e.pillar)
            initial[f"theme_{code}"] = (r or {}).get("theme", e.theme)
            w = (r or {}).get("weight")
            initial[f"weight_{code}"] = "" if w is None else _fmt(w)
        return initial

    def rows(self):
        """Bound fields per catalogue indicator, for the template's table."""
        for code, e in self.catalogue.items():
            yield {
                "code": code,
                "entry": e,
                "use": self[f"use_{code}"],
                "direction": self[f"dir_{code}"],
                "pillar": self[f"pillar_{code}"],
                "theme": self[f"theme_{code}"],
                "weight": self[f"weight_{code}"],
            }

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            spec = self._spec(data)
            ix.validate_spec(spec)
        except ValueError as exc:
            raise forms.ValidationError(user_message(exc)) from None
        data["spec"] = spec
        return data

    def _spec(self, d) -> dict:
        def num(field, label):
            try:
                return parse_number(d[field])
            except (ValueError, ZeroDivisionError):
                raise ValueError(
                    _("%(label)s: expected a number such as 0,5 or 1/3, got %(value)r")
                    % {"label": label, "value": d[field]}
                ) from None

        indicators = []
        for code in self.catalogue:
            if not d.get(f"use_{code}"):
                continue
            weight = d.get(f"weight_{code}") or ""
            indicators.append(
                {
                    "code": code,
                    "direction": d.get(f"dir_{code}") or None,
                    "pillar": d[f"pillar_{code}"],
                    "theme": d[f"theme_{code}"].strip() or "default",
                    "weight": num(f"weight_{code}", code) if weight.strip() else None,
                }
            )
        if not indicators:
            raise ValueError(_("choose at least one indicator"))
        clip = d.get("clip") or ""
        try:
            clip_v = _number_list(clip) if clip.strip() else None
            cuts = _number_list(d.get("band_cuts") or "")
        except (ValueError, ZeroDivisionError):
            raise ValueError(_("clip and band cut-offs: expected numbers separated by ;")) from None
        if clip_v is not None and len(clip_v) != 2:
            raise ValueError(_("clip: expected two numbers, low; high"))
        labels = [s.strip() for s in (d.get("band_labels") or "").split(";") if s.strip()]
        bands = None
        if cuts or labels:
            bands = {"cuts": cuts, "labels": labels}
            sx.Bands(tuple(cuts), tuple(labels))  # refuses wrong counts and order
        return {
            "preset": "",
            "note": d.get("note", ""),
            "indicators": indicators,
            "pillar_weights": {p: num(f"w_{p}", str(ix.PILLAR_LABELS[p])) for p in ix.PILLARS},
            "normalisation": d["normalisation"],
            "aggregation": d["aggregation"],
            "missing": d["missing"],
            "scale": {
                "a": num("scale_a", "a"),
                "b": num("scale_b", "b"),
                "clip": clip_v,
            },
            "bands": bands,
            "reference_year": d["reference_year"],
            "area_set": d["area_set"],
            "survey_min_n": d["survey_min_n"],
            "divergence_threshold": num("divergence_threshold", "divergence"),
        }


def _fmt(x) -> str:
    """Weights as the user would type them: 1/3 rather than 0.3333333333333333."""
    x = float(x)
    f = Fraction(x).limit_denominator(12)
    if abs(float(f) - x) < 1e-12 and f.denominator != 1:
        return f"{f.numerator}/{f.denominator}"
    return f"{x:g}".replace(".", ",")


class SensitivityForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, choices=())
    draws = forms.IntegerField(label=_("Draws"), min_value=50, max_value=5000, initial=1000)
    concentration = forms.FloatField(
        label=_("Weight concentration"),
        min_value=1,
        initial=50,
        help_text=_("Dirichlet concentration around the chosen weights: lower = wider spread."),
    )
    normalisations = forms.MultipleChoiceField(
        label=_("Normalisations to draw from"),
        choices=list(ix.NORMALISATION_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    drop_indicator = forms.BooleanField(label=_("Also leave out one indicator"), required=False)
    seed = forms.IntegerField(label=_("Random seed"), initial=1, min_value=0)

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]


class DecisionForm(forms.Form):
    """Which candidates become hotspots, with the level of need of each (suggested by its index band)
    and, where the hotspot is wider than the candidate ("distrikt 12 inklusiv rode 157"), the areas it
    also takes in. Per candidate: ``need_<area id>`` and ``with_<area id>``."""

    selected = forms.MultipleChoiceField(
        label=_("Selected as hotspots"), widget=forms.CheckboxSelectMultiple, required=False
    )
    rationale = forms.CharField(
        label=_("Rationale"),
        widget=forms.Textarea(attrs={"rows": 6}),
        min_length=20,
        help_text=_("Why these areas (and not the others): at least 20 characters."),
    )
    valid_from = forms.DateField(
        label=_("Hotspot effort from"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, candidates=(), **kwargs):
        from hotspot.areas.models import TILING_KINDS, Area, AreaKind
        from hotspot.indices.models import NEED_OF_BAND, Need, SafetyScore

        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)
        self.fields["selected"].choices = [(str(c.area_id), c.area.name) for c in self.candidates]
        if not self.candidates:
            return
        dossier = self.candidates[0].dossier
        bands = dict(
            SafetyScore.objects.filter(
                run_id=dossier.run_id,
                year=dossier.year,
                area_id__in=[c.area_id for c in self.candidates],
            ).values_list("area_id", "band_label")
        )
        widen = [
            (str(pk), f"{name} ({code})")
            for pk, name, code in Area.objects.filter(
                municipality_id=dossier.municipality_id,
                kind__in=(AreaKind.DISTRICT, *TILING_KINDS),
            )
            .order_by("kind", "code")
            .values_list("pk", "name", "code")
        ]
        self.rows = []
        for c in self.candidates:
            need = forms.ChoiceField(
                label=_("Level of need: %(area)s") % {"area": c.area.name},
                choices=[("", _("Choose")), *Need.choices],
                required=False,
                initial=NEED_OF_BAND.get(bands.get(c.area_id, ""), ""),
            )
            also = forms.MultipleChoiceField(
                label=_("The hotspot also takes in (optional): %(area)s") % {"area": c.area.name},
                choices=[w for w in widen if w[0] != str(c.area_id)],
                required=False,
            )
            self.fields[f"need_{c.area_id}"] = need
            self.fields[f"with_{c.area_id}"] = also
            self.rows.append(
                {
                    "candidate": c,
                    "band": bands.get(c.area_id, ""),
                    "need": self[f"need_{c.area_id}"],
                    "also": self[f"with_{c.area_id}"],
                }
            )

    def clean(self):
        data = super().clean()
        for c in self.candidates:
            if str(c.area_id) in data.get("selected", ()) and not data.get(f"need_{c.area_id}"):
                self.add_error(
                    f"need_{c.area_id}",
                    _("Choose the level of need for %(area)s.") % {"area": c.area.name},
                )
        return data

    def needs(self) -> dict[int, str]:
        return {c.area_id: self.cleaned_data.get(f"need_{c.area_id}", "") for c in self.candidates}

    def with_areas(self) -> dict[int, list]:
        from hotspot.areas.models import Area

        wanted = {
            c.area_id: [int(i) for i in self.cleaned_data.get(f"with_{c.area_id}") or ()]
            for c in self.candidates
        }
        areas = Area.objects.in_bulk({i for ids in wanted.values() for i in ids})
        return {
            pk: sorted((areas[i] for i in ids), key=lambda a: a.code)
            for pk, ids in wanted.items()
            if ids
        }
