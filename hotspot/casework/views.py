"""Casework pages: only members with view_person_data (coordinator, caseworker, police) get in.

Thin: fetch through the access helpers (another municipality's object -> 404, a role without the
capability -> 403), call ``pages``/``actions``, render or redirect. Every page that shows a case writes a
read row, every search a search row. CPR numbers and names are sensitive POST parameters: never in an
error report, never in a URL.
"""

import functools

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from hotspot.accounts.access import get_for_user, require_capability
from hotspot.accounts.roles import Capability
from hotspot.casework import actions, forms, pages, tasks
from hotspot.casework.models import (
    Case,
    CaseworkSettings,
    ConcernMeeting,
    FollowUpItem,
    FollowUpRule,
    ListEntry,
    PriorityList,
    week_of,
)
from hotspot.casework.pseudonym import person_key
from hotspot.programmes.models import Programme

PERSON = Capability.VIEW_PERSON_DATA


def _get(request, model, pk, capability=PERSON):
    """``get_for_user`` that writes an access-denied audit row (model and id only) before the 404 of an
    id the user may not reach: another municipality's, or none."""
    try:
        return get_for_user(model, request.user, capability, pk=pk)
    except Http404:
        actions.audit_denied(model, pk, actor=request.user, request=request)
        raise


def _post(request):
    return request.POST if request.method == "POST" else None


def _submit(request, form, write, *, done: str = "") -> bool:
    """Whether ``form`` is valid and ``write(form.cleaned_data)`` (a call of an action) went through,
    then with the message ``done`` where given; the action's ValidationError is put on the form
    (``forms.add_errors``) and gives False."""
    if not form.is_valid():
        return False
    try:
        write(form.cleaned_data)
    except ValidationError as exc:
        forms.add_errors(form, exc)
        return False
    if done:
        messages.success(request, done)
    return True


def _form_page(request, form, *, title, programme, back, intro=""):
    return render(
        request,
        "casework/form.html",
        {"form": form, "title": title, "programme": programme, "back": back, "intro": intro},
    )


def _programmes(request):
    return Programme.objects.visible_to(request.user, PERSON).in_municipality(request.municipality)


@require_capability(PERSON)
def home(request):
    return render(request, "casework/home.html", {"programmes": _programmes(request)})


@require_capability(PERSON)
def programme(request, pk):
    programme = _get(request, Programme, pk)
    lists = pages.programme_lists(programme)
    cases = list(programme.cases.all())
    actions.audit_read(
        programme,
        municipality=programme.municipality,
        actor=request.user,
        request=request,
        count=len(cases),
        fields=["alias", "kind"],
    )
    return render(
        request,
        "casework/programme.html",
        {"programme": programme, "lists": lists, "cases": cases},
    )


@require_capability(PERSON)
def list_new(request, pk):
    programme = _get(request, Programme, pk)
    form = forms.PriorityListForm(_post(request), programme=programme)
    if form.is_valid():
        actions.save_form(
            form,
            municipality=programme.municipality,
            actor=request.user,
            request=request,
            programme=programme,
        )
        return redirect("casework:programme", programme.pk)
    return _form_page(
        request,
        form,
        title=_("New priority list"),
        programme=programme,
        back=reverse("casework:programme", args=[programme.pk]),
    )


@sensitive_variables("data")
def _create_case(request, programme, created, data):
    """``actions.create_case`` from the new-case form's data; the CPR number and the name stay out of
    an error report (``sensitive_variables``)."""
    created.append(
        actions.create_case(
            programme,
            cpr=data["cpr"],
            alias=data["alias"],
            kind=data["kind"],
            legal_basis=data["legal_basis"],
            consent_date=data.get("consent_date"),
            social_note=data.get("social_note", ""),
            name=data.get("name", ""),
            actor=request.user,
            request=request,
        )
    )


@sensitive_post_parameters("cpr", "name")
@require_capability(PERSON)
def case_new(request, pk):
    programme = _get(request, Programme, pk)
    store_names = CaseworkSettings.stores_names(programme.municipality)
    form = forms.CaseForm(_post(request), store_names=store_names)
    created = []
    if _submit(request, form, functools.partial(_create_case, request, programme, created)):
        return redirect(created[0])
    return _form_page(
        request,
        form,
        title=_("New case"),
        programme=programme,
        back=reverse("casework:programme", args=[programme.pk]),
    )


@require_capability(PERSON)
def case(request, pk):
    case = _get(request, Case.objects.select_related("programme"), pk)
    context = pages.case_context(case, request.user)
    actions.audit_read(
        case,
        municipality=case.programme.municipality,
        actor=request.user,
        request=request,
        fields=context["fields"],
    )
    return render(request, "casework/case.html", {"programme": case.programme, **context})


@require_capability(PERSON)
def entry_new(request, pk):
    priority_list = _get(request, PriorityList.objects.select_related("programme"), pk)
    form = forms.EntryForm(_post(request), priority_list=priority_list)
    entered = _submit(
        request,
        form,
        lambda data: actions.enter_list(
            priority_list,
            data["case"],
            entered_on=data["entered_on"],
            reason=data["entry_reason"],
            actor=request.user,
            request=request,
        ),
        done=_("The case is on the list."),
    )
    if entered:
        return redirect("casework:programme", priority_list.programme_id)
    return _form_page(
        request,
        form,
        title=_("Put a case on the list"),
        programme=priority_list.programme,
        back=reverse("casework:programme", args=[priority_list.programme_id]),
        intro=str(priority_list),
    )


@require_capability(PERSON)
def entry_end(request, pk):
    entry = _get(request, ListEntry.objects.select_related("priority_list__programme", "case"), pk)
    programme = entry.priority_list.programme
    form = forms.LeaveForm(_post(request))
    left = _submit(
        request,
        form,
        lambda data: actions.leave_list(
            entry,
            left_on=data["left_on"],
            reason=data["exit_reason"],
            actor=request.user,
            request=request,
        ),
    )
    if left:
        return redirect("casework:programme", programme.pk)
    return _form_page(
        request,
        form,
        title=_("Take a case off the list"),
        programme=programme,
        back=reverse("casework:programme", args=[programme.pk]),
        intro=f"{entry.case.alias} · {entry.priority_list.get_kind_display()}",
    )


@require_capability(PERSON)
def followup_new(request, pk):
    case = _get(request, Case.objects.select_related("programme"), pk)
    form = forms.FollowUpForm(_post(request))
    recorded = _submit(
        request,
        form,
        lambda data: actions.record_follow_up(
            case,
            week=data["week"],
            status=data["status"],
            responsible_agency=data["responsible_agency"],
            actions_agreed=data["actions_agreed"],
            next_step=data["next_step"],
            actor=request.user,
            request=request,
        ),
    )
    if recorded:
        return redirect(case)
    return _form_page(
        request,
        form,
        title=_("Weekly follow-up"),
        programme=case.programme,
        back=case.get_absolute_url(),
        intro=case.alias,
    )


@require_capability(PERSON)
def agreement_new(request, pk):
    case = _get(request, Case.objects.select_related("programme"), pk)
    form = forms.AgreementForm(_post(request))
    if form.is_valid():
        actions.save_form(
            form,
            municipality=case.programme.municipality,
            actor=request.user,
            request=request,
            case=case,
        )
        return redirect(case)
    return _form_page(
        request,
        form,
        title=_("New agreement"),
        programme=case.programme,
        back=case.get_absolute_url(),
        intro=case.alias,
    )


#: The fields of a queue item the queue page shows (for its audit row).
QUEUE_FIELDS = [
    "source",
    "crime_report",
    "sent_on",
    "sent_by_agency",
    "case",
    "deadline",
    "owning_agency",
]


@require_capability(PERSON)
def queue(request, pk):
    """The follow-up queue of a programme. A POST ("Fetch new reports") has the task worker add the
    police reports the rule takes (tasks.generate_queue_task)."""
    programme = _get(request, Programme, pk)
    if request.method == "POST":
        tasks.generate_queue_task.enqueue(programme.pk, request.user.pk)
        messages.success(
            request,
            _("The new police reports are being fetched; reload the page in a moment."),
        )
        return redirect("casework:queue", programme.pk)
    context = pages.queue(programme, actions.danish_today())
    actions.audit_read(
        programme,
        municipality=programme.municipality,
        actor=request.user,
        request=request,
        count=len(context["rows"]),
        fields=["alias"] + QUEUE_FIELDS,
    )
    return render(
        request,
        "casework/queue.html",
        {"programme": programme, "rule": actions.rule_for(programme), **context},
    )


@require_capability(PERSON)
def rule_edit(request, pk):
    programme = _get(request, Programme, pk)
    rule = FollowUpRule.objects.filter(programme=programme).first()
    form = forms.FollowUpRuleForm(_post(request), instance=rule)
    if form.is_valid():
        actions.save_form(
            form,
            municipality=programme.municipality,
            actor=request.user,
            request=request,
            programme=programme,
        )
        return redirect("casework:queue", programme.pk)
    return _form_page(
        request,
        form,
        title=_("Follow-up rule"),
        programme=programme,
        back=reverse("casework:queue", args=[programme.pk]),
    )


@require_capability(PERSON)
def notification_new(request, pk):
    programme = _get(request, Programme, pk)
    form = forms.NotificationForm(_post(request), programme=programme)
    recorded = _submit(
        request,
        form,
        lambda data: actions.record_notification(
            programme,
            sent_on=data["sent_on"],
            sent_by_agency=data["sent_by_agency"],
            case=data.get("case"),
            legal_basis=data.get("legal_basis", ""),
            consent_date=data.get("consent_date"),
            owning_agency=data.get("owning_agency", ""),
            actor=request.user,
            request=request,
        ),
    )
    if recorded:
        return redirect("casework:queue", programme.pk)
    return _form_page(
        request,
        form,
        title=_("New notification"),
        programme=programme,
        back=reverse("casework:queue", args=[programme.pk]),
        intro=_(
            "Only that a notification was sent, when and by whom; its content stays in the "
            "municipality's own system."
        ),
    )


@require_capability(PERSON)
def item_respond(request, pk):
    item = _get(request, FollowUpItem.objects.select_related("programme", "case"), pk)
    programme = item.programme
    fields = ["source", "deadline", "owning_agency"] + (["alias"] if item.case_id else [])
    actions.audit_read(
        item,
        municipality=programme.municipality,
        actor=request.user,
        request=request,
        fields=fields,
    )
    form = forms.RespondForm(_post(request))
    answered = _submit(
        request,
        form,
        lambda data: actions.respond(
            item,
            responded_on=data["responded_on"],
            response=data["response"],
            actor=request.user,
            request=request,
        ),
    )
    if answered:
        return redirect("casework:queue", programme.pk)
    intro = f"{item.get_source_display()} · {item.case.alias}" if item.case_id else str(item)
    return _form_page(
        request,
        form,
        title=_("Respond to a queue item"),
        programme=programme,
        back=reverse("casework:queue", args=[programme.pk]),
        intro=intro,
    )


@require_capability(PERSON)
def meetings(request, pk):
    programme = _get(request, Programme, pk)
    rows = pages.meetings(programme)
    actions.audit_read(
        programme,
        municipality=programme.municipality,
        actor=request.user,
        request=request,
        count=len(rows),
        fields=["alias"],
    )
    can_plan = request.membership.can(Capability.MANAGE_PROGRAMMES)
    return render(
        request,
        "casework/meetings.html",
        {"programme": programme, "meetings": rows, "can_plan": can_plan},
    )


@require_capability(PERSON)
def meeting_new(request, pk):
    programme = _get(request, Programme, pk)
    form = forms.MeetingForm(_post(request), programme=programme)
    recorded = _submit(
        request,
        form,
        lambda data: actions.record_meeting(
            programme,
            date=data["date"],
            participants=data["participants"],
            cases=data["cases"],
            decisions=data["decisions"],
            actor=request.user,
            request=request,
        ),
    )
    if recorded:
        return redirect("casework:meetings", programme.pk)
    return _form_page(
        request,
        form,
        title=_("New concern meeting"),
        programme=programme,
        back=reverse("casework:meetings", args=[programme.pk]),
    )


@require_capability(Capability.MANAGE_PROGRAMMES)
def meeting_task_new(request, pk):
    """A decision of a concern meeting becomes a task of an action plan: for those who both see the
    meeting (view_person_data) and change programmes (manage_programmes)."""
    meeting = _get(request, ConcernMeeting.objects.select_related("programme"), pk)
    programme = meeting.programme
    form = forms.MeetingTaskForm(_post(request), meeting=meeting)
    made = _submit(
        request,
        form,
        lambda data: actions.meeting_task(
            meeting,
            plan=data["plan"],
            title=data["title"],
            due=data["due"],
            owner_name=data["owner_name"],
            actor=request.user,
            request=request,
        ),
        done=_("The decision is a task of the action plan."),
    )
    if made:
        return redirect("casework:meetings", programme.pk)
    intro = _("Concern meeting %(date)s") % {"date": formats.date_format(meeting.date)}
    if not form.fields["plan"].queryset.exists():
        intro = _("The programme has no action plan yet: make one under the programme first.")
    return _form_page(
        request,
        form,
        title=_("Make a task of a decision"),
        programme=programme,
        back=reverse("casework:meetings", args=[programme.pk]),
        intro=intro,
    )


@require_capability(PERSON)
def overdue(request):
    rows = pages.overdue_cases(_programmes(request))
    actions.audit_read(
        None,
        municipality=request.municipality,
        actor=request.user,
        request=request,
        count=len(rows),
        fields=["alias"],
    )
    return render(request, "casework/overdue.html", {"rows": rows, "week": week_of()})


@sensitive_post_parameters("cpr")
@require_capability(PERSON)
def search(request):
    form = forms.SearchForm(_post(request))
    results = None
    if form.is_valid():
        cases = Case.objects.filter(programme__in=_programmes(request)).select_related("programme")
        if form.cleaned_data.get("cpr"):
            cases = cases.filter(person_key=person_key(form.cleaned_data["cpr"]))
        if form.cleaned_data.get("alias"):
            cases = cases.filter(alias__icontains=form.cleaned_data["alias"])
        results = list(cases)
        criteria = ["person_key" if name == "cpr" else name for name in form.criteria()]
        actions.audit_search(
            municipality=request.municipality,
            criteria=criteria,
            count=len(results),
            actor=request.user,
            request=request,
        )
        form = forms.SearchForm(initial={"alias": form.cleaned_data.get("alias", "")})
    return render(request, "casework/search.html", {"form": form, "results": results})


@require_capability(Capability.VIEW_AGGREGATES)
def summary(request, pk):
    """Counts by week for partners and the board (and everyone with aggregates): no alias, no person,
    small counts hidden."""
    programme = _get(request, Programme, pk, Capability.VIEW_AGGREGATES)
    return render(
        request,
        "casework/summary.html",
        {"programme": programme, **pages.weekly_summary(programme)},
    )


@sensitive_post_parameters("cpr")
@require_capability(Capability.VIEW_AUDIT)
def subject_extract(request):
    """The data protection officer's extract for one person: the dates, actions and purposes of every
    audit row about the person's cases, without staff names. The CPR number is hashed on entry and
    never shown back; the extract is itself audited (purpose oversight)."""
    form = forms.SubjectForm(_post(request))
    rows = cases = None
    if form.is_valid():
        cases = list(
            Case.objects.visible_to(request.user, Capability.VIEW_AUDIT)
            .in_municipality(request.municipality)
            .filter(person_key=person_key(form.cleaned_data["cpr"]))
        )
        rows = pages.subject_extract(cases, request.user)
        actions.audit_extract(
            municipality=request.municipality,
            count=len(cases),
            actor=request.user,
            request=request,
        )
        form = forms.SubjectForm()
    return render(
        request,
        "casework/subject_extract.html",
        {"form": form, "rows": rows, "found": None if cases is None else len(cases)},
    )
