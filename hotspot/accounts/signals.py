"""Signals of the accounts app, for the apps above it (the audit log listens; accounts imports none)."""

from django.dispatch import Signal

#: Sent after a user changed their own password: ``sender`` the view class, ``request``, ``user``.
password_changed = Signal()

#: Sent inside the transaction of every change to a membership (hotspot.accounts.actions, and
#: ``manage.py create_municipality`` for the first administrator), so that its audit row is written
#: or rolled back with the change: ``sender`` the Membership class, ``action`` one of
#: ``MEMBERSHIP_ACTIONS``, ``membership`` (sent before it is deleted, so it still has its key),
#: ``actor`` (the user who made the change, or None), ``username`` (who made it when there is no
#: actor, e.g. "manage.py"), ``request`` (or None) and ``fields``: the names of the fields that got a
#: value, never the values (and never a password).
membership_changed = Signal()

MEMBERSHIP_ACTIONS = ("create", "update", "delete")
