"""The areas map's GeoJSON (EPSG:4326, RFC 7946); its features are built by ``hotspot.areas.geo``."""

from django.http import JsonResponse
from django.utils.translation import gettext as _

from hotspot import disclosure
from hotspot.accounts.access import require_capability
from hotspot.accounts.roles import Capability
from hotspot.areas.geo import (
    BUFFER_METRES,
    area_feature,
    buffer_ring,
    feature_collection_of,
    geometry_feature,
)
from hotspot.areas.inputs import area_table
from hotspot.areas.models import AreaKind


def feature_collection(municipality, *, kinds=None, year=None, raw: bool = False) -> dict:
    """The areas as GeoJSON with their figures; small counts hidden unless ``raw`` (disclosure)."""
    features = []
    for row in area_table(municipality, year, raw=raw):
        area = row["area"]
        if kinds and area.kind not in kinds:
            continue
        if not area.geometry:
            continue
        if area.kind == AreaKind.HOTSPOT and (not kinds or "buffer" in kinds):
            ring = buffer_ring(area.polygon)
            if ring is not None:
                features.append(
                    geometry_feature(
                        f"buffer-{area.pk}",
                        ring,
                        {
                            "code": area.code,
                            "name": _("Buffer around %(area)s") % {"area": area.name},
                            "kind": "buffer",
                            "kind_label": str(
                                _("Buffer zone (%(metres)s m)") % {"metres": BUFFER_METRES}
                            ),
                            "url": area.get_absolute_url(),
                        },
                    )
                )
        features.append(
            area_feature(
                area,
                {
                    "code": area.code,
                    "name": area.name,
                    "kind": area.kind,
                    "kind_label": str(AreaKind(area.kind).label),
                    "url": area.get_absolute_url(),
                    "year": row["year"],
                    "residents": row["residents"],
                    "reports": disclosure.js(row["reports"]),
                    "suppressed": isinstance(row["reports"], disclosure.Suppressed),
                    "rate": None if row["rate"] is None else round(row["rate"], 1),
                    "citizen_directed_rate": None
                    if row["citizen_directed_rate"] is None
                    else round(row["citizen_directed_rate"], 1),
                },
            )
        )
    return feature_collection_of(features)


@require_capability(Capability.VIEW_AGGREGATES)
def geojson(request):
    kinds = [k for k in request.GET.getlist("kind") if k in (*AreaKind.values, "buffer")] or None
    year = request.GET.get("year")
    year = int(year) if year and year.isdigit() else None
    raw = disclosure.may_see_raw(request.user, request.municipality)
    return JsonResponse(feature_collection(request.municipality, kinds=kinds, year=year, raw=raw))
