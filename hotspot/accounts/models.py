from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.roles import Capability, Role, role_can


class Municipality(models.Model):
    """The tenant: every piece of data belongs to exactly one municipality."""

    code = models.CharField(
        _("municipality code"),
        max_length=3,
        unique=True,
        validators=[RegexValidator(r"^\d{3}$", _("Three digits, e.g. 101 for Copenhagen."))],
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who logs in. What they may see depends on their memberships, never on this row alone."""

    def membership_for(self, municipality_id: int) -> "Membership | None":
        return self.memberships_by_municipality().get(municipality_id)

    def memberships_by_municipality(self) -> dict[int, "Membership"]:
        # Cached on the instance: one query per request, however many objects a page checks.
        cache = getattr(self, "_membership_cache", None)
        if cache is None:
            cache = {
                m.municipality_id: m
                for m in Membership.objects.filter(user=self).select_related("municipality")
            }
            self._membership_cache = cache
        return cache

    def municipality_ids_with(self, capability: str) -> list[int]:
        return [
            mid
            for mid, m in self.memberships_by_municipality().items()
            if role_can(m.role, capability)
        ]


class TenantQuerySet(models.QuerySet):
    """The choke point: every view reaches tenant data through ``visible_to(user, capability)``.

    A model declares ``tenant_field``, the lookup path from it to its Municipality.
    """

    def visible_to(self, user, capability: str = Capability.VIEW_AGGREGATES):
        if user is None or not user.is_authenticated:
            return self.none()
        ids = user.municipality_ids_with(capability)
        return self.filter(**{f"{self.model.tenant_field}__in": ids})

    def in_municipality(self, municipality):
        return self.filter(**{f"{self.model.tenant_field}": municipality})


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    organisation = models.CharField(
        _("organisation"),
        max_length=100,
        blank=True,
        help_text=_("E.g. the housing association or police district."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    tenant_field = "municipality"
    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "municipality"], name="one_membership_per_municipality"
            )
        ]
        ordering = ["municipality__name", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.municipality} ({self.get_role_display()})"

    def can(self, capability: str) -> bool:
        return role_can(self.role, capability)


class TenantModel(models.Model):
    tenant_field = "municipality"
    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True

    def tenant_id(self) -> int:
        obj = self
        for part in self.tenant_field.split("__")[:-1]:
            obj = getattr(obj, part)
        return getattr(obj, self.tenant_field.split("__")[-1] + "_id")


def import_batch_field():
    """The provenance link every imported row carries: the batch it came in (hotspot.imports)."""
    return models.ForeignKey(
        "imports.ImportBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("import batch"),
    )
