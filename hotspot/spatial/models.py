"""Spatial analysis runs: where crime concentrates inside and around an area, and how it moves.

A ``SpatialRun`` is one analysis of the located crime reports of an area (or the whole municipality)
over a period: hot spots (Getis–Ord Gi*), clusters and outliers (local Moran's I), emerging hot spots
over time, a kernel density surface, the near-repeat (Knox) test or the concentration of crime on
few places. It is a :class:`hotspot.computations.Computation`: queued by a request, computed by the
task worker (``tasks.run_spatial_task``), stored with the hash of the exact points, the parameters and
the library versions. Its ``figures`` hold the grid and, per method, the cells or tables the page, the
map and the CSV show (``pages``).
"""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hotspot.computations import Computation, Status


class Method(models.TextChoices):
    GI_STAR = "gi_star", _("Hot spots (Getis–Ord Gi*)")
    LOCAL_MORAN = "local_moran", _("Clusters and outliers (local Moran's I)")
    EMERGING = "emerging", _("Emerging hot spots (trend over time)")
    DENSITY = "density", _("Kernel density")
    NEAR_REPEAT = "near_repeat", _("Near repeat (Knox test)")
    CONCENTRATION = "concentration", _("Concentration on few places (Lorenz curve, Gini)")


#: Methods whose result is a map of grid cells (the others give a table or a curve).
GRID_METHODS = (Method.GI_STAR, Method.LOCAL_MORAN, Method.EMERGING, Method.DENSITY)


class SpatialRun(Computation):
    """One spatial analysis and its result (see the module's docstring)."""

    Status = Status

    municipality = models.ForeignKey(
        "accounts.Municipality", on_delete=models.CASCADE, related_name="+"
    )
    area = models.ForeignKey(
        "areas.Area",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("area"),
        help_text=_("Empty: the whole municipality."),
    )
    method = models.CharField(_("analysis"), max_length=20, choices=Method.choices)
    first_day = models.DateField(_("from"))
    last_day = models.DateField(_("to (inclusive)"))
    offence_groups = models.JSONField(_("offence groups"), default=list, blank=True)
    cell_size = models.PositiveIntegerField(_("cell size (m)"), default=100)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    seconds = models.FloatField(_("seconds"), default=0)

    class Meta(Computation.Meta):
        verbose_name = _("spatial analysis")
        verbose_name_plural = _("spatial analyses")
        indexes = [models.Index(fields=["municipality", "method", "status"])]

    def __str__(self) -> str:
        where = self.area.name if self.area_id else self.municipality.name
        return f"{self.get_method_display()} · {where} · {self.first_day}–{self.last_day}"

    def get_absolute_url(self) -> str:
        return reverse("spatial:detail", args=[self.pk])
