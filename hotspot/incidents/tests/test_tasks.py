"""Long work runs in the task worker: enqueue on the database backend, run with db_worker."""

from django.core.management import call_command
from django.test import override_settings

from hotspot.incidents.models import ReportCount

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@override_settings(TASKS=DB_TASKS)
def test_refresh_report_counts_runs_in_the_worker(demo_municipality, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    from hotspot.incidents.tasks import refresh_report_counts_task

    # django_tasks resets its backends when TASKS changes (override_settings).
    expected = sorted(
        ReportCount.objects.filter(area__municipality=demo_municipality).values_list(
            "area_id", "year", "group", "reports"
        )
    )
    ReportCount.objects.filter(area__municipality=demo_municipality).delete()
    result = refresh_report_counts_task.enqueue(demo_municipality.pk)
    assert DBTaskResult.objects.filter(id=result.id, status="READY").exists()
    assert not ReportCount.objects.filter(
        area__municipality=demo_municipality
    ).exists()  # not run inline
    # The worker closes "unusable" connections between tasks; inside the test's transaction that would
    # close the test's own connection on PostgreSQL, so the check is switched off for this in-process run.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    assert DBTaskResult.objects.get(id=result.id).status == "SUCCESSFUL"
    rebuilt = sorted(
        ReportCount.objects.filter(area__municipality=demo_municipality).values_list(
            "area_id", "year", "group", "reports"
        )
    )
    assert rebuilt == expected
