"""The user's notifications: the list, one message, and their settings. A user sees only their own."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from hotspot.notifications import actions
from hotspot.notifications.forms import PreferencesForm
from hotspot.notifications.models import Notification


@login_required
def notification_list(request):
    items = Notification.objects.filter(user=request.user).select_related("municipality")[:200]
    return render(request, "notifications/list.html", {"items": items})


@login_required
def notification_detail(request, pk):
    item = get_object_or_404(Notification, pk=pk, user=request.user)
    actions.mark_read(item)
    return render(request, "notifications/detail.html", {"item": item})


@login_required
def notification_settings(request):
    prefs = actions.preferences(request.user)
    form = PreferencesForm(request.POST or None, instance=prefs)
    if request.method == "POST" and form.is_valid():
        actions.save_preferences(request.user, form.cleaned_data, request=request)
        messages.success(request, _("Your notification settings were saved."))
        return redirect("notifications:list")
    return render(
        request,
        "notifications/settings.html",
        {"form": form, "has_email": bool(request.user.email)},
    )
