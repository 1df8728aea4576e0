"""Evaluation pages: the list, the new-study form, a study's result, its PDF report and its panel.

Views are thin: they fetch through ``get_for_user``/``visible_to``/``request.municipality``, hand state
changes to ``actions``, take the page's context from ``pages`` and render; the studies run in
``tasks``.
"""

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _

from hotspot.accounts.access import get_for_user, require_capability
from hotspot.accounts.roles import Capability
from hotspot.evaluations import actions, pages
from hotspot.evaluations.inputs import StudyInputError
from hotspot.evaluations.models import Study
from hotspot.evaluations.pages import CREATE
from hotspot.reports.exports import export_response
from hotspot.reports.pdf import pdf_response


def _can_create(request) -> bool:
    return pages.can_create(getattr(request, "membership", None))


@require_capability(Capability.VIEW_AGGREGATES)
def study_list(request):
    studies = (
        Study.objects.visible_to(request.user)
        .in_municipality(request.municipality)
        .prefetch_related("results")
    )
    context = pages.study_list(list(studies), can_create=_can_create(request))
    return render(request, "evaluations/study_list.html", context)


@require_capability(CREATE)
def study_new(request):
    new = pages.new_study(request.municipality, request.POST.getlist("treated"))
    if request.method != "POST":
        pk = request.GET.get("programme", "")
        programme = None
        if pk:
            programme = get_object_or_404(new.programmes, pk=int(pk) if pk.isdigit() else 0)
        context = pages.blank_study_context(new, programme)
        return render(request, "evaluations/study_form.html", context)
    form = new.form(request.POST)
    step = request.POST.get("step", "create")
    choice, suggested = None, False
    if form.is_valid():
        try:
            choice = pages.study_choice(new, form, suggest=step == "suggest")
            if step == "suggest":
                form, suggested = pages.suggested_form(new, request.POST, choice), True
            else:
                study = actions.create_study(
                    municipality=new.municipality,
                    user=request.user,
                    request=request,
                    **pages.study_arguments(form, choice),
                )
                messages.success(request, _("The study was created. Run it to see the result."))
                return redirect(study.get_absolute_url())
        except ValueError as exc:  # a StudyInputError, or the matching library's refusal
            pages.add_form_error(form, exc)
    context = pages.new_study_context(new, form, choice, suggested=suggested)
    return render(request, "evaluations/study_form.html", context)


@require_capability(Capability.VIEW_AGGREGATES)
def study_detail(request, pk):
    study = get_for_user(Study, request.user, Capability.VIEW_AGGREGATES, pk=pk)
    return render(request, "evaluations/study_detail.html", pages.study_detail(study, request.user))


@require_capability(CREATE)
def study_edit(request, pk):
    """Change a study's name, period, design, inference, ring or seed; delete it from the same page."""
    study = get_for_user(Study, request.user, CREATE, pk=pk)
    form = pages.study_edit_form(study, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            changed = actions.update_study(
                study, form.cleaned_data, user=request.user, request=request
            )
        except StudyInputError as exc:
            form.add_error(None, str(exc))
        else:
            if changed:
                messages.success(
                    request, _("The study was changed. Run it again for a new result.")
                )
            return redirect(study.get_absolute_url())
    return render(request, "evaluations/study_edit.html", {"study": study, "form": form})


@require_capability(CREATE)
def study_delete(request, pk):
    study = get_for_user(Study, request.user, CREATE, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        actions.delete_study(study, user=request.user, request=request)
    except StudyInputError as exc:
        messages.error(request, str(exc))
        return redirect(study.get_absolute_url())
    messages.success(request, _("The study %(name)s was deleted.") % {"name": study.name})
    return redirect("evaluations:list")


@require_capability(CREATE)
def study_run(request, pk):
    study = get_for_user(Study, request.user, CREATE, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    actions.start_run(study, user=request.user, request=request)
    return redirect(study.get_absolute_url() + "#result")


@require_capability(Capability.VIEW_AGGREGATES)
def study_pdf(request, pk):
    study = get_for_user(Study, request.user, Capability.VIEW_AGGREGATES, pk=pk)
    return pdf_response(
        "evaluations/study_pdf.html",
        pages.study_report(study, request.user),
        request=request,
        obj=study,
        municipality=study.municipality,
        fields=["report_pdf"],
        filename=f"evaluation-{study.name}",
    )


@require_capability(CREATE)
def study_panel_export(request, pk, fmt):
    """The area x year panel the study used (aggregates with counts and denominators), audited."""
    study = get_for_user(Study, request.user, CREATE, pk=pk)
    try:
        rows, columns = pages.panel_export(study)
    except StudyInputError as exc:
        messages.error(request, str(exc))
        return redirect(study.get_absolute_url())
    return export_response(
        request,
        rows,
        columns,
        f"panel-{slugify(study.name) or study.pk}",
        fmt,
        municipality=study.municipality,
        obj=study,
    )
