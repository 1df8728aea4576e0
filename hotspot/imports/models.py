"""Import batches: one uploaded file, its provenance, what validation found and what the commit did."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.models import TenantModel
from hotspot.computations import Computation


class Kind(models.TextChoices):
    AREAS = "areas", _("Areas (GeoJSON or CSV with WKT)")
    REPORTS = "reports", _("Crime reports")
    CHARGES = "charges", _("Charges")
    POPULATION = "population", _("Population")
    SURVEY = "survey", _("Survey responses")
    REGISTERS = "registers", _("Register indicators")
    NATIONAL = "national", _("National and regional reference values")
    STATBANK = "statbank", _("Statistics Denmark (Statbank)")


class Status(models.TextChoices):
    QUEUED = "queued", _("Waiting to be checked")
    VALIDATING = "validating", _("Checking")
    INVALID = "invalid", _("Has errors: not importable")
    READY = "ready", _("Checked: ready to import")
    COMMITTING = "committing", _("Importing")
    COMMITTED = "committed", _("Imported")
    FAILED = "failed", _("Import failed: nothing was changed")
    ROLLING_BACK = "rolling_back", _("Rolling back")
    ROLLED_BACK = "rolled_back", _("Rolled back")


RUNNING = (Status.QUEUED, Status.VALIDATING, Status.COMMITTING, Status.ROLLING_BACK)
# Work the task worker does on a batch; with no sign of life for IMPORT_STALE_MINUTES it has died.
WORKING = (Status.VALIDATING, Status.COMMITTING, Status.ROLLING_BACK)


def stale_minutes() -> int:
    """settings.IMPORT_STALE_MINUTES (default 10): a batch at work with no sign of life for this long
    has lost its worker (a crash, a restart, a database outage); the worker's sweep marks it failed."""
    return int(getattr(settings, "IMPORT_STALE_MINUTES", 10))


class ImportBatch(Computation):
    """One uploaded file on its way in: checked, imported, perhaps rolled back (``hotspot.computations``
    gives the shape; ``inputs_hash`` is the file's SHA-256, ``parameters`` the upload's options)."""

    municipality = models.ForeignKey(
        "accounts.Municipality", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind of data"), max_length=20, choices=Kind.choices)
    # An import's own steps (checking, ready, importing, rolled back …) instead of queued/running/done.
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    done_status = Status.COMMITTED
    failed_status = Status.FAILED
    # Provenance
    file_name = models.CharField(_("file name"), max_length=255)
    stored_path = models.CharField(max_length=500, editable=False)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    inputs_hash = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    licence = models.CharField(_("licence"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("imported by"),
    )
    committed_at = models.DateTimeField(_("imported"), null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("rolled back by"),
    )
    rolled_back_at = models.DateTimeField(_("rolled back"), null=True, blank=True)
    # What validation found and what the commit did
    rows = models.PositiveIntegerField(_("rows read"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    warnings = models.PositiveIntegerField(_("warnings"), default=0)
    rows_created = models.PositiveIntegerField(_("new rows"), default=0)
    rows_updated = models.PositiveIntegerField(_("changed rows"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("unchanged rows"), default=0)
    rows_removed = models.PositiveIntegerField(_("rows removed by roll-back"), default=0)
    preview = models.JSONField(_("first rows"), default=dict, blank=True)

    class Meta(Computation.Meta):
        indexes = [models.Index(fields=["municipality", "kind", "status"])]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.file_name}"

    @property
    def seems_stopped(self) -> bool:
        """At work, but silent for ``stale_minutes()``: its worker has stopped. Read-only (pages say
        so); the task worker's sweep (``actions.fail_stale``) marks it failed."""
        last = self.heartbeat or self.created_at
        cutoff = timezone.now() - dt.timedelta(minutes=stale_minutes())
        return self.status in WORKING and last is not None and last < cutoff

    def get_absolute_url(self) -> str:
        return reverse("imports:detail", args=[self.pk])

    @property
    def running(self) -> bool:
        return self.status in RUNNING


class Severity(models.TextChoices):
    ERROR = "error", _("Error")
    WARNING = "warning", _("Warning")


class ImportProblem(TenantModel):
    """One problem found in a file: which row and column, and why. Errors block the commit."""

    tenant_field = "batch__municipality"
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="problems")
    row = models.PositiveIntegerField(_("row"), null=True, blank=True)
    column = models.CharField(_("column"), max_length=100, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    reason = models.TextField(_("reason"))
    value = models.CharField(_("value"), max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]


class RowChange(TenantModel):
    """The previous values of a row a batch changed, so that rolling the batch back restores them."""

    tenant_field = "batch__municipality"
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="changes")
    model = models.CharField(max_length=60)
    object_id = models.BigIntegerField()
    previous = models.JSONField()

    class Meta:
        indexes = [models.Index(fields=["batch", "model"])]


class WriteLock(models.Model):
    """The batch that writes a municipality's rows of one kind right now (SQLite only).

    On SQLite a commit writes in short transactions, one per chunk, so that logins and pages are not
    shut out for the whole import; this row keeps a second commit or roll-back of the same rows out
    until the first is done. (PostgreSQL uses a transaction-level advisory lock instead.) A lock
    whose batch is no longer at work, or has given no sign of life for ``IMPORT_STALE_MINUTES``, is
    taken over.
    """

    municipality = models.ForeignKey(
        "accounts.Municipality", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "kind"], name="imports_one_writer")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.municipality_id}: #{self.batch_id}"
