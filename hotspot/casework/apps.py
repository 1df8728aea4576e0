from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "hotspot.casework"
    label = "casework"
    verbose_name = _("Casework")

    def ready(self):
        from hotspot.casework import checks  # noqa: F401  (registers the system check)
