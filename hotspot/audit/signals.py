"""Audit logins, failed logins, lock-outs, logouts, password changes and changes to memberships."""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from hotspot.accounts.signals import membership_changed, password_changed
from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose


def _known_user(username: str):
    # A failed login names a user that may not exist; store the name only if it does, so that typos and
    # guessed names (possibly personal data of third parties) never enter the log.
    if not username:
        return None
    return get_user_model().objects.filter(username=username).first()


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    record(Action.LOGIN, actor=user, purpose=Purpose.AUTHENTICATION, request=request)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record(Action.LOGOUT, actor=user, purpose=Purpose.AUTHENTICATION, request=request)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    user = _known_user(credentials.get("username", ""))
    record(
        Action.LOGIN_FAILED,
        actor=user,
        username="" if user else "(unknown user)",
        purpose=Purpose.AUTHENTICATION,
        request=request,
    )


@receiver(user_locked_out)
def on_locked_out(sender, request, username, ip_address, **kwargs):
    user = _known_user(username)
    record(
        Action.LOCKED_OUT,
        actor=user,
        username="" if user else "(unknown user)",
        purpose=Purpose.AUTHENTICATION,
        request=request,
    )


@receiver(password_changed)
def on_password_changed(sender, request, user, **kwargs):
    # The field's name only, as for every change: the audit log never holds a value.
    record(
        Action.UPDATE,
        actor=user,
        obj=user,
        fields=["password"],
        purpose=Purpose.AUTHENTICATION,
        request=request,
    )


_MEMBERSHIP_ACTIONS = {"create": Action.CREATE, "update": Action.UPDATE, "delete": Action.DELETE}


@receiver(membership_changed)
def on_membership_changed(
    sender, action, membership, actor=None, request=None, fields=(), username="", **kwargs
):
    # Sent inside the change's transaction (hotspot.accounts.actions, create_municipality): the row is
    # written with the change or not at all. Field names only, never a value or a password.
    record(
        _MEMBERSHIP_ACTIONS[action],
        actor=actor,
        username="" if actor is not None else username,
        municipality=membership.municipality,
        obj=membership,
        fields=fields,
        purpose=Purpose.ADMINISTRATION,
        request=request,
    )
