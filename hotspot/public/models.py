"""Residents' pages: a hotspot programme's public page, shown without login once the coordinator has
opted the programme in (core area 6: residents see what is done in their neighbourhood)."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.models import TenantModel


class PublicPage(TenantModel):
    tenant_field = "programme__municipality"

    programme = models.OneToOneField(
        "programmes.Programme", on_delete=models.CASCADE, related_name="public_page"
    )
    enabled = models.BooleanField(_("shown to residents without login"), default=False)
    slug = models.SlugField(
        _("address"),
        max_length=80,
        unique=True,
        help_text=_("The last part of the page's address, e.g. tingbjerg (letters, digits, -)."),
    )
    intro_da = models.TextField(
        _("introduction (Danish)"),
        blank=True,
        help_text=_("In plain words for residents; empty: the programme's purposes are shown."),
    )
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("residents' page")
        verbose_name_plural = _("residents' pages")

    def __str__(self) -> str:
        return self.slug

    def get_absolute_url(self) -> str:
        return reverse("public:page", args=[self.slug])
