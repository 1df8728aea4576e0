"""Resident safety surveys: waves, items and weighted responses."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.models import TenantModel, import_batch_field


class SurveyItem(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    text_da = models.CharField(_("question (Danish)"), max_length=300)
    text_en = models.CharField(_("question (English)"), max_length=300)
    scale_min = models.SmallIntegerField(_("lowest answer"))
    scale_max = models.SmallIntegerField(_("highest answer"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("survey item")
        verbose_name_plural = _("survey items")

    def __str__(self) -> str:
        return self.code

    @property
    def text(self) -> str:
        return self.text_en if (get_language() or "da").startswith("en") else self.text_da


class SurveyWave(TenantModel):
    municipality = models.ForeignKey(
        "accounts.Municipality", on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["year"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "year", "name"], name="wave_unique")
        ]
        verbose_name = _("survey wave")
        verbose_name_plural = _("survey waves")

    def __str__(self) -> str:
        return self.name


class SurveyResponse(TenantModel):
    tenant_field = "wave__municipality"
    wave = models.ForeignKey(SurveyWave, on_delete=models.CASCADE, related_name="responses")
    respondent = models.CharField(_("respondent (pseudonym)"), max_length=64)
    area = models.ForeignKey("areas.Area", on_delete=models.RESTRICT, related_name="+")
    weight = models.FloatField(_("design weight"))
    # {"safety": 3, "unsafe_evening": 0, ...}: items differ between surveys, so answers live in one column.
    answers = models.JSONField(_("answers"), default=dict)
    batch = import_batch_field()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wave", "respondent"], name="respondent_unique")
        ]
        indexes = [models.Index(fields=["area", "wave"])]


class SurveyTally(TenantModel):
    """The answers of a wave added up per area, item and answer value: respondents ``n``, Σw and Σw².

    The one aggregate every reader of survey figures reads (the area pages, the measures layer), so
    that no page adds up tens of thousands of answers; rebuilt by ``surveys.actions.refresh_tallies``
    in the transaction that changes the answers (an import's commit or roll-back). A weighted share of
    a category is Σw over its values / Σw over the coded values, and the Kish effective n of a cell is
    (Σw)² / Σw² (``safetystats.survey``), so these three sums are all the math needs.
    """

    tenant_field = "wave__municipality"
    wave = models.ForeignKey(SurveyWave, on_delete=models.CASCADE, related_name="tallies")
    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(SurveyItem, on_delete=models.CASCADE, related_name="+")
    value = models.SmallIntegerField(_("answer"))
    n = models.PositiveIntegerField(_("respondents"))
    sw = models.FloatField(_("sum of weights"))
    sw2 = models.FloatField(_("sum of squared weights"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["wave", "area", "item", "value"], name="survey_tally_unique"
            )
        ]
        indexes = [models.Index(fields=["area", "item"])]
        verbose_name = _("survey tally")
        verbose_name_plural = _("survey tallies")
