"""Role x URL rows for casework, collected by hotspot/accounts/tests/test_access.py.

Every casework page but two needs view_person_data: coordinator, caseworker and police get in (200);
analyst, partner, board, dpo and admin get 403; the outsider (a coordinator of Lillekommune) gets 404 on
Demokommune's objects and their own municipality's pages without arguments. The weekly summary (counts
only) is for every member (view_aggregates), partners and the board included; the per-subject extract is
the data protection officer's alone (view_audit).
"""

import datetime as dt

from django.urls import reverse

from hotspot.accounts.tests.table import ALL, PERSON, only

FAKE_KEY = "0" * 64  # a person key as stored; no CPR number is needed to build the rows


def make_casework(municipality):
    """A priority list with one case on it and a queue item (a notification about the case), in
    ``municipality``."""
    from hotspot.casework import models as m
    from hotspot.programmes.models import Programme

    # The oldest programme: the demo's running one has lists and cases of its own.
    programme = Programme.objects.filter(municipality=municipality).order_by("pk").first()
    if programme is None:
        programme = Programme.objects.create(
            municipality=municipality,
            name="Testprogram",
            start=dt.date(2024, 1, 1),
            end=dt.date(2027, 12, 31),
        )
    plist = m.PriorityList.objects.create(programme=programme, kind=m.ListKind.YOUTHS)
    case = m.Case.objects.create(
        programme=programme,
        kind=m.CaseKind.YOUTH,
        person_key=FAKE_KEY,
        alias="Ung A",
        legal_basis=m.LegalBasis.SSP_115,
        social_note="Socialfaglig note",
    )
    entry = m.ListEntry.objects.create(
        priority_list=plist, case=case, entered_on=dt.date(2024, 1, 8), entry_reason="Sigtet"
    )
    item = m.FollowUpItem.objects.create(
        programme=programme,
        source=m.SourceKind.NOTIFICATION,
        sent_on=dt.date(2024, 2, 1),
        sent_by_agency="Skole",
        case=case,
        legal_basis=m.LegalBasis.SSP_115,
        deadline=dt.date(2024, 2, 8),
    )
    meeting = m.ConcernMeeting.objects.create(
        programme=programme, date=dt.date(2024, 2, 5), participants=["SSP"], decisions="Møde"
    )
    meeting.cases.set([case])
    return {
        "programme": programme,
        "list": plist,
        "case": case,
        "entry": entry,
        "item": item,
        "meeting": meeting,
    }


def _url(name, key, *, foreign=False):
    def build(own, other):
        objects = make_casework(other if foreign else own)
        return reverse(f"casework:{name}", args=[objects[key].pk])

    return build


OBJECT = only(PERSON, outsider=404)
PAGE = only(PERSON, outsider=200)
# Lillekommune's case: roles without view_person_data are stopped (403) before the object is looked
# up, as partner and board are on every casework URL; person-data roles of Demokommune get 404.
FOREIGN = {**only(PERSON, outsider=200), **dict.fromkeys(PERSON, 404)}

_OBJECT_URLS = {
    "programme": "programme",
    "list_new": "programme",
    "case_new": "programme",
    "entry_new": "list",
    "entry_end": "entry",
    "case": "case",
    "followup_new": "case",
    "agreement_new": "case",
    "queue": "programme",
    "rule_edit": "programme",
    "notification_new": "programme",
    "item_respond": "item",
    "meetings": "programme",
    "meeting_new": "programme",
}

TABLE: dict = {
    "casework:home": ("none", PAGE, 302),
    "casework:overdue": ("none", PAGE, 302),
    "casework:search": ("none", PAGE, 302),
    "casework:summary": (_url("summary", "programme"), {**ALL, "outsider": 404}, 302),
    "casework:subject_extract": ("none", only({"dpo"}), 302),
}
for _name, _key in _OBJECT_URLS.items():
    TABLE[f"casework:{_name}"] = (_url(_name, _key), OBJECT, 302)
# A meeting's decision as an action-plan task: view_person_data and manage_programmes (coordinator).
TABLE["casework:meeting_task_new"] = (
    _url("meeting_task_new", "meeting"),
    only({"coordinator"}, outsider=404),
    302,
)
# Lillekommune's case: its own coordinator sees it (FOREIGN above).
TABLE["casework:case#foreign"] = (_url("case", "case", foreign=True), FOREIGN, 302)
TABLE["casework:item_respond#foreign"] = (_url("item_respond", "item", foreign=True), FOREIGN, 302)
