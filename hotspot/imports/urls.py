from django.urls import path

from hotspot.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.home, name="home"),
    path("upload/", views.upload, name="upload"),
    path("batches.<str:fmt>", views.batches_export, name="batches_export"),
    path("statbank/", views.statbank, name="statbank"),
    path("statbank/fetch/", views.statbank_fetch, name="statbank_fetch"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/commit/", views.commit, name="commit"),
    path("<int:pk>/rollback/", views.rollback, name="rollback"),
    path("<int:pk>/problems.<str:fmt>", views.problems_export, name="problems_export"),
]
