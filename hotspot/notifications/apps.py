from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "hotspot.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from hotspot.notifications import signals  # noqa: F401  (meeting invitations)
