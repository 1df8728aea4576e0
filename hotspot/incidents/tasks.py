from django_tasks import task

from hotspot.incidents.actions import refresh_report_counts


@task()
def refresh_report_counts_task(municipality_id: int) -> int:
    """Background task: rebuild the report summary after an import (run by ``manage.py task_worker``)."""
    return refresh_report_counts(municipality_id)
