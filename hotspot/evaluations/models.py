"""Effect studies: did crime fall more in the hotspot than in comparable areas without one?

A ``Study`` names the treated (hotspot) areas with their start dates, the control areas, the outcome, the
years, the main design and the inference. Each run stores a ``StudyResult``: every figure the result page
and the PDF show, with the hash of the exact panel, the parameters, ``safetystats.__version__`` and the
library versions, so that a published figure can be recomputed and compared (``tasks.recompute``).
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.models import TenantModel
from hotspot.computations import Computation, Status


class Outcome(models.TextChoices):
    """What a study compares: a subset of the measures catalogue's codes
    (``hotspot.indicators.measures.catalogue``), which builds every outcome but the index score's panel."""

    REPORTS = "reports_total", _("Crime reports per 1,000 residents (all offences)")
    REPORTS_CITIZEN = (
        "reports_citizen_directed",
        _("Citizen-directed crime reports per 1,000 residents"),
    )
    REPORTS_SERIOUS = "reports_serious", _("Serious crime reports per 1,000 residents")
    YOUTH_CHARGES = "youth_charged", _("Charged youths (10–17) per 1,000 residents aged 10–17")
    SURVEY_UNSAFE = "survey_unsafe", _("Share who feel unsafe (survey, %)")
    SAFETY_INDEX = "safety_index", _("Safety index score (a chosen index definition version)")


#: Outcomes that are counts with a population (Poisson, 2×2 on rates, displacement); the survey share is not.
COUNT_OUTCOMES = (
    Outcome.REPORTS,
    Outcome.REPORTS_CITIZEN,
    Outcome.REPORTS_SERIOUS,
    Outcome.YOUTH_CHARGES,
)
REPORT_OUTCOMES = (Outcome.REPORTS, Outcome.REPORTS_CITIZEN, Outcome.REPORTS_SERIOUS)
#: Outcomes that are scores, not counts: only linear designs apply (no Poisson model, no count caveats).
SCORE_OUTCOMES = (Outcome.SAFETY_INDEX,)


class Design(models.TextChoices):
    POISSON_FE = "poisson_fe", _("Poisson regression with area and year effects")
    TWFE = "twfe", _("Two-way fixed effects on rates (linear)")
    DID_2X2 = "did_2x2", _("2×2 difference-in-differences on rates")
    EVENT_STUDY = "event_study", _("Event study (effect per year since the start)")
    SUN_ABRAHAM = "sun_abraham", _("Sun–Abraham (different start dates)")
    CALLAWAY_SANTANNA = (
        "callaway_santanna",
        _("Callaway–Sant'Anna (staggered starts, not-yet-treated controls)"),
    )
    SYNTH = "synth", _("Synthetic control")


class Inference(models.TextChoices):
    RANDOMIZATION = "randomization", _("Placebo areas from the control pool")
    WILD_BOOTSTRAP = "wild_bootstrap", _("Wild cluster bootstrap")
    CLUSTER = "cluster", _("Cluster-robust standard errors")


class Study(TenantModel):
    municipality = models.ForeignKey(
        "accounts.Municipality", on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    outcome = models.CharField(
        _("outcome"), max_length=30, choices=Outcome.choices, default=Outcome.REPORTS_CITIZEN
    )
    first_year = models.PositiveSmallIntegerField(_("first year"))
    last_year = models.PositiveSmallIntegerField(_("last year"))
    design = models.CharField(
        _("design"), max_length=20, choices=Design.choices, default=Design.POISSON_FE
    )
    inference = models.CharField(
        _("inference"), max_length=20, choices=Inference.choices, default=Inference.RANDOMIZATION
    )
    buffer_m = models.PositiveIntegerField(
        _("buffer ring (m)"),
        default=300,
        help_text=_("Width of the ring around each hotspot in which displacement is measured."),
    )
    seed = models.PositiveIntegerField(
        _("random seed"), default=1, help_text=_("Makes placebo draws repeatable.")
    )
    areas = models.ManyToManyField("areas.Area", through="StudyArea", related_name="+")
    programme = models.ForeignKey(
        "programmes.Programme",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evaluation_studies",
        verbose_name=_("programme"),
        help_text=_("The programme whose hotspots the study evaluates."),
    )
    index_version = models.ForeignKey(
        "indices.SafetyIndexVersion",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="+",
        verbose_name=_("index definition version"),
        help_text=_("For the safety index outcome: whose scores the study compares."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("study")
        verbose_name_plural = _("studies")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("evaluations:detail", args=[self.pk])

    def treated(self):
        return self.study_areas.filter(role=StudyArea.Role.TREATED).select_related("area")

    def controls(self):
        return self.study_areas.filter(role=StudyArea.Role.CONTROL).select_related("area")

    def latest_result(self):
        return self.results.order_by("-created_at", "-pk").first()


class StudyArea(models.Model):
    class Role(models.TextChoices):
        TREATED = "treated", _("Treated (hotspot)")
        CONTROL = "control", _("Control")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="study_areas")
    area = models.ForeignKey("areas.Area", on_delete=models.RESTRICT, related_name="+")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    start = models.DateField(
        _("start date"), null=True, blank=True, help_text=_("When the effort began (treated only).")
    )

    class Meta:
        ordering = ["role", "area__code"]
        constraints = [
            # One role per area: a treated area can never also be in the control pool.
            models.UniqueConstraint(fields=["study", "area"], name="study_area_once"),
        ]

    def __str__(self) -> str:
        return f"{self.study} · {self.area} ({self.role})"


class StudyResult(Computation):
    """One run of a study: its status while it runs, then every figure, with what it was computed from."""

    tenant_field = "study__municipality"
    Status = Status

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="results")
    figures = models.JSONField(_("figures"), default=dict)
    seconds = models.FloatField(_("seconds"), default=0)

    class Meta(Computation.Meta):
        verbose_name = _("study result")
        verbose_name_plural = _("study results")

    def __str__(self) -> str:
        return f"{self.study} · {self.created_at:%Y-%m-%d %H:%M} ({self.status})"
