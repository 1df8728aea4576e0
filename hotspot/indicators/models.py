"""The indicator catalogue and values per area x year (registers, Statistics Denmark, own counts)."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.models import TenantModel, import_batch_field


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
    batch = import_batch_field()

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
    # The import batch (a national-values file or a Statistics Denmark fetch) that wrote the value;
    # empty when an analyst entered it on the catalogue page.
    batch = import_batch_field()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year"], name="national_value_unique")
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.year}: {self.value}"


class StatbankResponse(models.Model):
    """A raw answer from Statistics Denmark's Statbank API, kept with the query that produced it.

    Public data (no tenant): the comparison figures per municipality are the same for everyone, and
    keeping the raw text lets anyone recompute what we derived from it.
    """

    endpoint = models.CharField(_("endpoint"), max_length=20)  # "tableinfo" or "data"
    table = models.CharField(_("table"), max_length=20, db_index=True)
    query = models.JSONField(_("query"), default=dict)
    url = models.CharField(_("address"), max_length=300)
    retrieved_at = models.DateTimeField(_("retrieved at"))
    format = models.CharField(_("format"), max_length=10)
    raw = models.TextField(_("raw response"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        ordering = ["-retrieved_at"]
        verbose_name = _("Statbank response")
        verbose_name_plural = _("Statbank responses")

    def __str__(self) -> str:
        return f"{self.table} {self.endpoint} {self.retrieved_at:%Y-%m-%d %H:%M}"
