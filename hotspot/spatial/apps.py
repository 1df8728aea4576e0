from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SpatialConfig(AppConfig):
    name = "hotspot.spatial"
    label = "spatial"
    verbose_name = _("Spatial analysis")

    def ready(self):
        # The selection dossier (indices) shows the hot cells of each candidate from this app's runs;
        # indices imports nothing of this app, it is handed the builder.
        from hotspot.indices.pages import register_dossier_section
        from hotspot.spatial.pages import dossier_hot_cells

        register_dossier_section(dossier_hot_cells)
