"""The audit log: what is written, who sees it, and that nobody can change it (we try)."""

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse

from hotspot.audit.actions import record
from hotspot.audit.models import Action, AuditEvent, AuditLogImmutable, Purpose
from hotspot.audit.pages import object_label


def _events(**filters):
    return AuditEvent.objects.filter(**filters)


def test_login_and_logout_are_audited(client, coordinator):
    coordinator.set_password("right-password-123")
    coordinator.save()
    before = _events(action=Action.LOGIN, actor=coordinator).count()
    response = client.post(
        reverse("login"), {"username": "coordinator", "password": "right-password-123"}
    )
    assert response.status_code == 302
    assert _events(action=Action.LOGIN, actor=coordinator).count() == before + 1
    event = _events(action=Action.LOGIN, actor=coordinator).first()
    assert event.ip == "127.0.0.1"
    assert event.purpose == Purpose.AUTHENTICATION
    client.post(reverse("logout"))
    assert _events(action=Action.LOGOUT, actor=coordinator).exists()


def test_failed_login_is_audited_without_storing_unknown_names(client, coordinator):
    client.post(reverse("login"), {"username": "coordinator", "password": "wrong"})
    assert _events(action=Action.LOGIN_FAILED, actor=coordinator).exists()
    client.post(reverse("login"), {"username": "Jens Hansen 010203-1234", "password": "wrong"})
    unknown = _events(action=Action.LOGIN_FAILED, actor__isnull=True).first()
    assert unknown.actor_username == "(unknown user)"
    assert not _events(actor_username__contains="Jens").exists()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_login_is_rate_limited_and_lockout_audited(client, analyst):
    analyst.set_password("right-password-123")
    analyst.save()
    for _ in range(3):
        client.post(reverse("login"), {"username": "analyst", "password": "wrong"})
    assert _events(action=Action.LOCKED_OUT, actor=analyst).exists()
    # Locked out: even the right password is refused now, with a page that says why (not a 500).
    response = client.post(
        reverse("login"), {"username": "analyst", "password": "right-password-123"}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "For mange mislykkede login" in response.content.decode()


def test_rows_cannot_be_updated_or_deleted_through_the_orm(coordinator):
    event = record(Action.EXPORT, actor=coordinator, object_type="areas.area", object_id=1, count=3)
    event.purpose = Purpose.ANALYSIS
    with pytest.raises(AuditLogImmutable):
        event.save()
    with pytest.raises(AuditLogImmutable):
        event.delete()
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(count=0)
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.count == 3


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the database trigger exists on PostgreSQL"
)
def test_postgresql_trigger_refuses_raw_update_and_delete(coordinator):
    event = record(Action.EXPORT, actor=coordinator, object_type="areas.area", object_id=1, count=3)
    from django.db import DatabaseError

    for sql in (
        "UPDATE audit_auditevent SET count = 0 WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    event.refresh_from_db()
    assert event.count == 3


@pytest.mark.parametrize(
    "kwargs",
    [
        {"object_id": "010203-1234"},  # a CPR number
        {"object_id": "0102031234"},  # a CPR number without dash
        {"object_id": "Jens Hansen, Nørrebrogade 1"},  # free text
        {"fields": ["name=Jens"]},  # a value instead of a field name
        {"purpose": "because I wanted to"},  # free-text purpose
        {"action": "looked_around"},  # unknown action
    ],
)
def test_no_cpr_numbers_or_free_text(coordinator, kwargs):
    params = {
        "action": Action.READ_PERSON,
        "object_type": "casework.case",
        "object_id": "17",
    } | kwargs
    action = params.pop("action")
    with pytest.raises(ValueError) as refused:
        record(action, actor=coordinator, **params)
    # the refusal does not repeat a refused CPR number (it would reach the log)
    assert "1234" not in str(refused.value)


def test_only_the_dpo_reads_the_log_and_sees_own_municipality_only(
    client, member, outsider, demo_municipality
):
    record(Action.EXPORT, actor=outsider, object_type="areas.area", object_id=99, count=1)
    record(
        Action.EXPORT,
        actor=member("analyst"),
        municipality=demo_municipality,
        object_type="areas.area",
        object_id=7,
        count=1,
    )
    client.force_login(member("dpo"))
    page = client.get(reverse("audit:list")).content.decode()
    assert object_label("areas.area", 7) in page  # "område 7": the model's name, not its label
    assert "areas.area" not in page
    assert object_label("areas.area", 99) not in page  # another municipality's event
    client.force_login(member("admin"))
    assert client.get(reverse("audit:list")).status_code == 403


def test_export_of_the_log_is_itself_audited(client, member):
    dpo = member("dpo")
    client.force_login(dpo)
    response = client.get(reverse("audit:export"))
    visible = AuditEvent.objects.visible_to(dpo).count()  # including the export's own row
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    assert len(body.strip().splitlines()) == visible + 1  # every visible event, one header line
    assert _events(action=Action.EXPORT, actor=dpo, object_type="audit.auditevent").exists()


def test_raw_data_export_is_audited_with_row_count(client, analyst, demo_municipality):
    from hotspot.areas.models import Area, AreaKind
    from hotspot.incidents.models import CrimeReport

    area = Area.objects.filter(municipality=demo_municipality, kind=AreaKind.HOUSING).first()
    client.force_login(analyst)
    response = client.get(reverse("areas:reports_csv", args=[area.pk]))
    body = b"".join(response.streaming_content).decode("utf-8")
    lines = body.strip().splitlines()
    expected = CrimeReport.objects.filter(area=area).count()
    assert len(lines) == expected + 1
    assert ";" in lines[0]
    event = _events(action=Action.EXPORT, actor=analyst, object_type="areas.area").first()
    assert event.object_id == str(area.pk)
    assert event.count == expected


def test_behind_a_proxy_the_forwarded_address_is_audited_and_locked_out(client, settings, analyst):
    """One client-address rule for the audit log and for lock-outs (django-axes uses client_ip)."""
    settings.BEHIND_PROXY = True
    settings.AXES_FAILURE_LIMIT = 2
    # The proxy appends the address it saw; anything before it was sent by the client and is not trusted.
    spoofed = {"HTTP_X_FORWARDED_FOR": "10.9.9.9, 203.0.113.7", "REMOTE_ADDR": "127.0.0.1"}
    other = {"HTTP_X_FORWARDED_FOR": "10.9.9.9, 198.51.100.2", "REMOTE_ADDR": "127.0.0.1"}
    for _ in range(2):
        client.post(reverse("login"), {"username": "analyst", "password": "wrong"}, **spoofed)
    failed = _events(action=Action.LOGIN_FAILED, actor=analyst).first()
    assert failed.ip == "203.0.113.7"
    assert _events(action=Action.LOCKED_OUT, actor=analyst, ip="203.0.113.7").exists()
    analyst.set_password("right-password-123")
    analyst.save()
    locked = client.post(
        reverse("login"), {"username": "analyst", "password": "right-password-123"}, **spoofed
    )
    assert locked.status_code == 429
    # The same user from another address is not locked out (lock-out is per user name and address).
    ok = client.post(
        reverse("login"), {"username": "analyst", "password": "right-password-123"}, **other
    )
    assert ok.status_code == 302
    assert _events(action=Action.LOGIN, actor=analyst, ip="198.51.100.2").exists()


def test_without_a_proxy_forwarded_headers_are_ignored(client, settings, coordinator):
    settings.BEHIND_PROXY = False
    client.post(
        reverse("login"),
        {"username": "coordinator", "password": "wrong"},
        HTTP_X_FORWARDED_FOR="203.0.113.7",
        REMOTE_ADDR="192.0.2.5",
    )
    assert _events(action=Action.LOGIN_FAILED, actor=coordinator).first().ip == "192.0.2.5"
