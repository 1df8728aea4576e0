"""Areas as GeoJSON (RFC 7946): geometry in EPSG:4326, transformed from the stored EPSG:25832, and the
one feature builder every map's GeoJSON goes through (the areas map, the safety-index map)."""

import json
from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer

from hotspot.areas.models import STORAGE_SRID

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


#: The ring around a hotspot where displacement or diffusion of crime is looked for (METHODS.md §5:
#: target, buffer ring, control area; Bowers & Johnson 2003 use rings of a few hundred metres).
BUFFER_METRES = 250


def buffer_ring(polygon, metres: float = BUFFER_METRES):
    """The ring of ``metres`` around ``polygon`` (EPSG:25832, metres), the polygon itself left out."""
    if polygon is None or polygon.is_empty:
        return None
    return polygon.buffer(metres).difference(polygon)


def geometry_feature(feature_id, geom, properties: dict) -> dict:
    """A geometry in EPSG:25832 as a GeoJSON Feature in EPSG:4326."""
    return {
        "type": "Feature",
        "id": feature_id,
        "geometry": json.loads(shapely.to_geojson(to_wgs84(geom))),
        "properties": properties,
    }


def area_feature(area, properties: dict) -> dict:
    """An area with a geometry as a GeoJSON Feature: its pk as the id, its outline in EPSG:4326."""
    return geometry_feature(area.pk, area.polygon, properties)


def feature_collection_of(features) -> dict:
    """Features as a GeoJSON FeatureCollection."""
    return {"type": "FeatureCollection", "features": list(features)}


def centimetres(value):
    """A stored EPSG:25832 coordinate to the centimetre, as the data are kept: a download imports again
    unchanged."""
    return None if value is None else round(value, 2)
