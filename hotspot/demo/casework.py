"""The demo's micro-strategy: synthetic cases in the running programme, made through casework's actions.

Two priority lists (families, children and youths) with 7 and 8 cases on them (and a youth who left),
weekly follow-ups over the last six weeks with some missing this week, agreements, links, a follow-up
rule with its queue, three notifications and two concern meetings, dated relative to the day the demo is
loaded. Every write goes through ``hotspot/casework/actions.py`` (and its forms), so each is validated
and audited as a user's would be; everything is deterministic from the demo city's seed.

Nothing here is a person. Aliases are "Familie A", "Ung A" …; no name is stored (``store_names`` stays
off: the demo makes no ``CaseworkSettings`` row). The CPR-like numbers, hashed on entry and never stored,
are dated 30 or 31 February (``synthetic_cpr``): no one is born on a day that does not exist, so none of
them can be a real CPR number.
"""

import datetime as dt
import random

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from hotspot.casework import actions, forms, pseudonym
from hotspot.casework.models import (
    Agency,
    AgreementKind,
    AgreementStatus,
    CaseKind,
    FollowUpItem,
    FollowUpStatus,
    LegalBasis,
    LinkKind,
    ListKind,
    week_of,
)

FAMILIES, YOUTHS = 7, 8
WEEKS = 6  # follow-ups over the last six weeks, this week included
MISSING_THIS_WEEK = 5  # listed cases without this week's follow-up (one also without last week's)
OPEN_QUEUE_ITEMS = 4  # the newest police reports in the queue are left unanswered
NOTE = "Demo: syntetisk sag, ingen rigtig person."
ENTRY_CRITERIA = {
    ListKind.FAMILIES: (
        "Familier i området med flere børn i kriminalitetens randzone, hvor forældrene ikke magter "
        "opgaven (demo)."
    ),
    ListKind.YOUTHS: (
        "Børn og unge 12-17 år med gentagne sigtelser, underretninger eller bekymrende fravær (demo)."
    ),
}
EXIT_CRITERIA = {
    ListKind.FAMILIES: "Stabil skolegang og ingen nye underretninger i tre måneder (demo).",
    ListKind.YOUTHS: "I uddannelse eller job og ingen nye sigtelser i seks måneder (demo).",
}
ENTRY_REASONS = [
    "Sigtet for vold to gange på et halvt år (demo).",
    "Underretning fra skolen om stort fravær (demo).",
    "Bekymring fra klubben: ses med ældre i risikozonen (demo).",
    "Drøftet på SSP-mødet; flere agenturer bekymrede (demo).",
]
ACTIONS = [
    "Hjemmebesøg aftalt med familien (demo).",
    "Klubben følger op på fremmøde (demo).",
    "Skolen og SSP holder fælles samtale (demo).",
    "Mentor kontaktet om fritidsjob (demo).",
    "Politiet holder bekymringssamtale (demo).",
]
NEXT_STEPS = [
    "Status på næste ugentlige møde (demo).",
    "Opfølgning med forældrene (demo).",
    "Tjek fremmøde i skolen (demo).",
]
YOUTH_AGENCIES = [Agency.SSP, Agency.SCHOOL, Agency.CLUB, Agency.POLICE]
FAMILY_AGENCIES = [Agency.SOCIAL, Agency.SSP, Agency.HOUSING]


def synthetic_cpr(rng: random.Random, year: int) -> str:
    """A CPR-like number that can never be real: born 30 or 31 February of ``year`` (two digits)."""
    return f"{rng.choice((30, 31))}02{year % 100:02d}-{rng.randrange(10_000):04d}"


def _form(form_class, data, **kwargs):
    form = form_class(data, **kwargs)
    if not form.is_valid():  # the demo's own data: a failure here is a bug in this module
        raise ValueError(f"demo casework: {form_class.__name__} {form.errors.as_json()}")
    return form


@transaction.atomic
def build_demo_casework(programme, *, seed: int, users: dict, today=None, log=print) -> dict:
    """Cases, lists, follow-ups, agreements, queue and concern meetings in ``programme``.

    ``users``: the demo users by role (``coordinator``, ``caseworker``, ``police``; a missing one acts
    as no one). Idempotent: nothing is done where the programme has cases or lists. Returns the numbers
    made (empty when skipped, e.g. without CASEWORK_HMAC_KEY outside development).
    """
    if programme.cases.exists() or programme.priority_lists.exists():
        return {}
    try:
        pseudonym.person_key("010100-0000")  # the key is configured (DEBUG has a development key)
    except ImproperlyConfigured as exc:
        log(f"  no demo casework: {exc}")
        return {}
    today = today or timezone.localdate()
    rng = random.Random(f"democity-casework-{seed}")
    coordinator = users.get("coordinator")
    caseworker = users.get("caseworker") or coordinator
    police = users.get("police") or coordinator
    municipality = programme.municipality
    this_week = week_of(today)
    first_day = programme.start + dt.timedelta(days=30)

    lists = {}
    for kind in (ListKind.FAMILIES, ListKind.YOUTHS):
        form = _form(
            forms.PriorityListForm,
            {
                "kind": kind,
                "places": 10,
                "entry_criteria": ENTRY_CRITERIA[kind],
                "exit_criteria": EXIT_CRITERIA[kind],
            },
            programme=programme,
        )
        lists[kind] = actions.save_form(
            form, municipality=municipality, actor=coordinator, programme=programme
        )

    cases = {CaseKind.FAMILY: [], CaseKind.YOUTH: []}
    specs = [(CaseKind.FAMILY, f"Familie {chr(65 + k)}", (1975, 1992)) for k in range(FAMILIES)]
    # one more youth than places are used: the first has left the list (history kept)
    specs += [(CaseKind.YOUTH, f"Ung {chr(65 + k)}", (2009, 2013)) for k in range(YOUTHS + 1)]
    used = set()
    for kind, alias, (born_from, born_to) in specs:
        cpr = synthetic_cpr(rng, rng.randint(born_from, born_to))
        while cpr in used:
            cpr = synthetic_cpr(rng, rng.randint(born_from, born_to))
        used.add(cpr)
        case = actions.create_case(
            programme,
            cpr=cpr,
            alias=alias,
            kind=kind,
            legal_basis=LegalBasis.SSP_115 if kind == CaseKind.YOUTH else LegalBasis.CHILDREN_ACT,
            social_note=NOTE,
            actor=coordinator,
        )
        cases[kind].append(case)

    span = max((today - dt.timedelta(days=21) - first_day).days, 1)
    entries = {}
    for kind, listed in cases.items():
        plist = lists[ListKind.FAMILIES if kind == CaseKind.FAMILY else ListKind.YOUTHS]
        days = sorted(rng.randrange(span) for _ in listed)
        for case, offset in zip(listed, days):
            left = kind == CaseKind.YOUTH and case is listed[0]
            if left:  # the one who left entered early and left two months ago
                offset = 0
            entries[case.pk] = actions.enter_list(
                plist,
                case,
                entered_on=min(first_day + dt.timedelta(days=offset), today),
                reason=rng.choice(ENTRY_REASONS),
                actor=coordinator,
            )
    gone = cases[CaseKind.YOUTH][0]
    left_on = max(today - dt.timedelta(days=60), entries[gone.pk].entered_on)
    actions.leave_list(
        entries[gone.pk],
        left_on=left_on,
        reason="Målet er nået: i lære som tømrer og ingen nye sigtelser (demo).",
        actor=coordinator,
    )

    listed = [c for c in cases[CaseKind.FAMILY] + cases[CaseKind.YOUTH] if c is not gone]
    missing_now = set(c.pk for c in rng.sample(listed, MISSING_THIS_WEEK))
    missing_two = rng.choice([c for c in listed if c.pk in missing_now]).pk
    follow_ups = 0
    for case in [*listed, gone]:
        entered = week_of(entries[case.pk].entered_on)
        last = week_of(left_on) if case is gone else this_week
        for k in range(WEEKS - 1, -1, -1):
            week = this_week - dt.timedelta(weeks=k)
            if week < entered or week > last:
                continue
            if week == this_week and case.pk in missing_now:
                continue
            if k == 1 and case.pk == missing_two:
                continue
            agencies = YOUTH_AGENCIES if case.kind == CaseKind.YOUTH else FAMILY_AGENCIES
            actions.record_follow_up(
                case,
                week=week,
                status=rng.choices(
                    [FollowUpStatus.ON_TRACK, FollowUpStatus.ATTENTION, FollowUpStatus.ESCALATED],
                    weights=[6, 3, 1],
                )[0],
                responsible_agency=rng.choice(agencies),
                actions_agreed=rng.choice(ACTIONS),
                next_step=rng.choice(NEXT_STEPS),
                actor=police if case.kind == CaseKind.YOUTH and rng.random() < 0.2 else caseworker,
            )
            follow_ups += 1

    youths, families = cases[CaseKind.YOUTH], cases[CaseKind.FAMILY]
    agreements = [
        (families[0], AgreementKind.PARENT, today - dt.timedelta(days=120), 6, "active"),
        (youths[1], AgreementKind.YOUTH, today - dt.timedelta(days=70), 20, "active"),
        (gone, AgreementKind.YOUTH, entries[gone.pk].entered_on, 0, "completed"),
    ]
    for case, kind, start, review_in, status in agreements:
        review = left_on if status == AgreementStatus.COMPLETED else today
        form = _form(
            forms.AgreementForm,
            {
                "kind": kind,
                "start": start.isoformat(),
                "review_on": max(review + dt.timedelta(days=review_in), start).isoformat(),
                "status": status,
            },
        )
        actions.save_form(form, municipality=municipality, actor=caseworker, case=case)
    # Youths B and C belong to family A; D and E are siblings.
    actions.link_cases(youths[1], families[0], LinkKind.FAMILY_MEMBER, actor=coordinator)
    actions.link_cases(youths[2], families[0], LinkKind.FAMILY_MEMBER, actor=coordinator)
    actions.link_cases(youths[3], youths[4], LinkKind.SIBLING, actor=coordinator)

    # The follow-up queue: violence, threats, robbery, burglary and vandalism in the area since the start.
    rule = _form(
        forms.FollowUpRuleForm,
        {
            "offence_groups": ["violence", "threats", "robbery", "burglary", "vandalism"],
            "response_days": 7,
            "owning_agency": "SSP-sekretariatet (demo)",
        },
    )
    actions.save_form(rule, municipality=municipality, actor=police, programme=programme)
    queued = actions.generate_queue(programme, today=today, actor=police)
    reports = FollowUpItem.objects.filter(programme=programme, crime_report__isnull=False)
    older = list(reports.order_by("crime_report__occurred_at", "pk"))[:-OPEN_QUEUE_ITEMS]
    for item in older:
        actions.respond(
            item,
            responded_on=today,
            response="Gennemgået på SSP-mødet; ingen ny bekymring (demo).",
            actor=police,
        )
    notifications = [
        (today - dt.timedelta(days=30), "Skolen (demo)", youths[2], True),
        (today - dt.timedelta(days=10), "Klubben (demo)", youths[5], False),  # past its deadline
        (today - dt.timedelta(days=2), "Sundhedsplejen (demo)", None, False),
    ]
    for sent_on, agency, case, answered in notifications:
        item = actions.record_notification(
            programme,
            sent_on=sent_on,
            sent_by_agency=agency,
            case=case,
            legal_basis=LegalBasis.SSP_115 if case else "",
            owning_agency="Socialforvaltningen (demo)",
            actor=caseworker,
        )
        if answered:
            actions.respond(
                item,
                responded_on=sent_on + dt.timedelta(days=5),
                response="Modtaget og vurderet af socialforvaltningen (demo).",
                actor=caseworker,
            )

    meetings = [
        (today - dt.timedelta(days=37), youths[1:4], "Fælles plan for familie A's to unge (demo)."),
        (
            today - dt.timedelta(days=9),
            [youths[5], youths[6], families[2]],
            "Ung F tilbydes mentor; familie C indkaldes til møde med skolen (demo).",
        ),
    ]
    for date, discussed, decisions in meetings:
        actions.record_meeting(
            programme,
            date=date,
            participants=["SSP", "Skole", "Politi", "Socialforvaltning"],
            cases=discussed,
            decisions=decisions,
            actor=coordinator,
        )
    made = {
        "cases": len(specs),
        "follow_ups": follow_ups,
        "missing_this_week": len(missing_now),
        "queue_items": queued + len(notifications),
        "concern_meetings": len(meetings),
    }
    log("  casework: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in made.items()))
    return made
