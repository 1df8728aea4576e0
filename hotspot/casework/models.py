"""Casework: the micro-strategy of the 2008 framework (core area 1) with person data locked down.

Each programme keeps two priority lists (the most vulnerable families and children/youths, 10 places by
default); a case is a pseudonymous person or family, known by a keyed hash of the CPR number
(``pseudonym.person_key``) and an alias for meetings, never by the number itself; a name is stored only
where the municipality turned that on, and then encrypted (``pseudonym.encrypt_name``). Every entry on and
exit from a list is dated with a reason, so the history of who was on the list when is kept; a case is
followed up once a week (``week_of``: the Monday of the ISO week in Danish time).
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.models import TenantModel
from hotspot.audit.models import Purpose

DANISH_TIME = ZoneInfo("Europe/Copenhagen")
#: Months a case is kept after it left its last priority list, where the municipality chose nothing.
DEFAULT_RETENTION_MONTHS = 12


def week_of(moment: dt.datetime | dt.date | None = None) -> dt.date:
    """The Monday of the ISO week that ``moment`` (default: now) falls in, in Danish time.

    An aware datetime is first turned into Europe/Copenhagen time, so Sunday 23:30 is still Sunday on
    either side of a daylight-saving change; a date is taken as a Danish date.
    """
    if moment is None:
        moment = timezone.now()
    if isinstance(moment, dt.datetime):
        if timezone.is_naive(moment):
            raise ValueError(f"week_of needs an aware datetime or a date; got naive {moment!r}")
        day = moment.astimezone(DANISH_TIME).date()
    else:
        day = moment
    return day - dt.timedelta(days=day.weekday())


class ListKind(models.TextChoices):
    FAMILIES = "families", _("Families")
    YOUTHS = "youths", _("Children and youths")


class CaseKind(models.TextChoices):
    FAMILY = "family", _("Family")
    YOUTH = "youth", _("Child or youth")


#: The kind of case each list takes.
LIST_CASE_KIND = {ListKind.FAMILIES: CaseKind.FAMILY, ListKind.YOUTHS: CaseKind.YOUTH}


class LegalBasis(models.TextChoices):
    SSP_115 = (
        "rpl_115",
        _("Administration of Justice Act § 115 (SSP/PSP/KSP cooperation)"),
    )
    CHILDREN_ACT = "barnets_lov", _("Children's Act (barnets lov)")
    CONSENT = "consent", _("Consent")


class LegalBasisFields(models.Model):
    """The legal basis of a record of person data or a share of it (retsplejeloven § 115, barnets lov,
    or consent with its date), one definition for the case and the queue item (issue 15, part 6). The
    database constraints stay in each model's Meta (their names are the models' own)."""

    legal_basis = models.CharField(_("legal basis"), max_length=20, choices=LegalBasis.choices)
    consent_date = models.DateField(_("consent given on"), null=True, blank=True)

    class Meta:
        abstract = True

    def legal_basis_errors(self, *, required: bool, missing) -> dict:
        """The errors of the basis: ``missing`` when one is ``required`` and there is none, and consent
        without its date."""
        errors = {}
        if required and self.legal_basis not in LegalBasis.values:
            errors["legal_basis"] = missing
        if self.legal_basis == LegalBasis.CONSENT and self.consent_date is None:
            errors["consent_date"] = _("Consent needs the date it was given.")
        return errors


class CaseworkSettings(TenantModel):
    """What a municipality has chosen for its casework. Without a row, names are not stored."""

    municipality = models.OneToOneField(
        "accounts.Municipality", on_delete=models.CASCADE, related_name="casework_settings"
    )
    store_names = models.BooleanField(
        _("store names (encrypted)"),
        default=False,
        help_text=_("Off by default: cases are known by alias and pseudonymous key only."),
    )
    retention_months = models.PositiveSmallIntegerField(
        _("retention (months)"),
        default=12,
        validators=[MinValueValidator(1)],
        help_text=_(
            "A case is deleted this many months after it left its last priority list "
            "(manage.py purge_casework)."
        ),
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(retention_months__gte=1), name="casework_retention_min"
            ),
        ]
        verbose_name = _("casework settings")
        verbose_name_plural = _("casework settings")

    def __str__(self) -> str:
        return str(self.municipality)

    @classmethod
    def stores_names(cls, municipality) -> bool:
        return cls.objects.filter(municipality=municipality, store_names=True).exists()

    @classmethod
    def retention_for(cls, municipality) -> int:
        """The retention period of ``municipality`` (an instance or id) in months; 12 without a row."""
        months = cls.objects.filter(municipality=municipality).values_list(
            "retention_months", flat=True
        )
        return next(iter(months), DEFAULT_RETENTION_MONTHS)


class PriorityList(TenantModel):
    tenant_field = "programme__municipality"

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.CASCADE, related_name="priority_lists"
    )
    kind = models.CharField(_("list"), max_length=10, choices=ListKind.choices)
    places = models.PositiveSmallIntegerField(
        _("places"), default=10, validators=[MinValueValidator(1)]
    )
    entry_criteria = models.TextField(_("entry criteria"), blank=True)
    exit_criteria = models.TextField(_("exit criteria"), blank=True)

    class Meta:
        ordering = ["programme", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "kind"], name="casework_one_list_per_kind"
            ),
            models.CheckConstraint(condition=Q(places__gte=1), name="casework_list_places_min"),
        ]
        verbose_name = _("priority list")
        verbose_name_plural = _("priority lists")

    def __str__(self) -> str:
        return f"{self.programme} · {self.get_kind_display()}"

    def open_entries(self):
        return self.entries.filter(left_on__isnull=True)


class Case(TenantModel, LegalBasisFields):
    tenant_field = "programme__municipality"

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.CASCADE, related_name="cases"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=CaseKind.choices)
    # HMAC-SHA256 (hex) of the CPR number under a secret kept outside the database.
    person_key = models.CharField(_("person key"), max_length=64, editable=False)
    alias = models.CharField(
        _("alias"), max_length=60, help_text=_("The name used in meetings; never the real name.")
    )
    # A Fernet token, empty unless the municipality stores names (CaseworkSettings.store_names).
    name_encrypted = models.TextField(_("name (encrypted)"), blank=True, default="", editable=False)
    purpose = models.CharField(
        _("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.CASEWORK
    )
    social_note = models.TextField(_("social note"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["alias", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "person_key"], name="casework_one_case_per_person"
            ),
            models.CheckConstraint(
                condition=Q(legal_basis__in=LegalBasis.values), name="casework_case_legal_basis"
            ),
            models.CheckConstraint(
                condition=~Q(legal_basis=LegalBasis.CONSENT) | Q(consent_date__isnull=False),
                name="casework_consent_has_date",
            ),
            models.CheckConstraint(condition=~Q(purpose=""), name="casework_case_purpose"),
        ]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return self.alias

    def get_absolute_url(self) -> str:
        return reverse("casework:case", args=[self.pk])

    def clean(self):
        errors = self.legal_basis_errors(required=True, missing=_("A case needs a legal basis."))
        if not self.purpose:
            errors["purpose"] = _("A case needs a purpose.")
        if errors:
            raise ValidationError(errors)


class LinkKind(models.TextChoices):
    SIBLING = "sibling", _("Sibling")
    FAMILY_MEMBER = "family_member", _("Family member")


class CaseLink(TenantModel):
    tenant_field = "from_case__programme__municipality"

    from_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_from")
    to_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_to")
    kind = models.CharField(_("link"), max_length=20, choices=LinkKind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["from_case", "to_case", "kind"], name="casework_link_unique"
            ),
            models.CheckConstraint(
                condition=~Q(from_case=F("to_case")), name="casework_link_not_to_itself"
            ),
        ]
        verbose_name = _("case link")
        verbose_name_plural = _("case links")

    def __str__(self) -> str:
        return f"{self.from_case} – {self.to_case} ({self.get_kind_display()})"


class ListEntry(TenantModel):
    """One stay of a case on a priority list: entered with a reason, and (later) left with a reason."""

    tenant_field = "priority_list__programme__municipality"

    priority_list = models.ForeignKey(
        PriorityList, on_delete=models.CASCADE, related_name="entries"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="list_entries")
    entered_on = models.DateField(_("entered on"))
    entry_reason = models.TextField(_("reason for entry"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    exit_reason = models.TextField(_("reason for leaving"), blank=True)

    class Meta:
        ordering = ["priority_list", "-entered_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["priority_list", "case"],
                condition=Q(left_on__isnull=True),
                name="casework_one_open_entry_per_case",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("entered_on")),
                name="casework_entry_leaves_after_entering",
            ),
        ]
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")

    def __str__(self) -> str:
        return f"{self.case} · {self.priority_list.get_kind_display()} · {self.entered_on}"


class FollowUpStatus(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    ATTENTION = "attention", _("Needs attention")
    ESCALATED = "escalated", _("Escalated")


class Agency(models.TextChoices):
    SSP = "ssp", _("SSP")
    SOCIAL = "social", _("Social services")
    SCHOOL = "school", _("School")
    CLUB = "club", _("Club and leisure")
    POLICE = "police", _("Police")
    HOUSING = "housing", _("Housing organisation")
    OTHER = "other", _("Other")


class FollowUp(TenantModel):
    """The weekly follow-up of a case: one per case and ISO week (``week`` is its Monday)."""

    tenant_field = "case__programme__municipality"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="follow_ups")
    week = models.DateField(_("week"))
    status = models.CharField(_("status"), max_length=12, choices=FollowUpStatus.choices)
    actions_agreed = models.TextField(_("actions agreed across agencies"), blank=True)
    responsible_agency = models.CharField(
        _("responsible agency"), max_length=12, choices=Agency.choices
    )
    next_step = models.TextField(_("next step"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["case", "-week"]
        constraints = [
            models.UniqueConstraint(fields=["case", "week"], name="casework_one_follow_up_a_week"),
        ]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return f"{self.case} · {self.week}"

    def clean(self):
        if self.week is not None and self.week.weekday() != 0:
            raise ValidationError({"week": _("The week is given by its Monday.")})


class AgreementKind(models.TextChoices):
    PARENT = "parent", _("Parent agreement")
    YOUTH = "youth", _("Youth agreement")


class AgreementStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    BROKEN = "broken", _("Broken")


class Agreement(TenantModel):
    tenant_field = "case__programme__municipality"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="agreements")
    kind = models.CharField(_("kind"), max_length=10, choices=AgreementKind.choices)
    start = models.DateField(_("start"))
    review_on = models.DateField(_("review on"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AgreementStatus.choices,
        default=AgreementStatus.ACTIVE,
    )

    class Meta:
        ordering = ["case", "-start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(review_on__gte=F("start")), name="casework_agreement_review_after_start"
            ),
        ]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")

    def __str__(self) -> str:
        return f"{self.case} · {self.get_kind_display()}"


# --- the follow-up queue -----------------------------------------------------------------------------


class FollowUpRule(TenantModel):
    """Which police reports of a programme's areas enter its follow-up queue, and the time to answer."""

    tenant_field = "programme__municipality"

    programme = models.OneToOneField(
        "programmes.Programme", on_delete=models.CASCADE, related_name="follow_up_rule"
    )
    # Values of hotspot.incidents.models.OffenceGroup.
    offence_groups = models.JSONField(_("offence groups"), default=list, blank=True)
    response_days = models.PositiveSmallIntegerField(
        _("response days"), default=7, validators=[MinValueValidator(1)]
    )
    owning_agency = models.CharField(_("owning agency"), max_length=100, blank=True)
    # The suspect's age band (both ends included; blank: any). A report whose suspect's age is not
    # known (the import's optional column) is not taken when a band is set.
    suspect_age_min = models.PositiveSmallIntegerField(
        _("suspect aged at least"), null=True, blank=True
    )
    suspect_age_max = models.PositiveSmallIntegerField(
        _("suspect aged at most"), null=True, blank=True
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(response_days__gte=1), name="casework_rule_response_days_min"
            ),
            models.CheckConstraint(
                condition=Q(suspect_age_min__isnull=True)
                | Q(suspect_age_max__isnull=True)
                | Q(suspect_age_min__lte=F("suspect_age_max")),
                name="casework_rule_age_band_order",
            ),
        ]
        verbose_name = _("follow-up rule")
        verbose_name_plural = _("follow-up rules")

    def __str__(self) -> str:
        return str(self.programme)


class SourceKind(models.TextChoices):
    POLICE_REPORT = "police_report", _("Police report")
    NOTIFICATION = "notification", _("Notification")


class FollowUpItem(TenantModel, LegalBasisFields):
    """One item of a programme's follow-up queue: a police report that met the rule, or a notification
    (underretning). A notification is recorded as *that* it was sent, by whom and when; its content
    stays in the municipality's own system."""

    tenant_field = "programme__municipality"

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.CASCADE, related_name="follow_up_items"
    )
    source = models.CharField(_("source"), max_length=20, choices=SourceKind.choices)
    # No database constraint and nothing done on delete: rolling back an import deletes its reports
    # set-based (one DELETE, imports.actions.undo), and the follow-up work done on one is kept; the
    # queue then says the report was removed.
    crime_report = models.ForeignKey(
        "incidents.CrimeReport",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("police report"),
    )
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    sent_by_agency = models.CharField(_("sent by (agency)"), max_length=100, blank=True)
    case = models.ForeignKey(
        Case,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_up_items",
        verbose_name=_("case"),
    )
    # A notification without a case shares no person data and needs no basis (LegalBasisFields).
    legal_basis = models.CharField(
        _("legal basis"), max_length=20, choices=LegalBasis.choices, blank=True
    )
    deadline = models.DateField(_("deadline"))
    owning_agency = models.CharField(_("owning agency"), max_length=100, blank=True)
    responded_on = models.DateField(_("responded on"), null=True, blank=True)
    response = models.CharField(_("response"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["deadline", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "crime_report"], name="casework_one_item_per_report"
            ),
            models.CheckConstraint(
                condition=(
                    Q(source=SourceKind.POLICE_REPORT, crime_report__isnull=False)
                    | Q(source=SourceKind.NOTIFICATION, crime_report__isnull=True)
                ),
                name="casework_item_source",
            ),
            models.CheckConstraint(
                condition=~Q(source=SourceKind.NOTIFICATION)
                | Q(sent_on__isnull=False) & ~Q(sent_by_agency=""),
                name="casework_notification_sent",
            ),
            models.CheckConstraint(
                condition=Q(case__isnull=True) | Q(legal_basis__in=LegalBasis.values),
                name="casework_item_legal_basis",
            ),
            models.CheckConstraint(
                condition=~Q(legal_basis=LegalBasis.CONSENT) | Q(consent_date__isnull=False),
                name="casework_item_consent_has_date",
            ),
        ]
        verbose_name = _("follow-up item")
        verbose_name_plural = _("follow-up items")

    def __str__(self) -> str:
        return f"{self.get_source_display()} · {self.deadline}"

    def opened_on(self) -> dt.date:
        """The day the item's response time counts from: a notification's sending, else the (Danish)
        day the item entered the queue."""
        if self.sent_on is not None:
            return self.sent_on
        created = self.created_at or timezone.now()
        return created.astimezone(DANISH_TIME).date()

    def clean(self):
        errors = self.legal_basis_errors(
            required=self.case_id is not None,
            missing=_("A notification about a case needs a legal basis."),
        )
        if errors:
            raise ValidationError(errors)


# --- concern meetings --------------------------------------------------------------------------------


class ConcernMeeting(TenantModel):
    """A concern meeting (bekymringsmøde): when, which agencies took part, the cases discussed (shown by
    alias) and what was decided."""

    tenant_field = "programme__municipality"

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.CASCADE, related_name="concern_meetings"
    )
    date = models.DateField(_("date"))
    # The agencies that took part, as text, one an item (no staff names).
    participants = models.JSONField(_("participants (agencies)"), default=list, blank=True)
    cases = models.ManyToManyField(
        Case, blank=True, related_name="concern_meetings", verbose_name=_("cases discussed")
    )
    decisions = models.TextField(_("decisions"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["programme", "-date", "-pk"]
        verbose_name = _("concern meeting")
        verbose_name_plural = _("concern meetings")

    def __str__(self) -> str:
        return f"{self.programme} · {self.date}"


class MeetingTask(TenantModel):
    """A task of one of the programme's action plans that a concern meeting decided
    (``actions.meeting_task``): the task is the programme's (followed to done like any other), this row
    says which meeting it came from. The task's text names cases by alias only, never by CPR number."""

    tenant_field = "meeting__programme__municipality"

    meeting = models.ForeignKey(ConcernMeeting, on_delete=models.CASCADE, related_name="task_links")
    task = models.OneToOneField(
        "programmes.Task", on_delete=models.CASCADE, related_name="concern_meeting_link"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["meeting", "pk"]
        verbose_name = _("task from a concern meeting")
        verbose_name_plural = _("tasks from concern meetings")

    def __str__(self) -> str:
        return f"{self.meeting} · {self.task}"
