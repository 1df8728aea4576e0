from django.contrib import admin

from hotspot.areas.models import Area


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "municipality"]
    list_filter = ["municipality", "kind"]
    exclude = ["geometry"]
    # members are set on the area page (areas.actions.compose_area checks the municipality and the
    # outline), never here
    readonly_fields = ["area_m2", "min_x", "min_y", "max_x", "max_y", "members"]
