from django.urls import path

from hotspot.incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.offences, name="offences"),
    path("offences.<str:fmt>", views.offences_export, name="offences_export"),
]
