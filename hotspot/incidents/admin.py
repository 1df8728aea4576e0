from django.contrib import admin

from hotspot.incidents.models import Offence


@admin.register(Offence)
class OffenceAdmin(admin.ModelAdmin):
    list_display = ["code", "name_da", "name_en", "group", "citizen_directed", "serious"]
    list_filter = ["group", "citizen_directed", "serious"]
    list_editable = ["citizen_directed", "serious"]
