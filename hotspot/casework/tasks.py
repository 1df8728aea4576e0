"""Background work of casework, run by ``manage.py task_worker`` (inline in tests)."""

from django_tasks import task

from hotspot.casework import actions


@task()
def generate_queue_task(programme_id: int, user_id: int | None = None) -> int:
    """Fetch the police reports a programme's rule takes into its follow-up queue (``actions.
    generate_queue``): a programme's areas since its start can be thousands of reports."""
    from hotspot.accounts.models import User
    from hotspot.programmes.models import Programme

    programme = Programme.objects.select_related("municipality").get(pk=programme_id)
    user = User.objects.filter(pk=user_id).first() if user_id else None
    return actions.generate_queue(programme, actor=user)
