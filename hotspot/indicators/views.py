"""The indicator catalogue: register indicators and national reference values; list, create, change."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from hotspot.accounts.access import require_capability
from hotspot.accounts.roles import Capability
from hotspot.indicators import actions, pages
from hotspot.indicators.forms import IndicatorForm, NationalValueForm
from hotspot.indicators.models import Indicator, NationalValue


def _next(request, default):
    """Where to go after saving: ``next`` (an import batch's page) when it is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


# For the roles that import: the catalogue is what their files are checked against (shared by every
# municipality, like the offence catalogue).
@require_capability(Capability.IMPORT_DATA)
def catalogue(request):
    return render(
        request,
        "indicators/catalogue.html",
        {"indicators": pages.indicator_catalogue(), "national": pages.national_values()},
    )


def _form_page(request, form_class, create, update, *, instance=None, initial=None, template, done):
    form = form_class(
        request.POST if request.method == "POST" else None, instance=instance, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            if instance is None:
                create(form.cleaned_data, user=request.user, request=request)
                changed = True
            else:
                changed = update(instance, form.cleaned_data, user=request.user, request=request)
        except actions.CatalogueRefused as exc:
            form.add_error(exc.field, exc.message)
        else:
            if changed:
                messages.success(request, done)
            return redirect(_next(request, "indicators:catalogue"))
    if instance is not None:
        instance.refresh_from_db()  # the form changed the instance; the page names the stored one
    return render(request, template, {"form": form, "obj": instance, "next": _next(request, "")})


@require_capability(Capability.IMPORT_DATA)
def indicator_new(request):
    return _form_page(
        request, IndicatorForm, actions.create_indicator, None,
        initial=pages.initial_indicator(request.GET), template="indicators/indicator_form.html",
        done=_("The indicator was saved."),
    )  # fmt: skip


@require_capability(Capability.IMPORT_DATA)
def indicator_edit(request, pk):
    return _form_page(
        request, IndicatorForm, None, actions.update_indicator,
        instance=get_object_or_404(Indicator, pk=pk), template="indicators/indicator_form.html",
        done=_("The indicator was saved."),
    )  # fmt: skip


@require_capability(Capability.IMPORT_DATA)
def national_new(request):
    return _form_page(
        request, NationalValueForm, actions.create_national_value, None,
        initial=pages.initial_national(request.GET), template="indicators/national_form.html",
        done=_("The reference value was saved."),
    )  # fmt: skip


@require_capability(Capability.IMPORT_DATA)
def national_edit(request, pk):
    return _form_page(
        request, NationalValueForm, None, actions.update_national_value,
        instance=get_object_or_404(NationalValue, pk=pk), template="indicators/national_form.html",
        done=_("The reference value was saved."),
    )  # fmt: skip
