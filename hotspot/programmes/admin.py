from django.contrib import admin

from hotspot.programmes import models


class ElementInline(admin.TabularInline):
    model = models.CoreAreaElement
    extra = 0


@admin.register(models.CoreArea)
class CoreAreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name_da", "name_en", "pillar", "municipality"]
    list_filter = ["municipality"]
    inlines = [ElementInline]


@admin.register(models.Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "municipality", "status", "start", "end"]
    list_filter = ["municipality", "status"]


for _model in (
    models.Initiative,
    models.Goal,
    models.ActionPlan,
    models.Task,
    models.Place,
    models.Funder,
    models.Grant,
    models.Group,
    models.Meeting,
):
    admin.site.register(_model)


@admin.register(models.Approval)
class ApprovalAdmin(admin.ModelAdmin):
    """Read-only: approval steps are recorded through the programme's approval page and never changed."""

    list_display = ["programme", "plan", "version", "decision", "case_number", "decided_on"]
    list_filter = ["decision"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.TaskUpdate)
class TaskUpdateAdmin(admin.ModelAdmin):
    """Read-only: progress reports are made on "My organisation's tasks" (with their audit rows)."""

    list_display = ["task", "organisation", "status", "activities", "participants", "created_at"]
    list_filter = ["status"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
