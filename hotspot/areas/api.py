"""GeoJSON of the areas in EPSG:4326 (RFC 7946), transformed from the stored EPSG:25832."""

import json
from functools import lru_cache

import numpy as np
import shapely
from django.http import JsonResponse
from pyproj import Transformer

from hotspot.accounts.access import require_capability
from hotspot.accounts.roles import Capability
from hotspot.areas.inputs import area_table
from hotspot.areas.models import STORAGE_SRID, AreaKind
from hotspot.indicators import disclosure

WGS84 = 4326


@lru_cache(maxsize=8)
def transformer(source: int, target: int) -> Transformer:
    # always_xy: (easting, northing) in, (longitude, latitude) out, whatever the CRS's axis order says.
    return Transformer.from_crs(source, target, always_xy=True)


def to_wgs84(geom, source: int = STORAGE_SRID):
    t = transformer(source, WGS84)

    def fn(coords):
        x, y = t.transform(coords[:, 0], coords[:, 1])
        # 1e-6 degrees is about 10 cm: more digits only make the file bigger (RFC 7946 §11.2).
        return np.round(np.column_stack([x, y]), 6)

    return shapely.transform(geom, fn)


def feature_collection(municipality, *, kinds=None, year=None, raw: bool = False) -> dict:
    """The areas as GeoJSON with their figures; small counts hidden unless ``raw`` (disclosure)."""
    features = []
    for row in area_table(municipality, year, raw=raw):
        area = row["area"]
        if kinds and area.kind not in kinds:
            continue
        if not area.geometry:
            continue
        features.append(
            {
                "type": "Feature",
                "id": area.pk,
                "geometry": json.loads(shapely.to_geojson(to_wgs84(area.polygon))),
                "properties": {
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
            }
        )
    return {"type": "FeatureCollection", "features": features}


@require_capability(Capability.VIEW_AGGREGATES)
def geojson(request):
    kinds = [k for k in request.GET.getlist("kind") if k in AreaKind.values] or None
    year = request.GET.get("year")
    year = int(year) if year and year.isdigit() else None
    raw = disclosure.may_see_raw(request.user, request.municipality)
    return JsonResponse(feature_collection(request.municipality, kinds=kinds, year=year, raw=raw))
