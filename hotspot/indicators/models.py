"""The indicator catalogue and values per area x year (registers, Statistics Denmark, own counts)."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.models import TenantModel


class Direction(models.IntegerChoices):
    HIGHER_IS_BETTER = 1, _("Higher is better")
    HIGHER_IS_WORSE = -1, _("Higher is worse")
    # Context only (e.g. the non-Western share): enters statutory rules, never an index direction.
    NEUTRAL = 0, _("Neither (context only)")


class Indicator(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name_da = models.CharField(_("name (Danish)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    unit = models.CharField(_("unit"), max_length=20)
    direction = models.SmallIntegerField(_("direction"), choices=Direction.choices)
    source = models.CharField(_("source"), max_length=200, blank=True)
    licence = models.CharField(_("licence"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "da").startswith("en") else self.name_da


class IndicatorValue(TenantModel):
    tenant_field = "area__municipality"
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="values")
    area = models.ForeignKey(
        "areas.Area", on_delete=models.CASCADE, related_name="indicator_values"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.FloatField(_("value"), null=True, blank=True)
    numerator = models.FloatField(_("numerator"), null=True, blank=True)
    denominator = models.FloatField(_("denominator"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "area", "year"], name="indicator_value_unique"
            )
        ]


class NationalValue(models.Model):
    """A national reference value (e.g. the share of convicted adults that the statutory criteria use)."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="national_values"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.FloatField(_("value"))
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year"], name="national_value_unique")
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.year}: {self.value}"
