"""Spatial analysis pages: the list of runs, a new run, a run's map and table, its cells as GeoJSON and
CSV, and saving a hot cell as a programme's place.

Views are thin: they fetch through ``get_for_user``/``visible_to``/``request.municipality``, hand state
changes to ``actions``, take what a page shows from ``pages`` and render; the runs compute in ``tasks``.
Creating a run reads incident-level reports, so it needs raw-data rights; reading a result needs
aggregates only (a partner sees the coarse grid, ``pages``).
"""

from django.contrib import messages
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from hotspot import disclosure
from hotspot.accounts.access import get_for_user, require_capability
from hotspot.accounts.roles import Capability
from hotspot.programmes.models import Programme
from hotspot.reports.exports import export_response
from hotspot.spatial import actions, pages
from hotspot.spatial.forms import SpatialRunForm
from hotspot.spatial.inputs import Grid, SpatialInputError
from hotspot.spatial.models import GRID_METHODS, SpatialRun

CREATE = Capability.VIEW_RAW_DATA


def _can(request, capability) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and membership.can(capability)


@require_capability(Capability.VIEW_AGGREGATES)
def run_list(request):
    runs = (
        SpatialRun.objects.visible_to(request.user)
        .in_municipality(request.municipality)
        .select_related("area", "created_by")
    )
    context = pages.run_list(list(runs[:200]), can_create=_can(request, CREATE))
    return render(request, "spatial/run_list.html", context)


@require_capability(CREATE)
def run_new(request):
    municipality = request.municipality
    if request.method != "POST":
        initial = {}
        area = request.GET.get("area", "")
        if area.isdigit():
            initial["area"] = area
        if request.GET.get("method"):
            initial["method"] = request.GET["method"]
        form = SpatialRunForm(municipality=municipality, initial=initial)
        return render(request, "spatial/run_form.html", {"form": form})
    form = SpatialRunForm(request.POST, municipality=municipality)
    if form.is_valid():
        d = form.cleaned_data
        try:
            run = actions.create_run(
                municipality,
                user=request.user,
                request=request,
                area=d["area"],
                method=d["method"],
                first_day=d["first_day"],
                last_day=d["last_day"],
                offence_groups=d["offence_groups"],
                cell_size=d["cell_size"],
                parameters=form.parameters(),
            )
        except SpatialInputError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The analysis is queued. This page shows it when done."))
            return redirect(run.get_absolute_url())
    return render(request, "spatial/run_form.html", {"form": form})


def _programmes(request, run):
    """The programmes a hot cell of ``run`` may be saved to (the reader may change them)."""
    if not _can(request, Capability.MANAGE_PROGRAMMES):
        return []
    programmes = Programme.objects.visible_to(request.user).in_municipality(run.municipality)
    if run.area_id:
        programmes = programmes.filter(areas=run.area)
    return programmes.order_by("name").distinct()


@require_capability(Capability.VIEW_AGGREGATES)
def run_detail(request, pk):
    run = get_for_user(
        SpatialRun.objects.select_related("area", "municipality"), request.user, pk=pk
    )
    raw = disclosure.may_see_raw(request.user, run.municipality)
    context = pages.run_detail(
        run, raw=raw, can_create=_can(request, CREATE), programmes=_programmes(request, run)
    )
    return render(request, "spatial/run_detail.html", context)


@require_capability(Capability.VIEW_AGGREGATES)
def run_geojson(request, pk):
    run = get_for_user(SpatialRun.objects.select_related("area"), request.user, pk=pk)
    raw = disclosure.may_see_raw(request.user, run.municipality)
    return JsonResponse(pages.geojson(run, raw=raw))


@require_capability(Capability.VIEW_AGGREGATES)
def run_export(request, pk, fmt):
    """A run's table (every stored cell of a grid run, the Knox bands, the Lorenz curve) as the reader
    may see it, audited."""
    run = get_for_user(SpatialRun.objects.select_related("area"), request.user, pk=pk)
    if run.status != SpatialRun.Status.DONE:
        messages.error(request, _("This analysis has no result to download yet."))
        return redirect(run.get_absolute_url())
    raw = disclosure.may_see_raw(request.user, run.municipality)
    rows, columns = pages.export_table(run, raw=raw)
    return export_response(
        request,
        rows,
        columns,
        f"spatial-{run.method}-{run.pk}",
        fmt,
        municipality=run.municipality,
        obj=run,
        sheet=_("result"),
        extra_sheets=[(_("method"), pages.parameter_rows(run))],
    )


@require_capability(CREATE)
def run_delete(request, pk):
    run = get_for_user(SpatialRun, request.user, CREATE, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    actions.delete_run(run, user=request.user, request=request)
    messages.success(request, _("The analysis was deleted."))
    return redirect("spatial:list")


@require_capability(Capability.MANAGE_PROGRAMMES)
def save_place(request, pk):
    """Save one cell of a run as a place of a programme (physical measures, police presence)."""
    from hotspot.programmes.actions import add_place

    run = get_for_user(SpatialRun.objects.select_related("area"), request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    programme = get_object_or_404(
        _programmes(request, run), pk=pages.cell_index(request.POST.get("programme"))
    )
    figures = run.figures or {}
    wanted = (pages.cell_index(request.POST.get("row")), pages.cell_index(request.POST.get("col")))
    cell = next((c for c in pages.cells(run, raw=True) if (c["row"], c["col"]) == wanted), None)
    if run.method not in GRID_METHODS or cell is None:
        messages.error(request, _("That cell is not part of this analysis."))
        return redirect(run.get_absolute_url())
    grid = Grid.of(figures["grid"])
    x, y = grid.centre(cell["row"], cell["col"])
    name = (request.POST.get("name") or "").strip()[:160] or _("Cell %(row)s/%(col)s") % {
        "row": cell["row"],
        "col": cell["col"],
    }
    try:
        place = add_place(
            programme,
            user=request.user,
            request=request,
            name=name,
            kind=request.POST.get("kind") or "other",
            x=x,
            y=y,
            cell_size=int(grid.size),
            source=pages.place_source(run, cell),
        )
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect(run.get_absolute_url())
    messages.success(
        request,
        _("%(place)s was saved as a place of %(programme)s.")
        % {"place": place.name, "programme": programme.name},
    )
    return redirect(run.get_absolute_url())
