import time

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hotspot.accounts import actions
from hotspot.accounts.access import require_capability
from hotspot.accounts.forms import MemberAddForm, MemberChangeForm, MemberEndForm
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
    return render(
        request,
        "accounts/members.html",
        {"members": members, "can_read_audit": membership.can(Capability.VIEW_AUDIT)},
    )


def _own_membership(request, pk):
    """A membership of the municipality the administrator works in now (``require_capability`` has
    checked that they manage its members); any other key is 404, so that nobody learns whether
    another municipality has it. (Membership is not a TenantModel, so not ``get_for_user``.)"""
    queryset = Membership.objects.in_municipality(request.municipality).select_related(
        "user", "municipality"
    )
    return get_object_or_404(queryset, pk=pk)


def _back(request):
    """Back to the members, unless the administrator has just given up managing them (ended or
    changed their own membership)."""
    own = Membership.objects.in_municipality(request.municipality).filter(user=request.user).first()
    return redirect("administration" if own and own.can(Capability.MANAGE_MEMBERS) else "home")


@require_capability(Capability.MANAGE_MEMBERS)
def member_new(request):
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = actions.add_member(
                request.municipality, actor=request.user, request=request, **form.member()
            )
        except actions.MembershipRefused as exc:
            form.add_error(None, str(exc))
        else:
            names = {
                "user": outcome.membership.user.get_username(),
                "role": outcome.membership.get_role_display(),
            }
            if not outcome.changed:
                messages.info(
                    request,
                    _("%(user)s is a member already, with the role %(role)s; nothing was changed.")
                    % names,
                )
            elif outcome.created_user:
                messages.success(
                    request, _("%(user)s was created and is now a member: %(role)s.") % names
                )
            else:
                messages.success(
                    request,
                    _(
                        "%(user)s existed already and is now a member here too: %(role)s. Their "
                        "e-mail address, name and password are unchanged."
                    )
                    % names,
                )
            return redirect("administration")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/member_new.html", {"form": form}, status=status)


@require_capability(Capability.MANAGE_MEMBERS)
def member_edit(request, pk):
    membership = _own_membership(request, pk)
    form = MemberChangeForm(request.POST or None, membership=membership)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = actions.change_member(
                membership,
                role=form.cleaned_data["role"],
                organisation=form.cleaned_data["organisation"],
                shown=form.shown(),
                actor=request.user,
                request=request,
            )
        except actions.MembershipRefused as exc:
            form.add_error(None, str(exc))
        else:
            names = {
                "user": membership.user.get_username(),
                "role": outcome.membership.get_role_display(),
            }
            if outcome.changed:
                messages.success(request, _("%(user)s is now %(role)s.") % names)
            else:
                messages.info(
                    request, _("%(user)s is %(role)s already; nothing was changed.") % names
                )
            return _back(request)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "accounts/member_edit.html",
        {"membership": membership, "form": form},
        status=status,
    )


@require_capability(Capability.MANAGE_MEMBERS)
def member_end(request, pk):
    form = MemberEndForm(request.POST or None)
    ended_already = _("The membership had ended already; nothing was changed.")
    try:
        membership = _own_membership(request, pk)
    except Http404:
        if request.method == "POST" and form.is_for(pk, request.municipality):
            messages.info(request, ended_already)
            return redirect("administration")
        raise
    if request.method == "POST" and form.is_for(pk, request.municipality):
        try:
            outcome = actions.end_membership(membership, actor=request.user, request=request)
        except actions.MembershipRefused as exc:
            messages.error(request, str(exc))
            return redirect("member_edit", pk=membership.pk)
        if outcome.changed:
            messages.success(
                request,
                _(
                    "The membership of %(user)s has ended. The user remains and can be made a "
                    "member again."
                )
                % {"user": membership.user.get_username()},
            )
        else:
            messages.info(request, ended_already)
        return _back(request)
    return render(
        request,
        "accounts/member_end.html",
        {"membership": membership, "form": MemberEndForm(membership=membership)},
        status=400 if request.method == "POST" else 200,
    )


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
