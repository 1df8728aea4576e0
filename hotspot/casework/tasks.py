"""Background work of casework, run by ``manage.py task_worker`` (inline in tests)."""

from django_tasks import task

from hotspot.casework import actions

#: The audit row's user name of a queue filled by no one (after an import, or by the scheduler).
AUTOMATIC = "task worker (follow-up queue)"


@task()
def generate_queue_task(programme_id: int, user_id: int | None = None) -> int:
    """Fetch the police reports a programme's rule takes into its follow-up queue (``actions.
    generate_queue``): a programme's areas since its start can be thousands of reports. Without a
    user (after an import, ``signals``) the audit row names the task worker."""
    from hotspot.accounts.models import User
    from hotspot.programmes.models import Programme

    programme = Programme.objects.select_related("municipality").get(pk=programme_id)
    user = User.objects.filter(pk=user_id).first() if user_id else None
    return actions.generate_queue(programme, actor=user, username="" if user else AUTOMATIC)


def enqueue_queues(municipality_id: int | None = None) -> list[int]:
    """Have the task worker refresh the follow-up queue of every programme (of one municipality, or
    all) with a rule (``actions.programmes_with_rule``); returns their ids. Idempotent: a report
    gets one item per programme however often this runs."""
    programme_ids = actions.programmes_with_rule(municipality_id)
    for pk in programme_ids:
        generate_queue_task.enqueue(pk)
    return programme_ids
