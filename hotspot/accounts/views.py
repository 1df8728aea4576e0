import time

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hotspot.accounts.middleware import (
    LAST_ACTIVITY,
    LOGIN_AT,
    SESSION_KEY,
    SessionTimeoutMiddleware,
)
from hotspot.accounts.models import Membership
from hotspot.accounts.roles import Capability
from hotspot.accounts.signals import password_changed


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # the session's clock starts at this login (a re-login keeps the session's other data)
        now = int(time.time())
        self.request.session[LOGIN_AT] = now
        self.request.session[LAST_ACTIVITY] = now
        return response


@require_POST
def session_keepalive(request):
    """The page's "stay logged in" and its typing count as activity (static/hotspot/session.js): the
    timeout middleware has already recorded this request; the answer says how long is left."""
    if not request.user.is_authenticated:
        return JsonResponse({"logged_out": "anonymous"}, status=401)
    request.session[LAST_ACTIVITY] = int(time.time())
    return JsonResponse({"idle_seconds": SessionTimeoutMiddleware.idle_limit(request)})


def tour(request):
    return render(request, "accounts/tour.html")


def help_page(request):
    # Open without logging in: how to log in is part of the help.
    membership = getattr(request, "membership", None)
    can_import = membership is not None and membership.can(Capability.IMPORT_DATA)
    return render(request, "accounts/help.html", {"can_import": can_import})


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change your own password (the current one first); the session stays logged in."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        password_changed.send(type(self), request=self.request, user=self.request.user)
        messages.success(self.request, _("Your password has been changed."))
        return response


@login_required
def administration(request):
    membership = request.membership
    if membership is None or not (
        membership.can(Capability.VIEW_AUDIT) or membership.can(Capability.MANAGE_MEMBERS)
    ):
        raise PermissionDenied
    members = None
    if membership.can(Capability.MANAGE_MEMBERS):
        members = Membership.objects.in_municipality(request.municipality).select_related("user")
    return render(request, "accounts/administration.html", {"members": members})


@require_POST
@login_required
def switch_municipality(request):
    try:
        wanted = int(request.POST.get("municipality", ""))
    except ValueError:
        wanted = None
    if wanted not in request.user.memberships_by_municipality():
        messages.error(request, _("You are not a member of that municipality."))
    else:
        request.session[SESSION_KEY] = wanted
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # Rendered without context processors that touch the database: the database may be the problem.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("errors/500.html").render({}))
