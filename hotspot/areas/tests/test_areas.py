"""Areas: storage in EPSG:25832, GeoJSON in EPSG:4326, aggregates, and the pages."""

import json

import numpy as np
import pytest
import shapely
import shapely.geometry
import shapely.ops
from django.db.models import Sum
from django.urls import reverse
from pyproj import CRS, Transformer

from hotspot.areas.geo import to_wgs84
from hotspot.areas.models import TILING_KINDS, Area, AreaKind, Population
from hotspot.incidents.models import CrimeReport

# 1e-6 degrees (our GeoJSON precision) is ~0.1 m in Denmark; compare to 2e-6 to allow rounding both ways.
DEGREE_TOLERANCE = 2e-6


def test_geojson_is_wgs84_lon_lat(client, partner, demo_municipality):
    client.force_login(partner)
    data = client.get(reverse("areas:geojson")).json()
    assert data["type"] == "FeatureCollection"
    areas = Area.objects.filter(municipality=demo_municipality)
    hotspots = areas.filter(kind="hotspot").exclude(geometry=None)
    assert hotspots.exists()
    # every area, and a buffer ring around each hotspot
    assert len(data["features"]) == areas.count() + hotspots.count()
    rings = [f for f in data["features"] if f["properties"]["kind"] == "buffer"]
    assert len(rings) == hotspots.count()
    ring = shapely.geometry.shape(rings[0]["geometry"])
    hotspot = hotspots.get(code=rings[0]["properties"]["code"])
    # the ring is outside the hotspot: back in metres it covers buffer(250) minus the hotspot
    expected = hotspot.polygon.buffer(250).difference(hotspot.polygon).area
    metres = Transformer.from_crs(4326, 25832, always_xy=True)
    back = shapely.ops.transform(metres.transform, ring)
    assert back.area == pytest.approx(expected, rel=0.01)
    feature = next(f for f in data["features"] if f["properties"]["kind"] == "housing")
    area = areas.get(pk=feature["id"])
    # Independent reference: EPSG:25832 -> 4326 with the authority's axis order, swapped by hand.
    reference = Transformer.from_crs(CRS.from_epsg(25832), CRS.from_epsg(4326))  # (lat, lon) order
    x, y = np.asarray(area.polygon.exterior.coords)[0]
    lat, lon = reference.transform(x, y)
    first = feature["geometry"]["coordinates"][0][0]
    assert abs(first[0] - lon) < DEGREE_TOLERANCE and abs(first[1] - lat) < DEGREE_TOLERANCE
    # Denmark: longitude 8-13, latitude 54-58.
    assert 8 < first[0] < 16 and 54 < first[1] < 58


def test_to_wgs84_round_trips():
    square = shapely.box(720000, 6175000, 721000, 6176000)
    back = Transformer.from_crs(4326, 25832, always_xy=True)
    coords = np.asarray(to_wgs84(square).exterior.coords)
    x, y = back.transform(coords[:, 0], coords[:, 1])
    assert np.allclose(
        np.column_stack([x, y]), np.asarray(square.exterior.coords), atol=0.2
    )  # metres


def test_tiling_areas_cover_the_municipality(demo_municipality):
    top = Area.objects.get(municipality=demo_municipality, kind=AreaKind.MUNICIPALITY)
    tiles = Area.objects.filter(municipality=demo_municipality, kind__in=TILING_KINDS)
    union = shapely.union_all([a.polygon for a in tiles])
    assert union.area == pytest.approx(top.polygon.area, rel=1e-6)
    assert sum(a.area_m2 for a in tiles) == pytest.approx(top.area_m2, rel=1e-6)  # no overlaps


def test_every_report_lies_in_its_area(demo_municipality):
    area = Area.objects.filter(municipality=demo_municipality, kind=AreaKind.HOUSING).first()
    xy = np.array(CrimeReport.objects.filter(area=area).values_list("x", "y"))
    assert len(xy) > 0
    assert shapely.contains_xy(area.polygon, xy[:, 0], xy[:, 1]).all()


def test_district_figures_sum_their_parts(client, coordinator, demo_municipality):
    district = Area.objects.filter(municipality=demo_municipality, kind=AreaKind.DISTRICT).first()
    ids = district.tiling_descendant_ids()
    assert ids and set(Area.objects.filter(pk__in=ids).values_list("kind", flat=True)) <= set(
        TILING_KINDS
    )
    year = 2015
    residents = Population.objects.filter(area_id__in=ids, year=year).aggregate(n=Sum("count"))["n"]
    reports = CrimeReport.objects.filter(area_id__in=ids, occurred_at__year=year).count()
    client.force_login(coordinator)
    response = client.get(reverse("areas:detail", args=[district.pk]))
    row = next(r for r in response.context["trend"] if r["year"] == year)
    assert row["residents"] == residents
    assert row["total"] == reports
    assert row["rate"] == pytest.approx(1000 * reports / residents, rel=1e-12)


def test_area_page_shows_charts_with_tables(client, partner, demo_municipality):
    area = Area.objects.filter(municipality=demo_municipality, kind=AreaKind.HOUSING).first()
    client.force_login(partner)
    response = client.get(reverse("areas:detail", args=[area.pk]))
    html = response.content.decode()
    assert area.name in html
    assert 'id="chart-reports"' in html and 'id="table-reports"' in html
    assert 'id="chart-population"' in html and 'id="table-population"' in html
    chart = json.loads(
        html.split('id="chart-data" type="application/json">')[1].split("</script>")[0]
    )
    assert chart["years"][0] == 2008 and chart["years"][-1] == 2025
    assert len(chart["reports"]["series"][0]) == len(chart["years"])
    # The partner sees aggregates, and no link to the raw export.
    assert reverse("areas:reports_csv", args=[area.pk]) not in html


def test_area_list_filters_by_kind(client, partner):
    client.force_login(partner)
    response = client.get(reverse("areas:list"), {"kind": "district"})
    kinds = {row["area"].kind for row in response.context["rows"]}
    assert kinds == {"district"}


def test_danish_by_default_english_on_request(client, partner):
    client.force_login(partner)
    html = client.get(reverse("areas:list")).content.decode()
    assert 'lang="da"' in html and "Områder" in html
    client.post(reverse("set_language"), {"language": "en", "next": "/areas/"})
    html = client.get(reverse("areas:list")).content.decode()
    assert 'lang="en"' in html and "Areas" in html and "Områder" not in html


@pytest.mark.parametrize("kind", [AreaKind.DISTRICT, AreaKind.MUNICIPALITY])
def test_area_page_survey_shares_match_the_library(client, partner, demo_municipality, kind):
    """The page's unsafe share (read from the survey tally) equals safetystats.survey on the raw
    answers in every year, for a district and for the whole municipality, and small years are
    suppressed."""
    from hotspot.surveys.models import SurveyResponse
    from safetystats.survey import weighted_share

    area = Area.objects.filter(municipality=demo_municipality, kind=kind).first()
    ids = area.tiling_descendant_ids()
    client.force_login(partner)
    survey = client.get(reverse("areas:detail", args=[area.pk])).context["survey"]
    years = sorted(
        set(SurveyResponse.objects.filter(area_id__in=ids).values_list("wave__year", flat=True))
    )
    assert [s["year"] for s in survey] == years
    assert any(not s["suppressed"] for s in survey)
    for row in survey:
        answers = SurveyResponse.objects.filter(area_id__in=ids, wave__year=row["year"])
        ref = weighted_share(
            [a.answers["safety"] for a in answers], [a.weight for a in answers], category="unsafe"
        )
        assert row["n"] == ref.n
        assert row["suppressed"] == ref.suppressed == (row["n"] < 20)
        if row["suppressed"]:
            assert row["share"] is None and row["low"] is None
            continue
        # the tally's sums against numpy's over the answers: rounding only
        assert row["share"] == pytest.approx(100 * ref.share, abs=1e-9)
        assert row["low"] == pytest.approx(100 * ref.low, abs=1e-9)
        assert row["high"] == pytest.approx(100 * ref.high, abs=1e-9)


def test_tiling_map_agrees_with_the_geometry(demo_municipality):
    """Which tiling areas make up an area, by the hierarchy, equals which lie inside it, by geometry."""
    from hotspot.areas.models import tiling_map_for

    members = tiling_map_for(demo_municipality.pk)
    areas = {a.pk: a for a in Area.objects.filter(municipality=demo_municipality)}
    tiles = [a for a in areas.values() if a.kind in TILING_KINDS]
    for area in areas.values():
        inside = {t.pk for t in tiles if area.polygon.contains(t.polygon.representative_point())}
        assert set(members[area.pk]) == inside, area.code
    assert members[next(a.pk for a in areas.values() if a.kind == AreaKind.MUNICIPALITY)]


@pytest.mark.parametrize("name", ["areas:list", "areas:map", "areas:geojson"])
def test_pages_do_a_fixed_number_of_queries(client, partner, name, django_assert_max_num_queries):
    """No query per area: the whole municipality in a handful of queries (N+1 guard)."""
    client.force_login(partner)
    client.get(reverse(name))  # warm the session
    with django_assert_max_num_queries(15):  # 12, and the stored small-cell plan and its checks
        assert client.get(reverse(name)).status_code == 200


def test_area_page_does_a_fixed_number_of_queries(
    client, partner, demo_municipality, django_assert_max_num_queries
):
    district = Area.objects.filter(municipality=demo_municipality, kind=AreaKind.DISTRICT).first()
    client.force_login(partner)
    # 14, the stored small-cell plan and its checks, the compositions of the tiling map, what the
    # area is made of and the Statistics Denmark figures beside it (one query each)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("areas:detail", args=[district.pk])).status_code == 200


@pytest.mark.parametrize(
    "query", ["?year=abc", "?year=1900", "?kind=bogus", "?kind=district&year=-1"]
)
def test_geojson_bad_parameters_are_not_errors(client, partner, query):
    client.force_login(partner)
    response = client.get(reverse("areas:geojson") + query)
    assert response.status_code == 200
    assert response.json()["type"] == "FeatureCollection"
