from django.urls import path

from hotspot.indicators import views

app_name = "indicators"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("new/", views.indicator_new, name="indicator_new"),
    path("<int:pk>/edit/", views.indicator_edit, name="indicator_edit"),
    path("national/new/", views.national_new, name="national_new"),
    path("national/<int:pk>/edit/", views.national_edit, name="national_edit"),
]
