"""Notifications: what the platform tells a person, in the app and by e-mail.

A ``Notification`` is one message to one user in one municipality: the weekly digest, a reminder before
a task's deadline, a meeting invitation or change (with an iCalendar attachment). It is written once
(``key`` makes each one unique: the same reminder is never sent twice) and shown in the user's list in
the app; when the user wants e-mail and has an address, the task worker sends it (``email_status``),
retrying a refused or timed-out send with a growing pause, never inside a request.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.models import TenantModel


class Kind(models.TextChoices):
    DIGEST = "digest", _("Weekly digest")
    REMINDER = "reminder", _("Reminder before a deadline")
    INVITATION = "invitation", _("Meeting invitation")
    MEETING_CHANGED = "meeting_changed", _("Meeting changed")


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Could not be sent")
    NOT_SENT = "not_sent", _("Not sent by e-mail")


class Notification(TenantModel):
    municipality = models.ForeignKey(
        "accounts.Municipality", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=200, editable=False)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    link = models.CharField(_("link"), max_length=300, blank=True)
    calendar = models.TextField(_("iCalendar attachment"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_status = models.CharField(
        _("e-mail"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("last problem"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_key_unique")
        ]
        indexes = [models.Index(fields=["email_status", "next_attempt_at"])]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("notifications:detail", args=[self.pk])


class Preferences(models.Model):
    """A user's own notification settings (one row per user, made on first use)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    email = models.BooleanField(_("Send notifications by e-mail too"), default=True)
    weekly_digest = models.BooleanField(_("Weekly digest (Monday morning)"), default=True)
    reminder_days = models.PositiveSmallIntegerField(
        _("Remind me this many days before a task's deadline (0: never)"), default=3
    )
    invitations = models.BooleanField(_("Meeting invitations and changes"), default=True)
    last_digest_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return str(self.user)
