from django.urls import path

from hotspot.spatial import views

app_name = "spatial"
urlpatterns = [
    path("", views.run_list, name="list"),
    path("new/", views.run_new, name="new"),
    path("<int:pk>/", views.run_detail, name="detail"),
    path("<int:pk>/cells.geojson", views.run_geojson, name="geojson"),
    path("<int:pk>/cells.csv", views.run_export, {"fmt": "csv"}, name="csv"),
    path("<int:pk>/cells.xlsx", views.run_export, {"fmt": "xlsx"}, name="xlsx"),
    path("<int:pk>/delete/", views.run_delete, name="delete"),
    path("<int:pk>/place/", views.save_place, name="save_place"),
]
