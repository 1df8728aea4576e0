"""Meeting invitations as iCalendar (RFC 5545) with the ``icalendar`` library: an all-day event on
the meeting's date (meetings have a date, not a time), its place and agenda; a change keeps the UID
and raises SEQUENCE, so calendar programs update the event instead of adding a second one."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone


def meeting_uid(meeting) -> str:
    host = (settings.ALLOWED_HOSTS or ["hotspot.local"])[0].lstrip(".") or "hotspot.local"
    if host == "*":
        host = "hotspot.local"
    return f"meeting-{meeting.pk}@{host}"


def meeting_calendar(meeting, *, sequence: int = 0) -> str:
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//Hotspot platform//meetings//DA")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("sequence", sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", meeting.date)
    event.add("dtend", meeting.date + dt.timedelta(days=1))
    event.add("summary", meeting.group.name)
    if meeting.place:
        event.add("location", meeting.place)
    if meeting.agenda:
        event.add("description", meeting.agenda)
    cal.add_component(event)
    return cal.to_ical().decode("utf-8")
