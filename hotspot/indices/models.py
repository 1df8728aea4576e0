"""Safety-index definitions (versioned), computed scores, sensitivity runs and selection dossiers.

A safety index (`SafetyIndex`) is an identity (name, municipality); each change is a new :class:`SafetyIndexVersion`
holding the full method as JSON (``spec``, see ``hotspot.indices.inputs.build_definition``). A
:class:`IndexRun` computes one version on the inputs of the moment and stores the inputs themselves
(compressed), their hash, the parameters and the library version, so every score can be recomputed
identically (``hotspot.indices.tasks.verify_run``).
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.models import TenantModel
from hotspot.computations import Computation, Status

__all__ = ["Status"]  # the computations' status, imported from here by the index pages


class SafetyIndex(TenantModel):
    municipality = models.ForeignKey(
        "accounts.Municipality", on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=120)
    preset = models.CharField(_("preset"), max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("index definition")
        verbose_name_plural = _("index definitions")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("indices:definition", args=[self.pk])

    @property
    def current(self) -> "SafetyIndexVersion | None":
        return self.versions.order_by("-number").first()


class SafetyIndexVersion(TenantModel):
    """One immutable version of a definition's method."""

    tenant_field = "definition__municipality"
    definition = models.ForeignKey(SafetyIndex, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    spec = models.JSONField(_("method"))
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["definition", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "number"], name="definition_version_unique"
            )
        ]
        verbose_name = _("definition version")
        verbose_name_plural = _("definition versions")

    def __str__(self) -> str:
        return f"{self.definition.name} v{self.number}"


class IndexRun(Computation):
    """One computation of a definition version for every area and year (a background task)."""

    tenant_field = "version__definition__municipality"
    version = models.ForeignKey(SafetyIndexVersion, on_delete=models.CASCADE, related_name="runs")
    # The exact input array (areas x years x indicators) with its labels, numpy .npz, compressed.
    inputs = models.BinaryField(_("inputs"), null=True, blank=True)
    years = models.JSONField(_("years"), default=list)

    class Meta(Computation.Meta):
        verbose_name = _("index run")
        verbose_name_plural = _("index runs")

    def __str__(self) -> str:
        return f"{self.version} run {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("indices:run", args=[self.pk])

    @property
    def municipality_id(self) -> int:
        return self.version.definition.municipality_id

    @property
    def last_year(self) -> int | None:
        return self.years[-1] if self.years else None


class SafetyScore(TenantModel):
    """The index of one area in one year, as computed by ``run`` (definition version, inputs, library)."""

    tenant_field = "run__version__definition__municipality"
    run = models.ForeignKey(IndexRun, on_delete=models.CASCADE, related_name="scores")
    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    score = models.FloatField(_("score"), null=True)
    band = models.SmallIntegerField(_("band"), default=-1)
    band_label = models.CharField(_("band"), max_length=60, blank=True)
    objective = models.FloatField(_("objective part"), null=True)
    subjective = models.FloatField(_("subjective part"), null=True)
    socio_economic = models.FloatField(_("socio-economic part"), null=True)
    n_missing = models.PositiveSmallIntegerField(_("missing indicators"), default=0)
    imputed = models.BooleanField(_("reweighted for missing"), default=False)
    no_data = models.BooleanField(_("no data"), default=False)
    # (objective - subjective) in reference SDs; see inputs.divergence
    divergence = models.FloatField(_("divergence"), null=True)
    rank = models.PositiveIntegerField(_("rank"), null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "area", "year"], name="score_unique")]
        indexes = [models.Index(fields=["run", "year", "score"])]
        verbose_name = _("safety score")
        verbose_name_plural = _("safety scores")


class SensitivityRun(Computation):
    """Monte Carlo sensitivity of one run's ranking in one year (a background task)."""

    tenant_field = "run__version__definition__municipality"
    run = models.ForeignKey(IndexRun, on_delete=models.CASCADE, related_name="sensitivity_runs")
    year = models.PositiveSmallIntegerField(_("year"))

    class Meta(Computation.Meta):
        verbose_name = _("sensitivity run")
        verbose_name_plural = _("sensitivity runs")


class SensitivityValue(TenantModel):
    tenant_field = "sensitivity__run__version__definition__municipality"
    sensitivity = models.ForeignKey(SensitivityRun, on_delete=models.CASCADE, related_name="values")
    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    rank = models.FloatField(null=True)
    rank_low = models.FloatField(null=True)
    rank_median = models.FloatField(null=True)
    rank_high = models.FloatField(null=True)
    score_low = models.FloatField(null=True)
    score_high = models.FloatField(null=True)
    band_change_share = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sensitivity", "area"], name="sensitivity_value_unique")
        ]


class SelectionDossier(TenantModel):
    """Candidate areas side by side, and the recorded decision on which become hotspots."""

    municipality = models.ForeignKey(
        "accounts.Municipality", on_delete=models.CASCADE, related_name="+"
    )
    run = models.ForeignKey(IndexRun, on_delete=models.PROTECT, related_name="dossiers")
    year = models.PositiveSmallIntegerField(_("year"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    rationale = models.TextField(_("rationale"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    valid_from = models.DateField(_("hotspot from"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("selection dossier")
        verbose_name_plural = _("selection dossiers")

    def get_absolute_url(self) -> str:
        return reverse("indices:dossier", args=[self.pk])

    @property
    def decided(self) -> bool:
        return self.decided_at is not None


class Need(models.TextChoices):
    """The level of effort an area needs (Københavns Kommune's tryghedsindeks, 2010: "behov for en
    markant tryghedsskabende indsats i Indre Nørrebro og en intensiveret ... i et udvidet Ydre
    Nørrebro"), recorded with the selection decision."""

    MARKED = "marked", _("Marked safety effort")
    INTENSIFIED = "intensified", _("Intensified safety effort")


#: The index bands (safetystats.index presets) that suggest a need level.
NEED_OF_BAND = {"marked effort": Need.MARKED, "intensified effort": Need.INTENSIFIED}


class Candidate(TenantModel):
    tenant_field = "dossier__municipality"
    dossier = models.ForeignKey(
        SelectionDossier, on_delete=models.CASCADE, related_name="candidates"
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    selected = models.BooleanField(_("selected"), default=False)
    hotspot = models.ForeignKey(
        "areas.Area",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("hotspot area"),
    )
    need = models.CharField(_("level of need"), max_length=12, choices=Need.choices, blank=True)
    # the band of the index that suggested it, as the run stored it (a preset's label or the user's own)
    need_band = models.CharField(_("index band"), max_length=60, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["dossier", "area"], name="candidate_unique")]
