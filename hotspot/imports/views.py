"""Data: upload a file, read its preview and problems, commit, roll back, see the history."""

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from hotspot.accounts.access import get_for_user, require_capability
from hotspot.accounts.roles import Capability
from hotspot.imports import actions, engine, pages, statbank_pages, tasks
from hotspot.imports import statbank as statbank_sync
from hotspot.imports.forms import UploadForm
from hotspot.imports.kinds import ADAPTERS, header_key
from hotspot.imports.models import ImportBatch, ImportProblem, Kind, Status
from hotspot.reports.exports import export_response

PROBLEMS_SHOWN = 200


def _home(request, form, corrects=None):
    batches = (
        ImportBatch.objects.visible_to(request.user, Capability.IMPORT_DATA)
        .in_municipality(request.municipality)
        .select_related("created_by")[:100]
    )
    # the kind's label (a file's columns stay as the file must spell them, in <code>)
    columns = [
        (
            Kind(kind).label,
            ADAPTERS[kind].required,
            ADAPTERS[kind].optional,
            list(ADAPTERS[kind].aliases.items()),
        )
        for kind in ADAPTERS
    ]
    return render(
        request,
        "imports/home.html",
        {
            "form": form,
            "batches": batches,
            "columns": columns,
            "limit": pages.size_words(engine.max_bytes()),
            "corrects": corrects,
        },
    )


def _corrected(request):
    """The batch a corrected file replaces (``?corrects=<pk>`` from a refused batch's page), if the
    user may see it; its kind, source, licence and options fill the form."""
    try:
        pk = int(request.GET.get("corrects", ""))
    except ValueError:
        return None
    return (
        ImportBatch.objects.visible_to(request.user, Capability.IMPORT_DATA)
        .in_municipality(request.municipality)
        .filter(pk=pk)
        .first()
    )


@require_capability(Capability.IMPORT_DATA)
def home(request):
    batch = _corrected(request)
    if batch is None:
        return _home(request, UploadForm())
    options = batch.parameters or {}
    initial = {
        "kind": batch.kind,
        "source": batch.source,
        "licence": batch.licence,
        "crs": options.get("crs", ""),
        "sheet": options.get("sheet", ""),
    }
    return _home(request, UploadForm(initial=initial), corrects=batch)


@csrf_exempt  # checked below, after the size check, so an oversized body is never read
@require_capability(Capability.IMPORT_DATA)
def upload(request):
    if request.method != "POST":
        return redirect("imports:home")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > engine.max_bytes() + 1_000_000:
        form = UploadForm()
        # An unbound form has no cleaned_data, so form.add_error() raises AttributeError: set it directly.
        form.errors[NON_FIELD_ERRORS] = form.error_class(
            [
                _("The file is larger than the limit of %(limit)s MB (setting IMPORT_MAX_BYTES).")
                % {"limit": engine.mb(engine.max_bytes())}
            ],
            error_class="nonfield",
        )
        response = _home(request, form)
        response.status_code = 413
        return response
    return _upload(request)


@csrf_protect
def _upload(request):
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _home(request, form)
    data = form.cleaned_data
    upload_file = data["file"]
    try:
        batch = actions.create_batch(
            municipality=request.municipality,
            kind=data["kind"],
            file_name=upload_file.name,
            chunks=upload_file.chunks(),
            user=request.user,
            source=data["source"],
            licence=data["licence"],
            options={k: data[k] for k in ("crs", "sheet") if data[k]},
            request=request,
        )
    except engine.Refused as exc:
        form.add_error("file", exc.message)
        return _home(request, form)
    tasks.validate_task.enqueue(batch.pk)
    return redirect(batch)


def _batch(request, pk):
    return get_for_user(ImportBatch, request.user, Capability.IMPORT_DATA, pk=pk)


@require_capability(Capability.IMPORT_DATA)
def detail(request, pk):
    batch = _batch(request, pk)
    problems = list(ImportProblem.objects.filter(batch=batch)[:PROBLEMS_SHOWN])
    offence_headers = pages.offence_headers(batch.kind)
    for p in problems:
        p.names_offence = bool(offence_headers) and header_key(p.column) in offence_headers
    return render(
        request,
        "imports/detail.html",
        {
            "batch": batch,
            "problems": problems,
            "catalogue_link": any(p.names_offence for p in problems),
            "unknown_codes": pages.unknown_codes(batch),
            "problems_shown": min(PROBLEMS_SHOWN, batch.errors + batch.warnings),
            "problems_total": batch.errors + batch.warnings,
            "can_commit": batch.status == Status.READY and not batch.errors,
            "can_roll_back": batch.status == Status.COMMITTED,
            "same_file": ImportBatch.objects.visible_to(request.user, Capability.IMPORT_DATA)
            .in_municipality(batch.municipality)
            .filter(
                inputs_hash=batch.inputs_hash,
                kind=batch.kind,
                status=Status.COMMITTED,
            )
            .exclude(pk=batch.pk)
            .first(),
        },
    )


@require_capability(Capability.IMPORT_DATA)
@require_POST
def commit(request, pk):
    batch = _batch(request, pk)
    try:
        actions.start_commit(batch, request.user)
    except actions.ImportRefused as exc:
        messages.error(request, str(exc))
        return redirect(batch)
    tasks.commit_task.enqueue(batch.pk, request.user.pk)
    return redirect(batch)


@require_capability(Capability.IMPORT_DATA)
@require_POST
def rollback(request, pk):
    batch = _batch(request, pk)
    try:
        actions.start_rollback(batch, request.user)
    except actions.ImportRefused as exc:
        messages.error(request, str(exc))
        return redirect(batch)
    tasks.rollback_task.enqueue(batch.pk, request.user.pk)  # long work: the task worker's
    return redirect(batch)


PROBLEM_COLUMNS = [
    (gettext_lazy("file"), lambda p: p.batch.file_name),
    (gettext_lazy("row"), "row"),
    (gettext_lazy("column"), "column"),
    (gettext_lazy("severity"), lambda p: p.get_severity_display()),
    (gettext_lazy("reason"), "reason"),
    (gettext_lazy("value"), "value"),
]


@require_capability(Capability.IMPORT_DATA)
def problems_export(request, pk, fmt):
    batch = _batch(request, pk)
    problems = ImportProblem.objects.filter(batch=batch).select_related("batch")
    return export_response(
        request, list(problems), PROBLEM_COLUMNS, f"problems-{batch.pk}", fmt,
        municipality=batch.municipality, obj=batch,
    )  # fmt: skip


BATCH_COLUMNS = [
    (gettext_lazy("batch"), "pk"),
    (gettext_lazy("kind of data"), lambda b: b.get_kind_display()),
    (gettext_lazy("file name"), "file_name"),
    (gettext_lazy("SHA-256"), "inputs_hash"),
    (gettext_lazy("uploaded"), "created_at"),
    (gettext_lazy("uploaded by"), lambda b: b.created_by.get_username() if b.created_by else ""),
    (gettext_lazy("status"), lambda b: b.get_status_display()),
    (gettext_lazy("rows read"), "rows"),
    (gettext_lazy("errors"), "errors"),
    (gettext_lazy("warnings"), "warnings"),
    (gettext_lazy("new rows"), "rows_created"),
    (gettext_lazy("changed rows"), "rows_updated"),
    (gettext_lazy("unchanged rows"), "rows_unchanged"),
    (gettext_lazy("imported"), "committed_at"),
    (gettext_lazy("rolled back"), "rolled_back_at"),
    (gettext_lazy("source"), "source"),
    (gettext_lazy("licence"), "licence"),
]


@require_capability(Capability.IMPORT_DATA)
def batches_export(request, fmt):
    batches = (
        ImportBatch.objects.visible_to(request.user, Capability.IMPORT_DATA)
        .in_municipality(request.municipality)
        .select_related("created_by")
    )
    return export_response(
        request, list(batches), BATCH_COLUMNS, "import-batches", fmt,
        object_type="imports.importbatch",
    )  # fmt: skip


# Statistics Denmark: for the roles that import (a fetch is an import batch of the municipality).
@require_capability(Capability.IMPORT_DATA)
def statbank(request):
    return render(
        request,
        "imports/statbank.html",
        statbank_pages.statbank_page(request.municipality, request.user),
    )


@require_capability(Capability.IMPORT_DATA)
@require_POST
def statbank_fetch(request):
    """Queue a fetch of every configured table; the task worker does the work."""
    try:
        batch = statbank_sync.queue_fetch(request.municipality, user=request.user, request=request)
    except statbank_sync.FetchRefused as exc:
        messages.error(request, exc.message)
        return redirect("imports:statbank")
    tasks.fetch_statbank_task.enqueue(batch.pk)
    messages.info(
        request,
        _("The fetch from Statistics Denmark has started as batch #%(pk)s.") % {"pk": batch.pk},
    )
    return redirect("imports:statbank")
