"""The audit log's times are local time (Europe/Copenhagen) like every other time of the platform, on
the page and in the CSV export, where the offset is written with the time (issue 14 item 11)."""

import csv
import datetime as dt
import io
import re
import zoneinfo

from django.urls import reverse

from hotspot.audit.actions import record
from hotspot.audit.models import Action, AuditEvent, Purpose

COPENHAGEN = zoneinfo.ZoneInfo("Europe/Copenhagen")


def _marked_event(dpo):
    event = record(
        Action.EXPORT,
        actor=dpo,
        object_type="audit.auditevent",
        object_id="local-time-check",
        purpose=Purpose.OVERSIGHT,
    )
    return AuditEvent.objects.get(pk=event.pk)  # the time the database set


def test_the_audit_page_shows_local_time(client, member):
    dpo = member("dpo")
    event = _marked_event(dpo)
    client.force_login(dpo)
    page = client.get(reverse("audit:list"), {"action": Action.EXPORT}).content.decode()
    local = event.at.astimezone(COPENHAGEN)
    utc = event.at.astimezone(dt.UTC)
    assert local.utcoffset() in (dt.timedelta(hours=1), dt.timedelta(hours=2))
    assert f">{local:%Y-%m-%d %H:%M:%S}</time>" in page
    assert f">{utc:%Y-%m-%d %H:%M:%S}</time>" not in page
    offset = local.isoformat()[-6:]  # "+01:00" in winter, "+02:00" in summer
    assert re.search(rf'datetime="{local:%Y-%m-%dT%H:%M:%S}(\.\d+)?{re.escape(offset)}"', page)
    assert "UTC" not in page


def test_the_audit_export_writes_local_time_with_its_offset(client, member):
    dpo = member("dpo")
    event = _marked_event(dpo)
    client.force_login(dpo)
    response = client.get(reverse("audit:export"), {"action": Action.EXPORT})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert "UTC" not in rows[0][0]
    (row,) = [r for r in rows[1:] if r[4] == "local-time-check"]
    written = dt.datetime.fromisoformat(row[0])
    local = event.at.astimezone(COPENHAGEN)
    assert written == event.at  # the same instant
    assert written.utcoffset() == local.utcoffset()  # written as local time
    assert row[0].startswith(f"{local:%Y-%m-%dT%H:%M:%S}")
