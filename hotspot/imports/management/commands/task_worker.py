"""``manage.py task_worker``: django-tasks-db's ``db_worker`` that outlives database outages.

The stock worker exits on the first ``OperationalError`` or ``InterfaceError`` that is not SQLite's
"database is locked" (a restarted PostgreSQL, a dropped connection), and nothing restarts it; the
batches it was working on then said "Importing" for good. This one runs the same loop (the same
options, the same claim of one task at a time), but on a database error it logs it, closes the
connections, waits (1, 2, 4 … up to 60 seconds) and carries on. When it starts, and every minute,
it marks import batches whose worker stopped as failed (``imports.actions.fail_stale``).
"""

from __future__ import annotations

import logging
import os
import random
import time

from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

logger = logging.getLogger("django_tasks_db")

BACKOFF_START, BACKOFF_MAX = 1.0, 60.0
SWEEP_SECONDS = 60.0


def _reset_connections() -> None:
    """Drop every connection, broken or not: the next query opens a fresh one."""
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - a broken connection may fail to close
            pass


def _sweep() -> int:
    from hotspot.imports.actions import fail_stale

    return fail_stale()


class Worker(db_worker.Worker):
    def run(self) -> None:
        logger.info(
            "Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names)
        )
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 - no thundering herd of workers
        delay = BACKOFF_START
        swept = None
        while self.running:
            try:
                if swept is None or time.monotonic() - swept > SWEEP_SECONDS:
                    if marked := _sweep():
                        logger.warning(
                            "Marked %s import batches without a worker as failed", marked
                        )
                    swept = time.monotonic()
                done, task_result = self.step()
                delay = BACKOFF_START
            except (OperationalError, InterfaceError) as exc:
                logger.warning("Database error (%s); trying again in %.0f s", exc, delay)
                _reset_connections()
                time.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            if done:
                return
            if self.running and not task_result:
                time.sleep(self.interval)

    def step(self):
        """One turn of django-tasks-db's loop: claim a ready task and run it -> (exit?, task)."""
        close_old_connections()
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        retrieved = True
        with exclusive_transaction(tasks.db):
            try:
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
            except OperationalError as exc:
                if not is_locked_database_exception(exc):
                    raise
                retrieved, task_result = False, None  # SQLite busy: try again
        if task_result is not None:
            self.run_task(task_result)
        if self.batch and retrieved and task_result is None:
            logger.info(
                "No more tasks to run for worker_id=%s - exiting gracefully.", self.worker_id
            )
            return True, None
        if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
            logger.info(
                "Run maximum tasks (%d) on worker=%s - exiting.", self._run_tasks, self.worker_id
            )
            return True, task_result
        close_old_connections()
        return False, task_result


class Command(db_worker.Command):
    help = "Run the background task worker (django-tasks-db), surviving database outages"

    def handle(self, *, verbosity, queue_name, interval, batch, backend_name, startup_delay,
               reload, max_tasks, worker_id, exclude_queues, **options):  # fmt: skip
        self.configure_logging(verbosity)
        if reload and batch:
            reload = False
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise db_worker.CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
