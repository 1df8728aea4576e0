"""Safety-index pages: definitions, runs, map, ranking, area profile, sensitivity, dossier, export.

Views are thin: they fetch through ``get_for_user``/``request.municipality``, hand state changes to
``actions`` and read stored results; the computations run in ``tasks``.
"""

import json

import numpy as np
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hotspot.accounts.access import get_for_user, require_capability
from hotspot.accounts.roles import Capability
from hotspot.areas.geo import area_feature, feature_collection_of
from hotspot.areas.models import Area, Population
from hotspot.downloads import (
    FORMATS,
    xlsx_bytes,
)
from hotspot.indicators.library_messages import user_message
from hotspot.indices import actions, words
from hotspot.indices import inputs as ix
from hotspot.indices.forms import (
    PRESET_LABELS,
    DecisionForm,
    DefinitionForm,
    PresetForm,
    SensitivityForm,
)
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
from hotspot.reports.exports import file_response, stream_export_response
from hotspot.reports.pdf import pdf_response
from safetystats.criteria import RULE_SETS

# Who may define indices and start computations: analysts and coordinators (and administrators),
# i.e. the roles that hold import_data. Recording a selection decision needs manage_programmes.
DEFINE = Capability.IMPORT_DATA
DECIDE = Capability.MANAGE_PROGRAMMES
PER_PAGE = 100
# ColorBrewer RdYlBu (worst band red, best blue): colour-blind safe and readable in print.
PALETTE = ["#d73027", "#fc8d59", "#fee090", "#e0f3f8", "#91bfdb", "#4575b4"]


def band_colours(n: int) -> list[str]:
    if n <= 0:
        return []
    if n == 1:
        return [PALETTE[-1]]
    return [PALETTE[round(k * (len(PALETTE) - 1) / (n - 1))] for k in range(n)]


def _can(request, capability) -> bool:
    m = getattr(request, "membership", None)
    return m is not None and m.can(capability)


def _run(request, pk) -> IndexRun:
    # the stored inputs (megabytes for a large municipality) are read only where used: ``_inputs``
    return get_for_user(
        IndexRun.objects.select_related("version__definition").defer("inputs"),
        request.user,
        Capability.VIEW_AGGREGATES,
        pk=pk,
    )


def _year(request, run) -> int | None:
    years = run.years or []
    try:
        y = int(request.GET.get("year", ""))
    except ValueError:
        y = None
    if y in years:
        return y
    return years[-1] if years else None


def _years_available(municipality) -> list[int]:
    return sorted(
        Population.objects.filter(area__municipality=municipality)
        .values_list("year", flat=True)
        .distinct()
    )


def _bands(run):
    return _spec_bands(run.version.spec)


def _spec_bands(spec):
    bands = spec.get("bands")
    if not bands:
        return []
    colours = band_colours(len(bands["labels"]))
    cuts = [None, *bands["cuts"], None]
    return [
        {"label": words.band_text(label), "colour": colours[k], "low": cuts[k], "high": cuts[k + 1]}
        for k, label in enumerate(bands["labels"])
    ]


def _divergence_label(value, threshold):
    if value is None or abs(value) < threshold:
        return ""
    if value > 0:
        return _("feels less safe than measured")
    return _("feels safer than measured")


# -- definitions ------------------------------------------------------------------------------------
@require_capability(Capability.VIEW_AGGREGATES)
def home(request):
    municipality = request.municipality
    definitions = list(
        SafetyIndex.objects.filter(municipality=municipality).prefetch_related("versions")
    )
    latest = {}
    for run in (
        IndexRun.objects.filter(version__definition__municipality=municipality)
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
        }
        for d in definitions
    ]
    years = _years_available(municipality)
    form = None
    if _can(request, DEFINE) and years:
        form = PresetForm(
            years=years, initial={"reference_year": years[1] if len(years) > 1 else years[0]}
        )
    dossiers = SelectionDossier.objects.filter(municipality=municipality).select_related(
        "decided_by", "created_by"
    )[:20]
    return render(
        request,
        "indices/home.html",
        {
            "rows": rows,
            "form": form,
            "presets": PRESET_LABELS,
            "dossiers": dossiers,
            "can_define": _can(request, DEFINE),
        },
    )


@require_capability(DEFINE)
@require_POST
def from_preset(request):
    years = _years_available(request.municipality)
    form = PresetForm(request.POST, years=years)
    if not form.is_valid():
        messages.error(request, _("Choose a preset and a reference year."))
        return redirect("indices:home")
    d = form.cleaned_data
    try:
        spec = ix.preset_spec(
            d["preset"],
            reference_year=d["reference_year"],
            area_set=d["area_set"],
            survey_min_n=d["survey_min_n"],
        )
        definition = actions.create_definition(
            municipality=request.municipality,
            user=request.user,
            name=d["name"] or str(PRESET_LABELS[d["preset"]]),
            spec=spec,
            preset=d["preset"],
            request=request,
        )
    except ValueError as exc:
        messages.error(request, user_message(exc))
        return redirect("indices:home")
    messages.success(request, _("Index definition created. Compute it to see scores."))
    return redirect(definition)


def _definition_form_page(request, form, definition=None):
    return render(
        request,
        "indices/definition_form.html",
        {"form": form, "definition": definition, "pillars": ix.PILLAR_LABELS},
    )


@require_capability(DEFINE)
def definition_new(request):
    catalogue = ix.catalogue()
    if request.method == "POST":
        form = DefinitionForm(request.POST, catalogue=catalogue)
        if form.is_valid():
            try:
                definition = actions.create_definition(
                    municipality=request.municipality,
                    user=request.user,
                    name=form.cleaned_data["name"],
                    spec=form.cleaned_data["spec"],
                    request=request,
                )
            except ValueError as exc:
                form.add_error(None, user_message(exc))
            else:
                messages.success(request, _("Index definition created."))
                return redirect(definition)
    else:
        years = _years_available(request.municipality)
        base = request.GET.get("preset", "copenhagen")
        base = base if base in PRESET_LABELS else "copenhagen"
        spec = ix.preset_spec(base, reference_year=years[1] if len(years) > 1 else 2009)
        form = DefinitionForm(
            initial=DefinitionForm.initial_from_spec(spec, _("Own index"), catalogue),
            catalogue=catalogue,
        )
    return _definition_form_page(request, form)


@require_capability(Capability.VIEW_AGGREGATES)
def definition_detail(request, pk):
    definition = get_for_user(SafetyIndex, request.user, Capability.VIEW_AGGREGATES, pk=pk)
    versions = list(definition.versions.select_related("created_by"))
    current = versions[0] if versions else None
    catalogue = ix.catalogue()
    indicators = []
    effective = None
    if current:
        try:
            d = ix.build_definition(current.spec, [current.spec["reference_year"]])
            effective = d.effective_weights()
        except ValueError:
            effective = None
        for k, r in enumerate(current.spec["indicators"]):
            e = catalogue.get(r["code"])
            indicators.append(
                {
                    **r,
                    "label": e.label if e else r["code"],
                    "pillar_label": ix.PILLAR_LABELS.get(r["pillar"], r["pillar"]),
                    "theme_label": words.theme_label(r.get("theme", "")),
                    "effective": None if effective is None else 100 * float(effective[k]),
                }
            )
    runs = (
        IndexRun.objects.filter(version__definition=definition)
        .select_related("version")
        .defer("inputs")[:20]
    )
    return render(
        request,
        "indices/definition_detail.html",
        {
            "definition": definition,
            "versions": versions,
            "current": current,
            "spec": current.spec if current else {},
            "note": words.preset_note(current.spec) if current else "",
            "aggregation": words.aggregation_label(current.spec.get("aggregation", "linear"))
            if current
            else "",
            "missing": words.missing_label(current.spec.get("missing", "reweight"))
            if current
            else "",
            "indicators": indicators,
            "pillar_weights": [
                (ix.PILLAR_LABELS[p], 100 * w)
                for p, w in (current.spec["pillar_weights"].items() if current else [])
                if p in ix.PILLAR_LABELS
            ],
            "normalisation": ix.NORMALISATION_LABELS.get(current.spec["normalisation"])
            if current
            else "",
            "area_set": ix.AREA_SET_LABELS.get(current.spec.get("area_set", "tiling"))
            if current
            else "",
            "runs": runs,
            "bands": _spec_bands(current.spec) if current else [],
            "can_define": _can(request, DEFINE),
        },
    )


@require_capability(DEFINE)
def definition_edit(request, pk):
    definition = get_for_user(SafetyIndex, request.user, DEFINE, pk=pk)
    catalogue = ix.catalogue()
    if request.method == "POST":
        form = DefinitionForm(request.POST, catalogue=catalogue)
        if form.is_valid():
            try:
                actions.new_version(
                    definition=definition,
                    user=request.user,
                    spec=form.cleaned_data["spec"],
                    note=form.cleaned_data.get("note", ""),
                    request=request,
                )
            except ValueError as exc:
                form.add_error(None, user_message(exc))
            else:
                messages.success(request, _("New version saved."))
                return redirect(definition)
    else:
        form = DefinitionForm(
            initial=DefinitionForm.initial_from_spec(
                definition.current.spec, definition.name, catalogue
            ),
            catalogue=catalogue,
        )
    return _definition_form_page(request, form, definition)


@require_capability(DEFINE)
@require_POST
def compute(request, pk):
    definition = get_for_user(SafetyIndex, request.user, DEFINE, pk=pk)
    run = actions.start_run(version=definition.current, user=request.user, request=request)
    return redirect(run)


# -- runs -------------------------------------------------------------------------------------------
def _indicator_labels(codes) -> list[str]:
    catalogue = ix.catalogue()
    return [str(catalogue[c].label) if c in catalogue else c for c in codes]


@require_capability(Capability.VIEW_AGGREGATES)
def run_detail(request, pk):
    run = _run(request, pk)
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
            worst.band_label = words.band_text(worst.band_label)  # shown, never saved
        no_data = list(
            SafetyScore.objects.filter(run=run, year=year, score__isnull=True)
            .select_related("area")
            .only("no_data", "n_missing", "area__name", "area__code")
            .order_by("area__code")
        )
    return render(
        request,
        "indices/run_detail.html",
        {
            "run": run,
            "definition": run.version.definition,
            "indicator_labels": _indicator_labels((run.parameters or {}).get("indicators", [])),
            "year": year,
            "worst": worst,
            "no_data": no_data,
            "pending": run.status in (Status.QUEUED, Status.RUNNING),
            "can_define": _can(request, DEFINE),
        },
    )


def _score_features(run, year):
    scores = {
        s["area_id"]: s
        for s in SafetyScore.objects.filter(run=run, year=year).values(
            "area_id", "score", "band", "band_label", "objective", "subjective", "rank"
        )
    }
    bands = _bands(run)
    features = []
    for area in Area.objects.filter(pk__in=list(scores)).only(
        "pk", "code", "name", "kind", "geometry"
    ):
        s = scores[area.pk]
        if not area.geometry:
            continue
        band = s["band"]
        colour = "#cccccc"
        if s["score"] is not None and bands and 0 <= band < len(bands):
            colour = bands[band]["colour"]
        features.append(
            area_feature(
                area,
                {
                    "code": area.code,
                    "name": area.name,
                    "score": None if s["score"] is None else round(s["score"], 2),
                    "band": words.band_text(s["band_label"]),
                    "rank": s["rank"],
                    "colour": colour,
                    "url": reverse("indices:profile", args=[run.pk, area.pk]) + f"?year={year}",
                },
            )
        )
    return features


@require_capability(Capability.VIEW_AGGREGATES)
def run_map(request, pk):
    run = _run(request, pk)
    year = _year(request, run)
    worst = (
        SafetyScore.objects.filter(run=run, year=year, score__isnull=False)
        .order_by("score")
        .values_list("area_id", flat=True)
        .first()
    )
    return render(
        request,
        "indices/map.html",
        {
            "run": run,
            "definition": run.version.definition,
            "year": year,
            "years": run.years,
            "bands": _bands(run),
            "worst": worst,
        },
    )


@require_capability(Capability.VIEW_AGGREGATES)
def run_geojson(request, pk):
    run = _run(request, pk)
    year = _year(request, run)
    return JsonResponse(feature_collection_of(_score_features(run, year)))


def _latest_sensitivity(run, year):
    return (
        SensitivityRun.objects.filter(run=run, year=year, status=Status.DONE)
        .order_by("-finished_at", "-pk")
        .first()
    )


@require_capability(Capability.VIEW_AGGREGATES)
def ranking(request, pk):
    run = _run(request, pk)
    year = _year(request, run)
    spec = run.version.spec
    ref_year = spec.get("reference_year")
    threshold = float(spec.get("divergence_threshold", 1.0))
    qs = (
        SafetyScore.objects.filter(run=run, year=year)
        .values(
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
        .order_by(F("score").asc(nulls_last=True), "area__code")
    )
    paginator = Paginator(qs, PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    ids = [r["area_id"] for r in rows]
    sens = _latest_sensitivity(run, year)
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
    colours = [b["colour"] for b in _bands(run)]
    for r in rows:
        iv = intervals.get(r["area_id"])
        r["interval"] = iv
        ref = reference.get(r["area_id"]) if ref_year != year else r["score"]
        r["change"] = None if ref is None or r["score"] is None else r["score"] - ref
        r["divergence_label"] = _divergence_label(r["divergence"], threshold)
        r["band_label"] = words.band_text(r["band_label"])
        r["colour"] = colours[r["band"]] if 0 <= r["band"] < len(colours) else ""
    return render(
        request,
        "indices/ranking.html",
        {
            "run": run,
            "definition": run.version.definition,
            "year": year,
            "years": run.years,
            "ref_year": ref_year,
            "page": page,
            "rows": rows,
            "sens": sens,
            "has_socio": "socio_economic" in {i["pillar"] for i in spec["indicators"]},
            "can_decide": _can(request, DECIDE),
        },
    )


def _inputs(run):
    return ix.Inputs.from_bytes(run.inputs) if run.inputs else None


@require_capability(Capability.VIEW_AGGREGATES)
def profile(request, pk, area_pk):
    run = _run(request, pk)
    area = get_for_user(Area, request.user, Capability.VIEW_AGGREGATES, pk=area_pk)
    year = _year(request, run)
    spec = run.version.spec
    scores = list(SafetyScore.objects.filter(run=run, area=area).order_by("year"))
    if not scores:
        raise Http404
    threshold = float(spec.get("divergence_threshold", 1.0))
    for s in scores:
        s.divergence_label = _divergence_label(s.divergence, threshold)
        s.band_label = words.band_text(s.band_label)  # shown, never saved
    current = next((s for s in scores if s.year == year), scores[-1])
    inputs = _inputs(run)
    catalogue = ix.catalogue()
    indicator_rows = []
    years = list(run.years)
    if inputs is not None:
        a = int(np.flatnonzero(inputs.area_ids == area.pk)[0])
        shown = inputs.visible_values(raw=_can(request, Capability.VIEW_RAW_DATA))
        for k, code in enumerate(inputs.codes):
            e = catalogue.get(code)
            vals = shown[a, :, k]
            indicator_rows.append(
                {
                    "code": code,
                    "label": e.label if e else code,
                    "unit": e.unit if e else "",
                    "values": [None if np.isnan(v) else float(v) for v in vals],
                }
            )
    rules = request.GET.get("rules", "2018")
    rules = rules if rules in RULE_SETS else "2018"
    assessment, criteria = ix.assess_area(area, year, rules)
    assessment, criteria, assessment_label = words.assessment_words(assessment, criteria)
    survey = ix.survey_shares_for_area(area, min_n=spec.get("survey_min_n", 20))
    bands = _bands(run)
    chart = {
        "years": [s.year for s in scores],
        "score": [s.score for s in scores],
        "objective": [s.objective for s in scores],
        "subjective": [s.subjective for s in scores],
        "socio_economic": [s.socio_economic for s in scores],
        "cuts": [b["low"] for b in bands if b["low"] is not None],
        "reference_year": spec.get("reference_year"),
    }
    return render(
        request,
        "indices/profile.html",
        {
            "run": run,
            "definition": run.version.definition,
            "area": area,
            "year": year,
            "years": years,
            "scores": scores,
            "current": current,
            "indicator_rows": indicator_rows,
            "assessment": assessment,
            "assessment_label": assessment_label,
            "criteria": criteria,
            "rules": rules,
            "rule_sets": list(RULE_SETS),
            "survey": [r for r in survey if r["code"] == "survey_unsafe"],
            "survey_evening": [r for r in survey if r["code"] == "survey_unsafe_evening"],
            "min_n": spec.get("survey_min_n", 20),
            "chart": chart,
            "bands": bands,
            "has_socio": any(s.socio_economic is not None for s in scores),
        },
    )


# -- sensitivity ------------------------------------------------------------------------------------
@require_capability(Capability.VIEW_AGGREGATES)
def sensitivity(request, pk):
    run = _run(request, pk)
    if request.method == "POST":
        if not _can(request, DEFINE):
            raise PermissionDenied
        form = SensitivityForm(request.POST, years=run.years)
        if form.is_valid() and run.status == Status.DONE:
            d = form.cleaned_data
            sens = actions.start_sensitivity(
                run=run,
                user=request.user,
                year=d["year"],
                parameters={
                    "draws": d["draws"],
                    "concentration": d["concentration"],
                    "normalisations": d["normalisations"] or [run.version.spec["normalisation"]],
                    "drop_indicator": d["drop_indicator"],
                    "seed": d["seed"],
                },
                request=request,
            )
            if sens.status == Status.FAILED:
                messages.error(request, sens.error)
            return redirect(f"{request.path}?year={d['year']}")
    year = _year(request, run)
    form = SensitivityForm(
        years=run.years,
        initial={"year": year, "normalisations": [run.version.spec["normalisation"]]},
    )
    latest = (
        SensitivityRun.objects.filter(run=run, year=year).order_by("-created_at", "-pk").first()
    )
    values = []
    if latest and latest.status == Status.DONE:
        values = list(
            SensitivityValue.objects.filter(sensitivity=latest)
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
    return render(
        request,
        "indices/sensitivity.html",
        {
            "run": run,
            "definition": run.version.definition,
            "year": year,
            "form": form if _can(request, DEFINE) else None,
            "latest": latest,
            "values": values,
            "pending": latest is not None and latest.status in (Status.QUEUED, Status.RUNNING),
        },
    )


# -- export -----------------------------------------------------------------------------------------
def _export_rows(run, *, raw: bool = False):
    inputs = _inputs(run)
    codes = list(inputs.codes) if inputs else []
    header = [
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
        *codes,
    ]
    lookup = {}
    if inputs is not None:
        a_index = {int(a): i for i, a in enumerate(inputs.area_ids)}
        y_index = {int(y): j for j, y in enumerate(inputs.years)}
        lookup = (a_index, y_index)
        shown = inputs.visible_values(raw=raw)
    rows = []
    for s in (
        SafetyScore.objects.filter(run=run)
        .select_related("area")
        .only(*[f.name for f in SafetyScore._meta.concrete_fields], "area__code", "area__name")
        .order_by("area__code", "year")
    ):
        vals = []
        if lookup:
            a, y = lookup[0].get(s.area_id), lookup[1].get(s.year)
            if a is not None and y is not None:
                vals = [None if np.isnan(v) else float(v) for v in shown[a, y]]
        rows.append(
            [
                s.area.code,
                s.area.name,
                s.year,
                s.score,
                words.band_text(s.band_label),
                s.objective,
                s.subjective,
                s.socio_economic,
                s.rank,
                s.n_missing,
                s.imputed,
                s.no_data,
                s.divergence,
                *vals,
            ]
        )
    return header, rows


@require_capability(Capability.VIEW_AGGREGATES)
def export(request, pk, fmt):
    """Scores and inputs of a run (aggregates only), audited."""
    run = _run(request, pk)
    if fmt not in FORMATS:
        raise Http404
    header, rows = _export_rows(run, raw=_can(request, Capability.VIEW_RAW_DATA))
    name = f"index-run-{run.pk}"
    audit = {"count": len(rows), "obj": run, "municipality": run.version.definition.municipality}
    if fmt == "csv":
        return stream_export_response(request, header, rows, name, **audit)
    method = [
        ("definition", f"{run.version.definition.name} v{run.version.number}"),
        ("inputs_hash", run.inputs_hash),
        ("method_version", run.method_version),
        ("library_versions", json.dumps(run.library_versions)),
        ("spec", json.dumps(run.version.spec, ensure_ascii=False)),
    ]
    book = xlsx_bytes(header, rows, sheet=_("scores"), extra_sheets=[(_("method"), method)])
    return file_response(request, book, f"{name}.xlsx", **audit)


# -- selection dossier ------------------------------------------------------------------------------
@require_capability(DECIDE)
@require_POST
def dossier_new(request, pk):
    run = get_for_user(
        IndexRun.objects.select_related("version__definition").defer("inputs"),
        request.user,
        DECIDE,
        pk=pk,
    )
    year = _year(request, run) if "year" in request.GET else None
    try:
        year = int(request.POST.get("year", year or run.last_year))
    except ValueError:
        year = run.last_year
    ids = [int(i) for i in request.POST.getlist("candidates") if i.isdigit()]
    found = Area.objects.visible_to(request.user).filter(
        pk__in=ids, municipality_id=run.version.definition.municipality_id
    )
    areas = sorted(found, key=lambda a: ids.index(a.pk))  # the order picked (ranking order)
    try:
        dossier = actions.create_dossier(
            run=run, year=year, areas=areas, user=request.user, request=request
        )
    except ValueError as exc:
        messages.error(request, user_message(exc))
        return redirect(reverse("indices:ranking", args=[run.pk]) + f"?year={year}")
    return redirect(dossier)


def dossier_context(dossier, *, raw: bool = False) -> dict:
    run = dossier.run
    year = dossier.year
    spec = run.version.spec
    ref_year = spec.get("reference_year")
    candidates = list(dossier.candidates.select_related("area", "hotspot"))
    ids = [c.area_id for c in candidates]
    scores = {(s.area_id, s.year): s for s in SafetyScore.objects.filter(run=run, area_id__in=ids)}
    sens = _latest_sensitivity(run, year)
    intervals = (
        {v.area_id: v for v in SensitivityValue.objects.filter(sensitivity=sens, area_id__in=ids)}
        if sens
        else {}
    )
    inputs = _inputs(run)
    catalogue = ix.catalogue()
    threshold = float(spec.get("divergence_threshold", 1.0))
    areas = [c.area for c in candidates]
    assessments = ix.assess_areas(areas, year)
    shares = ix.survey_shares_for_areas(areas, min_n=spec.get("survey_min_n", 20))
    columns = []
    for c in candidates:
        s = scores.get((c.area_id, year))
        ref = scores.get((c.area_id, ref_year))
        assessment, criteria = assessments[c.area_id]
        assessment, criteria, assessment_label = words.assessment_words(assessment, criteria)
        if s is not None:
            s.band_label = words.band_text(s.band_label)  # shown, never saved
        survey = [
            r for r in shares[c.area_id] if r["code"] == "survey_unsafe" and r["year"] <= year
        ]
        columns.append(
            {
                "candidate": c,
                "area": c.area,
                "score": s,
                "change": None
                if s is None or ref is None or s.score is None or ref.score is None
                else s.score - ref.score,
                "interval": intervals.get(c.area_id),
                "divergence_label": _divergence_label(s.divergence if s else None, threshold),
                "assessment": assessment,
                "assessment_label": assessment_label,
                "criteria": criteria,
                "criteria_met": words.met_criteria(criteria),
                "survey": survey[-1] if survey else None,
                "trend": [
                    scores[(c.area_id, y)].score if (c.area_id, y) in scores else None
                    for y in run.years
                ],
            }
        )
    indicator_rows = []
    if inputs is not None and year in list(inputs.years):
        yi = list(inputs.years).index(year)
        a_index = {int(a): i for i, a in enumerate(inputs.area_ids)}
        shown = inputs.visible_values(raw=raw)
        for k, code in enumerate(inputs.codes):
            e = catalogue.get(code)
            vals = []
            for c in candidates:
                a = a_index.get(c.area_id)
                v = shown[a, yi, k] if a is not None else np.nan
                vals.append(None if np.isnan(v) else float(v))
            indicator_rows.append({"label": e.label if e else code, "values": vals})
    bands = _bands(run)
    cuts = [b["low"] for b in bands if b["low"] is not None]
    return {
        "dossier": dossier,
        "run": run,
        "definition": run.version.definition,
        "version": run.version,
        "note": words.preset_note(spec),
        "year": year,
        "ref_year": ref_year,
        "columns": columns,
        "indicator_rows": indicator_rows,
        "sens": sens,
        "has_socio": any(
            col["score"] and col["score"].socio_economic is not None for col in columns
        ),
        "trend_svg": line_chart(
            [(col["area"].name, col["trend"]) for col in columns],
            list(run.years),
            cuts,
            label=_("Score per year for each candidate"),
        ),
        "bands": bands,
        "selected": [c for c in candidates if c.selected],
    }


@require_capability(Capability.VIEW_AGGREGATES)
def dossier_detail(request, pk):
    dossier = get_for_user(
        SelectionDossier.objects.select_related("run__version__definition", "decided_by"),
        request.user,
        Capability.VIEW_AGGREGATES,
        pk=pk,
    )
    context = dossier_context(dossier, raw=_can(request, Capability.VIEW_RAW_DATA))
    can_decide = _can(request, DECIDE) and not dossier.decided
    if can_decide:
        context["form"] = DecisionForm(
            candidates=[col["candidate"] for col in context["columns"]],
            initial={"valid_from": timezone.localdate()},
        )
    context["can_decide"] = can_decide
    return render(request, "indices/dossier.html", context)


@require_capability(DECIDE)
@require_POST
def dossier_decide(request, pk):
    dossier = get_for_user(
        SelectionDossier.objects.select_related("run__version__definition"),
        request.user,
        DECIDE,
        pk=pk,
    )
    candidates = list(dossier.candidates.select_related("area"))
    form = DecisionForm(request.POST, candidates=candidates)
    if form.is_valid():
        try:
            actions.decide_dossier(
                dossier=dossier,
                user=request.user,
                selected_area_ids=[int(i) for i in form.cleaned_data["selected"]],
                rationale=form.cleaned_data["rationale"],
                valid_from=form.cleaned_data["valid_from"],
                request=request,
            )
        except ValueError as exc:
            messages.error(request, user_message(exc))
        else:
            messages.success(request, _("Decision recorded."))
            return redirect(dossier)
    context = dossier_context(dossier, raw=_can(request, Capability.VIEW_RAW_DATA))
    context.update({"form": form, "can_decide": not dossier.decided})
    return render(request, "indices/dossier.html", context, status=400)


@require_capability(Capability.VIEW_AGGREGATES)
def dossier_pdf(request, pk):
    dossier = get_for_user(
        SelectionDossier.objects.select_related("run__version__definition", "decided_by"),
        request.user,
        Capability.VIEW_AGGREGATES,
        pk=pk,
    )
    context = dossier_context(dossier, raw=_can(request, Capability.VIEW_RAW_DATA))
    context["printed_at"] = timezone.localtime()
    return pdf_response(
        "indices/dossier_pdf.html",
        context,
        request=request,
        filename=f"dossier-{dossier.pk}-{dossier.year}",
        obj=dossier,
        municipality=dossier.run.version.definition.municipality,
    )
