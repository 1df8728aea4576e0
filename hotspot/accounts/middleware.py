SESSION_KEY = "municipality_id"


class MunicipalityMiddleware:
    """Sets ``request.membership``: the user's membership in the municipality they work in now.

    A user with several memberships switches with the header's municipality picker (stored in the session);
    by default the first membership (by municipality name) is active.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        if request.user.is_authenticated:
            memberships = request.user.memberships_by_municipality()
            wanted = request.session.get(SESSION_KEY)
            if wanted in memberships:
                request.membership = memberships[wanted]
            elif memberships:
                request.membership = sorted(
                    memberships.values(), key=lambda m: m.municipality.name
                )[0]
        request.municipality = request.membership.municipality if request.membership else None
        return self.get_response(request)


class DanishFirstLocaleMiddleware:
    """Danish unless the user chose English with the language switch (a cookie set by set_language).

    Django's LocaleMiddleware would follow the browser's Accept-Language; a Danish municipality's staff
    often run English-language browsers, and the platform's default is Danish (UX.md).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every response to a signed-in user: pages and downloads may hold
    raw or person data, which no browser or proxy cache may keep. Static files never get here (WhiteNoise
    answers them before the session is read); the check on STATIC_URL is for other static set-ups.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.utils.cache import patch_cache_control

        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(settings.STATIC_URL)
        ):
            patch_cache_control(response, no_store=True, private=True)
        return response
