from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotspot import disclosure
from hotspot.accounts.access import get_for_user, require_capability
from hotspot.accounts.roles import Capability
from hotspot.areas import actions, pages
from hotspot.areas.forms import CompositionForm
from hotspot.areas.geo import BUFFER_METRES, centimetres
from hotspot.areas.inputs import area_table, latest_year
from hotspot.areas.models import Area, AreaKind
from hotspot.incidents.models import CrimeReport
from hotspot.reports.exports import export_response, stream_export_response


@require_capability(Capability.VIEW_AGGREGATES)
def area_list(request):
    kind = request.GET.get("kind", "")
    raw = disclosure.may_see_raw(request.user, request.municipality)
    year = latest_year(request.municipality)
    rows = area_table(request.municipality, year, raw=raw)
    if kind in AreaKind.values:
        rows = [r for r in rows if r["area"].kind == kind]
    return render(
        request,
        "areas/area_list.html",
        {
            "rows": rows,
            "kinds": AreaKind.choices,
            "kind": kind,
            "year": year,
            "disclosure_note": None if raw else disclosure.note(),
            "can_compose": request.membership.can(Capability.IMPORT_DATA),
        },
    )


AREA_COLUMNS = [
    (gettext_lazy("Code"), "area.code"),
    (gettext_lazy("Name"), "area.name"),
    (gettext_lazy("Kind"), lambda r: r["area"].get_kind_display()),
    (gettext_lazy("Part of"), lambda r: r["area"].parent.code if r["area"].parent else ""),
    (gettext_lazy("Year"), "year"),
    (gettext_lazy("Residents"), "residents"),
    (gettext_lazy("Reports"), "reports"),
    (gettext_lazy("Reports per 1,000"), "rate"),
]


@require_capability(Capability.VIEW_AGGREGATES)
def area_list_export(request, fmt):
    """The area list (aggregates) as CSV or XLSX; audited by export_response."""
    year = latest_year(request.municipality)
    rows = [
        {**r, "year": year, "area.code": r["area"].code, "area.name": r["area"].name}
        for r in area_table(
            request.municipality,
            year,
            raw=disclosure.may_see_raw(request.user, request.municipality),
        )
    ]
    return export_response(
        request, rows, AREA_COLUMNS, f"areas-{request.municipality.code}", fmt,
        object_type="areas.area",
    )  # fmt: skip


@require_capability(Capability.VIEW_AGGREGATES)
def area_map(request):
    return render(
        request,
        "areas/area_map.html",
        {"year": latest_year(request.municipality), "buffer_metres": BUFFER_METRES},
    )


@require_capability(Capability.VIEW_AGGREGATES)
def area_detail(request, pk):
    area = get_for_user(Area, request.user, Capability.VIEW_AGGREGATES, pk=pk)
    membership = request.user.membership_for(area.municipality_id)
    context = pages.area_detail(
        area,
        raw=disclosure.may_see_raw(request.user, area.municipality_id),
        can_raw=membership.can(Capability.VIEW_RAW_DATA),
    )
    context["members"] = list(area.members.order_by("code"))
    context["can_compose"] = (
        membership.can(Capability.IMPORT_DATA) and area.kind in actions.COMPOSABLE_KINDS
    )
    return render(request, "areas/area_detail.html", context)


@require_capability(Capability.VIEW_AGGREGATES)
def area_reports_csv(request, pk):
    """Incident-level export (raw data): roles with view_raw_data only, and audited."""
    area = get_for_user(Area, request.user, Capability.VIEW_RAW_DATA, pk=pk)
    reports = (
        CrimeReport.objects.visible_to(request.user, Capability.VIEW_RAW_DATA)
        .filter(area_id__in=area.tiling_descendant_ids())
        .select_related("offence")
        .order_by("occurred_at", "external_id")
    )
    # the suspect's age last: its Danish header is the import's alias, so the file imports again as is
    header = [
        _("report id"),
        _("time"),
        _("offence code"),
        _("offence"),
        "x",
        "y",
        "crs",
        _("suspect's age"),
    ]
    rows = (
        [
            r.external_id,
            r.occurred_at,
            r.offence.code,
            r.offence.name,
            centimetres(r.x),
            centimetres(r.y),
            "EPSG:25832",
            r.suspect_age,
        ]
        for r in reports.iterator(chunk_size=5000)
    )
    return stream_export_response(
        request,
        header,
        rows,
        f"reports-{area.code}",
        count=reports.count(),
        obj=area,
        municipality=area.municipality,
    )


def _composition_page(request, form, area=None, status=200):
    return render(
        request, "areas/composition_form.html", {"form": form, "area": area}, status=status
    )


def _overlap_notes(request, overlaps) -> None:
    for o in overlaps:
        messages.warning(
            request,
            _("%(a)s and %(b)s overlap (%(shared)s): the shared areas are counted once.")
            % {"a": o.first.name, "b": o.second.name, "shared": ", ".join(o.shared)},
        )


@require_capability(Capability.IMPORT_DATA)
def composition_new(request):
    form = CompositionForm(request.POST or None, municipality=request.municipality)
    if request.method == "POST" and form.is_valid():
        try:
            area, overlaps = actions.create_composed_area(
                municipality=request.municipality,
                code=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                members=form.chosen(),
                user=request.user,
                request=request,
            )
        except actions.CompositionRefused as exc:
            form.add_error("members", str(exc))
        else:
            _overlap_notes(request, overlaps)
            messages.success(request, _("The area was saved."))
            return redirect(area)
    return _composition_page(request, form, status=400 if request.method == "POST" else 200)


@require_capability(Capability.IMPORT_DATA)
def composition_edit(request, pk):
    area = get_for_user(Area, request.user, Capability.IMPORT_DATA, pk=pk)
    form = CompositionForm(request.POST or None, municipality=area.municipality, area=area)
    if request.method == "POST" and form.is_valid():
        try:
            overlaps = actions.compose_area(area, form.chosen(), user=request.user, request=request)
        except actions.CompositionRefused as exc:
            form.add_error("members", str(exc))
        else:
            _overlap_notes(request, overlaps)
            messages.success(request, _("The area was saved."))
            return redirect(area)
    return _composition_page(request, form, area, status=400 if request.method == "POST" else 200)
