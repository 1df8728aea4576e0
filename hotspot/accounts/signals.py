"""Signals of the accounts app, for the apps above it (the audit log listens; accounts imports none)."""

from django.dispatch import Signal

#: Sent after a user changed their own password: ``sender`` the view class, ``request``, ``user``.
password_changed = Signal()
