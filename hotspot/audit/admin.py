from django.contrib import admin

from hotspot.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: nobody adds, changes or deletes audit rows through the admin."""

    list_display = [
        "at",
        "actor_username",
        "action",
        "object_type",
        "object_id",
        "purpose",
        "count",
    ]
    list_filter = ["action", "purpose"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
