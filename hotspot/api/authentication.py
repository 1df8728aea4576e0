"""``Authorization: Bearer hs_<prefix>_<secret>``: the token's user, acting in the token's municipality
with that membership. A wrong, revoked or expired token is refused (401) and audited; no session, no
password, no CSRF (a token is not sent by a browser on its own)."""

from __future__ import annotations

import hmac

from django.utils import timezone
from rest_framework import authentication, exceptions

from hotspot.api.models import ApiToken, digest
from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose

#: why a token was refused, as the audit row names it: the token field that failed
_WHY = {
    "malformed authorization header": "prefix",
    "malformed token": "prefix",
    "unknown token": "secret_digest",
    "revoked token": "revoked_at",
    "expired token": "expires_at",
    "inactive user": "user",
    "membership ended": "municipality",
}


def _refuse(request, reason: str, token=None):
    record(
        Action.ACCESS_DENIED,
        actor=token.user if token else None,
        municipality=token.municipality if token else None,
        object_type="api.apitoken",
        object_id=token.pk if token else "",
        purpose=Purpose.AUTHENTICATION,
        fields=[_WHY[reason]],
        request=request,
    )
    raise exceptions.AuthenticationFailed(reason)


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate_header(self, request):
        return self.keyword

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0] != self.keyword:
            _refuse(request, "malformed authorization header")
        value = parts[1]
        pieces = value.split("_", 2)
        if len(pieces) != 3 or pieces[0] != "hs":
            _refuse(request, "malformed token")
        token = (
            ApiToken.objects.select_related("user", "municipality").filter(prefix=pieces[1]).first()
        )
        if token is None or not hmac.compare_digest(token.secret_digest, digest(pieces[2])):
            _refuse(request, "unknown token")
        if token.revoked_at is not None:
            _refuse(request, "revoked token", token)
        if token.expires_at <= timezone.now():
            _refuse(request, "expired token", token)
        if not token.user.is_active:
            _refuse(request, "inactive user", token)
        membership = token.user.membership_for(token.municipality_id)
        if membership is None:
            _refuse(request, "membership ended", token)
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        request._request.municipality = token.municipality
        request._request.membership = membership
        return token.user, token


try:  # the schema's description of the token (drf-spectacular finds it by class path)
    from drf_spectacular.extensions import OpenApiAuthenticationExtension

    class TokenScheme(OpenApiAuthenticationExtension):
        target_class = "hotspot.api.authentication.TokenAuthentication"
        name = "token"

        def get_security_definition(self, auto_schema):
            return {"type": "http", "scheme": "bearer", "bearerFormat": "hs_<prefix>_<secret>"}

except ImportError:  # pragma: no cover - drf-spectacular is a dependency
    pass
