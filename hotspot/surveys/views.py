"""The survey item catalogue: the items a survey file's answer columns may name; list, create, change."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from hotspot.accounts.access import require_capability
from hotspot.accounts.roles import Capability
from hotspot.surveys import actions, pages
from hotspot.surveys.forms import SurveyItemForm
from hotspot.surveys.models import SurveyItem


def _next(request, default):
    """Where to go after saving: ``next`` (an import batch's page) when it is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


# For the roles that import: the catalogue is what their files are checked against (shared by every
# municipality, like the offence catalogue).
@require_capability(Capability.IMPORT_DATA)
def items(request):
    return render(request, "surveys/items.html", {"items": pages.item_catalogue()})


@require_capability(Capability.IMPORT_DATA)
def item_new(request):
    form = SurveyItemForm(
        request.POST if request.method == "POST" else None,
        initial=pages.initial_item(request.GET),
    )
    if request.method == "POST" and form.is_valid():
        try:
            item = actions.create_item(form.cleaned_data, user=request.user, request=request)
        except actions.CatalogueRefused as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(
                request, _("The survey item %(code)s was created.") % {"code": item.code}
            )
            return redirect(_next(request, "surveys:items"))
    return render(
        request, "surveys/item_form.html", {"form": form, "item": None, "next": _next(request, "")}
    )


@require_capability(Capability.IMPORT_DATA)
def item_edit(request, pk):
    item = get_object_or_404(SurveyItem, pk=pk)
    form = SurveyItemForm(request.POST if request.method == "POST" else None, instance=item)
    if request.method == "POST" and form.is_valid():
        try:
            changed = actions.update_item(
                item, form.cleaned_data, user=request.user, request=request
            )
        except actions.CatalogueRefused as exc:
            form.add_error(exc.field, exc.message)
        else:
            if changed:
                messages.success(request, _("The survey item was changed."))
            return redirect(_next(request, "surveys:items"))
    item.refresh_from_db()  # the form changed the instance; the page names the stored item
    return render(
        request, "surveys/item_form.html", {"form": form, "item": item, "next": _next(request, "")}
    )
