"""The indicator catalogue in Django's admin (the pages under Data are the way for analysts: they
write the audit row and refuse changing a code in use; the admin is for the site's administrators)."""

from django.contrib import admin

from hotspot.indicators.models import Indicator, NationalValue


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name_da", "name_en", "unit", "direction", "source", "licence"]
    list_filter = ["direction", "unit"]
    search_fields = ["code", "name_da", "name_en"]


@admin.register(NationalValue)
class NationalValueAdmin(admin.ModelAdmin):
    list_display = ["indicator", "year", "value", "source"]
    list_filter = ["indicator"]
    list_select_related = ["indicator"]
