"""Council approval: a programme (and each year's action plan) is submitted, then approved with the
council's case number and date or sent back; the approved version is frozen and kept, later changes make
a new draft, and the report shows what changed since the approval."""

import datetime as dt

import pytest
from django.urls import reverse

from hotspot.audit.models import AuditEvent
from hotspot.programmes import actions, pages
from hotspot.programmes.models import (
    Approval,
    ApprovalDecision,
    ApprovalIsFrozen,
    Initiative,
    Programme,
    ProgrammeStatus,
)
from hotspot.programmes.tests.access import make_programme

D = dt.date
CASE = "BR 123/2008"


@pytest.fixture
def objs(demo_municipality):
    return make_programme(demo_municipality)


def _url(name, programme, *extra):
    return reverse(f"programmes:{name}", args=[programme.pk, *extra])


def _decide(client, programme, *, decision="approved", case=CASE, date="2008-11-27", plan=""):
    return client.post(
        _url("approval_decide", programme),
        {
            "plan": plan,
            "decision": decision,
            "case_number": case,
            "decided_on": date,
            "body": "Borgerrepræsentationen",
        },
    )


def _approve(client, programme, plan=""):
    assert client.post(_url("approval_submit", programme), {"plan": plan}).status_code == 302
    assert _decide(client, programme, plan=plan).status_code == 302


def _edit_initiative(client, objs, **changes):
    from hotspot.programmes.models import CoreArea

    data = {
        "name": "SSP",
        "owner": "Kommunen",
        "level": "family",
        "core_areas": [str(CoreArea.objects.get(code="1a", municipality__isnull=True).pk)],
        "evidence": "none",
        **changes,
    }
    url = reverse("programmes:initiative_edit", args=[objs["initiative"].pk])
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    return response


def _programme_form_data(programme, **changes):
    data = {
        "name": programme.name,
        "areas": [str(a.pk) for a in programme.areas.all()],
        "start": programme.start.isoformat(),
        "end": programme.end.isoformat(),
        "purpose_short": programme.purpose_short,
        "purpose_long": programme.purpose_long,
        "status": programme.status,
        "approved_on": programme.approved_on.isoformat() if programme.approved_on else "",
        "approved_by": programme.approved_by,
        "version": str(programme.version),
    }
    data.update(changes)
    return data


def test_submit_and_approve_with_case_number_freezes_the_version(login, coordinator, objs):
    p = objs["programme"]
    client = login(coordinator)
    assert client.post(_url("approval_submit", p), {"plan": ""}).status_code == 302
    submitted = Approval.objects.get(programme=p)
    assert (submitted.decision, submitted.version, submitted.plan) == ("submitted", 1, None)
    assert submitted.snapshot["name"] == "Testprogram"
    assert [i["name"] for i in submitted.snapshot["initiatives"]] == ["SSP"]
    assert submitted.snapshot["goals"][0] == {
        "title": "Fritidsjob",
        "measure": "own",
        "baseline_value": 5,
        "baseline_date": "2010-07-01",
        "target_value": 40,
        "deadline": "2014-12-31",
    }
    assert submitted.snapshot["areas"] == [{"code": a.code, "name": a.name} for a in p.areas.all()]

    assert _decide(client, p).status_code == 302
    p.refresh_from_db()
    assert p.status == ProgrammeStatus.APPROVED
    assert p.approved_on == D(2008, 11, 27) and p.approved_by == "Borgerrepræsentationen"
    approved = Approval.objects.get(programme=p, decision=ApprovalDecision.APPROVED)
    assert approved.case_number == CASE and approved.decided_on == D(2008, 11, 27)
    assert approved.version == 1 and approved.snapshot == submitted.snapshot

    page = client.get(_url("approval", p)).content.decode()
    assert CASE in page and 'id="approval-history"' in page
    assert approved.get_absolute_url() in page
    detail = client.get(approved.get_absolute_url())
    assert detail.status_code == 200 and "Fritidsjob" in detail.content.decode()
    shown = detail.context["snapshot"]
    assert shown["start"] == D(2010, 7, 1) and shown["goals"][0]["deadline"] == D(2014, 12, 31)
    assert shown["initiatives"][0]["level"] == "Family and individual"
    assert approved.snapshot["start"] == "2010-07-01"  # stored as it was

    # both steps audited (field names only), and the programme's change
    rows = AuditEvent.objects.filter(object_type="programmes.approval", action="create")
    assert {r.object_id for r in rows} == {str(submitted.pk), str(approved.pk)}
    assert "case_number" in rows.get(object_id=str(approved.pk)).fields
    assert CASE not in str(list(rows.values_list("fields", flat=True)))
    change = AuditEvent.objects.filter(
        object_type="programmes.programme", object_id=str(p.pk), action="update"
    ).latest("seq")
    assert set(change.fields) == {"approved_on", "approved_by", "status"}


def test_an_approval_without_a_case_number_is_refused(login, coordinator, objs):
    p = objs["programme"]
    client = login(coordinator)
    client.post(_url("approval_submit", p), {"plan": ""})
    response = _decide(client, p, case="  ")
    assert response.status_code == 200
    assert "case_number" in response.context["decide_form"].errors
    assert not Approval.objects.filter(programme=p, decision="approved").exists()
    p.refresh_from_db()
    assert p.status == ProgrammeStatus.DRAFT and p.approved_on is None
    # the action refuses it too, whoever calls it
    with pytest.raises(ValueError, match="case number"):
        actions.record_decision(
            p, decision="approved", case_number="", decided_on=D(2008, 1, 1), user=coordinator
        )
    with pytest.raises(ValueError, match="date"):
        actions.record_decision(
            p, decision="sent_back", case_number="", decided_on=None, user=coordinator
        )


def test_a_decision_without_a_submission_is_refused(coordinator, objs):
    with pytest.raises(actions.ApprovalRefused, match="Submit it first"):
        actions.record_decision(
            objs["programme"],
            decision="approved",
            case_number=CASE,
            decided_on=D(2008, 11, 27),
            user=coordinator,
        )


def test_sent_back_stays_a_draft_and_a_changed_version_can_be_submitted_again(
    login, coordinator, objs
):
    p = objs["programme"]
    client = login(coordinator)
    client.post(_url("approval_submit", p), {"plan": ""})
    assert _decide(client, p, decision="sent_back", case="").status_code == 302
    step = Approval.objects.filter(programme=p).latest("pk")
    assert step.decision == "sent_back" and step.snapshot == {}
    p.refresh_from_db()
    assert p.status == ProgrammeStatus.DRAFT and p.approved_on is None
    # the same version again: refused, with the way to the draft
    again = client.post(_url("approval_submit", p), {"plan": ""})
    assert again.status_code == 409
    assert reverse("programmes:edit", args=[p.pk]) in again.content.decode()
    # an initiative changed: a new draft (version 2), which can be submitted
    _edit_initiative(client, objs, name="SSP+")
    p.refresh_from_db()
    assert p.version == 2
    assert client.post(_url("approval_submit", p), {"plan": ""}).status_code == 302
    assert Approval.objects.filter(programme=p).latest("pk").version == 2


def test_editing_the_approved_programme_makes_a_new_draft(login, coordinator, objs):
    p = objs["programme"]
    client = login(coordinator)
    _approve(client, p)
    p.refresh_from_db()
    approved = Approval.objects.get(programme=p, decision="approved")
    frozen = dict(approved.snapshot)
    url = reverse("programmes:edit", args=[p.pk])

    notice = client.get(url).content.decode()
    assert "Approved on" in notice and f"(case {CASE})" in notice
    assert "Saving makes a new draft (version 2)" in notice

    saved = client.post(url, _programme_form_data(p, purpose_short="Nyt formål"))
    assert saved.status_code == 302
    p.refresh_from_db()
    assert p.version == 2 and p.status == ProgrammeStatus.DRAFT
    assert p.purpose_short == "Nyt formål"
    approved.refresh_from_db()
    assert approved.snapshot == frozen and approved.snapshot["purpose_short"] == ""
    assert approved.version == 1
    # a second change stays in the same draft
    _edit_initiative(client, objs, owner="Politiet")
    p.refresh_from_db()
    assert p.version == 2
    assert [r["name"] for r in actions.changes_since_approval(p)] == [
        "short-term purpose",
        "SSP",
    ]
    # the edit page no longer warns: the draft is not the approved version
    assert f"(case {CASE})" not in client.get(url).content.decode()


def test_a_status_change_alone_keeps_the_approved_version(login, coordinator, objs):
    p = objs["programme"]
    client = login(coordinator)
    _approve(client, p)
    p.refresh_from_db()
    url = reverse("programmes:edit", args=[p.pk])
    assert client.post(url, _programme_form_data(p, status="running")).status_code == 302
    p.refresh_from_db()
    assert p.status == ProgrammeStatus.RUNNING and not actions.changes_since_approval(p)


def test_a_decided_version_cannot_be_changed_and_the_refusal_links_to_the_draft(
    login, coordinator, objs
):
    p = objs["programme"]
    client = login(coordinator)
    _approve(client, p)
    approved = Approval.objects.get(programme=p, decision="approved")

    # a second decision on the approved version: refused, nothing stored, link to the new draft
    refused = _decide(client, p, case="BR 999/2009", date="2009-01-15")
    assert refused.status_code == 409
    page = refused.content.decode()
    assert 'id="approval-refused"' in page and "frozen" in page
    assert f'href="{reverse("programmes:edit", args=[p.pk])}"' in page
    assert "saving makes a new draft (version 2)" in page
    assert Approval.objects.filter(programme=p).count() == 2
    approved.refresh_from_db()
    assert approved.case_number == CASE

    # once the draft exists, the link goes to it
    client.post(
        reverse("programmes:edit", args=[p.pk]),
        _programme_form_data(Programme.objects.get(pk=p.pk), name="Testprogram 2"),
    )
    with pytest.raises(actions.ApprovalRefused) as exc:
        actions.record_decision(
            p,
            decision="approved",
            case_number="BR 999/2009",
            decided_on=D(2009, 1, 15),
            user=coordinator,
        )
    assert exc.value.url == p.get_absolute_url() and "version 2" in exc.value.link_text

    # the stored record itself cannot be altered
    approved.case_number = "BR 1/2000"
    with pytest.raises(ApprovalIsFrozen):
        approved.save()
    approved.refresh_from_db()
    assert approved.case_number == CASE

    # the read-only page of the approval has no form of its own
    detail = client.get(approved.get_absolute_url()).content.decode()
    plain = client.get(reverse("programmes:detail", args=[p.pk])).content.decode()
    assert detail.count("<form") == plain.count("<form")
    assert "approval-decide-form" not in detail


def test_the_report_shows_the_approval_and_the_changes_since(login, coordinator, objs):
    p = objs["programme"]
    client = login(coordinator)
    _approve(client, p)
    report = client.get(reverse("programmes:report", args=[p.pk])).content.decode()
    assert CASE in report and 'id="report-no-changes"' in report

    Initiative.objects.create(programme=p, name="Natteravne", owner="Frivillige", level="family")
    goal = objs["goal"]
    goal.target_value = 50
    goal.save()
    objs["challenge"].delete()
    rows = {(r["part"], r["name"], r["change"]) for r in actions.changes_since_approval(p)}
    assert rows == {
        ("initiative", "Natteravne", "added"),
        ("goal", "Fritidsjob", "changed"),
        ("challenge", "Høj kriminalitet", "removed"),
    }
    changed = next(r for r in actions.changes_since_approval(p) if r["change"] == "changed")
    assert changed["fields"] == ["target"] and (changed["before"], changed["after"]) == (
        "40",
        "50",
    )
    report = client.get(reverse("programmes:report", args=[p.pk])).content.decode()
    assert 'id="report-changes"' in report and "Natteravne" in report
    pdf = client.get(reverse("programmes:report_pdf", args=[p.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_compare_snapshots_on_awkward_lists():
    """Repeated names are told apart by their position; an empty snapshot against a full one."""
    before = {
        "kind": "programme",
        "name": "P",
        "initiatives": [
            {"name": "SSP", "owner": "A", "level": "family", "core_areas": ["1a"]},
            {"name": "SSP", "owner": "B", "level": "family", "core_areas": []},
        ],
    }
    after = {**before, "initiatives": [before["initiatives"][0]]}
    rows = actions.compare_snapshots(before, after)
    assert [(r["name"], r["change"]) for r in rows] == [("SSP", "removed")]
    assert actions.compare_snapshots(before, before) == []
    rows = actions.compare_snapshots({"kind": "programme"}, before)
    assert [(r["name"], r["change"]) for r in rows] == [
        ("name", "changed"),
        ("SSP", "added"),
        ("SSP", "added"),
    ]


def test_the_report_gives_the_baseline_safety_index_score(objs, coordinator):
    """The last year of the index's latest run before the programme starts, read independently from the
    stored scores of the programme's (directly scored) area."""
    from hotspot.indices.inputs import latest_run
    from hotspot.indices.models import SafetyIndex, SafetyScore

    p = objs["programme"]
    area = p.areas.get()
    context = pages.report_context(p, coordinator)
    assert context["baseline_scores"]
    for row in context["baseline_scores"]:
        index = SafetyIndex.objects.get(pk=row["index"].pk)
        run = latest_run(index.current)
        assert row["year"] == max(y for y in run.years if y < p.start.year)
        stored = SafetyScore.objects.get(run=run, area=area, year=row["year"]).score
        assert row["scores"] == [(area, pytest.approx(stored, abs=0.005))]


def test_an_action_plan_is_approved_on_its_own(login, coordinator, objs):
    p, plan = objs["programme"], objs["plan"]
    client = login(coordinator)
    _approve(client, p, plan=str(plan.pk))
    step = Approval.objects.get(plan=plan, decision="approved")
    assert step.snapshot["title"] == "Handlingsplan"
    assert step.snapshot["tasks"] == [
        {"title": "Opgave", "owner": "", "due": "2011-01-01", "focus_area": None}
    ]
    p.refresh_from_db()
    assert (
        p.status == ProgrammeStatus.DRAFT and p.approved_on is None
    )  # the plan's, not the programme's
    edit = reverse("programmes:plan_edit", args=[plan.pk])
    assert "Saving makes a new draft (version 2)" in client.get(edit).content.decode()
    # a task's status is follow-up, not the plan's content: no new draft
    client.post(
        reverse("programmes:task_status", args=[objs["task"].pk]),
        {"status": "done", "version": "1"},
    )
    plan.refresh_from_db()
    assert plan.version == 1
    client.post(
        reverse("programmes:task_new", args=[plan.pk]),
        {"title": "Ny opgave", "due": "2011-03-01", "status": "open"},
    )
    plan.refresh_from_db()
    assert plan.version == 2
    assert [(r["name"], r["change"]) for r in actions.changes_since_approval(p, plan)] == [
        ("Ny opgave", "added")
    ]
    step.refresh_from_db()
    assert len(step.snapshot["tasks"]) == 1


def test_only_the_coordinator_submits_and_decides(login, coordinator, member, outsider, objs):
    p = objs["programme"]
    for role in ("partner", "board"):
        client = login(member(role))
        page = client.get(_url("approval", p))
        assert page.status_code == 200 and b"approval-submit-form" not in page.content
        assert client.post(_url("approval_submit", p), {"plan": ""}).status_code == 403
        assert _decide(client, p).status_code == 403
    client = login(outsider)
    assert client.get(_url("approval", p)).status_code == 404
    assert client.post(_url("approval_submit", p), {"plan": ""}).status_code == 404
    assert _decide(client, p).status_code == 404
    assert not Approval.objects.filter(programme=p).exists()
    # an approval of another programme is not found under this one
    other = Programme.objects.create(
        municipality=p.municipality, name="Andet", start=D(2011, 1, 1), end=D(2012, 1, 1)
    )
    step = actions.submit_for_approval(other, user=coordinator)
    client = login(coordinator)
    assert client.get(_url("approval_detail", p, step.pk)).status_code == 404


def test_approving_after_a_change_keeps_the_submitted_version(login, coordinator, objs):
    """The council approves what it got: a change made while the submission waited is a new draft."""
    p = objs["programme"]
    client = login(coordinator)
    client.post(_url("approval_submit", p), {"plan": ""})
    _edit_initiative(client, objs, owner="Politiet")
    assert _decide(client, p).status_code == 302
    p.refresh_from_db()
    assert p.version == 2 and p.status == ProgrammeStatus.DRAFT and p.approved_on
    step = Approval.objects.get(programme=p, decision="approved")
    assert step.version == 1 and step.snapshot["initiatives"][0]["owner"] == "Kommunen"
    assert [r["name"] for r in actions.changes_since_approval(p)] == ["SSP"]
