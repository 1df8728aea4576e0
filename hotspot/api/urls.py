from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from hotspot.api import views

router = SimpleRouter()
router.register("v1/areas", views.AreaViewSet, basename="areas")
router.register("v1/index-runs", views.IndexRunViewSet, basename="index-runs")
router.register("v1/programmes", views.ProgrammeViewSet, basename="programmes")
router.register("v1/tasks", views.TaskViewSet, basename="tasks")
router.register("v1/studies", views.StudyViewSet, basename="studies")
router.register("v1/spatial-runs", views.SpatialRunViewSet, basename="spatial-runs")

app_name = "api"
urlpatterns = [
    path("v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    *router.urls,
]
