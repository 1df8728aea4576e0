from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from hotspot import overview
from hotspot.accounts import views as account_views

urlpatterns = [
    path("", overview.home, name="home"),
    path("tour/", account_views.tour, name="tour"),
    path("help/", account_views.help_page, name="help"),
    path("administration/", account_views.administration, name="administration"),
    path("administration/members/new/", account_views.member_new, name="member_new"),
    path("administration/members/<int:pk>/", account_views.member_edit, name="member_edit"),
    path("administration/members/<int:pk>/end/", account_views.member_end, name="member_end"),
    path("accounts/login/", account_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/session/", account_views.session_keepalive, name="session_keepalive"),
    path("accounts/municipality/", account_views.switch_municipality, name="switch_municipality"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("areas/", include("hotspot.areas.urls")),
    path("audit/", include("hotspot.audit.urls")),
    path("data/", include("hotspot.imports.urls")),
    path("offences/", include("hotspot.incidents.urls")),
    path("indicators/", include("hotspot.indicators.urls")),
    path("survey-items/", include("hotspot.surveys.urls")),
    path("index/", include("hotspot.indices.urls")),
    path("programmes/", include("hotspot.programmes.urls")),
    path("casework/", include("hotspot.casework.urls")),
    path("spatial/", include("hotspot.spatial.urls")),
    path("notifications/", include("hotspot.notifications.urls")),
    path("residents/", include("hotspot.public.urls")),
    path("api/", include("hotspot.api.urls")),
    path("evaluations/", include("hotspot.evaluations.urls")),
    path("django-admin/", admin.site.urls),
]

handler403 = "hotspot.accounts.views.permission_denied"
handler404 = "hotspot.accounts.views.page_not_found"
handler500 = "hotspot.accounts.views.server_error"
