"""The survey item catalogue in Django's admin (analysts use the pages under Data, which write the
audit row and keep the code of an item in use)."""

from django.contrib import admin

from hotspot.surveys.models import SurveyItem


@admin.register(SurveyItem)
class SurveyItemAdmin(admin.ModelAdmin):
    list_display = ["code", "text_da", "scale_min", "scale_max"]
    search_fields = ["code", "text_da", "text_en"]
