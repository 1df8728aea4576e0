"""Overblik, the home page: it gathers figures from areas and programmes, so it sits at the top of the
layers (beside ``urls.py``), not in ``accounts``, which every app builds on (tests/test_architecture.py)."""

from django.shortcuts import render

from hotspot.accounts.access import require_capability
from hotspot.accounts.roles import Capability, Role
from hotspot.areas.inputs import municipality_overview
from hotspot.casework.pages import overdue_count
from hotspot.notices import recent
from hotspot.programmes.models import Programme
from hotspot.programmes.pages import overview_context


@require_capability(Capability.VIEW_AGGREGATES)
def home(request):
    """What a coordinator opens on Monday: programmes, overdue tasks, follow-ups due, meetings, key
    figures."""
    context = overview_context(request.user, request.municipality)
    # A board member's Overblik shows the scorecard and reports only (UX.md).
    if request.membership.role != Role.BOARD:
        context["overview"] = municipality_overview(
            request.municipality, raw=request.membership.can(Capability.VIEW_RAW_DATA)
        )
    # The roles of the micro-strategy see how many listed cases still lack this week's follow-up: a
    # count and a link, no person on the page (the list behind the link writes its read row).
    if request.membership.can(Capability.VIEW_PERSON_DATA):
        programmes = Programme.objects.visible_to(
            request.user, Capability.VIEW_PERSON_DATA
        ).in_municipality(request.municipality)
        context["casework_due"] = overdue_count(programmes)
    # What this person started that finished in the last week (each also announced once on a page).
    context["finished_work"] = recent(request.user, request.municipality)
    return render(request, "overview.html", context)
