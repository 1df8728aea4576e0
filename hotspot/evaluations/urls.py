from django.urls import path

from hotspot.evaluations import views

app_name = "evaluations"
urlpatterns = [
    path("", views.study_list, name="list"),
    path("new/", views.study_new, name="new"),
    path("<int:pk>/", views.study_detail, name="detail"),
    path("<int:pk>/edit/", views.study_edit, name="edit"),
    path("<int:pk>/delete/", views.study_delete, name="delete"),
    path("<int:pk>/run/", views.study_run, name="run"),
    path("<int:pk>/report.pdf", views.study_pdf, name="pdf"),
    path("<int:pk>/panel.csv", views.study_panel_export, {"fmt": "csv"}, name="panel_csv"),
    path("<int:pk>/panel.xlsx", views.study_panel_export, {"fmt": "xlsx"}, name="panel_xlsx"),
]
