"""Safety-index pages: definitions, runs, map, ranking, area profile, sensitivity, dossier, export.

Views are thin: they fetch through ``get_for_user``/``visible_to``/``request.municipality``, hand state
changes to ``actions``, take the page's context from ``pages`` and render; the computations run in
``tasks``.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hotspot.accounts.access import get_for_user, require_capability
from hotspot.accounts.roles import Capability
from hotspot.areas.models import Area
from hotspot.downloads import FORMATS
from hotspot.indicators.library_messages import user_message
from hotspot.indices import actions, pages
from hotspot.indices import inputs as ix
from hotspot.indices.forms import (
    PRESET_LABELS,
    DecisionForm,
    DefinitionForm,
    PresetForm,
    SensitivityForm,
)
from hotspot.indices.models import IndexRun, SafetyIndex, SelectionDossier, Status
from hotspot.reports.exports import file_response, stream_export_response
from hotspot.reports.pdf import pdf_response

# Who may define indices and start computations: analysts and coordinators (and administrators),
# i.e. the roles that hold import_data. Recording a selection decision needs manage_programmes.
DEFINE = Capability.IMPORT_DATA
DECIDE = Capability.MANAGE_PROGRAMMES
RAW = Capability.VIEW_RAW_DATA


def _can(request, capability) -> bool:
    m = getattr(request, "membership", None)
    return m is not None and m.can(capability)


def _run(request, pk, capability=Capability.VIEW_AGGREGATES) -> IndexRun:
    # the stored inputs (megabytes for a large municipality) are read only where used: pages.inputs_of
    return get_for_user(
        IndexRun.objects.select_related("version__definition").defer("inputs"),
        request.user,
        capability,
        pk=pk,
    )


def _year(request, run) -> int | None:
    return pages.chosen_year(run, request.GET.get("year", ""))


def _dossier(request, pk, capability=Capability.VIEW_AGGREGATES) -> SelectionDossier:
    return get_for_user(
        SelectionDossier.objects.select_related("run__version__definition", "decided_by"),
        request.user,
        capability,
        pk=pk,
    )


# -- definitions ------------------------------------------------------------------------------------
@require_capability(Capability.VIEW_AGGREGATES)
def home(request):
    context = pages.home(request.municipality, can_define=_can(request, DEFINE))
    return render(request, "indices/home.html", context)


@require_capability(DEFINE)
@require_POST
def from_preset(request):
    form = PresetForm(request.POST, years=pages.years_available(request.municipality))
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


@require_capability(DEFINE)
def definition_new(request):
    catalogue = ix.catalogue()
    if request.method != "POST":
        form = pages.new_definition_form(
            request.municipality, request.GET.get("preset", "copenhagen"), catalogue
        )
        return render(request, "indices/definition_form.html", pages.definition_form(form))
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
    return render(request, "indices/definition_form.html", pages.definition_form(form))


@require_capability(Capability.VIEW_AGGREGATES)
def definition_detail(request, pk):
    definition = get_for_user(SafetyIndex, request.user, Capability.VIEW_AGGREGATES, pk=pk)
    context = pages.definition_detail(definition, can_define=_can(request, DEFINE))
    return render(request, "indices/definition_detail.html", context)


@require_capability(DEFINE)
def definition_edit(request, pk):
    definition = get_for_user(SafetyIndex, request.user, DEFINE, pk=pk)
    catalogue = ix.catalogue()
    if request.method != "POST":
        form = pages.edit_definition_form(definition, catalogue)
        context = pages.definition_form(form, definition)
        return render(request, "indices/definition_form.html", context)
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
    return render(request, "indices/definition_form.html", pages.definition_form(form, definition))


@require_capability(DEFINE)
@require_POST
def compute(request, pk):
    definition = get_for_user(SafetyIndex, request.user, DEFINE, pk=pk)
    run = actions.start_run(version=definition.current, user=request.user, request=request)
    return redirect(run)


# -- runs -------------------------------------------------------------------------------------------
@require_capability(Capability.VIEW_AGGREGATES)
def run_detail(request, pk):
    context = pages.run_detail(_run(request, pk), can_define=_can(request, DEFINE))
    return render(request, "indices/run_detail.html", context)


@require_capability(Capability.VIEW_AGGREGATES)
def run_map(request, pk):
    run = _run(request, pk)
    return render(request, "indices/map.html", pages.run_map(run, _year(request, run)))


@require_capability(Capability.VIEW_AGGREGATES)
def run_geojson(request, pk):
    run = _run(request, pk)
    return JsonResponse(pages.run_geojson(run, _year(request, run)))


@require_capability(Capability.VIEW_AGGREGATES)
def ranking(request, pk):
    run = _run(request, pk)
    context = pages.ranking(
        run, _year(request, run), request.GET.get("page"), can_decide=_can(request, DECIDE)
    )
    return render(request, "indices/ranking.html", context)


@require_capability(Capability.VIEW_AGGREGATES)
def profile(request, pk, area_pk):
    run = _run(request, pk)
    area = get_for_user(Area, request.user, Capability.VIEW_AGGREGATES, pk=area_pk)
    context = pages.profile(
        run, area, _year(request, run), request.GET.get("rules", "2018"), raw=_can(request, RAW)
    )
    if context is None:
        raise Http404
    return render(request, "indices/profile.html", context)


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
                parameters=pages.sensitivity_parameters(run, d),
                request=request,
            )
            if sens.status == Status.FAILED:
                messages.error(request, sens.error)
            return redirect(f"{request.path}?year={d['year']}")
    context = pages.sensitivity(run, _year(request, run), can_define=_can(request, DEFINE))
    return render(request, "indices/sensitivity.html", context)


# -- export -----------------------------------------------------------------------------------------
@require_capability(Capability.VIEW_AGGREGATES)
def export(request, pk, fmt):
    """Scores and inputs of a run (aggregates only), audited."""
    run = _run(request, pk)
    if fmt not in FORMATS:
        raise Http404
    header, rows = pages.export_rows(run, raw=_can(request, RAW))
    name = f"index-run-{run.pk}"
    audit = {"count": len(rows), "obj": run, "municipality": run.version.definition.municipality}
    if fmt == "csv":
        return stream_export_response(request, header, rows, name, **audit)
    book = pages.export_workbook(run, header, rows)
    return file_response(request, book, f"{name}.xlsx", **audit)


# -- selection dossier ------------------------------------------------------------------------------
@require_capability(DECIDE)
@require_POST
def dossier_new(request, pk):
    run = _run(request, pk, DECIDE)
    year = pages.dossier_year(run, request.GET.get("year"), request.POST.get("year"))
    ids = [int(i) for i in request.POST.getlist("candidates") if i.isdigit()]
    found = (
        Area.objects.visible_to(request.user)
        .in_municipality(run.version.definition.municipality_id)
        .filter(pk__in=ids)
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


@require_capability(Capability.VIEW_AGGREGATES)
def dossier_detail(request, pk):
    dossier = _dossier(request, pk)
    context = pages.dossier_page(dossier, raw=_can(request, RAW), may_decide=_can(request, DECIDE))
    return render(request, "indices/dossier.html", context)


@require_capability(DECIDE)
@require_POST
def dossier_decide(request, pk):
    dossier = _dossier(request, pk, DECIDE)
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
                needs=form.needs(),
                with_areas=form.with_areas(),
                request=request,
            )
        except ValueError as exc:
            messages.error(request, user_message(exc))
        else:
            messages.success(request, _("Decision recorded."))
            return redirect(dossier)
    context = pages.dossier_page(dossier, raw=_can(request, RAW), may_decide=True, form=form)
    return render(request, "indices/dossier.html", context, status=400)


@require_capability(Capability.VIEW_AGGREGATES)
def dossier_pdf(request, pk):
    dossier = _dossier(request, pk)
    return pdf_response(
        "indices/dossier_pdf.html",
        pages.dossier_print(dossier, raw=_can(request, RAW)),
        request=request,
        filename=f"dossier-{dossier.pk}-{dossier.year}",
        obj=dossier,
        municipality=dossier.run.version.definition.municipality,
    )
