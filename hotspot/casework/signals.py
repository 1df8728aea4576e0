"""Casework's receivers: the follow-up queues fill themselves when a municipality's police reports
change (an import of reports or areas committed or rolled back), without anyone pressing a button.

Imports sits below casework and never imports it; it sends ``incidents.signals.reports_changed`` from
its task worker job, and this receiver (connected in ``apps.CaseworkConfig.ready``) enqueues one
``tasks.generate_queue_task`` per programme of the municipality with a rule. Items of reports removed
by a roll-back are kept (and the queue page says the report went); new reports get one item each.
"""

from django.dispatch import receiver

from hotspot.incidents.signals import reports_changed


@receiver(reports_changed, dispatch_uid="casework.refresh_follow_up_queues")
def refresh_follow_up_queues(sender, municipality_id, **kwargs):
    from hotspot.casework import tasks

    tasks.enqueue_queues(municipality_id)
