"""Meeting invitations: a new meeting invites its group's members, a changed date, place or agenda
tells them (a new version of the meeting; ``programmes`` raises it on every change)."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from hotspot.programmes.models import Meeting


@receiver(post_save, sender=Meeting, dispatch_uid="notifications.meeting_saved")
def meeting_saved(sender, instance, created, raw=False, **kwargs):
    if raw:  # fixtures and the demo loader's bulk data
        return
    from hotspot.notifications.actions import invite

    transaction.on_commit(lambda: invite(instance, changed=not created))
