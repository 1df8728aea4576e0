"""Safety-index pages: the context of every page, the export's rows, and the words they show.

Page functions take model objects, the municipality and plain values (a query parameter, what the
reader may see, ``raw``/``can_define``/``can_decide`` as the view read them from the reader's active
membership) and return the template's context. They never see the request, so a test calls them
without the client; the views (``views.py``) fetch through the access helpers, call these and render.

Words: the library returns English text or codes (preset band labels and descriptions, themes,
aggregation and missing-data methods, the statutory criteria: classification, criterion, reason). The
library keeps its English (it never imports Django); pages show these translations, looked up when
they render, so a definition or score stored with the library's words reads in Danish. A label a user
typed (own band labels, an own note) is not in these tables and is shown as typed.
"""

import json
import re
from dataclasses import replace

import numpy as np
from django.core.paginator import Paginator
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hotspot.areas.geo import area_feature, feature_collection_of
from hotspot.areas.models import Area, Population
from hotspot.downloads import xlsx_bytes
from hotspot.incidents.models import OffenceGroup
from hotspot.indices import (
    forms,  # forms imports this module too: both by module, read at call time
)
from hotspot.indices import inputs as ix
from hotspot.indices.models import (
    IndexRun,
    SafetyIndex,
    SafetyScore,
    SelectionDossier,
    SensitivityRun,
    SensitivityValue,
    Status,
)
from hotspot.reports.charts import line_chart
from safetystats import index as sx
from safetystats.criteria import RULE_SETS

PER_PAGE = 100
# ColorBrewer RdYlBu (worst band red, best blue): colour-blind safe and readable in print.
PALETTE = ["#d73027", "#fc8d59", "#fee090", "#e0f3f8", "#91bfdb", "#4575b4"]
NO_BAND_COLOUR = "#cccccc"


# == words ==========================================================================================
#: the presets' band labels (safetystats/index.py: _ROTTERDAM_BANDS, _WIJKPROFIEL_BANDS, _COPENHAGEN_BANDS)
BAND_LABELS = {
    "marked effort": _("marked effort"),
    "intensified effort": _("intensified effort"),
    "ordinary effort": _("ordinary effort"),
    "unsafe": _("unsafe"),
    "problem": _("problem area"),
    "threatened": _("threatened"),
    "attention": _("needs attention"),
    "safe": _("safe"),
    "very unfavourable": _("very unfavourable"),
    "unfavourable": _("unfavourable"),
    "average": _("average"),
    "favourable": _("favourable"),
    "very favourable": _("very favourable"),
}

#: the presets' descriptions, by preset name (the library's ``note``)
PRESET_NOTES = {
    "rotterdam-2002": _(
        "Rotterdam Veiligheidsindex 2002 as published: z-scores, objective 1/3, subjective 2/3, grade "
        "1–10, bands unsafe < 3.9 ≤ problem area < 5 ≤ threatened < 6 ≤ needs attention < 7.1 ≤ safe. Not "
        "published: the conversion from z-score to grade; ours is 5.5 + 1.5·z̄ clipped to 1–10 (the "
        "reference mean gives 5.5, ±3 standard deviations the ends of the scale)."
    ),
    "wijkprofiel-2014": _(
        "Rotterdam Wijkprofiel 2014 as published: a theme is the mean of its indicators, the index weighs "
        "objective and subjective 50/50, 100 = the city mean in the base year, bands 70/90/110/130. Not "
        "published: how an indicator is scored; ours is 100 + 10·z against the base year (the labels "
        "above 110 by symmetry)."
    ),
    "copenhagen": _(
        "Our reading, not a published method: the 2008 framework builds the T-score from police "
        "statistics, felt safety and socio-economic data, so the three pillars weigh 1/3 each; "
        "100 + 10·z̄ against the reference year. The Tryghedsindeks labels “marked” and “intensified” "
        "effort are verified; their cut-offs (85, 95) and order are ours."
    ),
}

THEME_LABELS = {
    **{str(value): label for value, label in OffenceGroup.choices},
    "citizen_directed": _("Citizen-directed crime"),
    "serious": _("Serious crime"),
    "youth": _("Youth crime"),
    "felt_safety": _("Felt safety"),
    "problems": _("Problems in the neighbourhood"),
    "registers": _("Registers"),
}

AGGREGATION_LABELS = {
    "linear": _("linear (weighted mean)"),
    "geometric": _("geometric (weighted product)"),
}
MISSING_LABELS = {
    "reweight": _("their weight goes to the other indicators of the theme"),
    "strict": _("no score for the area that year"),
}

#: what a divergence beyond the definition's threshold says, by its sign (is it positive?)
DIVERGENCE_LABELS = {
    True: _("feels less safe than measured"),
    False: _("feels safer than measured"),
}


def band_text(label):
    """A band label in the reader's language (a preset's label), or the user's own label as typed."""
    if not label:
        return label
    return str(BAND_LABELS.get(label, label))


def preset_note(spec: dict) -> str:
    """The description of a definition: the preset's, translated, while the note is the library's own
    text; a note the user wrote is shown as written."""
    name = spec.get("preset", "")
    note = spec.get("note", "")
    library = sx.PRESETS.get(name, {}).get("note") if name else None
    if name in PRESET_NOTES and (not note or note == library):
        return str(PRESET_NOTES[name])
    return note


def theme_label(code: str) -> str:
    return str(THEME_LABELS.get(code, code))


def aggregation_label(code: str) -> str:
    return str(AGGREGATION_LABELS.get(code, code))


def missing_label(code: str) -> str:
    return str(MISSING_LABELS.get(code, code))


def divergence_label(value, threshold) -> str:
    """The flag of a score whose felt and measured safety diverge by ``threshold`` or more."""
    if value is None or abs(value) < threshold:
        return ""
    return str(DIVERGENCE_LABELS[value > 0])


# -- statutory criteria (safetystats/criteria.py) ----------------------------------------------------
CLASSIFICATION_LABELS = {
    "transformation": _("transformation area"),
    "parallel_society": _("parallel society"),
    "vulnerable": _("vulnerable housing area"),
    "prevention": _("prevention area"),
    "none": _("not on a list"),
    "not_assessed": _("not assessed"),
    "not_assessable": _("cannot be assessed"),
}
#: criterion key -> (long label, short label)
CRITERION_LABELS = {
    "outside": (
        _("Residents 18–64 outside the labour market or education"),
        _("outside work or education"),
    ),
    "convicted": (
        _("Residents 18+ convicted (penal code, weapons act, narcotics act)"),
        _("convicted"),
    ),
    "primary_only": (
        _("Residents 30–59 with only primary education"),
        _("only primary school"),
    ),
    "income": (
        _("Mean gross income of taxpayers 15–64 excl. students, as a percentage of the region"),
        _("income"),
    ),
    "non_western": (_("Non-Western immigrants and descendants"), _("non-Western")),
}
FIELD_LABELS = {
    "residents": _("residents"),
    "outside_share": _("share outside work or education"),
    "convicted_share": _("share convicted"),
    "primary_only_share": _("share with only primary school"),
    "income_ratio": _("income ratio"),
    "non_western_share": _("share of non-Western origin"),
    "national_convicted_share": _("national share convicted"),
}


def classification_label(code: str) -> str:
    return str(CLASSIFICATION_LABELS.get(code, code))


def criterion_label(key: str, *, short: bool = False) -> str:
    labels = CRITERION_LABELS.get(key)
    return str(labels[1 if short else 0]) if labels else key


def _int(text: str) -> str:
    return number_format(int(float(text.replace(",", ""))), 0, force_grouping=True)


#: the criteria reasons the library writes that we translate, first match wins:
#: (the library's sentence, ours, our sentence's parameters from the match)
CRITERIA_REASONS = (
    (
        re.compile(r"([\d.e+]+) residents on 1 January (\d+): fewer than ([\d,]+)"),
        _("%(n)s residents on 1 January %(year)s: fewer than %(min)s."),
        lambda m: {"n": _int(m[1]), "year": m[2], "min": _int(m[3])},
    ),
    (
        re.compile(r"no data for (\d+)"),
        _("No data for %(year)s."),
        lambda m: {"year": m[1]},
    ),
    (
        re.compile(r"(\w+) missing for (\d+)"),
        _("%(what)s missing for %(year)s."),
        lambda m: {"what": str(FIELD_LABELS.get(m[1], m[1])).capitalize(), "year": m[2]},
    ),
)
#: any other reason: the library's 'undecided' combinations
UNDECIDED_REASON = _("Some of the data needed are missing, so it cannot be decided.")


def criteria_reason(text: str) -> str:
    """A criteria ``reason`` in the reader's language. The known sentences are translated with their
    numbers; any other reason (the library's 'undecided' combinations) gets a general sentence."""
    if not text:
        return ""
    for pattern, sentence, parameters in CRITERIA_REASONS:
        m = pattern.fullmatch(text)
        if m:
            return str(sentence) % parameters(m)
    return str(UNDECIDED_REASON)


def assessment_words(assessment, criteria):
    """``(assessment, criteria, classification label)`` with the criteria's labels and reasons and the
    assessment's reason in the reader's language (copies: the library's results are frozen)."""
    if assessment is None:
        return None, criteria, ""

    def _criteria(results):
        return tuple(
            replace(c, label=criterion_label(c.key), reason=criteria_reason(c.reason))
            for c in results
        )

    assessment = replace(
        assessment,
        reason=criteria_reason(assessment.reason),
        criteria=_criteria(assessment.criteria),
    )
    if criteria is not None:
        criteria = replace(criteria, criteria=_criteria(criteria.criteria))
    return assessment, criteria, classification_label(assessment.classification)


def met_criteria(criteria) -> list[dict]:
    """The criteria that are met, with a short label, for the dossier's comparison table."""
    if criteria is None:
        return []
    return [
        {
            "label": criterion_label(c.key, short=True),
            "value": c.value,
            "op": c.op,
            "threshold": c.threshold,
        }
        for c in criteria.criteria
        if c.met
    ]


# == shared parts ===================================================================================
def band_colours(n: int) -> list[str]:
    if n <= 0:
        return []
    if n == 1:
        return [PALETTE[-1]]
    return [PALETTE[round(k * (len(PALETTE) - 1) / (n - 1))] for k in range(n)]


def spec_bands(spec) -> list[dict]:
    """A definition's bands: label in the reader's language, colour, low and high cut-off."""
    bands = spec.get("bands")
    if not bands:
        return []
    colours = band_colours(len(bands["labels"]))
    cuts = [None, *bands["cuts"], None]
    return [
        {"label": band_text(label), "colour": colours[k], "low": cuts[k], "high": cuts[k + 1]}
        for k, label in enumerate(bands["labels"])
    ]


def run_bands(run) -> list[dict]:
    return spec_bands(run.version.spec)


def _cuts(bands) -> list:
    return [b["low"] for b in bands if b["low"] is not None]


def chosen_year(run, text) -> int | None:
    """The year a reader asked for (``?year=``) when the run has it, else the run's last year."""
    years = run.years or []
    try:
        y = int(text or "")
    except ValueError:
        y = None
    if y in years:
        return y
    return years[-1] if years else None


def years_available(municipality) -> list[int]:
    return sorted(
        Population.objects.in_municipality(municipality).values_list("year", flat=True).distinct()
    )


def _default_reference_year(years, fallback):
    return years[1] if len(years) > 1 else fallback


def inputs_of(run):
    """The run's stored input array (read only where used: megabytes for a large municipality)."""
    return ix.Inputs.from_bytes(run.inputs) if run.inputs else None


def latest_sensitivity(run, year):
    return (
        SensitivityRun.objects.filter(run=run, year=year, status=Status.DONE)
        .order_by("-finished_at", "-pk")
        .first()
    )


def _number(v):
    return None if np.isnan(v) else float(v)


def indicator_labels(codes) -> list[str]:
    catalogue = ix.catalogue()
    return [str(catalogue[c].label) if c in catalogue else c for c in codes]


# == definitions ====================================================================================
def home(municipality, *, can_define: bool) -> dict:
    """The index start page: every definition with its newest version and run, presets, dossiers."""
    definitions = list(
        SafetyIndex.objects.in_municipality(municipality).prefetch_related("versions")
    )
    latest = {}
    for run in (
        IndexRun.objects.in_municipality(municipality)
        .select_related("version")
        .defer("inputs")
        .order_by("-created_at", "-pk")
    ):
        latest.setdefault(run.version.definition_id, run)
    rows = [
        {
            "definition": d,
            # from the prefetched versions (``d.current`` would query once per definition)
            "version": max(d.versions.all(), key=lambda v: v.number, default=None),
            "run": latest.get(d.pk),
            # the preset's name, never its code (a preset no longer offered shows as it was stored)
            "preset": forms.PRESET_LABELS.get(d.preset, d.preset),
        }
        for d in definitions
    ]
    years = years_available(municipality)
    form = None
    if can_define and years:
        form = forms.PresetForm(
            years=years, initial={"reference_year": _default_reference_year(years, years[0])}
        )
    dossiers = SelectionDossier.objects.in_municipality(municipality).select_related(
        "decided_by", "created_by"
    )[:20]
    return {
        "rows": rows,
        "form": form,
        "presets": forms.PRESET_LABELS,
        "dossiers": dossiers,
        "can_define": can_define,
    }


def new_definition_form(municipality, preset, catalogue):
    """An own definition, filled in from a preset (``?preset=``; the Copenhagen one by default)."""
    years = years_available(municipality)
    base = preset if preset in forms.PRESET_LABELS else "copenhagen"
    spec = ix.preset_spec(base, reference_year=_default_reference_year(years, 2009))
    return forms.DefinitionForm(
        initial=forms.DefinitionForm.initial_from_spec(spec, gettext("Own index"), catalogue),
        catalogue=catalogue,
    )


def edit_definition_form(definition, catalogue):
    """A new version of ``definition``, filled in from its current one."""
    return forms.DefinitionForm(
        initial=forms.DefinitionForm.initial_from_spec(
            definition.current.spec, definition.name, catalogue
        ),
        catalogue=catalogue,
    )


def definition_form(form, definition=None) -> dict:
    return {"form": form, "definition": definition, "pillars": ix.PILLAR_LABELS}


def definition_detail(definition, *, can_define: bool) -> dict:
    versions = list(definition.versions.select_related("created_by"))
    current = versions[0] if versions else None
    catalogue = ix.catalogue()
    method = _method(current.spec, catalogue) if current else _no_method()
    runs = (
        IndexRun.objects.filter(version__definition=definition)
        .select_related("version")
        .defer("inputs")[:20]
    )
    return {
        "definition": definition,
        "versions": versions,
        "current": current,
        **method,
        "runs": runs,
        "can_define": can_define,
    }


def _method(spec, catalogue) -> dict:
    """A definition's method in words: indicators, weights, normalisation, aggregation, bands."""
    return {
        "spec": spec,
        "note": preset_note(spec),
        "aggregation": aggregation_label(spec.get("aggregation", "linear")),
        "missing": missing_label(spec.get("missing", "reweight")),
        "indicators": _definition_indicators(spec, catalogue),
        "pillar_weights": [
            (ix.PILLAR_LABELS[p], 100 * w)
            for p, w in spec["pillar_weights"].items()
            if p in ix.PILLAR_LABELS
        ],
        "normalisation": ix.NORMALISATION_LABELS.get(spec["normalisation"]),
        "area_set": ix.AREA_SET_LABELS.get(spec.get("area_set", "tiling")),
        "bands": spec_bands(spec),
    }


def _no_method() -> dict:
    """What the definition page shows of a definition that has no version."""
    return {
        "spec": {},
        "note": "",
        "aggregation": "",
        "missing": "",
        "indicators": [],
        "pillar_weights": [],
        "normalisation": "",
        "area_set": "",
        "bands": [],
    }


def _definition_indicators(spec, catalogue) -> list[dict]:
    """The spec's indicators with their labels and effective weight (percent of the score)."""
    try:
        effective = ix.build_definition(spec, [spec["reference_year"]]).effective_weights()
    except ValueError:
        effective = None
    indicators = []
    for k, r in enumerate(spec["indicators"]):
        e = catalogue.get(r["code"])
        indicators.append(
            {
                **r,
                "label": e.label if e else r["code"],
                "pillar_label": ix.PILLAR_LABELS.get(r["pillar"], r["pillar"]),
                "theme_label": theme_label(r.get("theme", "")),
                "effective": None if effective is None else 100 * float(effective[k]),
            }
        )
    return indicators


# == runs ===========================================================================================
def run_detail(run, *, can_define: bool) -> dict:
    year = run.last_year
    worst = None
    no_data = []
    if run.status == Status.DONE and year:
        worst = (
            SafetyScore.objects.filter(run=run, year=year, score__isnull=False)
            .select_related("area")
            .only("score", "band_label", "area__name", "area__code")
            .order_by("score")
            .first()
        )
        if worst is not None:
            worst.band_label = band_text(worst.band_label)  # shown, never saved
        no_data = list(
            SafetyScore.objects.filter(run=run, year=year, score__isnull=True)
            .select_related("area")
            .only("no_data", "n_missing", "area__name", "area__code")
            .order_by("area__code")
        )
    return {
        "run": run,
        "definition": run.version.definition,
        "indicator_labels": indicator_labels((run.parameters or {}).get("indicators", [])),
        "year": year,
        "worst": worst,
        "no_data": no_data,
        "pending": run.status in (Status.QUEUED, Status.RUNNING),
        "can_define": can_define,
    }


def run_map(run, year) -> dict:
    worst = (
        SafetyScore.objects.filter(run=run, year=year, score__isnull=False)
        .order_by("score")
        .values_list("area_id", flat=True)
        .first()
    )
    return {
        "run": run,
        "definition": run.version.definition,
        "year": year,
        "years": run.years,
        "bands": run_bands(run),
        "worst": worst,
    }


def score_features(run, year) -> list[dict]:
    """The map's features: every scored area with a geometry, coloured by its band."""
    scores = {
        s["area_id"]: s
        for s in SafetyScore.objects.filter(run=run, year=year).values(
            "area_id", "score", "band", "band_label", "objective", "subjective", "rank"
        )
    }
    bands = run_bands(run)
    features = []
    for area in Area.objects.filter(pk__in=list(scores)).only(
        "pk", "code", "name", "kind", "geometry"
    ):
        s = scores[area.pk]
        if not area.geometry:
            continue
        band = s["band"]
        colour = NO_BAND_COLOUR
        if s["score"] is not None and bands and 0 <= band < len(bands):
            colour = bands[band]["colour"]
        features.append(
            area_feature(
                area,
                {
                    "code": area.code,
                    "name": area.name,
                    "score": None if s["score"] is None else round(s["score"], 2),
                    "band": band_text(s["band_label"]),
                    "rank": s["rank"],
                    "colour": colour,
                    "url": reverse("indices:profile", args=[run.pk, area.pk]) + f"?year={year}",
                },
            )
        )
    return features


def run_geojson(run, year) -> dict:
    return feature_collection_of(score_features(run, year))


RANKING_FIELDS = (
    "area_id",
    "area__code",
    "area__name",
    "area__kind",
    "score",
    "band",
    "band_label",
    "objective",
    "subjective",
    "socio_economic",
    "n_missing",
    "imputed",
    "no_data",
    "divergence",
    "rank",
)


def ranking(run, year, page_number, *, can_decide: bool) -> dict:
    """One page of the areas by score, worst first, with rank interval and change since the reference."""
    spec = run.version.spec
    qs = (
        SafetyScore.objects.filter(run=run, year=year)
        .values(*RANKING_FIELDS)
        .order_by(F("score").asc(nulls_last=True), "area__code")
    )
    page = Paginator(qs, PER_PAGE).get_page(page_number)
    rows = list(page.object_list)
    sens = latest_sensitivity(run, year)
    _ranking_rows(run, year, rows, sens)
    return {
        "run": run,
        "definition": run.version.definition,
        "year": year,
        "years": run.years,
        "ref_year": spec.get("reference_year"),
        "page": page,
        "rows": rows,
        "sens": sens,
        "has_socio": "socio_economic" in {i["pillar"] for i in spec["indicators"]},
        "can_decide": can_decide,
    }


def _ranking_rows(run, year, rows, sens) -> None:
    """Adds each row's rank interval, change, divergence flag, band label and colour (in place)."""
    spec = run.version.spec
    ref_year = spec.get("reference_year")
    threshold = float(spec.get("divergence_threshold", 1.0))
    ids = [r["area_id"] for r in rows]
    intervals = {}
    if sens:
        intervals = {
            v["area_id"]: v
            for v in SensitivityValue.objects.filter(sensitivity=sens, area_id__in=ids).values(
                "area_id", "rank_low", "rank_high", "band_change_share"
            )
        }
    reference = {}
    if ref_year is not None and ref_year != year:
        reference = dict(
            SafetyScore.objects.filter(run=run, year=ref_year, area_id__in=ids).values_list(
                "area_id", "score"
            )
        )
    colours = [b["colour"] for b in run_bands(run)]
    for r in rows:
        r["interval"] = intervals.get(r["area_id"])
        ref = reference.get(r["area_id"]) if ref_year != year else r["score"]
        r["change"] = None if ref is None or r["score"] is None else r["score"] - ref
        r["divergence_label"] = divergence_label(r["divergence"], threshold)
        r["band_label"] = band_text(r["band_label"])
        r["colour"] = colours[r["band"]] if 0 <= r["band"] < len(colours) else ""


def profile(run, area, year, rules, *, raw: bool) -> dict | None:
    """An area's page in a run: scores per year, indicators, criteria, felt safety; ``None`` when the
    run has no score for the area."""
    spec = run.version.spec
    scores = list(SafetyScore.objects.filter(run=run, area=area).order_by("year"))
    if not scores:
        return None
    threshold = float(spec.get("divergence_threshold", 1.0))
    for s in scores:
        s.divergence_label = divergence_label(s.divergence, threshold)
        s.band_label = band_text(s.band_label)  # shown, never saved
    indicator_rows = _indicator_history(run, area, raw=raw)
    rules = rules if rules in RULE_SETS else "2018"
    assessment, criteria = ix.assess_area(area, year, rules)
    assessment, criteria, assessment_label = assessment_words(assessment, criteria)
    survey = ix.survey_shares_for_area(area, min_n=spec.get("survey_min_n", 20))
    bands = run_bands(run)
    return {
        "run": run,
        "definition": run.version.definition,
        "area": area,
        "year": year,
        "years": list(run.years),
        "scores": scores,
        "current": next((s for s in scores if s.year == year), scores[-1]),
        "indicator_rows": indicator_rows,
        "assessment": assessment,
        "assessment_label": assessment_label,
        "criteria": criteria,
        "rules": rules,
        "rule_sets": list(RULE_SETS),
        "survey": [r for r in survey if r["code"] == "survey_unsafe"],
        "survey_evening": [r for r in survey if r["code"] == "survey_unsafe_evening"],
        "min_n": spec.get("survey_min_n", 20),
        "chart": _profile_chart(scores, bands, spec),
        "bands": bands,
        "has_socio": any(s.socio_economic is not None for s in scores),
    }


def _indicator_history(run, area, *, raw: bool) -> list[dict]:
    """Each input indicator of the area over the run's years, as the reader may see it."""
    inputs = inputs_of(run)
    catalogue = ix.catalogue()
    if inputs is None:
        return []
    a = int(np.flatnonzero(inputs.area_ids == area.pk)[0])
    shown = inputs.visible_values(raw=raw)
    rows = []
    for k, code in enumerate(inputs.codes):
        e = catalogue.get(code)
        rows.append(
            {
                "code": code,
                "label": e.label if e else code,
                "unit": e.unit if e else "",
                "values": [_number(v) for v in shown[a, :, k]],
            }
        )
    return rows


def _profile_chart(scores, bands, spec) -> dict:
    return {
        "years": [s.year for s in scores],
        "score": [s.score for s in scores],
        "objective": [s.objective for s in scores],
        "subjective": [s.subjective for s in scores],
        "socio_economic": [s.socio_economic for s in scores],
        "cuts": _cuts(bands),
        "reference_year": spec.get("reference_year"),
    }


# == sensitivity ====================================================================================
def sensitivity_parameters(run, data) -> dict:
    """A sensitivity run's parameters from the form's cleaned data."""
    return {
        "draws": data["draws"],
        "concentration": data["concentration"],
        "normalisations": data["normalisations"] or [run.version.spec["normalisation"]],
        "drop_indicator": data["drop_indicator"],
        "seed": data["seed"],
    }


def sensitivity(run, year, *, can_define: bool) -> dict:
    """The newest sensitivity run of the year with its rank intervals, and the form to start one."""
    form = None
    if can_define:
        form = forms.SensitivityForm(
            years=run.years,
            initial={"year": year, "normalisations": [run.version.spec["normalisation"]]},
        )
    latest = (
        SensitivityRun.objects.filter(run=run, year=year).order_by("-created_at", "-pk").first()
    )
    values = []
    if latest and latest.status == Status.DONE:
        values = _sensitivity_values(latest)
    return {
        "run": run,
        "definition": run.version.definition,
        "year": year,
        "form": form,
        "latest": latest,
        "values": values,
        "pending": latest is not None and latest.status in (Status.QUEUED, Status.RUNNING),
    }


def _sensitivity_values(sens) -> list:
    """The areas' rank intervals, with the bar's position and width in percent of the table."""
    values = list(
        SensitivityValue.objects.filter(sensitivity=sens)
        .select_related("area")
        .only(
            "rank",
            "rank_low",
            "rank_median",
            "rank_high",
            "score_low",
            "score_high",
            "band_change_share",
            "area__name",
            "area__code",
        )
        .order_by(F("rank").asc(nulls_last=True))
    )
    n = len(values) or 1
    for v in values:
        if v.rank_low is not None:
            v.bar_left = 100 * (v.rank_low - 1) / n
            v.bar_width = max(100 * (v.rank_high - v.rank_low) / n, 0.8)
            v.mark = 100 * (v.rank - 1) / n
        if v.band_change_share is not None:
            v.band_change_pct = 100 * v.band_change_share
    return values


# == export =========================================================================================
#: the export's columns before the input indicators' codes
EXPORT_COLUMNS = (
    _("area code"),
    _("area"),
    _("year"),
    _("score"),
    _("band"),
    _("objective part"),
    _("subjective part"),
    _("socio-economic part"),
    _("rank"),
    _("missing indicators"),
    _("reweighted for missing"),
    _("no data"),
    _("divergence"),
)


def export_rows(run, *, raw: bool = False):
    """``(header, rows)``: every score of the run by area code and year, with its input values as the
    reader may see them."""
    inputs = inputs_of(run)
    codes = list(inputs.codes) if inputs else []
    header = [*(str(c) for c in EXPORT_COLUMNS), *codes]
    values = _input_values(inputs, raw=raw)
    rows = []
    for s in (
        SafetyScore.objects.filter(run=run)
        .select_related("area")
        .only(*[f.name for f in SafetyScore._meta.concrete_fields], "area__code", "area__name")
        .order_by("area__code", "year")
    ):
        rows.append(
            [
                s.area.code,
                s.area.name,
                s.year,
                s.score,
                band_text(s.band_label),
                s.objective,
                s.subjective,
                s.socio_economic,
                s.rank,
                s.n_missing,
                s.imputed,
                s.no_data,
                s.divergence,
                *values(s.area_id, s.year),
            ]
        )
    return header, rows


def _input_values(inputs, *, raw: bool):
    """``(area id, year) -> [value per indicator]`` of the stored inputs (``[]`` where there are none)."""
    if inputs is None:
        return lambda area_id, year: []
    a_index = {int(a): i for i, a in enumerate(inputs.area_ids)}
    y_index = {int(y): j for j, y in enumerate(inputs.years)}
    shown = inputs.visible_values(raw=raw)

    def values(area_id, year):
        a, y = a_index.get(area_id), y_index.get(year)
        if a is None or y is None:
            return []
        return [_number(v) for v in shown[a, y]]

    return values


def export_workbook(run, header, rows) -> bytes:
    """The export as a workbook: the scores, and a sheet with the method that made them."""
    method = [
        ("definition", f"{run.version.definition.name} v{run.version.number}"),
        ("inputs_hash", run.inputs_hash),
        ("method_version", run.method_version),
        ("library_versions", json.dumps(run.library_versions)),
        ("spec", json.dumps(run.version.spec, ensure_ascii=False)),
    ]
    return xlsx_bytes(
        header, rows, sheet=gettext("scores"), extra_sheets=[(gettext("method"), method)]
    )


# == selection dossier ==============================================================================
#: Sections of the apps above this one shown in the dossier under the comparison (the spatial app's hot
#: cells in and around each candidate): registered with :func:`register_dossier_section` from the app's
#: ``AppConfig.ready``; this app imports none of them.
_DOSSIER_SECTIONS = []


def register_dossier_section(builder) -> None:
    """``builder(dossier, candidates, raw=…)`` -> ``None`` or a dict with the ``template`` that shows it
    (given the dict as ``section``) and what that template needs."""
    if builder not in _DOSSIER_SECTIONS:
        _DOSSIER_SECTIONS.append(builder)


def dossier_sections(dossier, candidates, *, raw: bool) -> list[dict]:
    return [s for s in (build(dossier, candidates, raw=raw) for build in _DOSSIER_SECTIONS) if s]


def dossier_year(run, shown, posted) -> int | None:
    """The year a new dossier is for: the form's (``posted``), else the page's (``shown``, the
    ``?year=`` it was started from; ``None`` when there is none), else the run's last year."""
    year = chosen_year(run, shown) if shown is not None else None
    try:
        return int(posted if posted is not None else (year or run.last_year))
    except ValueError:
        return run.last_year


def dossier_context(dossier, *, raw: bool = False) -> dict:
    """The dossier's comparison of its candidates (page and PDF)."""
    run = dossier.run
    year = dossier.year
    spec = run.version.spec
    candidates = list(dossier.candidates.select_related("area", "hotspot"))
    sens = latest_sensitivity(run, year)
    columns = _dossier_columns(run, year, candidates, sens)
    bands = run_bands(run)
    return {
        "dossier": dossier,
        "run": run,
        "definition": run.version.definition,
        "version": run.version,
        "note": preset_note(spec),
        "year": year,
        "ref_year": spec.get("reference_year"),
        "columns": columns,
        "indicator_rows": _dossier_indicator_rows(run, year, candidates, raw=raw),
        "sens": sens,
        "has_socio": any(
            col["score"] and col["score"].socio_economic is not None for col in columns
        ),
        "trend_svg": line_chart(
            [(col["area"].name, col["trend"]) for col in columns],
            list(run.years),
            _cuts(bands),
            label=gettext("Score per year for each candidate"),
        ),
        "bands": bands,
        "selected": [c for c in candidates if c.selected],
        "sections": dossier_sections(dossier, candidates, raw=raw),
    }


def _dossier_columns(run, year, candidates, sens) -> list[dict]:
    """One column per candidate; the scores, intervals, criteria and survey shares of all candidates
    are read at once."""
    spec = run.version.spec
    ids = [c.area_id for c in candidates]
    scores = {(s.area_id, s.year): s for s in SafetyScore.objects.filter(run=run, area_id__in=ids)}
    intervals = (
        {v.area_id: v for v in SensitivityValue.objects.filter(sensitivity=sens, area_id__in=ids)}
        if sens
        else {}
    )
    areas = [c.area for c in candidates]
    assessments = ix.assess_areas(areas, year)
    shares = ix.survey_shares_for_areas(areas, min_n=spec.get("survey_min_n", 20))
    threshold = float(spec.get("divergence_threshold", 1.0))
    return [
        _dossier_column(
            c,
            run=run,
            year=year,
            scores=scores,
            interval=intervals.get(c.area_id),
            assessed=assessments[c.area_id],
            shares=shares[c.area_id],
            threshold=threshold,
        )
        for c in candidates
    ]


def _change(score, ref):
    if score is None or ref is None or score.score is None or ref.score is None:
        return None
    return score.score - ref.score


def _dossier_column(c, *, run, year, scores, interval, assessed, shares, threshold) -> dict:
    s = scores.get((c.area_id, year))
    ref = scores.get((c.area_id, run.version.spec.get("reference_year")))
    assessment, criteria, assessment_label = assessment_words(*assessed)
    if s is not None:
        s.band_label = band_text(s.band_label)  # shown, never saved
    survey = [r for r in shares if r["code"] == "survey_unsafe" and r["year"] <= year]
    return {
        "candidate": c,
        "area": c.area,
        "score": s,
        "change": _change(s, ref),
        "interval": interval,
        "divergence_label": divergence_label(s.divergence if s else None, threshold),
        "assessment": assessment,
        "assessment_label": assessment_label,
        "criteria": criteria,
        "criteria_met": met_criteria(criteria),
        "survey": survey[-1] if survey else None,
        "trend": [
            scores[(c.area_id, y)].score if (c.area_id, y) in scores else None for y in run.years
        ],
    }


def _dossier_indicator_rows(run, year, candidates, *, raw: bool) -> list[dict]:
    """Each input indicator of the dossier's year, one value per candidate, as the reader may see it."""
    inputs = inputs_of(run)
    catalogue = ix.catalogue()
    if inputs is None or year not in list(inputs.years):
        return []
    yi = list(inputs.years).index(year)
    a_index = {int(a): i for i, a in enumerate(inputs.area_ids)}
    shown = inputs.visible_values(raw=raw)
    rows = []
    for k, code in enumerate(inputs.codes):
        e = catalogue.get(code)
        vals = []
        for c in candidates:
            a = a_index.get(c.area_id)
            vals.append(_number(shown[a, yi, k] if a is not None else np.nan))
        rows.append({"label": e.label if e else code, "values": vals})
    return rows


def dossier_page(dossier, *, raw: bool, may_decide: bool, form=None) -> dict:
    """The dossier page: the comparison, and the decision form while it is undecided and the reader
    may decide (``form``: the one posted, with its errors)."""
    context = dossier_context(dossier, raw=raw)
    can_decide = may_decide and not dossier.decided
    if form is None and can_decide:
        form = forms.DecisionForm(
            candidates=[col["candidate"] for col in context["columns"]],
            initial={"valid_from": timezone.localdate()},
        )
    if form is not None:
        for row in getattr(form, "rows", ()):
            row["band_shown"] = band_text(row["band"])
        context["form"] = form
    context["can_decide"] = can_decide
    return context


def dossier_print(dossier, *, raw: bool) -> dict:
    """The dossier's PDF: the comparison and when it was printed."""
    context = dossier_context(dossier, raw=raw)
    context["printed_at"] = timezone.localtime()
    return context
