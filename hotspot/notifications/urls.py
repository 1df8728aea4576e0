from django.urls import path

from hotspot.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/", views.notification_detail, name="detail"),
    path("settings/", views.notification_settings, name="settings"),
]
