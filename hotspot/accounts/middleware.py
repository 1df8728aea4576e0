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


class SessionTimeoutMiddleware:
    """Sessions end on the server: after ``SESSION_IDLE_MINUTES`` without a request for a member whose
    role sees person data, and ``SESSION_HOURS`` after login for everyone (however active). The page
    warns before the idle limit and a keep-alive (``session_keepalive``) counts typing as activity
    (``static/hotspot/session.js``), so nobody loses what they typed; a form posted after the limit
    is not saved, and the draft the browser kept in the tab is offered again after the next login.

    After ``MunicipalityMiddleware`` (it needs ``request.membership``)."""

    #: last-activity writes are skipped within this many seconds (a session write per request is waste)
    RESOLUTION = 30

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            ended = self._ended(request)
            if ended:
                return self._log_out(request, ended)
        return self.get_response(request)

    @staticmethod
    def idle_limit(request) -> int | None:
        """Seconds without a request after which the session ends, or None (no person data)."""
        from django.conf import settings

        from hotspot.accounts.roles import Capability

        membership = getattr(request, "membership", None)
        if membership is None or not membership.can(Capability.VIEW_PERSON_DATA):
            return None
        return settings.SESSION_IDLE_MINUTES * 60

    def _ended(self, request) -> str | None:
        import time

        from django.conf import settings

        now = int(time.time())
        session = request.session
        login_at = session.setdefault(LOGIN_AT, now)
        if now - login_at > settings.SESSION_COOKIE_AGE:
            return "absolute"
        idle = self.idle_limit(request)
        last = session.get(LAST_ACTIVITY, login_at)
        if idle is not None and now - last > idle:
            return "idle"
        if now - last >= self.RESOLUTION:
            session[LAST_ACTIVITY] = now
        return None

    @staticmethod
    def _log_out(request, reason: str):
        from django.conf import settings
        from django.contrib import messages
        from django.contrib.auth import logout
        from django.http import JsonResponse
        from django.shortcuts import redirect
        from django.urls import reverse
        from django.utils.http import urlencode
        from django.utils.translation import gettext as _

        path = request.get_full_path()
        logout(request)  # flushes the session in the database: the old cookie opens nothing
        if reason == "idle":
            text = _(
                "You were logged out after %(n)s minutes without activity, as for every role that "
                "sees person data. Log in again to go on."
            ) % {"n": settings.SESSION_IDLE_MINUTES}
        else:
            text = _("You were logged out %(n)s hours after logging in. Log in again to go on.") % {
                "n": settings.SESSION_COOKIE_AGE // 3600
            }
        if request.headers.get("X-Requested-With") == "fetch":
            return JsonResponse({"logged_out": reason}, status=401)
        messages.info(request, text)
        target = reverse("login")
        if request.method == "GET":
            target += "?" + urlencode({"next": path})
        return redirect(target)


#: session keys: when the user logged in and last made a request (seconds since the epoch)
LOGIN_AT = "hotspot_login_at"
LAST_ACTIVITY = "hotspot_last_activity"
