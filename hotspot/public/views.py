"""Residents' pages: the public page of a hotspot programme (no login; 404 unless opted in), its
English version and its one-page leaflet; and the coordinator's settings for it."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from hotspot.accounts.access import get_for_user, require_capability
from hotspot.accounts.roles import Capability
from hotspot.programmes.models import Programme
from hotspot.public import actions
from hotspot.public.forms import PublicPageForm
from hotspot.public.pages import open_page, page_context


def _render(request, slug, template, language):
    page = open_page(slug)
    with translation.override(language):
        context = {"page": page, **page_context(page), "language": language}
        response = render(request, template, context)
    response["Content-Language"] = language
    return response


def public_page(request, slug):
    return _render(request, slug, "public/page.html", "da")


def public_page_en(request, slug):
    return _render(request, slug, "public/page.html", "en")


def public_leaflet(request, slug):
    language = "en" if request.GET.get("lang") == "en" else "da"
    return _render(request, slug, "public/leaflet.html", language)


@require_capability(Capability.MANAGE_PROGRAMMES)
def page_settings(request, pk):
    programme = get_for_user(Programme, request.user, Capability.MANAGE_PROGRAMMES, pk=pk)
    page = actions.page_for(programme)
    form = PublicPageForm(request.POST or None, instance=page)
    if request.method == "POST" and form.is_valid():
        actions.save_page(page, form.cleaned_data, user=request.user, request=request)
        messages.success(request, _("The residents' page was saved."))
        return redirect("public:settings", pk=programme.pk)
    return render(
        request, "public/settings.html", {"programme": programme, "page": page, "form": form}
    )
