"""Finished work: whoever started a long computation is told when it has finished, on the next page
they open, once — and Overblik lists what finished in the last week.

An index run, a sensitivity run, a study, a spatial analysis and an import (its check, its import, its roll-back) run in the
task worker for seconds to minutes; the person who asked has usually left the page by then. Each of
those rows is a :class:`hotspot.computations.Computation`, whose ``seen_status`` is the status its
requester was last told about: :class:`FinishedWorkMiddleware` announces every row at rest whose
status differs (a message with a link) and records it as told. Opening the row's own page counts as
being told. Like Overblik, this module gathers several apps, so it sits above all of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.db.models import F, IntegerField, Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from hotspot.computations import Status
from hotspot.evaluations.models import StudyResult
from hotspot.imports.models import ImportBatch
from hotspot.imports.models import Status as ImportStatus
from hotspot.indices.models import IndexRun, SensitivityRun
from hotspot.spatial.models import SpatialRun

#: how far back a finished computation is still announced and listed on Overblik
RECENT_DAYS = 7


def _run_name(run):
    return f"{run.version.definition.name} v{run.version.number}"


def _run_url(run):
    return run.get_absolute_url()


def _sensitivity_url(sens):
    return reverse("indices:sensitivity", args=[sens.run_id]) + f"?year={sens.year}"


def _study_url(result):
    return result.study.get_absolute_url()


def _batch_name(batch):
    return batch.file_name


def _batch_url(batch):
    return batch.get_absolute_url()


@dataclass(frozen=True)
class Kind:
    """One kind of computation: its model, who asked for which status, the words per status."""

    model: type
    #: status -> the user field of the person who asked for the step that ends in it
    asked_by: dict
    #: status -> (message level, words with %(name)s)
    words: dict
    name: object
    url: object
    related: tuple = ()


KINDS = (
    Kind(
        IndexRun,
        {Status.DONE: "created_by", Status.FAILED: "created_by"},
        {
            Status.DONE: (messages.SUCCESS, _("The index %(name)s has been computed.")),
            Status.FAILED: (messages.ERROR, _("The index %(name)s could not be computed.")),
        },
        _run_name,
        _run_url,
        ("version__definition",),
    ),
    Kind(
        SensitivityRun,
        {Status.DONE: "created_by", Status.FAILED: "created_by"},
        {
            Status.DONE: (
                messages.SUCCESS,
                _("The sensitivity analysis of %(name)s has finished."),
            ),
            Status.FAILED: (
                messages.ERROR,
                _("The sensitivity analysis of %(name)s could not be computed."),
            ),
        },
        lambda s: _run_name(s.run),
        _sensitivity_url,
        ("run__version__definition",),
    ),
    Kind(
        StudyResult,
        {Status.DONE: "created_by", Status.FAILED: "created_by"},
        {
            Status.DONE: (messages.SUCCESS, _("The study %(name)s has been computed.")),
            Status.FAILED: (messages.ERROR, _("The study %(name)s could not be computed.")),
        },
        lambda r: r.study.name,
        _study_url,
        ("study",),
    ),
    Kind(
        SpatialRun,
        {Status.DONE: "created_by", Status.FAILED: "created_by"},
        {
            Status.DONE: (messages.SUCCESS, _("The spatial analysis %(name)s is done.")),
            Status.FAILED: (
                messages.ERROR,
                _("The spatial analysis %(name)s could not be computed."),
            ),
        },
        lambda r: r.get_method_display().lower(),
        lambda r: r.get_absolute_url(),
    ),
    Kind(
        ImportBatch,
        {
            ImportStatus.READY: "created_by",
            ImportStatus.INVALID: "created_by",
            ImportStatus.COMMITTED: "committed_by",
            ImportStatus.FAILED: "committed_by",
            ImportStatus.ROLLED_BACK: "rolled_back_by",
        },
        {
            ImportStatus.READY: (
                messages.INFO,
                _("The file %(name)s has been checked: read the check, then import it."),
            ),
            ImportStatus.INVALID: (
                messages.ERROR,
                _("The file %(name)s has errors and cannot be imported."),
            ),
            ImportStatus.COMMITTED: (messages.SUCCESS, _("The file %(name)s has been imported.")),
            ImportStatus.FAILED: (
                messages.ERROR,
                _("The import of %(name)s failed: nothing was changed."),
            ),
            ImportStatus.ROLLED_BACK: (
                messages.SUCCESS,
                _("The import of %(name)s has been rolled back."),
            ),
        },
        _batch_name,
        _batch_url,
    ),
)


@dataclass(frozen=True)
class Notice:
    level: int
    text: str
    url: str
    at: dt.datetime
    obj: object

    @property
    def tag(self) -> str:
        return messages.DEFAULT_TAGS.get(self.level, "info")

    def html(self):
        return format_html('{} <a href="{}">{}</a>', self.text, self.url, _("Open"))


def _rows(kind: Kind, user, municipality, *, unseen: bool):
    since = timezone.now() - dt.timedelta(days=RECENT_DAYS)
    asked = Q()
    for status, field in kind.asked_by.items():
        asked |= Q(status=status, **{field: user})
    rows = kind.model.objects.in_municipality(municipality).filter(asked, created_at__gte=since)
    if unseen:
        rows = rows.exclude(seen_status=F("status"))
    return rows


def _finished(kind: Kind, user, municipality, *, unseen: bool, pks=None):
    rows = _rows(kind, user, municipality, unseen=unseen)
    if pks is not None:
        rows = rows.filter(pk__in=pks)
    # never the stored inputs or prints (megabytes): a notice needs names and dates
    heavy = [f for f in ("inputs", "pdf", "html", "figures") if _has_field(kind.model, f)]
    return rows.select_related(*kind.related).defer(*heavy).order_by("-created_at")[:20]


def _has_field(model, name: str) -> bool:
    return any(f.name == name for f in model._meta.concrete_fields)


def _unseen_keys(user, municipality) -> dict[int, list[int]]:
    """{kind index: [pk]} of what ``user`` has not been told about, in one query (a page asks this on
    every request, so it must cost one small query and no more)."""
    parts = [
        _rows(kind, user, municipality, unseen=True)
        .annotate(notice_kind=Value(i, output_field=IntegerField()))
        .values_list("notice_kind", "pk")
        .order_by()  # a compound statement's parts take no ORDER BY
        for i, kind in enumerate(KINDS)
    ]
    found: dict[int, list[int]] = {}
    for i, pk in parts[0].union(*parts[1:], all=True):
        found.setdefault(i, []).append(pk)
    return found


def _notice(kind: Kind, obj) -> Notice:
    level, words = kind.words[obj.status]
    at = obj.finished_at or getattr(obj, "committed_at", None) or obj.created_at
    return Notice(level, str(words % {"name": kind.name(obj)}), kind.url(obj), at, obj)


def unseen(user, municipality) -> list[Notice]:
    """The finished work of ``user`` in ``municipality`` they have not been told about."""
    keys = _unseen_keys(user, municipality)
    return [
        _notice(KINDS[i], obj)
        for i, pks in sorted(keys.items())
        for obj in _finished(KINDS[i], user, municipality, unseen=True, pks=pks)
    ]


def recent(user, municipality) -> list[Notice]:
    """Overblik's list: what ``user`` started that finished in the last week, newest first."""
    found = [
        _notice(kind, obj)
        for kind in KINDS
        for obj in _finished(kind, user, municipality, unseen=False)
    ]
    return sorted(found, key=lambda n: n.at, reverse=True)[:10]


def mark_told(notices) -> None:
    """Record that the requester has been told of each notice's status."""
    for n in notices:
        type(n.obj).objects.filter(pk=n.obj.pk, status=n.obj.status).update(
            seen_status=n.obj.status
        )


class FinishedWorkMiddleware:
    """Announce finished work on the next page a person opens (after ``MunicipalityMiddleware``: it
    needs ``request.municipality``). A message added while answering a download or a feed stays in
    the message store until a page shows it; form posts are left alone (they redirect to a page)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._wanted(request):
            notices = unseen(request.user, request.municipality)
            for n in notices:
                if n.url.split("?")[0] != request.path:  # its own page shows it anyway
                    messages.add_message(request, n.level, n.html())
            mark_told(notices)
        return self.get_response(request)

    @staticmethod
    def _wanted(request) -> bool:
        return (
            request.method == "GET"
            and getattr(request, "municipality", None) is not None
            and request.user.is_authenticated
        )
