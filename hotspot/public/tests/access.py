"""Role x URL rows for residents' pages: an opted-in page is public (everyone, logged in or not, 200);
a page that is not opted in is a 404 for everyone; the settings are the programme editors'."""

from django.urls import reverse

from hotspot.accounts.tests.table import ALL, NONE_OF_THEM, PROGRAMME_EDITORS, only


def _page(municipality, enabled):
    from hotspot.programmes.models import Programme
    from hotspot.public.models import PublicPage

    programme = Programme.objects.filter(municipality=municipality).order_by("pk").first()
    page, _ = PublicPage.objects.update_or_create(
        programme=programme, defaults={"slug": f"access-{programme.pk}", "enabled": enabled}
    )
    return page


def _url(name, enabled):
    return lambda own, foreign: reverse(name, args=[_page(own, enabled).slug])


def _settings(own, foreign):
    from hotspot.programmes.models import Programme

    return reverse("public:settings", args=[Programme.objects.filter(municipality=own).first().pk])


TABLE: dict = {
    "public:page": (_url("public:page", True), ALL, 200),
    "public:page#off": (_url("public:page", False), NONE_OF_THEM, 404),
    "public:page_en": (_url("public:page_en", True), ALL, 200),
    "public:page_en#off": (_url("public:page_en", False), NONE_OF_THEM, 404),
    "public:leaflet": (_url("public:leaflet", True), ALL, 200),
    "public:settings": (_settings, only(PROGRAMME_EDITORS, outsider=404), 302),
}
