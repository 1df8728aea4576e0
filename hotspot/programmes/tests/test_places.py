"""Places of a programme: hot cells or drawn points for physical measures and police presence, which
tasks of the action plans can name."""

import math

import pytest
import shapely
from django.urls import reverse
from pyproj import CRS, Transformer

from hotspot.areas.geo import BUFFER_METRES
from hotspot.areas.models import Area
from hotspot.audit.models import AuditEvent
from hotspot.programmes import actions
from hotspot.programmes.forms import PlaceForm
from hotspot.programmes.models import Place, Programme, Task
from hotspot.programmes.tests.access import D, make_programme

#: Stored EPSG:25832 coordinates against the reference conversion: a centimetre, the precision the
#: areas' coordinates are kept to (hotspot.areas.geo.centimetres).
TOLERANCE_M = 0.01

# GRS80, the ellipsoid of ETRS89 (EPSG:25832 is ETRS89 / UTM zone 32N: central meridian 9° E, scale
# 0.9996 on it, false easting 500 000 m)
GRS80_A = 6378137.0
GRS80_F = 1 / 298.257222101


@pytest.fixture
def objs(demo_municipality):
    return make_programme(demo_municipality)


@pytest.fixture
def square(demo_municipality):
    """A programme whose one area is the square (0, 0)-(100, 100) in EPSG:25832 metres."""
    area = Area(municipality=demo_municipality, code="PLACE-SQ", name="Firkant", kind="housing")
    area.set_polygon(shapely.box(0, 0, 100, 100))
    area.save()
    p = Programme.objects.create(
        municipality=demo_municipality,
        name="Firkantprogram",
        start=D(2020, 1, 1),
        end=D(2023, 12, 31),
    )
    p.areas.add(area)
    return p


def _reference():
    """WGS 84 (longitude, latitude) -> EPSG:25832, built here from the CRS definitions."""
    return Transformer.from_crs(CRS("EPSG:4326"), CRS("EPSG:25832"), always_xy=True)


def _centre(programme):
    return programme.areas.get().polygon.representative_point()


def _audit(obj, action):
    return AuditEvent.objects.filter(
        object_type="programmes.place", object_id=str(obj.pk), action=action
    )


# --- the point ------------------------------------------------------------------------------------


def test_check_place_point_takes_the_area_and_its_buffer_only(square):
    actions.check_place_point(square, 50, 50)  # inside
    actions.check_place_point(square, 100 + BUFFER_METRES - 1, 50)  # 249 m east of the edge
    actions.check_place_point(square, -(BUFFER_METRES - 1), -1)  # just past the corner, 249 m
    with pytest.raises(ValueError, match="251 m"):
        actions.check_place_point(square, 100 + BUFFER_METRES + 1, 50)
    # beyond the corner: the distance is the diagonal (200, 200) -> 283 m, not either side's 200 m
    with pytest.raises(ValueError, match="283 m"):
        actions.check_place_point(square, 300, 300)
    for bad in (float("nan"), float("inf"), None, "x"):
        with pytest.raises(ValueError):
            actions.check_place_point(square, bad, 50)


def test_a_programme_without_area_outlines_takes_no_place(square):
    area = square.areas.get()
    area.geometry = None
    area.save()
    with pytest.raises(ValueError, match="outline"):
        actions.check_place_point(square, 50, 50)


def test_latitude_longitude_on_the_central_meridian_against_the_closed_form():
    """On the central meridian (9° E) UTM gives easting 500 000 m and northing 0.9996 x the meridian
    arc from the equator (Snyder 1987, eq. 3-21): a reference that does not go through pyproj."""
    lat = 56.0
    form = PlaceForm({"name": "P", "kind": "other", "latitude": "56,0", "longitude": "9"})
    assert form.is_valid(), form.errors
    x, y = form.cleaned_data["point"]
    e2 = GRS80_F * (2 - GRS80_F)
    phi = math.radians(lat)
    arc = GRS80_A * (
        (1 - e2 / 4 - 3 * e2**2 / 64 - 5 * e2**3 / 256) * phi
        - (3 * e2 / 8 + 3 * e2**2 / 32 + 45 * e2**3 / 1024) * math.sin(2 * phi)
        + (15 * e2**2 / 256 + 45 * e2**3 / 1024) * math.sin(4 * phi)
        - (35 * e2**3 / 3072) * math.sin(6 * phi)
    )
    assert x == pytest.approx(500000.0, abs=TOLERANCE_M)
    assert y == pytest.approx(0.9996 * arc, abs=TOLERANCE_M)


@pytest.mark.parametrize(
    "data,field",
    [
        ({"x": "720000"}, "y"),
        ({"y": "6170000"}, "x"),
        ({"latitude": "55.7"}, "longitude"),
        ({"longitude": "12,5"}, "latitude"),
        ({"latitude": "95", "longitude": "12"}, "latitude"),
        ({"latitude": "55", "longitude": "-200"}, "longitude"),
        ({"x": "abc", "y": "1"}, "x"),
        ({}, "__all__"),
        ({"x": "1", "y": "2", "latitude": "55", "longitude": "12"}, "__all__"),
    ],
)
def test_the_point_must_be_one_whole_pair(data, field):
    form = PlaceForm({"name": "P", "kind": "police", **data})
    assert not form.is_valid()
    assert field in form.errors
    assert "point" not in form.cleaned_data


# --- adding through the pages -----------------------------------------------------------------------


def test_coordinator_adds_a_place_with_easting_and_northing(login, coordinator, objs):
    p = objs["programme"]
    centre = _centre(p)
    client = login(coordinator)
    url = reverse("programmes:place_new", args=[p.pk])
    page = client.get(url)
    assert page.status_code == 200 and b'id="place-map"' in page.content
    # the map draws the programme's own areas, named by their ids in the areas GeoJSON
    assert f'data-areas="{p.areas.get().pk}"'.encode() in page.content
    data = {
        "name": "Belysning ved stien",
        "kind": "physical",
        "x": f"{centre.x:.2f}".replace(".", ","),  # a Danish decimal comma
        "y": f"{centre.y:.2f}",
        "note": "Buskene skæres ned.",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("programmes:places", args=[p.pk])
    place = p.places.get(name="Belysning ved stien")
    assert place.x == pytest.approx(round(centre.x, 2), abs=1e-9)
    assert place.y == pytest.approx(round(centre.y, 2), abs=1e-9)
    assert place.cell_size is None and place.source == ""
    event = _audit(place, "create").get()
    assert event.actor == coordinator
    assert "x" in event.fields and "kind" in event.fields
    listing = client.get(response["Location"]).content.decode()
    assert "Belysning ved stien" in listing and f"{centre.x:.0f}, {centre.y:.0f}" in listing


def test_coordinator_adds_a_place_with_latitude_and_longitude(login, coordinator, objs):
    p = objs["programme"]
    centre = _centre(p)
    back = Transformer.from_crs(CRS("EPSG:25832"), CRS("EPSG:4326"), always_xy=True)
    lon, lat = (round(v, 6) for v in back.transform(centre.x, centre.y))
    client = login(coordinator)
    response = client.post(
        reverse("programmes:place_new", args=[p.pk]),
        {"name": "Patrulje", "kind": "police", "latitude": f"{lat:.6f}", "longitude": f"{lon:.6f}"},
    )
    assert response.status_code == 302
    place = p.places.get(name="Patrulje")
    x, y = _reference().transform(lon, lat)
    assert place.x == pytest.approx(x, abs=TOLERANCE_M)
    assert place.y == pytest.approx(y, abs=TOLERANCE_M)
    # 1e-6 degrees of rounding moves the point by about 10 cm at most
    assert math.hypot(place.x - centre.x, place.y - centre.y) < 0.2


def test_a_point_far_outside_the_programmes_areas_is_refused(login, coordinator, objs):
    p = objs["programme"]
    polygon = p.areas.get().polygon
    client = login(coordinator)
    x, y = polygon.bounds[2] + 5000, polygon.bounds[3] + 5000
    response = client.post(
        reverse("programmes:place_new", args=[p.pk]),
        {"name": "Langt væk", "kind": "other", "x": str(x), "y": str(y)},
    )
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert errors and f"within {BUFFER_METRES} m" in errors[0]
    assert b'id="place-errors"' in response.content
    assert list(p.places.all()) == [objs["place"]]  # the one make_programme made, nothing new
    assert not AuditEvent.objects.filter(object_type="programmes.place").exists()


def test_an_incomplete_pair_is_named_on_the_page(login, coordinator, objs):
    p = objs["programme"]
    client = login(coordinator)
    response = client.post(
        reverse("programmes:place_new", args=[p.pk]),
        {"name": "Halv", "kind": "other", "latitude": "55.7"},
    )
    assert response.status_code == 200
    assert "longitude" in response.context["form"].errors
    assert not p.places.filter(name="Halv").exists()


@pytest.mark.parametrize("role", ["partner", "board"])
def test_partner_and_board_see_the_places_but_cannot_add_or_delete(login, member, objs, role):
    p, place = objs["programme"], objs["place"]
    client = login(member(role))
    page = client.get(reverse("programmes:places", args=[p.pk]))
    assert page.status_code == 200
    assert place.name.encode() in page.content
    assert b'id="add-place"' not in page.content and b"delete-place-" not in page.content
    new = reverse("programmes:place_new", args=[p.pk])
    assert client.get(new).status_code == 403
    data = {"name": "Nej", "kind": "other", "x": str(place.x), "y": str(place.y)}
    assert client.post(new, data).status_code == 403
    assert not p.places.filter(name="Nej").exists()
    delete = reverse("programmes:place_delete", args=[place.pk])
    assert client.post(delete).status_code == 403
    assert Place.objects.filter(pk=place.pk).exists()


def test_outsider_gets_404_on_the_places(login, outsider, objs):
    client = login(outsider)
    assert client.get(reverse("programmes:places", args=[objs["programme"].pk])).status_code == 404
    assert (
        client.post(reverse("programmes:place_delete", args=[objs["place"].pk])).status_code == 404
    )


def test_delete_by_post_only(login, coordinator, objs):
    place, task = objs["place"], objs["task"]
    assert task.place == place
    client = login(coordinator)
    url = reverse("programmes:place_delete", args=[place.pk])
    assert client.get(url).status_code == 405
    assert Place.objects.filter(pk=place.pk).exists()
    response = client.post(url)
    assert response.status_code == 302
    assert not Place.objects.filter(pk=place.pk).exists()
    assert _audit(place, "delete").get().actor == coordinator
    task.refresh_from_db()
    assert task.place is None  # the task stays, without the place


# --- the action other apps call ---------------------------------------------------------------------


def test_add_place_saves_a_hot_cell(coordinator, square):
    place = actions.add_place(
        square,
        user=coordinator,
        name="Celle 17",
        kind="police",
        x=150.0,
        y=50.0,
        cell_size=100,
        source="Gi* hot cell, 99 % confidence, spatial run 12, 01.01.2024–31.12.2024",
    )
    place.refresh_from_db()
    assert (place.x, place.y, place.cell_size, place.kind) == (150.0, 50.0, 100, "police")
    assert place.source.startswith("Gi* hot cell")
    assert _audit(place, "create").get().fields == sorted(
        ["cell_size", "kind", "name", "note", "programme", "source", "x", "y"]
    )
    with pytest.raises(ValueError):
        actions.add_place(square, user=coordinator, name="C", kind="parade", x=50, y=50)
    with pytest.raises(ValueError):
        actions.add_place(square, user=coordinator, name="C", kind="other", x=50, y=50, cell_size=0)
    with pytest.raises(ValueError):
        actions.add_place(square, user=coordinator, name="  ", kind="other", x=50, y=50)
    with pytest.raises(ValueError):
        actions.add_place(square, user=coordinator, name="Far", kind="other", x=5000, y=50)
    assert list(square.places.values_list("name", flat=True)) == ["Celle 17"]


# --- tasks ----------------------------------------------------------------------------------------


def test_a_task_naming_a_place_shows_its_name(login, coordinator, objs):
    p, place, task, plan = objs["programme"], objs["place"], objs["task"], objs["plan"]
    client = login(coordinator)
    detail = client.get(plan.get_absolute_url()).content.decode()
    assert f"Place: {place.name}" in detail
    places = client.get(reverse("programmes:places", args=[p.pk])).content.decode()
    assert f"#task-{task.pk}" in places and task.title in places
    # the task table (overdue tasks: the task was due in 2011)
    overdue = client.get(reverse("programmes:overdue")).content.decode()
    assert f"Place: {place.name}" in overdue
    task.place = None
    task.save()
    assert f"Place: {place.name}" not in client.get(plan.get_absolute_url()).content.decode()


def test_the_task_form_offers_only_the_programmes_own_places(
    login, coordinator, objs, demo_municipality
):
    plan, own = objs["plan"], objs["place"]
    # a place of another programme of the same municipality
    second = Programme.objects.create(
        municipality=demo_municipality, name="Andet", start=D(2010, 1, 1), end=D(2012, 12, 31)
    )
    other = Place.objects.create(
        programme=second, name="Andetsteds", kind="other", x=own.x, y=own.y
    )
    client = login(coordinator)
    url = reverse("programmes:task_new", args=[plan.pk])
    offered = client.get(url).context["form"].fields["place"].queryset
    assert list(offered) == [own]
    data = {"title": "Lys op", "due": "2011-03-01", "status": "open"}
    refused = client.post(url, {**data, "place": other.pk})
    assert refused.status_code == 200 and "place" in refused.context["form"].errors
    assert not Task.objects.filter(title="Lys op").exists()
    assert client.post(url, {**data, "place": own.pk}).status_code == 302
    assert Task.objects.get(title="Lys op").place == own
    edit = reverse("programmes:task_edit", args=[objs["task"].pk])
    refused = client.post(edit, {**data, "title": "Opgave", "place": other.pk, "version": "1"})
    assert refused.status_code == 200 and "place" in refused.context["form"].errors
