from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "hotspot.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self):
        from hotspot.audit import signals  # noqa: F401  (connects login/logout/lock-out receivers)
