from django.urls import path

from hotspot.areas import api, views

app_name = "areas"
urlpatterns = [
    path("", views.area_list, name="list"),
    path("map/", views.area_map, name="map"),
    path("geojson/", api.geojson, name="geojson"),
    path("export.<str:fmt>", views.area_list_export, name="export"),
    path("<int:pk>/", views.area_detail, name="detail"),
    path("<int:pk>/reports.csv", views.area_reports_csv, name="reports_csv"),
    path("composed/new/", views.composition_new, name="composition_new"),
    path("<int:pk>/composition/", views.composition_edit, name="composition_edit"),
]
