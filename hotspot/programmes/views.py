"""Programme pages. Thin: fetch through the access helpers, take the page's context from ``pages``
and render; or validate a form, call an action and redirect."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hotspot.accounts.access import get_for_user, require_capability
from hotspot.accounts.roles import Capability
from hotspot.programmes import actions, forms, inputs, pages
from hotspot.programmes.models import (
    ActionPlan,
    Challenge,
    ChangeNode,
    Decision,
    DecisionKind,
    Goal,
    Group,
    Initiative,
    Meeting,
    Place,
    Programme,
    Task,
)
from hotspot.reports.exports import file_response

VIEW = Capability.VIEW_AGGREGATES
MANAGE = Capability.MANAGE_PROGRAMMES


def _programme(request, pk, capability=VIEW):
    return get_for_user(Programme, request.user, capability, pk=pk)


def _page(request, template, programme, tab, *, http_status=200, **context):
    return render(
        request,
        template,
        {
            "programme": programme,
            "tab": tab,
            "can_manage": pages.can_manage(request.user, programme),
            **context,
        },
        status=http_status,
    )


def _form_page(request, form, *, title, back, programme=None, intro="", conflict=None, status=200):
    return render(
        request,
        "programmes/form.html",
        {
            "form": form,
            "title": title,
            "back": back,
            "programme": programme,
            "intro": intro,
            "conflict": conflict,
            "conflict_rows": pages.conflict_rows(form, conflict),
        },
        status=status,
    )


def _post(request):
    return request.POST if request.method == "POST" else None


def _save_versioned(request, form, rebuild):
    """Save ``form`` through ``actions.save_versioned`` (optimistic locking, as for action plans and
    tasks) -> (saved object or None, conflict or None, form). On a conflict nothing is written, and the
    form is rebuilt by ``rebuild(data, instance)`` with this user's input on the version now stored, so
    that the next save starts from it."""
    try:
        obj = actions.save_versioned(
            form,
            expected_version=form.cleaned_data.get("version") or 0,
            actor=request.user,
            request=request,
        )
    except actions.Conflict as exc:
        data = request.POST.copy()
        data["version"] = exc.current.version
        form = rebuild(data, exc.current)
        form.is_valid()
        return None, exc.current, form
    return obj, None, form


# --- programmes ------------------------------------------------------------------------------------


@require_capability(VIEW)
def programme_list(request):
    rows = pages.programme_list(request.user, request.municipality)
    return render(
        request,
        "programmes/programme_list.html",
        {"rows": rows, "can_manage": request.membership.can(MANAGE)},
    )


@require_capability(MANAGE)
def programme_new(request):
    form = forms.ProgrammeForm(_post(request), municipality=request.municipality)
    if form.is_valid():
        programme = actions.save_form(
            form, actor=request.user, request=request, municipality=request.municipality
        )
        messages.success(request, _("Programme created. Now add its challenges."))
        return redirect(programme)
    return _form_page(request, form, title=_("New programme"), back=reverse("programmes:list"))


@require_capability(VIEW)
def programme_detail(request, pk):
    programme = _programme(request, pk)
    return _page(
        request,
        "programmes/programme_detail.html",
        programme,
        "purposes",
        challenges=programme.challenges.all(),
        matrix=pages.matrix(programme),
        recent_updates=pages.recent_updates(programme)
        if pages.can_manage(request.user, programme)
        else None,
    )


@require_capability(MANAGE)
def programme_edit(request, pk):
    programme = _programme(request, pk, MANAGE)
    form = forms.ProgrammeForm(
        _post(request), instance=programme, municipality=programme.municipality
    )
    conflict = None
    if form.is_valid():
        saved, conflict, form = _save_versioned(
            request,
            form,
            lambda data, current: forms.ProgrammeForm(
                data, instance=current, municipality=programme.municipality
            ),
        )
        if saved is not None:
            messages.success(request, _("Programme saved."))
            return redirect(programme)
    return _form_page(
        request,
        form,
        title=_("Edit programme"),
        back=programme.get_absolute_url(),
        programme=programme,
        intro=pages.approval_notice(programme),
        conflict=conflict,
        status=409 if conflict else 200,
    )


@require_capability(MANAGE)
def challenge_new(request, pk):
    programme = _programme(request, pk, MANAGE)
    initial = {"number": programme.challenges.count() + 1}
    form = forms.ChallengeForm(_post(request), initial=initial)
    if form.is_valid():
        actions.save_form(form, actor=request.user, request=request, programme=programme)
        return redirect(programme)
    return _form_page(
        request,
        form,
        title=_("Add a challenge"),
        back=programme.get_absolute_url(),
        programme=programme,
    )


@require_capability(MANAGE)
def weights_edit(request, pk):
    programme = _programme(request, pk, MANAGE)
    form = forms.WeightsForm(_post(request), programme=programme)
    if form.is_valid():
        actions.set_weights(programme, form.weights(), actor=request.user, request=request)
        messages.success(request, _("Weights saved."))
        return redirect(reverse("programmes:matrix", args=[programme.pk]))
    return _page(request, "programmes/weights_form.html", programme, "matrix", form=form)


@require_capability(VIEW)
def core_areas(request):
    return render(
        request,
        "programmes/core_areas.html",
        {
            "core_areas": inputs.core_areas_for(request.municipality),
            "can_manage": request.membership.can(MANAGE),
        },
    )


@require_capability(MANAGE)
def core_area_new(request):
    form = forms.CoreAreaForm(_post(request), municipality=request.municipality)
    if form.is_valid():
        actions.save_form(
            form, actor=request.user, request=request, municipality=request.municipality
        )
        return redirect("programmes:core_areas")
    return _form_page(
        request, form, title=_("Add a core area"), back=reverse("programmes:core_areas")
    )


# --- initiatives and matrix ------------------------------------------------------------------------


@require_capability(VIEW)
def matrix(request, pk):
    programme = _programme(request, pk)
    initiatives = programme.initiatives.prefetch_related("core_areas", "funders")
    return _page(
        request,
        "programmes/matrix.html",
        programme,
        "matrix",
        matrix=pages.matrix(programme),
        initiatives=initiatives,
    )


@require_capability(MANAGE)
def initiative_new(request, pk):
    programme = _programme(request, pk, MANAGE)
    form = forms.InitiativeForm(_post(request), municipality=programme.municipality)
    if form.is_valid():
        actions.save_form(form, actor=request.user, request=request, programme=programme)
        return redirect(reverse("programmes:matrix", args=[programme.pk]))
    return _form_page(
        request,
        form,
        title=_("Add an initiative"),
        back=reverse("programmes:matrix", args=[programme.pk]),
        programme=programme,
    )


@require_capability(MANAGE)
def initiative_edit(request, pk):
    initiative = get_for_user(Initiative, request.user, MANAGE, pk=pk)
    programme = initiative.programme
    form = forms.InitiativeForm(
        _post(request), instance=initiative, municipality=programme.municipality
    )
    if form.is_valid():
        actions.save_form(form, actor=request.user, request=request)
        return redirect(reverse("programmes:matrix", args=[programme.pk]))
    return _form_page(
        request,
        form,
        title=_("Edit initiative"),
        back=reverse("programmes:matrix", args=[programme.pk]),
        programme=programme,
    )


@require_capability(MANAGE)
def initiative_delete(request, pk):
    initiative = get_for_user(Initiative, request.user, MANAGE, pk=pk)
    programme = initiative.programme
    dependants = actions.initiative_dependants(initiative)
    if request.method == "POST":
        try:
            actions.delete_initiative(initiative, actor=request.user, request=request)
        except actions.HasDependants as exc:
            dependants = exc.dependants
        else:
            messages.success(request, _("Initiative deleted."))
            return redirect(reverse("programmes:matrix", args=[programme.pk]))
    return _page(
        request,
        "programmes/initiative_delete.html",
        programme,
        "matrix",
        initiative=initiative,
        dependants=dependants,
        http_status=409 if dependants and request.method == "POST" else 200,
    )


# --- theory of change ------------------------------------------------------------------------------


@require_capability(VIEW)
def theory(request, pk):
    programme = _programme(request, pk)
    graphs = pages.theory_layouts(programme)
    return _page(request, "programmes/theory.html", programme, "theory", graphs=graphs)


@require_capability(MANAGE)
def node_new(request, pk):
    challenge = get_for_user(Challenge, request.user, MANAGE, pk=pk)
    programme = challenge.programme
    form = forms.NodeForm(_post(request), challenge=challenge)
    if form.is_valid():
        actions.save_node(form, challenge=challenge, actor=request.user, request=request)
        return redirect(
            reverse("programmes:theory", args=[programme.pk]) + f"#challenge-{challenge.pk}"
        )
    return _form_page(
        request,
        form,
        title=_("Add a step to the theory of change"),
        back=reverse("programmes:theory", args=[programme.pk]),
        programme=programme,
        intro=str(challenge),
    )


@require_capability(MANAGE)
def node_edit(request, pk):
    node = get_for_user(ChangeNode, request.user, MANAGE, pk=pk)
    challenge = node.theory.challenge
    programme = challenge.programme
    back = reverse("programmes:theory", args=[programme.pk])
    if request.method == "POST" and "delete" in request.POST:
        actions.delete_node(node, actor=request.user, request=request)
        return redirect(back)
    form = forms.NodeForm(_post(request), instance=node, challenge=challenge)
    if form.is_valid():
        actions.save_form(form, actor=request.user, request=request)
        return redirect(back + f"#challenge-{challenge.pk}")
    return _form_page(
        request,
        form,
        title=_("Edit a step of the theory of change"),
        back=back,
        programme=programme,
        intro=str(challenge),
    )


# --- goals -----------------------------------------------------------------------------------------


@require_capability(VIEW)
def goals(request, pk):
    programme = _programme(request, pk)
    return _page(request, "programmes/goals.html", programme, "goals", **pages.goals(programme))


@require_capability(VIEW)
def goal_detail(request, pk):
    goal = get_for_user(Goal, request.user, VIEW, pk=pk)
    value_form = forms.GoalValueForm() if goal.measure == "own" else None
    return _page(
        request,
        "programmes/goal_detail.html",
        goal.programme,
        "goals",
        goal=goal,
        **pages.goal_detail(goal),
        value_form=value_form,
    )


@require_capability(MANAGE)
def goal_new(request, pk):
    programme = _programme(request, pk, MANAGE)
    form = forms.GoalForm(_post(request), programme=programme)
    if form.is_valid():
        goal = actions.save_form(form, actor=request.user, request=request, programme=programme)
        return redirect(goal)
    return _form_page(
        request,
        form,
        title=_("Add a goal"),
        back=reverse("programmes:goals", args=[programme.pk]),
        programme=programme,
        intro=_(
            "Every goal has an indicator, a baseline value and date, and a target with a deadline "
            "after the baseline."
        ),
    )


@require_capability(MANAGE)
def goal_edit(request, pk):
    goal = get_for_user(Goal, request.user, MANAGE, pk=pk)
    form = forms.GoalForm(_post(request), instance=goal, programme=goal.programme)
    conflict = None
    if form.is_valid():
        saved, conflict, form = _save_versioned(
            request,
            form,
            lambda data, current: forms.GoalForm(data, instance=current, programme=goal.programme),
        )
        if saved is not None:
            return redirect(goal)
    return _form_page(
        request,
        form,
        title=_("Edit goal"),
        back=goal.get_absolute_url(),
        programme=goal.programme,
        conflict=conflict,
        status=409 if conflict else 200,
    )


@require_capability(MANAGE)
def goal_value_new(request, pk):
    goal = get_for_user(Goal, request.user, MANAGE, pk=pk)
    form = forms.GoalValueForm(_post(request))
    if form.is_valid():
        if goal.values.filter(date=form.cleaned_data["date"]).exists():
            form.add_error("date", _("There is a value for this date already."))
        else:
            actions.save_form(form, actor=request.user, request=request, goal=goal)
            return redirect(goal)
    return _form_page(
        request,
        form,
        title=_("Record a value"),
        back=goal.get_absolute_url(),
        programme=goal.programme,
    )


# --- action plans and tasks ------------------------------------------------------------------------


@require_capability(VIEW)
def plans(request, pk):
    programme = _programme(request, pk)
    return _page(request, "programmes/plans.html", programme, "plans", **pages.plans(programme))


@require_capability(VIEW)
def plan_detail(request, pk):
    plan = get_for_user(ActionPlan, request.user, VIEW, pk=pk)
    return _page(
        request, "programmes/plan_detail.html", plan.programme, "plans", **pages.plan_detail(plan)
    )


@require_capability(MANAGE)
def plan_new(request, pk):
    programme = _programme(request, pk, MANAGE)
    form = forms.NewActionPlanForm(_post(request), programme=programme)
    if form.is_valid():
        plan = actions.create_plan_with_focus_areas(
            form, form.focus_titles(), programme=programme, actor=request.user, request=request
        )
        return redirect(plan)
    return _form_page(
        request,
        form,
        title=_("New action plan"),
        back=reverse("programmes:plans", args=[programme.pk]),
        programme=programme,
    )


@require_capability(MANAGE)
def plan_edit(request, pk):
    plan = get_for_user(ActionPlan, request.user, MANAGE, pk=pk)
    form = forms.ActionPlanForm(_post(request), instance=plan, programme=plan.programme)
    conflict = None
    if form.is_valid():
        saved, conflict, form = _save_versioned(
            request,
            form,
            lambda data, current: forms.ActionPlanForm(
                data, instance=current, programme=plan.programme
            ),
        )
        if saved is not None:
            messages.success(request, _("Action plan saved."))
            return redirect(plan)
    return _form_page(
        request,
        form,
        title=_("Edit action plan"),
        back=plan.get_absolute_url(),
        programme=plan.programme,
        intro=pages.approval_notice(plan.programme, plan),
        conflict=conflict,
        status=409 if conflict else 200,
    )


@require_capability(MANAGE)
def focus_new(request, pk):
    plan = get_for_user(ActionPlan, request.user, MANAGE, pk=pk)
    form = forms.FocusAreaForm(
        _post(request),
        programme=plan.programme,
        initial={"number": plan.focus_areas.count() + 1},
    )
    if form.is_valid():
        actions.save_form(form, actor=request.user, request=request, plan=plan)
        return redirect(plan)
    return _form_page(
        request,
        form,
        title=_("Add a focus area"),
        back=plan.get_absolute_url(),
        programme=plan.programme,
    )


@require_capability(MANAGE)
def task_new(request, pk):
    plan = get_for_user(ActionPlan, request.user, MANAGE, pk=pk)
    form = forms.TaskForm(_post(request), plan=plan)
    if form.is_valid():
        actions.save_form(
            form, actor=request.user, request=request, plan=plan, programme=plan.programme
        )
        return redirect(plan)
    return _form_page(
        request, form, title=_("Add a task"), back=plan.get_absolute_url(), programme=plan.programme
    )


@require_capability(MANAGE)
def task_edit(request, pk):
    task = get_for_user(Task, request.user, MANAGE, pk=pk)
    plan = task.plan
    back = (
        plan.get_absolute_url() if plan else reverse("programmes:plans", args=[task.programme_id])
    )
    if plan is None:
        plan = ActionPlan(programme=task.programme)
    form = forms.TaskForm(_post(request), instance=task, plan=plan)
    conflict = None
    if form.is_valid():
        saved, conflict, form = _save_versioned(
            request,
            form,
            lambda data, current: forms.TaskForm(data, instance=current, plan=plan),
        )
        if saved is not None:
            return redirect(back)
    return _form_page(
        request,
        form,
        title=_("Edit task"),
        back=back,
        programme=task.programme,
        conflict=conflict,
        status=409 if conflict else 200,
    )


@require_POST
@require_capability(VIEW)
def task_status(request, pk):
    """Mark a task's status: the coordinator, or the person the task is assigned to."""
    task = get_for_user(Task, request.user, VIEW, pk=pk)
    if not (pages.can_manage(request.user, task.programme) or task.owner_id == request.user.pk):
        raise PermissionDenied
    form = forms.TaskStatusForm(request.POST)
    back = request.POST.get("next", "")
    if not back.startswith("/") or back.startswith("//"):
        back = task.plan.get_absolute_url() if task.plan else reverse("programmes:my_tasks")
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
        return redirect(back)
    try:
        actions.set_task_status(
            task,
            form.cleaned_data["status"],
            expected_version=form.cleaned_data["version"],
            actor=request.user,
            request=request,
        )
    except actions.Conflict as exc:
        messages.error(
            request,
            _(
                "Someone else changed this task while you were looking at it; it is now “%(status)s”. "
                "Nothing was changed: check it and try again."
            )
            % {"status": exc.current.get_status_display()},
        )
    else:
        messages.success(request, _("Task updated."))
    return redirect(back)


@require_capability(VIEW)
def my_tasks(request):
    context = pages.my_tasks(request.user, request.municipality)
    return render(request, "programmes/my_tasks.html", context)


@require_capability(VIEW)
def my_organisation(request, *, bound=None, status=200):
    """The tasks the organisation of the member's membership owns, each with a progress form."""
    context = pages.my_organisation(request.user, request.municipality, bound=bound)
    return render(request, "programmes/my_organisation.html", context, status=status)


@require_POST
@require_capability(VIEW)
def task_progress(request, pk):
    """A member reports on a task their organisation owns: another municipality's task is 404, a task
    the organisation does not own 403 (audited by ``actions.report_progress``)."""
    task = get_for_user(Task, request.user, VIEW, pk=pk)
    membership = request.user.membership_for(task.programme.municipality_id)
    # the refusal (and its audit row) comes before any word on the input
    actions.ensure_owned(task, membership=membership, user=request.user, request=request)
    form = forms.TaskProgressForm(request.POST)
    if not form.is_valid():
        return my_organisation(request, bound={task.pk: form}, status=400)
    data = form.cleaned_data
    actions.report_progress(
        task,
        membership=membership,
        user=request.user,
        status=data["status"],
        note=data["note"],
        activities=data["activities"],
        participants=data["participants"],
        request=request,
    )
    messages.success(request, _("Your report on “%(task)s” is saved.") % {"task": task.title})
    return redirect(reverse("programmes:my_organisation") + f"#task-{task.pk}")


@require_capability(MANAGE)
def overdue(request):
    context = pages.overdue(request.user, request.municipality)
    return render(request, "programmes/overdue.html", context)


# --- places ----------------------------------------------------------------------------------------


@require_capability(VIEW)
def places(request, pk):
    programme = _programme(request, pk)
    return _page(request, "programmes/places.html", programme, "places", **pages.places(programme))


@require_capability(MANAGE)
def place_new(request, pk):
    programme = _programme(request, pk, MANAGE)
    form = forms.PlaceForm(_post(request))
    if form.is_valid():
        x, y = form.cleaned_data["point"]
        try:
            actions.add_place(
                programme,
                user=request.user,
                request=request,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                x=x,
                y=y,
                note=form.cleaned_data["note"],
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Place saved."))
            return redirect(reverse("programmes:places", args=[programme.pk]))
    return _page(
        request,
        "programmes/place_form.html",
        programme,
        "places",
        form=form,
        **pages.place_form(programme),
    )


@require_POST
@require_capability(MANAGE)
def place_delete(request, pk):
    place = get_for_user(Place, request.user, MANAGE, pk=pk)
    programme = place.programme
    actions.delete_place(place, user=request.user, request=request)
    messages.success(request, _("Place deleted."))
    return redirect(reverse("programmes:places", args=[programme.pk]))


# --- budget ----------------------------------------------------------------------------------------


@require_capability(VIEW)
def budget(request, pk):
    programme = _programme(request, pk)
    return _page(
        request, "programmes/budget.html", programme, "budget", budget=inputs.budget(programme)
    )


def _budget_form(request, pk, form_class, title, **assign_extra):
    programme = _programme(request, pk, MANAGE)
    if form_class is forms.FunderForm:
        form = form_class(_post(request), municipality=programme.municipality)
        assign = {"municipality": programme.municipality}
    else:
        form = form_class(_post(request), programme=programme)
        assign = {"programme": programme}
    if form.is_valid():
        actions.save_form(form, actor=request.user, request=request, **assign)
        return redirect(reverse("programmes:budget", args=[programme.pk]))
    return _form_page(
        request,
        form,
        title=title,
        back=reverse("programmes:budget", args=[programme.pk]),
        programme=programme,
    )


@require_capability(MANAGE)
def funder_new(request, pk):
    return _budget_form(request, pk, forms.FunderForm, _("Add a funder"))


@require_capability(MANAGE)
def grant_new(request, pk):
    return _budget_form(request, pk, forms.GrantForm, _("Add a grant"))


@require_capability(MANAGE)
def budget_line_new(request, pk):
    return _budget_form(request, pk, forms.BudgetLineForm, _("Add a budget line"))


@require_capability(MANAGE)
def spend_new(request, pk):
    return _budget_form(request, pk, forms.SpendForm, _("Record spend"))


# --- groups and meetings ---------------------------------------------------------------------------


@require_capability(VIEW)
def groups(request, pk):
    programme = _programme(request, pk)
    return _page(
        request,
        "programmes/groups.html",
        programme,
        "groups",
        groups=programme.groups.prefetch_related("members__core_area", "meetings"),
        board=pages.board_check(programme),
        today=inputs.today(),
    )


@require_capability(MANAGE)
def group_new(request, pk):
    programme = _programme(request, pk, MANAGE)
    form = forms.GroupForm(_post(request))
    if form.is_valid():
        actions.save_form(form, actor=request.user, request=request, programme=programme)
        return redirect(reverse("programmes:groups", args=[programme.pk]))
    return _form_page(
        request,
        form,
        title=_("Add a group"),
        back=reverse("programmes:groups", args=[programme.pk]),
        programme=programme,
    )


@require_capability(MANAGE)
def member_new(request, pk):
    group = get_for_user(Group, request.user, MANAGE, pk=pk)
    programme = group.programme
    form = forms.MemberForm(_post(request), programme=programme)
    if form.is_valid():
        actions.save_form(form, actor=request.user, request=request, group=group)
        return redirect(reverse("programmes:groups", args=[programme.pk]) + f"#group-{group.pk}")
    return _form_page(
        request,
        form,
        title=_("Add a member"),
        back=reverse("programmes:groups", args=[programme.pk]),
        programme=programme,
        intro=str(group),
    )


@require_capability(MANAGE)
def meeting_new(request, pk):
    group = get_for_user(Group, request.user, MANAGE, pk=pk)
    form = forms.MeetingForm(_post(request))
    if form.is_valid():
        meeting = actions.create_meeting(form, group=group, actor=request.user, request=request)
        return redirect(meeting)
    return _form_page(
        request,
        form,
        title=_("Plan a meeting"),
        back=reverse("programmes:groups", args=[group.programme_id]),
        programme=group.programme,
        intro=str(group),
    )


@require_capability(VIEW)
def meeting_detail(request, pk):
    meeting = get_for_user(Meeting, request.user, VIEW, pk=pk)
    return _page(
        request,
        "programmes/meeting_detail.html",
        meeting.group.programme,
        "groups",
        meeting=meeting,
        rows=pages.meeting_rows(meeting),
        decision_form=forms.DecisionForm(),
        action_kind=DecisionKind.ACTION,
    )


@require_capability(MANAGE)
def meeting_edit(request, pk):
    meeting = get_for_user(Meeting, request.user, MANAGE, pk=pk)
    form = forms.MinutesForm(_post(request), instance=meeting)
    conflict = None
    if form.is_valid():
        saved, conflict, form = _save_versioned(
            request, form, lambda data, current: forms.MinutesForm(data, instance=current)
        )
        if saved is not None:
            return redirect(meeting)
    return _form_page(
        request,
        form,
        title=_("Agenda and minutes"),
        back=meeting.get_absolute_url(),
        programme=meeting.group.programme,
        intro=str(meeting),
        conflict=conflict,
        status=409 if conflict else 200,
    )


@require_capability(MANAGE)
def decision_new(request, pk):
    meeting = get_for_user(Meeting, request.user, MANAGE, pk=pk)
    form = forms.DecisionForm(_post(request))
    if form.is_valid():
        actions.save_form(form, actor=request.user, request=request, meeting=meeting)
        return redirect(meeting)
    return _form_page(
        request,
        form,
        title=_("Record a decision or action item"),
        back=meeting.get_absolute_url(),
        programme=meeting.group.programme,
    )


@require_capability(MANAGE)
def decision_task(request, pk):
    decision = get_for_user(Decision, request.user, MANAGE, pk=pk)
    meeting = decision.meeting
    programme = meeting.group.programme
    if decision.kind != DecisionKind.ACTION:
        messages.error(request, _("Only action items become tasks."))
        return redirect(meeting)
    initial = {"due": inputs.today() + dt.timedelta(days=14), "plan": programme.plans.first()}
    form = forms.ActionItemTaskForm(_post(request), programme=programme, initial=initial)
    if form.is_valid():
        actions.decision_to_task(
            decision,
            plan=form.cleaned_data["plan"],
            owner=form.cleaned_data["owner"],
            owner_name=form.cleaned_data["owner_name"],
            due=form.cleaned_data["due"],
            actor=request.user,
            request=request,
        )
        messages.success(request, _("The action item is now a task."))
        return redirect(meeting)
    return _form_page(
        request,
        form,
        title=_("Make the action item a task"),
        back=meeting.get_absolute_url(),
        programme=programme,
        intro=decision.text,
    )


# --- council approval ------------------------------------------------------------------------------


def _approval_page(
    request, programme, *, submit_form=None, decide_form=None, refusal=None, status=200
):
    return _page(
        request,
        "programmes/approval.html",
        programme,
        "approval",
        http_status=status,
        submit_form=submit_form or forms.ApprovalSubjectForm(programme=programme),
        decide_form=decide_form
        or forms.ApprovalDecisionForm(
            programme=programme, initial={"body": programme.approved_by or _("The city council")}
        ),
        refusal=refusal,
        **pages.approval(programme),
    )


@require_capability(VIEW)
def approval(request, pk):
    return _approval_page(request, _programme(request, pk))


@require_capability(VIEW)
def approval_detail(request, pk, approval_pk):
    """One step of the approval, read-only: the frozen copy of what was submitted or approved."""
    programme = _programme(request, pk)
    step = get_object_or_404(programme.approvals.select_related("plan"), pk=approval_pk)
    return _page(
        request,
        "programmes/approval_detail.html",
        programme,
        "approval",
        step=step,
        snapshot=pages.snapshot_for_reading(step.snapshot),
    )


@require_POST
@require_capability(MANAGE)
def approval_submit(request, pk):
    programme = _programme(request, pk, MANAGE)
    form = forms.ApprovalSubjectForm(request.POST, programme=programme)
    if not form.is_valid():
        return _approval_page(request, programme, submit_form=form)
    try:
        step = actions.submit_for_approval(
            programme, plan=form.cleaned_data["plan"], user=request.user, request=request
        )
    except actions.ApprovalRefused as exc:
        return _approval_page(
            request, programme, submit_form=form, refusal=pages.refusal(exc), status=409
        )
    messages.success(
        request,
        _("Version %(version)s of “%(what)s” is submitted to the council.")
        % {"version": step.version, "what": step.subject},
    )
    return redirect(reverse("programmes:approval", args=[programme.pk]))


@require_POST
@require_capability(MANAGE)
def approval_decide(request, pk):
    programme = _programme(request, pk, MANAGE)
    form = forms.ApprovalDecisionForm(request.POST, programme=programme)
    if not form.is_valid():
        return _approval_page(request, programme, decide_form=form)
    data = form.cleaned_data
    try:
        step = actions.record_decision(
            programme,
            plan=data["plan"],
            decision=data["decision"],
            case_number=data["case_number"],
            decided_on=data["decided_on"],
            body=data["body"],
            note=data["note"],
            user=request.user,
            request=request,
        )
    except actions.ApprovalRefused as exc:
        return _approval_page(
            request, programme, decide_form=form, refusal=pages.refusal(exc), status=409
        )
    messages.success(
        request,
        _("The council's decision on version %(version)s is recorded: %(decision)s.")
        % {"version": step.version, "decision": step.get_decision_display().lower()},
    )
    return redirect(reverse("programmes:approval", args=[programme.pk]))


# --- reports ---------------------------------------------------------------------------------------


@require_capability(VIEW)
def report(request, pk):
    programme = _programme(request, pk)
    context = pages.report_context(programme, request.user)
    del context["programme"]
    return _page(request, "programmes/report.html", programme, "report", **context)


@require_capability(VIEW)
def report_pdf(request, pk):
    from hotspot.reports.pdf import pdf_response

    programme = _programme(request, pk)
    return pdf_response(
        "programmes/report_pdf.html",
        pages.report_context(programme, request.user),
        request=request,
        obj=programme,
        municipality=programme.municipality,
        filename=f"programme-{programme.name}",
    )


@require_capability(VIEW)
def tables_xlsx(request, pk):
    programme = _programme(request, pk)
    data, sheets = pages.tables_xlsx(programme, request.user)
    return file_response(
        request,
        data,
        f"programme-{programme.pk}.xlsx",
        count=sheets,
        obj=programme,
        municipality=programme.municipality,
    )
