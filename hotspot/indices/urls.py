from django.urls import path

from hotspot.indices import views

app_name = "indices"
urlpatterns = [
    path("", views.home, name="home"),
    path("definitions/preset/", views.from_preset, name="from_preset"),
    path("definitions/new/", views.definition_new, name="definition_new"),
    path("definitions/<int:pk>/", views.definition_detail, name="definition"),
    path("definitions/<int:pk>/edit/", views.definition_edit, name="definition_edit"),
    path("definitions/<int:pk>/compute/", views.compute, name="compute"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/map/", views.run_map, name="map"),
    path("runs/<int:pk>/geojson/", views.run_geojson, name="geojson"),
    path("runs/<int:pk>/ranking/", views.ranking, name="ranking"),
    path("runs/<int:pk>/areas/<int:area_pk>/", views.profile, name="profile"),
    path("runs/<int:pk>/sensitivity/", views.sensitivity, name="sensitivity"),
    path("runs/<int:pk>/export.<str:fmt>", views.export, name="export"),
    path("runs/<int:pk>/dossier/", views.dossier_new, name="dossier_new"),
    path("dossiers/<int:pk>/", views.dossier_detail, name="dossier"),
    path("dossiers/<int:pk>/decide/", views.dossier_decide, name="dossier_decide"),
    path("dossiers/<int:pk>/pdf/", views.dossier_pdf, name="dossier_pdf"),
]
