"""Signals about crime reports, for the apps above incidents that keep work per report."""

from django.dispatch import Signal

#: Sent in the task worker after a municipality's crime reports or the areas they lie in changed (an
#: import of reports or areas committed or rolled back: ``imports.tasks.refresh_figures_task``), once
#: the report summary is rebuilt. Keyword argument: ``municipality_id``. Receivers must be cheap (enqueue
#: their own task) and idempotent: the signal may come twice for one change.
reports_changed = Signal()
