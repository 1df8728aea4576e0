"""One GeoJSON feature builder (hotspot.areas.geo) for the areas map and the safety-index map."""

import json

import numpy as np
import pytest
from django.urls import reverse
from pyproj import Transformer

from hotspot.areas import api, geo
from hotspot.areas.geo import area_feature, feature_collection_of
from hotspot.areas.models import Area, AreaKind
from hotspot.indices import pages as index_pages
from hotspot.indices.tests.factories import make_run

pytestmark = pytest.mark.django_db


def _housing_area(municipality):
    return (
        Area.objects.filter(municipality=municipality, kind=AreaKind.HOUSING)
        .exclude(geometry=None)
        .order_by("pk")
        .first()
    )


def test_a_feature_is_the_area_in_wgs84_with_its_properties(demo_municipality):
    area = _housing_area(demo_municipality)
    properties = {"name": area.name, "score": None}
    feature = area_feature(area, properties)
    assert list(feature) == ["type", "id", "geometry", "properties"]
    assert feature["type"] == "Feature" and feature["id"] == area.pk
    assert feature["properties"] is properties
    assert feature["geometry"]["type"] == area.polygon.geom_type
    assert json.loads(json.dumps(feature)) == feature  # plain JSON: lists, numbers, strings
    # Independent reference: the outline transformed by pyproj here, to 1e-6 degrees.
    outer = area.polygon if area.polygon.geom_type == "Polygon" else area.polygon.geoms[0]
    x, y = np.asarray(outer.exterior.coords).T
    lon, lat = Transformer.from_crs(25832, 4326, always_xy=True).transform(x, y)
    ring = feature["geometry"]["coordinates"]
    ring = ring[0] if feature["geometry"]["type"] == "Polygon" else ring[0][0]
    assert np.allclose(np.asarray(ring), np.column_stack([lon, lat]), rtol=0, atol=6e-7)
    assert all(abs(v * 1e6 - round(v * 1e6)) < 1e-3 for pt in ring for v in pt)  # rounded


def test_a_collection_lists_its_features():
    features = [{"type": "Feature", "id": 1}, {"type": "Feature", "id": 2}]
    collection = feature_collection_of(iter(features))
    assert collection == {"type": "FeatureCollection", "features": features}
    assert list(collection) == ["type", "features"]
    assert feature_collection_of([]) == {"type": "FeatureCollection", "features": []}


def test_both_maps_build_their_features_through_the_one_builder(
    client, partner, demo_municipality, monkeypatch
):
    run = make_run(demo_municipality)
    calls = []

    def spy(area, properties):
        calls.append(area.pk)
        return geo.area_feature(area, properties)

    monkeypatch.setattr(api, "area_feature", spy)
    monkeypatch.setattr(index_pages, "area_feature", spy)
    client.force_login(partner)
    areas_map = client.get(reverse("areas:geojson")).json()
    area_calls, calls[:] = list(calls), []
    index_map = client.get(reverse("indices:geojson", args=[run.pk]) + "?year=2025").json()
    assert area_calls == [
        f["id"] for f in areas_map["features"] if f["properties"]["kind"] != "buffer"
    ]
    assert area_calls
    assert calls == [f["id"] for f in index_map["features"]] and calls
    # the same area has the same geometry on both maps, the builder's own
    by_id = {f["id"]: f for f in areas_map["features"]}
    for feature in index_map["features"]:
        assert list(feature) == ["type", "id", "geometry", "properties"]
        assert feature["geometry"] == by_id[feature["id"]]["geometry"]
    sample = Area.objects.get(pk=index_map["features"][0]["id"])
    assert index_map["features"][0]["geometry"] == area_feature(sample, {})["geometry"]
    assert set(index_map["features"][0]["properties"]) == {
        "code",
        "name",
        "score",
        "band",
        "rank",
        "colour",
        "url",
    }
