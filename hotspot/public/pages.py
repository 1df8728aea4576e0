"""What a residents' page shows: aggregates only, through the same small-cell rule as every page for a
reader without raw-data rights (``areas.pages.area_detail`` with ``raw=False``: a count under the
threshold and the counts that would reveal it are shown as "<5", never as a number or a zero), the
programme's purposes, what is being done this year, and the coming meetings of the programme's groups
that are open to residents. No person is named: no task owner, no member, no case."""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language

from hotspot import disclosure
from hotspot.areas.pages import area_detail

#: how many years of the trend the page shows
YEARS = 8
#: seconds a built page is kept (a change of the page's settings starts a new one at once)
CACHE_SECONDS = 600


def open_page(slug):
    """The opted-in page at ``slug`` (a 404 for a page that is off or does not exist)."""
    from django.shortcuts import get_object_or_404

    from hotspot.public.models import PublicPage

    return get_object_or_404(
        PublicPage.objects.select_related("programme", "programme__municipality"),
        slug=slug,
        enabled=True,
    )


def _this_year_plans(programme, today: dt.date):
    return (
        programme.plans.filter(start__lte=today, end__gte=today)
        .prefetch_related("focus_areas__initiatives")
        .order_by("start")
    )


def page_context(page, *, today: dt.date | None = None) -> dict:
    """The page's figures, built once per page version, language and day (``cache``)."""
    today = today or timezone.localdate()
    key = f"public:{page.pk}:{int(page.updated_at.timestamp())}:{get_language()}:{today:%Y%m%d}"
    return cache.get_or_set(key, lambda: _build(page, today), CACHE_SECONDS)


def _build(page, today: dt.date) -> dict:
    programme = page.programme
    areas = []
    for area in programme.areas.order_by("code"):
        detail = area_detail(area, raw=False, can_raw=False)
        trend = [t for t in detail["trend"] if t["year"] <= today.year][-YEARS:]
        survey = [s for s in detail["survey"] if s["year"] <= today.year][-YEARS:]
        areas.append({"name": area.name, "trend": trend, "survey": survey})
    plans = [
        {
            "title": plan.title,
            "start": plan.start,
            "end": plan.end,
            "focus": [
                {"title": f.title, "initiatives": sorted({i.name for i in f.initiatives.all()})}
                for f in plan.focus_areas.all()
            ],
        }
        for plan in _this_year_plans(programme, today)
    ]
    english = (get_language() or "da").startswith("en")
    intro = (page.intro_en if english else page.intro_da) or ""
    return {
        "programme_name": programme.name,
        "municipality": programme.municipality.name,
        "intro": intro,
        "purpose_short": programme.purpose_short,
        "purpose_long": programme.purpose_long,
        "period": (programme.start, programme.end),
        "areas": areas,
        "plans": plans,
        "built": timezone.now(),
        "min_cell": disclosure.min_cell(),
    }
