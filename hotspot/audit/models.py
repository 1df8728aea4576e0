"""The audit log: append-only, no person-identifying free text.

Rows are written only through ``hotspot.audit.actions.record``. The model refuses updates and deletes;
triggers refuse them in the database too (migration 0002 on PostgreSQL, 0003 on SQLite). Every row is a
link of a hash chain (``hotspot.audit.chain``, ``manage.py verify_audit_log``): on PostgreSQL the trigger
of migration 0003 sets its sequence number, time, user name and hash, whatever the client sent. What this
guards against, and the database roles it needs, is in docs/audit.md.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class AuditLogImmutable(Exception):
    """Raised on any attempt to change or delete an audit row."""


class Action(models.TextChoices):
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOCKED_OUT = "locked_out", _("Locked out after failed logins")
    LOGOUT = "logout", _("Logged out")
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")
    READ_PERSON = "read_person", _("Read person data")
    SEARCH_PERSON = "search_person", _("Searched person data")
    EXPORT = "export", _("Exported")
    IMPORT = "import", _("Imported")
    VERIFY = "verify", _("Verified the audit log")
    ACCESS_DENIED = "access_denied", _("Access denied")
    API = "api", _("Used the API")


class Purpose(models.TextChoices):
    # A fixed list, never free text: the purpose the data protection rules require us to state.
    NONE = "", _("(not stated)")
    AUTHENTICATION = "authentication", _("Authentication")
    CASEWORK = "casework", _("Casework and follow-up")
    ANALYSIS = "analysis", _("Analysis and statistics")
    ADMINISTRATION = "administration", _("Administration")
    OVERSIGHT = "oversight", _("Data protection oversight")
    DEMO = "demo", _("Demo data")


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditLogImmutable("The audit log is append-only: rows cannot be updated")

    def delete(self):
        raise AuditLogImmutable("The audit log is append-only: rows cannot be deleted")

    def visible_to(self, user):
        from hotspot.accounts.models import Membership
        from hotspot.accounts.roles import Capability

        if user is None or not user.is_authenticated:
            return self.none()
        ids = user.municipality_ids_with(Capability.VIEW_AUDIT)
        # Logins and lock-outs belong to no municipality; a DPO sees those of the municipality's members.
        members = Membership.objects.filter(municipality_id__in=ids).values("user_id")
        return self.filter(
            models.Q(municipality_id__in=ids)
            | models.Q(municipality__isnull=True, actor_id__in=members)
        )


class AuditEvent(models.Model):
    # Set by the database (PostgreSQL: the trigger, from clock_timestamp(); SQLite: the trigger refuses a
    # time that is not the current one), never by what the client sends.
    at = models.DateTimeField(_("time (UTC)"), db_default=Now(), db_index=True)
    # The hash chain: position and SHA-256 of (previous row's hash + this row's content).
    seq = models.BigIntegerField(_("sequence number"), null=True, unique=True, db_default=None)
    hash = models.CharField(_("hash"), max_length=64, blank=True, db_default="")
    # No database constraint: deleting a user or municipality must never touch its audit trail.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(_("user name"), max_length=150, blank=True)
    municipality = models.ForeignKey(
        "accounts.Municipality",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices, blank=True)
    fields = models.JSONField(_("fields"), default=list, blank=True)
    count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["municipality", "-at"]),
            models.Index(fields=["actor", "-at"]),
            models.Index(fields=["action", "-seq"], name="audit_action_seq"),
        ]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogImmutable("The audit log is append-only: rows cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogImmutable("The audit log is append-only: rows cannot be deleted")
