"""A hotspot or control area made of existing areas: figures summed without double counting, outline
their union, members only from its own municipality (issue 13, part 4)."""

import numpy as np
import pytest
import shapely
from django.db.models import Sum

from hotspot.accounts.models import User
from hotspot.areas.actions import CompositionRefused, compose_area
from hotspot.areas.models import Area, AreaKind, Population, tiling_map
from hotspot.audit.models import AuditEvent
from hotspot.indicators import measures
from hotspot.indices import inputs as ix

D, R, H, C = AreaKind.DISTRICT, AreaKind.RODE, AreaKind.HOTSPOT, AreaKind.CONTROL


def test_tiling_map_of_compositions():
    rows = [(1, None, AreaKind.MUNICIPALITY), (2, 1, D), (3, 2, R), (4, 2, R), (5, 1, D),
            (6, 5, R), (7, None, H), (8, None, H), (9, None, C), (10, 9, H)]  # fmt: skip
    members = {7: [2, 6], 8: [2, 3], 9: [7, 8], 10: [10]}
    m = tiling_map(rows, members)
    assert m[7] == [3, 4, 6]  # district 2 plus rode 6
    assert m[8] == [3, 4]  # district 2 and its own rode 3: rode 3 once
    assert m[9] == [3, 4, 6]  # a composition of compositions, each tiling area once
    assert m[10] == []  # made of itself: nothing, and no endless loop
    assert (
        tiling_map(rows)[7] == []
    )  # without the compositions, a parentless hotspot covers nothing


@pytest.fixture
def parts(demo_municipality):
    district = Area.objects.filter(municipality=demo_municipality, kind=D).order_by("code").first()
    inside = Area.objects.filter(parent=district, kind=R).order_by("code").first()
    outside = (
        Area.objects.filter(municipality=demo_municipality, kind=R)
        .exclude(parent=district)
        .order_by("code")
        .first()
    )
    hotspot = Area.objects.create(
        municipality=demo_municipality, code="HS-TEST", name="Ydre test", kind=H
    )
    return district, inside, outside, hotspot


def test_a_district_plus_a_rode_sums_its_members_once(parts, demo_municipality):
    district, inside, outside, hotspot = parts
    analyst = User.objects.get(username="analyst")
    overlaps = compose_area(hotspot, [district, inside, outside], user=analyst)
    # the rode inside the district is reported, and counted once
    assert [(o.first, o.second) for o in overlaps] == [(district, inside)]
    assert overlaps[0].shared == (inside.code,)
    ids = hotspot.tiling_descendant_ids()
    expected = set(district.tiling_descendant_ids()) | {outside.pk}
    assert sorted(ids) == sorted(expected) and len(ids) == len(set(ids))
    residents = Population.objects.filter(area_id__in=expected, year=2025).aggregate(n=Sum("count"))
    panel = measures.build_panel(
        {hotspot.pk: ids}, [2025], ["reports_total"], municipality_id=demo_municipality.pk
    )
    assert panel.denominators[0, 0, 0] == residents["n"]
    # the outline is the union of the members' outlines
    union = shapely.union_all([district.polygon, outside.polygon])
    hotspot.refresh_from_db()
    assert hotspot.polygon.symmetric_difference(union).area < 1e-6 * union.area
    event = AuditEvent.objects.filter(object_type="areas.area", object_id=str(hotspot.pk)).last()
    assert event is not None and "members" in event.fields and event.count == 3


def test_members_of_another_municipality_are_refused(parts, other_municipality, english):
    district, _inside, _outside, hotspot = parts
    foreign = Area.objects.filter(municipality=other_municipality).first()
    with pytest.raises(CompositionRefused, match="another municipality"):
        compose_area(hotspot, [district, foreign])
    assert not hotspot.members.exists()  # nothing half-written


def test_a_tiling_area_or_a_cycle_is_refused(parts, english):
    district, inside, _outside, hotspot = parts
    with pytest.raises(CompositionRefused, match="Only hotspot and control"):
        compose_area(inside, [district])
    compose_area(hotspot, [district])
    control = Area.objects.create(
        municipality=hotspot.municipality, code="KO-TEST", name="Kontrol", kind=C
    )
    compose_area(control, [hotspot])
    with pytest.raises(CompositionRefused, match="made of it"):
        compose_area(hotspot, [control])
    with pytest.raises(CompositionRefused, match="itself"):
        compose_area(hotspot, [hotspot])


def test_the_index_scores_districts_from_their_tiling_areas(demo_municipality):
    districts = list(ix.scored_areas(demo_municipality.pk, "district"))
    assert districts and all(a.kind == D for a in districts)
    inputs = ix.build_inputs(
        demo_municipality.pk,
        ["reports_total", "survey_unsafe"],
        area_set="district",
        survey_min_n=5,
    )
    assert list(inputs.area_ids) == [a.pk for a in districts]
    first = districts[0]
    panel = measures.build_panel(
        {first.pk: first.tiling_descendant_ids()},
        [int(y) for y in inputs.years],
        ["reports_total", "survey_unsafe"],
        municipality_id=demo_municipality.pk,
        survey_min_n=5,
    )
    got = inputs.values[0]
    want = np.where(panel.known, panel.values[0], np.nan)
    assert np.allclose(got, want, equal_nan=True)
    assert np.isfinite(got[:, 0]).sum() >= 3  # a district has report rates, not missing as before


def test_the_pages_make_a_control_area_of_areas(client, analyst, parts, other_municipality):
    from django.urls import reverse

    district, inside, outside, _hotspot = parts
    client.force_login(analyst)
    url = reverse("areas:composition_new")
    foreign = Area.objects.filter(municipality=other_municipality).first()
    refused = client.post(
        url, {"code": "KO-1", "name": "Kontrol", "kind": "control", "members": [foreign.pk]}
    )
    assert refused.status_code == 400 and not Area.objects.filter(code="KO-1").exists()
    response = client.post(
        url,
        {"code": "KO-1", "name": "Kontrol", "kind": "control",
         "members": [district.pk, inside.pk, outside.pk]},
        follow=True,
    )  # fmt: skip
    control = Area.objects.get(code="KO-1", municipality=district.municipality)
    assert control.kind == C and set(control.members.all()) == {district, inside, outside}
    html = response.content.decode()
    assert "tælles én gang" in html and inside.code in html  # the overlap, reported
    assert 'id="made-of"' in html and 'id="edit-composition"' in html
    # change it: the district alone
    client.post(reverse("areas:composition_edit", args=[control.pk]), {"members": [district.pk]})
    assert list(control.members.all()) == [district]
    assert sorted(control.tiling_descendant_ids()) == sorted(district.tiling_descendant_ids())
    # a taken code is refused with a reason
    again = client.post(
        url, {"code": "KO-1", "name": "X", "kind": "control", "members": [district.pk]}
    )
    assert again.status_code == 400 and "findes allerede" in again.content.decode()
