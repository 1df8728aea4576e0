"""Parents that form a cycle (the import refuses them; the database does not) never take pages down."""

import pytest
from django.urls import reverse

from hotspot.areas.models import Area, AreaKind, tiling_map

D, R, H = AreaKind.DISTRICT, AreaKind.RODE, AreaKind.HOTSPOT


def test_tiling_map_of_a_tree():
    rows = [(1, None, AreaKind.MUNICIPALITY), (2, 1, D), (3, 2, R), (4, 2, R), (5, 1, D),
            (6, 5, AreaKind.HOUSING), (7, 3, H), (8, 7, AreaKind.CONTROL)]  # fmt: skip
    assert tiling_map(rows) == {1: [3, 4, 6], 2: [3, 4], 3: [3], 4: [4], 5: [6], 6: [6],
                                7: [3], 8: [3]}  # fmt: skip


def test_tiling_map_survives_cycles_and_self_parents():
    rows = [
        (1, 2, D), (2, 1, D), (3, 1, R), (4, 2, R),  # two districts that contain each other
        (5, 6, H), (6, 5, H),  # two hotspots that cover each other
        (7, 7, D), (8, 7, R),  # a district that is its own parent
        (9, 9, R), (10, 9, H),  # a rode that is its own parent, and a hotspot on it
    ]  # fmt: skip
    members = tiling_map(rows)
    assert sorted(members[1]) == [3, 4] and sorted(members[2]) == [3, 4]
    assert members[5] == [] and members[6] == []
    assert members[7] == [8] and members[9] == [9] and members[10] == [9]


@pytest.fixture
def cycle(demo_municipality):
    """Two districts made each other's parent, and a hotspot its own, straight in the database."""
    a, b = Area.objects.filter(municipality=demo_municipality, kind=D).order_by("code")[:2]
    Area.objects.filter(pk=a.pk).update(parent=b)
    Area.objects.filter(pk=b.pk).update(parent=a)
    hotspot = Area.objects.filter(municipality=demo_municipality, kind=H).first()
    if hotspot is not None:
        Area.objects.filter(pk=hotspot.pk).update(parent=hotspot)
    return a, b


@pytest.mark.parametrize(
    "name,args",
    [
        ("home", []),
        ("areas:list", []),
        ("areas:detail", ["a"]),
        ("areas:detail", ["b"]),
        ("areas:geojson", []),
        ("areas:export", ["csv"]),
        ("programmes:list", []),
    ],
)
def test_pages_answer_with_a_cycle_in_the_database(login, coordinator, cycle, name, args):
    a, b = cycle
    args = [{"a": a.pk, "b": b.pk}.get(x, x) for x in args]
    response = login(coordinator).get(reverse(name, args=args))
    assert response.status_code == 200
    if name == "areas:detail":
        assert str(a.name) in response.content.decode()
