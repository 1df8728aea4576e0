"""Areas (with polygons in EPSG:25832) and their population by year x age band x sex."""

from functools import cached_property

import shapely
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.models import TenantModel, import_batch_field

STORAGE_SRID = 25832  # ETRS89 / UTM zone 32N: metres, the Danish standard for area statistics

AGE_BANDS = ("0-9", "10-14", "15-17", "18-24", "25-29", "30-59", "60+")
YOUTH_BANDS = ("10-14", "15-17")


class AreaKind(models.TextChoices):
    MUNICIPALITY = "municipality", _("Municipality")
    DISTRICT = "district", _("District")
    RODE = "rode", _("Police area (rode)")
    HOUSING = "housing", _("Housing area")
    HOTSPOT = "hotspot", _("Hotspot area")
    CONTROL = "control", _("Control area")


# Kinds that tile the municipality: every report and resident lies in exactly one of them.
TILING_KINDS = (AreaKind.RODE, AreaKind.HOUSING)


class Sex(models.TextChoices):
    FEMALE = "F", _("Women")
    MALE = "M", _("Men")


class Area(TenantModel):
    municipality = models.ForeignKey(
        "accounts.Municipality", on_delete=models.CASCADE, related_name="areas"
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=AreaKind.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="children",
        verbose_name=_("parent"),
    )
    # Well-known binary in EPSG:25832. We keep geometry in plain columns (no GeoDjango/SpatiaLite) so the
    # embedded SQLite set-up needs nothing installed; shapely does the geometry, the bbox speeds look-ups.
    geometry = models.BinaryField(_("geometry (WKB, EPSG:25832)"), null=True, blank=True)
    area_m2 = models.FloatField(_("area (m²)"), null=True, blank=True)
    min_x = models.FloatField(null=True, blank=True)
    min_y = models.FloatField(null=True, blank=True)
    max_x = models.FloatField(null=True, blank=True)
    max_y = models.FloatField(null=True, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    # A hotspot or control area made of existing areas ("Ydre Nørrebro: distrikt 12 inklusiv rode
    # 157"): its figures are its members' (each tiling area counted once), its outline their union.
    # Set through areas.actions.compose_area, which refuses members of another municipality.
    members = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="compositions",
        verbose_name=_("made of"),
    )
    batch = import_batch_field()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="area_code_unique")
        ]
        indexes = [models.Index(fields=["municipality", "kind"])]
        verbose_name = _("area")
        verbose_name_plural = _("areas")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def get_absolute_url(self) -> str:
        return reverse("areas:detail", args=[self.pk])

    @cached_property
    def polygon(self):
        return shapely.from_wkb(bytes(self.geometry)) if self.geometry else None

    def set_polygon(self, geom) -> None:
        """Store a shapely geometry given in EPSG:25832; repairs invalid input with make_valid."""
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        self.geometry = shapely.to_wkb(geom)
        self.area_m2 = float(geom.area)
        self.min_x, self.min_y, self.max_x, self.max_y = (float(v) for v in geom.bounds)
        self.__dict__.pop("polygon", None)

    def tiling_descendant_ids(self) -> list[int]:
        """Ids of the tiling areas (rode/housing) whose data make up this area's figures."""
        if self.kind in TILING_KINDS:
            return [self.pk]
        return tiling_map_for(self.municipality_id)[self.pk]


def tiling_map(rows, members: dict[int, list[int]] | None = None) -> dict[int, list[int]]:
    """{area id: ids of the tiling areas whose data make up its figures} from (pk, parent_id, kind) rows.

    A tiling area (rode, housing) is itself; an area made of others (``members``: {area id: member
    ids}, ``Area.members``) is the union of its members' tiling areas, each counted once however its
    members overlap; a hotspot or control area is the area it covers (its parent); any other area
    (district, municipality) is the tiling areas below it. This one function is the rule every page and
    analysis uses to add areas up.
    """
    members_of = members or {}
    kind_of, parent_of = {}, {}
    children: dict[int, list[int]] = {}
    for pk, parent_id, kind in rows:
        kind_of[pk], parent_of[pk] = kind, parent_id
        children.setdefault(parent_id, []).append(pk)
    overlays = (AreaKind.HOTSPOT, AreaKind.CONTROL)
    memo: dict[int, list[int]] = {}

    # Iterative, with a visited set: parents that form a cycle (which the import refuses, but the
    # database does not) must not take the pages down; an area is then counted once, a cycle of
    # overlays covers nothing.
    def below(pk: int) -> list[int]:
        """A district's or municipality's tiling areas: depth first, in the children's order."""
        if kind_of[pk] in TILING_KINDS:
            return [pk]
        if pk not in memo:
            found, seen = [], {pk}
            stack = [iter(children.get(pk, ()))]
            while stack:
                ch = next(stack[-1], None)
                if ch is None:
                    stack.pop()
                elif ch not in seen and kind_of[ch] not in overlays:
                    seen.add(ch)
                    if kind_of[ch] in TILING_KINDS:
                        found.append(ch)
                    else:
                        stack.append(iter(children.get(ch, ())))
            memo[pk] = found
        return memo[pk]

    def composed(pk: int) -> list[int]:
        """The union of the members' tiling areas, in the members' order; a member that is itself
        composed counts with its own members, a cycle of compositions with nothing more."""
        found, seen, done = [], set(), {pk}
        stack = list(reversed(members_of[pk]))
        while stack:
            m = stack.pop()
            if m in done or m not in kind_of:
                continue
            done.add(m)
            if members_of.get(m):
                stack.extend(reversed(members_of[m]))
                continue
            for t in below(m) if kind_of[m] not in overlays else members(m):
                if t not in seen:
                    seen.add(t)
                    found.append(t)
        return found

    def members(pk: int) -> list[int]:
        if members_of.get(pk):
            return composed(pk)
        if kind_of[pk] not in overlays:
            return below(pk)
        node, seen = parent_of[pk], {pk}  # an overlay covers what its first non-overlay parent is
        while node in kind_of and kind_of[node] in overlays and node not in seen:
            seen.add(node)
            node = parent_of[node]
        return below(node) if node in kind_of and node not in seen else []

    return {pk: members(pk) for pk in kind_of}


def tiling_map_for(municipality_id: int) -> dict[int, list[int]]:
    """:func:`tiling_map` of one municipality's areas, in two queries (areas, compositions)."""
    members: dict[int, list[int]] = {}
    for composite, member in (
        Area.members.through.objects.filter(from_area__municipality_id=municipality_id)
        .order_by("from_area_id", "to_area__code")
        .values_list("from_area_id", "to_area_id")
    ):
        members.setdefault(composite, []).append(member)
    return tiling_map(
        Area.objects.filter(municipality_id=municipality_id).values_list("pk", "parent_id", "kind"),
        members,
    )


class Population(TenantModel):
    tenant_field = "area__municipality"
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="population")
    year = models.PositiveSmallIntegerField(_("year"), help_text=_("Residents on 1 January"))
    age_band = models.CharField(_("age band"), max_length=8, choices=[(b, b) for b in AGE_BANDS])
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    count = models.PositiveIntegerField(_("residents"))
    batch = import_batch_field()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["area", "year", "age_band", "sex"], name="population_cell_unique"
            )
        ]
        verbose_name = _("population")
        verbose_name_plural = _("population")


class DisclosurePlan(TenantModel):
    """The hidden report counts of one municipality and year for roles without raw-data rights
    (:func:`hotspot.areas.inputs.disclosure_plan`): worked out by the task worker after an import and
    kept with a digest of the counts it was worked out from, so every page applies the same plan."""

    municipality = models.ForeignKey(
        "accounts.Municipality", on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    digest = models.CharField(max_length=64)
    cells = models.JSONField(default=list)  # [[area id, measure, "<" (small) or "." (withheld)], …]
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "indicators_disclosureplan"  # created there; the plan moved to the areas' pages
        constraints = [
            models.UniqueConstraint(fields=["municipality", "year"], name="disclosure_plan_unique")
        ]
