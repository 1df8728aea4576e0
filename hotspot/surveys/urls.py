from django.urls import path

from hotspot.surveys import views

app_name = "surveys"
urlpatterns = [
    path("", views.items, name="items"),
    path("new/", views.item_new, name="item_new"),
    path("<int:pk>/edit/", views.item_edit, name="item_edit"),
]
