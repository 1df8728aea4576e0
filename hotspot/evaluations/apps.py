from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "hotspot.evaluations"
    label = "evaluations"
    verbose_name = _("Evaluations")

    def ready(self):
        # The programme report (programmes) shows each study's result sentence; programmes imports
        # nothing of this app, it is handed the builder.
        from hotspot.evaluations.pages import programme_report_studies
        from hotspot.programmes.pages import register_report_section

        register_report_section(programme_report_studies)
