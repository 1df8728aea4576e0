from django.urls import path

from hotspot.public import views

app_name = "public"
urlpatterns = [
    path("<slug:slug>/", views.public_page, name="page"),
    path("<slug:slug>/en/", views.public_page_en, name="page_en"),
    path("<slug:slug>/leaflet/", views.public_leaflet, name="leaflet"),
    path("settings/<int:pk>/", views.page_settings, name="settings"),
]
