"""Writes of areas that are not imports: a hotspot or control area made of existing areas."""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from django.db import transaction
from django.utils.translation import gettext as _

from hotspot.areas.models import TILING_KINDS, Area, AreaKind, tiling_map_for
from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose

#: The kinds an analyst may compose of other areas (the model's "distrikt 12 inklusiv rode 157").
COMPOSABLE_KINDS = (AreaKind.HOTSPOT, AreaKind.CONTROL)


class CompositionRefused(ValueError):
    """The composition cannot be saved; the message says why, in the reader's language."""


@dataclass(frozen=True)
class Overlap:
    """Two members that share tiling areas: reported to the analyst, counted once in the figures."""

    first: Area
    second: Area
    shared: tuple[str, ...]  # the codes of the tiling areas both cover


def check_members(area: Area, members) -> list[Overlap]:
    """Refuse what cannot be a composition; return the overlaps between members (allowed)."""
    members = list(members)
    if area.kind not in COMPOSABLE_KINDS:
        raise CompositionRefused(
            _(
                "Only hotspot and control areas can be made of other areas; %(area)s is of the "
                "kind %(kind)s."
            )
            % {"area": area, "kind": area.get_kind_display().lower()}
        )
    if not members:
        raise CompositionRefused(_("Choose at least one area the area is made of."))
    foreign = [m for m in members if m.municipality_id != area.municipality_id]
    if foreign:
        raise CompositionRefused(
            _(
                "%(areas)s belong to another municipality: an area is made of its own municipality's areas."
            )
            % {"areas": ", ".join(str(m) for m in foreign)}
        )
    if any(m.pk == area.pk for m in members):
        raise CompositionRefused(_("An area cannot be made of itself."))
    if Area.members.through.objects.filter(
        from_area_id__in=[m.pk for m in members], to_area_id=area.pk
    ).exists():
        raise CompositionRefused(_("An area cannot be made of an area that is made of it."))
    tiling = tiling_map_for(area.municipality_id)
    code_of = dict(
        Area.objects.filter(
            municipality_id=area.municipality_id, kind__in=TILING_KINDS
        ).values_list("pk", "code")
    )
    overlaps = []
    for i, a in enumerate(members):
        for b in members[i + 1 :]:
            shared = sorted(set(tiling.get(a.pk, ())) & set(tiling.get(b.pk, ())))
            if shared:
                overlaps.append(Overlap(a, b, tuple(code_of.get(t, str(t)) for t in shared)))
    return overlaps


@transaction.atomic
def create_composed_area(
    *, municipality, code: str, name: str, kind: str, members, user=None, request=None
) -> tuple[Area, list[Overlap]]:
    """A new hotspot or control area made of ``members`` (:func:`compose_area`); nothing is saved
    when the composition is refused."""
    area = Area.objects.create(municipality=municipality, code=code, name=name, kind=kind)
    record(
        Action.CREATE,
        actor=user,
        municipality=municipality,
        obj=area,
        purpose=Purpose.ANALYSIS,
        fields=["code", "name", "kind"],
        request=request,
    )
    return area, compose_area(area, members, user=user, request=request)


@transaction.atomic
def compose_area(area: Area, members, *, user=None, request=None) -> list[Overlap]:
    """Make ``area`` (a hotspot or control area) of ``members``: its figures become theirs, each
    tiling area counted once (``areas.models.tiling_map``), its outline their union. Returns the
    overlaps between members, which the page reports."""
    members = list(members)
    overlaps = check_members(area, members)
    shapes = [m.polygon for m in members if m.polygon is not None]
    if shapes:
        area.set_polygon(shapely.union_all(shapes))
        area.save(update_fields=["geometry", "area_m2", "min_x", "min_y", "max_x", "max_y"])
    area.members.set(members)
    record(
        Action.UPDATE,
        actor=user,
        municipality=area.municipality,
        obj=area,
        purpose=Purpose.ANALYSIS,
        fields=["members", "geometry"],
        count=len(members),
        request=request,
    )
    return overlaps
