"""Access helpers: the only way views fetch a single tenant object.

Not a member of the object's municipality -> 404 (we do not even say it exists).
Member, but the role lacks the capability -> 403.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404

from hotspot.accounts.roles import Capability


def get_for_user(model, user, capability: str = Capability.VIEW_AGGREGATES, **lookup):
    queryset = model.objects.all() if hasattr(model, "objects") else model
    model_cls = queryset.model
    try:
        obj = queryset.visible_to(user, Capability.VIEW_AGGREGATES).get(**lookup)
    except (model_cls.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    membership = user.membership_for(obj.tenant_id())
    if membership is None or not membership.can(capability):
        raise PermissionDenied
    return obj


def require_capability(capability: str):
    """View decorator: logged in, a member of the active municipality, and the role has ``capability``."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = getattr(request, "membership", None)
            if membership is None or not membership.can(capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_capability = capability
        return wrapped

    return decorator
