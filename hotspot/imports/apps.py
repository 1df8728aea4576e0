from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "hotspot.imports"
    label = "imports"
    verbose_name = _("Imports")

    def ready(self):
        # the area page shows Statistics Denmark's figures beside the area's own (areas sits below)
        from hotspot.imports.statbank_pages import show_on_area_page

        show_on_area_page()
