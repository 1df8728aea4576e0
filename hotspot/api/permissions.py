"""The API's one permission: the same capabilities as the pages (``accounts.roles``), narrowed by the
token's scopes. A view names its ``capability`` (to read) and ``write_capability`` (to change)."""

from rest_framework import permissions

from hotspot.accounts.roles import Capability
from hotspot.api.models import ApiToken, Scope


class ScopedCapability(permissions.BasePermission):
    message = "This token or role may not do this."

    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, ApiToken):
            return False
        membership = getattr(request._request, "membership", None)
        if membership is None:
            return False
        safe = request.method in permissions.SAFE_METHODS
        scope = Scope.READ if safe else Scope.WRITE
        if scope not in token.scopes:
            return False
        capability = getattr(view, "capability", Capability.VIEW_AGGREGATES)
        if not safe:
            capability = getattr(view, "write_capability", None)
            if capability is None:
                return False
        if getattr(view, "person_data", False) and Scope.PERSON not in token.scopes:
            return False
        return membership.can(capability)
