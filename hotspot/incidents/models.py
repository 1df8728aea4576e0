"""Crime reports (counted where they happened), charges (counted where the person lives), offences."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.models import TenantModel, import_batch_field


class OffenceGroup(models.TextChoices):
    # Statistics Denmark's main offence groups as the demo and the default catalogue use them.
    VIOLENCE = "violence", _("Violence")
    THREATS = "threats", _("Threats")
    BURGLARY = "burglary", _("Burglary")
    THEFT = "theft", _("Theft")
    ROBBERY = "robbery", _("Robbery")
    VANDALISM = "vandalism", _("Vandalism")
    NARCOTICS = "narcotics", _("Narcotics")
    OTHER = "other", _("Other")


class Offence(models.Model):
    """The offence catalogue, shared by all municipalities."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name_da = models.CharField(_("name (Danish)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    group = models.CharField(_("group"), max_length=20, choices=OffenceGroup.choices)
    citizen_directed = models.BooleanField(_("citizen-directed"), default=False)
    serious = models.BooleanField(_("serious and person-dangerous"), default=False)
    # Statistics Denmark's offence hierarchy (1 = Straffelov i alt, 2 = e.g. Voldsforbrydelser i alt,
    # 3 = the detailed codes). A source that mixes levels would count the same crime twice.
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        verbose_name=_("part of"),
    )
    level = models.PositiveSmallIntegerField(_("hierarchy level"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("offence")
        verbose_name_plural = _("offences")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "da").startswith("en") else self.name_da


class CrimeReport(TenantModel):
    municipality = models.ForeignKey(
        "accounts.Municipality", on_delete=models.CASCADE, related_name="+"
    )
    external_id = models.CharField(_("report id"), max_length=64)
    occurred_at = models.DateTimeField(_("time of the offence"))
    offence = models.ForeignKey(Offence, on_delete=models.PROTECT, related_name="+")
    x = models.FloatField(_("x (EPSG:25832)"), null=True, blank=True)
    y = models.FloatField(_("y (EPSG:25832)"), null=True, blank=True)
    # The suspect's age when the police report gives it (optional column of the import): the follow-up
    # rule of a programme may take only reports with a suspect in an age band (hotspot.casework).
    suspect_age = models.PositiveSmallIntegerField(_("suspect's age"), null=True, blank=True)
    area = models.ForeignKey(
        "areas.Area",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="+",
        verbose_name=_("area"),
    )
    batch = import_batch_field()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "external_id"], name="report_id_unique")
        ]
        indexes = [
            models.Index(fields=["area", "occurred_at"]),
            # Overblik's year to date (areas.inputs.partial_year)
            models.Index(fields=["municipality", "occurred_at"]),
        ]
        verbose_name = _("crime report")
        verbose_name_plural = _("crime reports")


class Charge(TenantModel):
    municipality = models.ForeignKey(
        "accounts.Municipality", on_delete=models.CASCADE, related_name="+"
    )
    external_id = models.CharField(_("charge id"), max_length=64)
    person_key = models.CharField(_("person (pseudonym)"), max_length=64, db_index=True)
    charged_on = models.DateField(_("date of charge"))
    offence = models.ForeignKey(Offence, on_delete=models.PROTECT, related_name="+")
    age = models.PositiveSmallIntegerField(_("age at charge"))
    area = models.ForeignKey(
        "areas.Area",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="+",
        verbose_name=_("residence area"),
    )
    batch = import_batch_field()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "external_id"], name="charge_id_unique")
        ]
        indexes = [models.Index(fields=["area", "charged_on"])]
        verbose_name = _("charge")
        verbose_name_plural = _("charges")


class ReportCount(TenantModel):
    """Reports per tiling area x year x offence group: the summary pages and maps read.

    Rebuilt by the task ``refresh_report_counts`` after an import, never by a request.
    """

    tenant_field = "area__municipality"
    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="report_counts")
    year = models.PositiveSmallIntegerField()
    group = models.CharField(max_length=20, choices=OffenceGroup.choices)
    reports = models.PositiveIntegerField()
    citizen_directed = models.PositiveIntegerField()
    serious = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["area", "year", "group"], name="report_count_unique")
        ]
