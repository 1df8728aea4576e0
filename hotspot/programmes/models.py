"""Hotspot programmes: the model of Copenhagen's 2008 framework and the Danish hotspot handbook.

A programme covers a bounded area and period, with a short- and a long-term purpose and the challenges the
area analysis found. Its work is organised in six core areas (1a/1b/1c/2-6) across two fields (family/
individual and neighbourhood); existing and new initiatives are mapped onto them; each challenge has a theory
of change (activities -> results -> effects); goals carry a baseline and a target; yearly action plans have
focus areas and tasks; grants pay for budget lines; a board with one member per core area follows it all.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.models import TenantModel, TenantQuerySet

# Links inside a programme use RESTRICT, not PROTECT: one cannot delete an initiative that a budget line
# uses, but deleting the whole programme (or municipality) takes everything with it.


class Level(models.TextChoices):
    FAMILY = "family", _("Family and individual")
    NEIGHBOURHOOD = "neighbourhood", _("Neighbourhood")


class CoreAreaQuerySet(models.QuerySet):
    def for_municipality(self, municipality):
        """The default catalogue (no municipality) plus the municipality's own additions."""
        return self.filter(Q(municipality__isnull=True) | Q(municipality=municipality))


class CoreArea(models.Model):
    """A core area of the 2008 framework (1a, 1b, 1c, 2-6) or one a municipality added.

    ``pillar`` groups the sub-areas: 1a, 1b and 1c are all the municipality's (pillar "1"); the board rule
    asks for one member per pillar.
    """

    municipality = models.ForeignKey(
        "accounts.Municipality",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty for the default catalogue shared by all municipalities."),
    )
    code = models.CharField(_("code"), max_length=8)
    pillar = models.CharField(_("core area group"), max_length=8)
    name_da = models.CharField(_("name (Danish)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = CoreAreaQuerySet.as_manager()

    class Meta:
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"], name="core_area_code_unique_per_municipality"
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(municipality__isnull=True),
                name="core_area_code_unique_default",
            ),
        ]
        verbose_name = _("core area")
        verbose_name_plural = _("core areas")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "da").startswith("en") else self.name_da


class CoreAreaElement(models.Model):
    core_area = models.ForeignKey(CoreArea, on_delete=models.CASCADE, related_name="elements")
    text_da = models.CharField(_("element (Danish)"), max_length=300)
    text_en = models.CharField(_("element (English)"), max_length=300)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["core_area", "order"]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return self.text_en if (get_language() or "da").startswith("en") else self.text_da


class ProgrammeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    RUNNING = "running", _("Running")
    ENDED = "ended", _("Ended")


class Programme(TenantModel):
    municipality = models.ForeignKey(
        "accounts.Municipality", on_delete=models.CASCADE, related_name="programmes"
    )
    name = models.CharField(_("name"), max_length=160)
    areas = models.ManyToManyField("areas.Area", related_name="programmes", verbose_name=_("areas"))
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    purpose_short = models.TextField(_("short-term purpose"), blank=True)
    purpose_long = models.TextField(_("long-term purpose"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ProgrammeStatus.choices, default=ProgrammeStatus.DRAFT
    )
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    approved_by = models.CharField(
        _("approved by"), max_length=160, blank=True, help_text=_("E.g. the city council.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Optimistic locking (as ActionPlan and Task): every form save bumps it; a save that started from an
    # older version is refused (actions.save_versioned).
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-start", "name"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("programmes:detail", args=[self.pk])

    def areas_with_need(self) -> list[tuple]:
        """(area, level of need or "") of each of the programme's areas: the need recorded when the
        selection decision made the area a hotspot (``indices.models.Candidate``)."""
        from hotspot.indices.models import Candidate

        areas = list(self.areas.order_by("code"))
        need = dict(
            Candidate.objects.filter(hotspot__in=areas, selected=True).values_list(
                "hotspot_id", "need"
            )
        )
        labels = dict(Candidate._meta.get_field("need").choices)
        return [(a, labels.get(need.get(a.pk), "")) for a in areas]

    def clean(self):
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("The programme cannot end before it starts.")})
        if self.status == ProgrammeStatus.APPROVED and not (self.approved_on and self.approved_by):
            raise ValidationError(
                _("An approved programme needs the date of approval and the approving body.")
            )


class ProgrammeChild(TenantModel):
    tenant_field = "programme__municipality"

    class Meta:
        abstract = True


class Challenge(ProgrammeChild):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="challenges")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("challenge"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["programme", "number"]
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")

    def __str__(self) -> str:
        return f"{self.number}) {self.title}"


class Weight(models.IntegerChoices):
    NONE = 0, _("None")
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")


class CoreAreaWeight(ProgrammeChild):
    """How much weight the programme gives one core area in one field (the framework's figure 3)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="weights")
    core_area = models.ForeignKey(CoreArea, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(_("field"), max_length=16, choices=Level.choices)
    weight = models.PositiveSmallIntegerField(_("weight"), choices=Weight.choices, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "core_area", "level"], name="core_area_weight_unique"
            )
        ]


class Evidence(models.TextChoices):
    NONE = "none", _("No documented effect")
    PROMISING = "promising", _("Promising")
    EFFECTIVE = "effective", _("Documented effect")


class Funder(TenantModel):
    municipality = models.ForeignKey(
        "accounts.Municipality", on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=160)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="funder_name_unique")
        ]
        verbose_name = _("funder")
        verbose_name_plural = _("funders")

    def __str__(self) -> str:
        return self.name


class Initiative(ProgrammeChild):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="initiatives")
    name = models.CharField(_("name"), max_length=160)
    owner = models.CharField(_("owner organisation"), max_length=160)
    core_areas = models.ManyToManyField(CoreArea, related_name="+", verbose_name=_("core areas"))
    level = models.CharField(_("field"), max_length=16, choices=Level.choices)
    target_group = models.CharField(_("target group"), max_length=160, blank=True)
    target_group_size = models.PositiveIntegerField(
        _("size of target group"), null=True, blank=True
    )
    funders = models.ManyToManyField(
        Funder, blank=True, related_name="+", verbose_name=_("funders")
    )
    start = models.DateField(_("start"), null=True, blank=True)
    end = models.DateField(_("end"), null=True, blank=True)
    evidence = models.CharField(
        _("evidence"), max_length=12, choices=Evidence.choices, default=Evidence.NONE
    )
    evidence_source = models.CharField(_("source of evidence"), max_length=300, blank=True)
    contact = models.CharField(_("contact"), max_length=160, blank=True)
    is_new = models.BooleanField(_("new with the programme"), default=False)

    class Meta:
        ordering = ["programme", "name"]
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("The initiative cannot end before it starts.")})
        if self.evidence != Evidence.NONE and not self.evidence_source:
            raise ValidationError({"evidence_source": _("Give the source of the evidence.")})


class TargetKind(models.TextChoices):
    ACTIVITY = "activity", _("Activity")
    RESULT = "result", _("Result")
    EFFECT = "effect", _("Effect")


class Measure(models.TextChoices):
    """What a goal is measured by: codes of the measures catalogue (hotspot.indicators.measures), an
    indicator of the catalogue (its ``reg_<code>`` measure), or what only the programme knows."""

    INDICATOR = "indicator", _("Indicator from the catalogue")
    REPORT_RATE = "reports_total", _("Crime reports per 1,000 residents")
    CITIZEN_RATE = "reports_citizen_directed", _("Citizen-directed reports per 1,000 residents")
    OWN = "own", _("Programme-specific count (values entered here)")
    TASKS_DONE = "tasks_done", _("Tasks done in an action plan")
    # the micro-strategy's own work (measures casework registers in the catalogue)
    FOLLOWUP_COMPLETION = (
        "followup_completion",
        _("Police reports followed up within the deadline (%)"),
    )
    FOLLOWUP_DAYS = "followup_median_days", _("Median days to follow up a police report")
    # the programme's baseline score and its yearly development (the 2008 framework's baseline)
    SAFETY_INDEX = "safety_index", _("Safety index score")


class Goal(ProgrammeChild):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(_("goal"), max_length=200)
    kind = models.CharField(_("kind of target"), max_length=10, choices=TargetKind.choices)
    challenge = models.ForeignKey(
        Challenge,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="goals",
        verbose_name=_("challenge"),
    )
    measure = models.CharField(_("measured by"), max_length=30, choices=Measure.choices)
    indicator = models.ForeignKey(
        "indicators.Indicator",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("indicator"),
    )
    action_plan = models.ForeignKey(
        "ActionPlan",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="+",
        verbose_name=_("action plan"),
    )
    index = models.ForeignKey(
        "indices.SafetyIndex",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("safety index"),
        help_text=_(
            "For a goal on the safety index: the index whose latest computed scores count."
        ),
    )
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    area = models.ForeignKey(
        "areas.Area",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="+",
        verbose_name=_("area"),
        help_text=_("Where the goal is measured; empty for all of the programme's areas together."),
    )
    baseline_value = models.FloatField(_("baseline value"))
    baseline_date = models.DateField(_("baseline date"))
    target_value = models.FloatField(_("target"))
    deadline = models.DateField(_("deadline"))
    initiatives = models.ManyToManyField(
        Initiative, blank=True, related_name="goals", verbose_name=_("initiatives")
    )
    # Optimistic locking (as ActionPlan and Task): every form save bumps it; a save that started from an
    # older version is refused (actions.save_versioned).
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["programme", "kind", "title"]
        verbose_name = _("goal")
        verbose_name_plural = _("goals")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("programmes:goal", args=[self.pk])

    def clean(self):
        errors = {}
        if self.deadline and self.baseline_date and self.deadline <= self.baseline_date:
            errors["deadline"] = _("The deadline must come after the baseline date.")
        if self.measure == Measure.INDICATOR and not self.indicator_id:
            errors["indicator"] = _("A goal measured by an indicator needs the indicator.")
        if self.measure == Measure.TASKS_DONE and not self.action_plan_id:
            errors["action_plan"] = _("Choose the action plan whose tasks are counted.")
        if self.measure == Measure.SAFETY_INDEX and not self.index_id:
            errors["index"] = _("Choose the safety index whose scores the goal follows.")
        if (
            self.target_value is not None
            and self.baseline_value is not None
            and self.target_value == self.baseline_value
        ):
            errors["target_value"] = _("The target must differ from the baseline.")
        if errors:
            raise ValidationError(errors)


class GoalMilestone(TenantModel):
    """A yearly target on the way from the baseline to the goal's target (the 2008 framework asks for
    activity, result and effect targets per year): the scorecard compares the year's value with it."""

    tenant_field = "goal__programme__municipality"
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="milestones")
    year = models.PositiveSmallIntegerField(_("year"))
    target_value = models.FloatField(_("milestone"))

    class Meta:
        ordering = ["goal", "year"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "year"], name="goal_milestone_unique")
        ]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")


class GoalValue(TenantModel):
    """A stored value of a programme-specific count (measure ``own``)."""

    tenant_field = "goal__programme__municipality"
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="values")
    date = models.DateField(_("date"))
    value = models.FloatField(_("value"))

    class Meta:
        ordering = ["goal", "date"]
        constraints = [models.UniqueConstraint(fields=["goal", "date"], name="goal_value_unique")]


class TheoryOfChange(ProgrammeChild):
    """The theory of change for one challenge: activities -> results -> effects."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="theories")
    challenge = models.OneToOneField(Challenge, on_delete=models.CASCADE, related_name="theory")

    class Meta:
        verbose_name = _("theory of change")
        verbose_name_plural = _("theories of change")


class ChangeNode(TenantModel):
    tenant_field = "theory__programme__municipality"
    theory = models.ForeignKey(TheoryOfChange, on_delete=models.CASCADE, related_name="nodes")
    kind = models.CharField(_("kind"), max_length=10, choices=TargetKind.choices)
    text = models.CharField(_("text"), max_length=200)
    leads_to = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="comes_from", verbose_name=_("leads to")
    )
    initiatives = models.ManyToManyField(
        Initiative, blank=True, related_name="change_nodes", verbose_name=_("initiatives")
    )
    goals = models.ManyToManyField(
        Goal, blank=True, related_name="change_nodes", verbose_name=_("goals")
    )

    class Meta:
        ordering = ["theory", "kind", "pk"]

    def __str__(self) -> str:
        return self.text


class ActionPlan(ProgrammeChild):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="plans")
    title = models.CharField(_("title"), max_length=160)
    area = models.ForeignKey(
        "areas.Area",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="+",
        verbose_name=_("area"),
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    notes = models.TextField(_("notes"), blank=True)
    # Optimistic locking: every save bumps it; a save that started from an older version is refused.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["programme", "-start"]
        verbose_name = _("action plan")
        verbose_name_plural = _("action plans")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("programmes:plan", args=[self.pk])

    def clean(self):
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("The plan cannot end before it starts.")})


class FocusArea(TenantModel):
    tenant_field = "plan__programme__municipality"
    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="focus_areas")
    number = models.PositiveSmallIntegerField(_("number"), default=1)
    title = models.CharField(_("focus area"), max_length=200)
    initiatives = models.ManyToManyField(
        Initiative, blank=True, related_name="focus_areas", verbose_name=_("initiatives")
    )

    class Meta:
        ordering = ["plan", "number"]
        verbose_name = _("focus area")
        verbose_name_plural = _("focus areas")

    def __str__(self) -> str:
        return self.title


class PlaceKind(models.TextChoices):
    PHYSICAL = "physical", _("Physical measure (lighting, cutting back, CCTV …)")
    POLICE = "police", _("Police presence")
    OTHER = "other", _("Other")


class Place(ProgrammeChild):
    """A place the programme works on: a hot cell of a spatial analysis, or a point drawn on the map, for
    physical measures or police presence. Tasks of the action plans can name it.

    ``x``/``y`` are EPSG:25832 metres, as crime reports and area outlines are stored
    (``hotspot.areas.models.STORAGE_SRID``); ``cell_size`` is the side of the hot cell it was saved from.
    Created through ``actions.add_place``, which refuses a point far from the programme's areas.
    """

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="places")
    name = models.CharField(_("name"), max_length=160)
    kind = models.CharField(_("kind"), max_length=10, choices=PlaceKind.choices)
    x = models.FloatField(_("easting (EPSG:25832, m)"))
    y = models.FloatField(_("northing (EPSG:25832, m)"))
    cell_size = models.PositiveIntegerField(
        _("cell size (m)"),
        null=True,
        blank=True,
        help_text=_("The side of the hot cell the place was saved from; empty for a drawn point."),
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("place")
        # not the casework lists' "places" (slots on a list)
        verbose_name_plural = pgettext_lazy("location", "places")

    def __str__(self) -> str:
        return self.name


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class TaskQuerySet(TenantQuerySet):
    def open(self):
        return self.exclude(status=TaskStatus.DONE)

    def overdue(self, today):
        return self.open().filter(due__lt=today)


class Task(ProgrammeChild):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="tasks")
    plan = models.ForeignKey(
        ActionPlan,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
        verbose_name=_("action plan"),
    )
    focus_area = models.ForeignKey(
        FocusArea,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
        verbose_name=_("focus area"),
    )
    initiative = models.ForeignKey(
        Initiative,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
        verbose_name=_("initiative"),
    )
    place = models.ForeignKey(
        Place,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
        verbose_name=_("place"),
    )
    title = models.CharField(_("task"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="programme_tasks",
        verbose_name=_("owner"),
    )
    owner_name = models.CharField(_("owner (without a user account)"), max_length=160, blank=True)
    due = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    decision = models.OneToOneField(
        "Decision", null=True, blank=True, on_delete=models.SET_NULL, related_name="task"
    )
    version = models.PositiveIntegerField(default=1)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due", "pk"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")

    def __str__(self) -> str:
        return self.title

    @property
    def owner_label(self) -> str:
        if self.owner_id:
            return self.owner.get_full_name() or self.owner.get_username()
        return self.owner_name


class Grant(ProgrammeChild):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="grants")
    funder = models.ForeignKey(
        Funder, on_delete=models.RESTRICT, related_name="grants", verbose_name=_("funder")
    )
    title = models.CharField(_("title"), max_length=160)
    amount = models.DecimalField(
        _("amount (DKK)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    earmark = models.CharField(_("earmarked for"), max_length=300, blank=True)

    class Meta:
        ordering = ["programme", "funder__name", "start"]
        verbose_name = _("grant")
        verbose_name_plural = _("grants")

    def __str__(self) -> str:
        return f"{self.funder}: {self.title}"

    def clean(self):
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("The grant cannot end before it starts.")})


class BudgetLine(ProgrammeChild):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="budget_lines")
    grant = models.ForeignKey(
        Grant, on_delete=models.RESTRICT, related_name="budget_lines", verbose_name=_("grant")
    )
    initiative = models.ForeignKey(
        Initiative,
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="budget_lines",
        verbose_name=_("initiative"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(
        _("planned (DKK)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["programme", "year", "pk"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")


class Spend(ProgrammeChild):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="spend")
    grant = models.ForeignKey(
        Grant, on_delete=models.RESTRICT, related_name="spend", verbose_name=_("grant")
    )
    initiative = models.ForeignKey(
        Initiative,
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="spend",
        verbose_name=_("initiative"),
    )
    date = models.DateField(_("date"))
    amount = models.DecimalField(
        _("amount (DKK)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        ordering = ["programme", "date", "pk"]
        verbose_name = _("spend")
        verbose_name_plural = _("spend")


class GroupKind(models.TextChoices):
    BOARD = "board", _("Hotspot board")
    STEERING_GROUP = "steering_group", _("Steering group")
    PROGRAMME_GROUP = "programme_group", _("Programme group")


class Group(ProgrammeChild):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="groups")
    kind = models.CharField(_("kind"), max_length=16, choices=GroupKind.choices)
    name = models.CharField(_("name"), max_length=160)

    class Meta:
        ordering = ["programme", "kind", "name"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")

    def __str__(self) -> str:
        return self.name


class GroupMember(TenantModel):
    tenant_field = "group__programme__municipality"
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("name"), max_length=160)
    organisation = models.CharField(_("organisation"), max_length=160, blank=True)
    core_area = models.ForeignKey(
        CoreArea,
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="+",
        verbose_name=_("core area"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user account"),
    )

    class Meta:
        ordering = ["group", "core_area__order", "name"]


class Meeting(TenantModel):
    tenant_field = "group__programme__municipality"
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="meetings")
    date = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=160, blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    # Goal bands when the agenda was made: the next agenda lists the goals whose band changed since.
    bands = models.JSONField(default=dict, blank=True)
    # Optimistic locking (as ActionPlan and Task): every form save bumps it; a save that started from an
    # older version is refused (actions.save_versioned).
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["group", "date"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return f"{self.group} {self.date:%d.%m.%Y}"

    def get_absolute_url(self) -> str:
        return reverse("programmes:meeting", args=[self.pk])


class DecisionKind(models.TextChoices):
    DECISION = "decision", _("Decision")
    ACTION = "action", _("Action item")


class Decision(TenantModel):
    tenant_field = "meeting__group__programme__municipality"
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(_("kind"), max_length=10, choices=DecisionKind.choices)
    text = models.CharField(_("text"), max_length=300)

    class Meta:
        ordering = ["meeting", "pk"]


class ApprovalDecision(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    SENT_BACK = "sent_back", _("Sent back")


class ApprovalIsFrozen(Exception):
    """An approval record is never changed once stored: a new submission or decision is a new row."""


class Approval(ProgrammeChild):
    """One step of the council's approval of a programme (``plan`` empty) or of one year's action plan:
    a submission, an approval or a sending back, for the ``version`` of the programme or plan it
    concerns. A submission and an approval keep a frozen copy (``snapshot``) of what was submitted
    (``actions.snapshot_of``). Rows are appended (``actions.submit_for_approval``,
    ``actions.record_decision``), never changed: saving a stored row raises ``ApprovalIsFrozen``."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="approvals")
    plan = models.ForeignKey(
        ActionPlan,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="approvals",
        verbose_name=_("action plan"),
        help_text=_("Empty for the programme itself."),
    )
    version = models.PositiveIntegerField(_("version"))
    decision = models.CharField(_("decision"), max_length=10, choices=ApprovalDecision.choices)
    case_number = models.CharField(
        _("case number"), max_length=40, blank=True, help_text=_("E.g. BR 123/2008.")
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    body = models.CharField(
        _("decided by"), max_length=160, blank=True, help_text=_("E.g. the city council.")
    )
    note = models.TextField(_("note"), blank=True)
    snapshot = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # one decision per version of the programme, and per version of each plan
            models.UniqueConstraint(
                fields=["programme", "version"],
                condition=Q(plan__isnull=True) & ~Q(decision="submitted"),
                name="approval_one_programme_decision_per_version",
            ),
            models.UniqueConstraint(
                fields=["plan", "version"],
                condition=Q(plan__isnull=False) & ~Q(decision="submitted"),
                name="approval_one_plan_decision_per_version",
            ),
        ]
        verbose_name = _("council approval")
        verbose_name_plural = _("council approvals")

    def __str__(self) -> str:
        return f"{self.subject} v{self.version}: {self.get_decision_display()}"

    @property
    def subject(self):
        return self.plan if self.plan_id else self.programme

    def get_absolute_url(self) -> str:
        return reverse("programmes:approval_detail", args=[self.programme_id, self.pk])

    def save(self, *args, **kwargs):
        if self.pk is not None and type(self).objects.filter(pk=self.pk).exists():
            raise ApprovalIsFrozen(
                f"approval {self.pk} is stored and cannot be changed; record a new step instead"
            )
        super().save(*args, **kwargs)

    def clean(self):
        if self.decision == ApprovalDecision.APPROVED and not self.case_number.strip():
            raise ValidationError(
                {"case_number": _("An approval needs the council's case number.")}
            )
        if self.decision != ApprovalDecision.SUBMITTED and not self.decided_on:
            raise ValidationError({"decided_on": _("Give the date of the decision.")})


class TaskUpdate(TenantModel):
    """A partner's report on a task its organisation owns (``actions.report_progress``): the status it
    set, a short note and counts of activities and participants. Rows are appended, one per report; the
    coordinator reads the last week's on the programme page (``pages.recent_updates``). ``organisation``
    is a copy of the reporter's membership's organisation at the time, so a later change of membership
    does not rewrite who reported."""

    tenant_field = "task__programme__municipality"
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(_("status"), max_length=12, choices=TaskStatus.choices)
    note = models.CharField(_("progress note"), max_length=500, blank=True)
    activities = models.PositiveIntegerField(_("activities held"), null=True, blank=True)
    participants = models.PositiveIntegerField(_("participants"), null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reported by"),
    )
    organisation = models.CharField(_("organisation"), max_length=100)
    created_at = models.DateTimeField(_("reported"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")

    def __str__(self) -> str:
        return f"{self.organisation}: {self.task}"
