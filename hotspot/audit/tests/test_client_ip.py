"""Behind a proxy the client address comes from X-Forwarded-For; text that is not an address never
reaches the database (PostgreSQL refused it with a 500, SQLite stored it in the audit log)."""

import ipaddress

import pytest
from django.test import RequestFactory
from django.urls import reverse

from hotspot.audit.actions import client_ip
from hotspot.audit.models import Action, AuditEvent

HOSTILE = "<script>, x'; --"


def _valid_or_none(value):
    if value is None:
        return True
    ipaddress.ip_address(value)  # raises on text
    return True


@pytest.mark.parametrize(
    ("forwarded", "remote", "expected"),
    [
        (HOSTILE, "192.0.2.5", "192.0.2.5"),
        ("10.0.0.1, not-an-ip", "192.0.2.5", "192.0.2.5"),
        ("10.0.0.1, 203.0.113.7", "192.0.2.5", "203.0.113.7"),
        ("2001:db8::1", "192.0.2.5", "2001:db8::1"),
        (HOSTILE, "garbage", None),
        ("", "", None),
    ],
)
def test_client_ip_is_an_address_or_none(settings, forwarded, remote, expected):
    settings.BEHIND_PROXY = True
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    assert client_ip(request) == expected


def test_hostile_forwarded_header_breaks_neither_login_nor_audit(
    client, settings, analyst, demo_municipality
):
    from hotspot.areas.models import Area, AreaKind

    settings.BEHIND_PROXY = True
    headers = {"HTTP_X_FORWARDED_FOR": HOSTILE, "REMOTE_ADDR": "127.0.0.1"}
    analyst.set_password("right-password-123")
    analyst.save()
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    failed = client.post(reverse("login"), {"username": "analyst", "password": "wrong"}, **headers)
    assert failed.status_code == 200  # the form again, not a 500
    ok = client.post(
        reverse("login"), {"username": "analyst", "password": "right-password-123"}, **headers
    )
    assert ok.status_code == 302
    area = Area.objects.filter(municipality=demo_municipality, kind=AreaKind.HOUSING).first()
    export = client.get(reverse("areas:reports_csv", args=[area.pk]), **headers)
    assert export.status_code == 200
    b"".join(export.streaming_content)
    new = list(AuditEvent.objects.filter(pk__gt=last))
    actions = {e.action for e in new}
    assert {Action.LOGIN_FAILED, Action.LOGIN, Action.EXPORT} <= actions
    for event in new:
        assert _valid_or_none(event.ip)
        assert event.ip == "127.0.0.1"
    from axes.models import AccessAttempt

    for attempt in AccessAttempt.objects.all():
        assert _valid_or_none(attempt.ip_address)
