"""Stored computations: one model shape and one lifecycle for work the task worker does.

An index run, a sensitivity run, a study result and an import batch (and the spatial runs to come) are
each a row that is queued by a request, worked on by the task worker and then holds either a result or
the reason there is none. They share one abstract model, :class:`Computation`:

========================  =====================================================================
``status``                ``Status`` (queued, running, done, failed); an import batch has its own
                          finer steps (checking, ready, importing …) in the same field
``progress``              0–100 while it runs, for the progress bar
``heartbeat``             the worker's last sign of life (a silent row at work has lost its worker)
``error``                 why there is no result, in words for the user
``parameters``            what the computation was asked to do (JSON)
``inputs_hash``           SHA-256 of the exact inputs (the panel, the uploaded file)
``method_version``        ``safetystats.__version__``: the version of the methods that computed it
``library_versions``      {package: version} of what computed it (Python, numpy, scipy …)
``created_by/_at``        who asked, when
``finished_at``           when it was done or failed
``seen_status``           the status its requester was told about on a later page (``notices``)
========================  =====================================================================

and one lifecycle, written only by these functions (no app updates a status field itself):
``start`` (the worker takes it), ``set_progress`` (a step further; also the sign of life), ``finish``
(the result is stored) and ``fail`` (the reason is stored). Each saves only the fields it changes, so a
row can be followed while the worker writes it. Auditing stays with the caller, who knows the purpose;
``finish_audited``/``fail_audited`` write the task's audit row with the purpose the caller names.
"""

from __future__ import annotations

import platform

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.models import TenantModel


class Status(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Could not be computed")


def method_version() -> str:
    """The version of the statistics library's methods, as results store it."""
    import safetystats

    return safetystats.__version__


def library_versions() -> dict:
    """{package: version} of what computes results: stored with every computation."""
    import numpy
    import scipy
    import shapely

    import safetystats

    return {
        "python": platform.python_version(),
        "safetystats": safetystats.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "shapely": shapely.__version__,
    }


class Computation(TenantModel):
    """The shape of every stored computation (see the module's docstring)."""

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    heartbeat = models.DateTimeField(_("last sign of life"), null=True, blank=True, editable=False)
    error = models.TextField(_("problem"), blank=True)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    inputs_hash = models.CharField(_("inputs hash (SHA-256)"), max_length=64, blank=True)
    method_version = models.CharField(_("method version"), max_length=40, blank=True)
    library_versions = models.JSONField(_("library versions"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    #: the status the person who asked was last told about (``hotspot.notices``): a finished
    #: computation whose status differs is announced on their next page, once
    seen_status = models.CharField(max_length=20, blank=True, editable=False)

    #: The status values of a finished computation and of one that failed (an import batch has its own).
    done_status = Status.DONE
    failed_status = Status.FAILED

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]


def _save(obj: Computation, fields: dict) -> list[str]:
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save(update_fields=list(fields))
    return list(fields)


def start(obj: Computation, *, status: str = Status.RUNNING, progress: int = 0) -> list[str]:
    """The worker takes ``obj``: it runs (or is in ``status``, an import batch's step)."""
    return _save(obj, {"status": status, "progress": progress, "heartbeat": timezone.now()})


def set_progress(obj: Computation, progress: int, *, status: str | None = None) -> list[str]:
    """A step further (0–100), which is also the worker's sign of life; not audited."""
    fields = {"progress": max(0, min(100, int(progress))), "heartbeat": timezone.now()}
    if status:
        fields["status"] = status
    return _save(obj, fields)


def finish(obj: Computation, *, status: str | None = None, **result) -> list[str]:
    """The result is stored: ``result`` names the model's own result fields (figures, inputs …).

    Sets the method and library versions of this process unless ``result`` gives them."""
    fields = {
        "method_version": method_version(),
        "library_versions": library_versions(),
        **result,
        "status": status or obj.done_status,
        "progress": 100,
        "error": "",
        "heartbeat": timezone.now(),
        "finished_at": timezone.now(),
    }
    return _save(obj, fields)


def fail(obj: Computation, error: str, *, status: str | None = None, **result) -> list[str]:
    """No result: ``error`` says why, in words for the user (never a stack trace)."""
    fields = {
        **result,
        "status": status or obj.failed_status,
        "error": error,
        "heartbeat": timezone.now(),
        "finished_at": timezone.now(),
    }
    return _save(obj, fields)


def _recorded(obj, fields, *, municipality, purpose) -> list[str]:
    from hotspot.audit.actions import record
    from hotspot.audit.models import Action

    record(
        Action.UPDATE,
        municipality=municipality,
        obj=obj,
        purpose=purpose,
        fields=fields,
        username="task",
    )
    return fields


def finish_audited(obj: Computation, *, municipality, purpose: str, **result) -> list[str]:
    """:func:`finish` and the task's audit row (``purpose`` as the app states it), in one transaction."""
    from django.db import transaction

    with transaction.atomic():
        return _recorded(obj, finish(obj, **result), municipality=municipality, purpose=purpose)


def fail_audited(
    obj: Computation, error: str, *, municipality, purpose: str, **result
) -> list[str]:
    """:func:`fail` and the task's audit row, in one transaction."""
    from django.db import transaction

    with transaction.atomic():
        return _recorded(
            obj, fail(obj, error, **result), municipality=municipality, purpose=purpose
        )
