from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "hotspot.casework"
    label = "casework"
    verbose_name = _("Casework")

    def ready(self):
        # checks registers the system check; signals fills the follow-up queues after an import
        from hotspot.casework import checks, inputs, signals  # noqa: F401

        inputs.register()  # the queue's completion rate and response time join the measures catalogue
