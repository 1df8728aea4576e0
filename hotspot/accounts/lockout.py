"""Login lock-out (django-axes) with a second, higher limit per address.

django-axes counts failures per user name and address (``AXES_LOCKOUT_PARAMETERS``) with one limit for
every combination, so it cannot also count all failures from one address with a higher limit. Without
that, password spraying (one guess for each of many user names from one address) is never slowed. This
handler adds it: once ``LOGIN_ADDRESS_FAILURE_LIMIT`` failures from one address fall within the cool-off
time, every login from that address is locked out like a locked-out user (axes' 429 page, audited as a
lock-out). A successful login still resets only its own user name's failures.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def address_failures(request) -> int:
    """Failed logins from the request's address (any user name) within the cool-off time."""
    address = getattr(request, "axes_ip_address", None)
    if not address:
        return 0
    attempts = AccessAttempt.objects.filter(ip_address=address)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


class AddressLimitHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        failures = super().get_failures(request, credentials)
        if address_failures(request) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            # at the limit axes compares with, so that is_locked() and the lock-out on failure agree
            return max(failures, get_failure_limit(request, credentials))
        return failures
