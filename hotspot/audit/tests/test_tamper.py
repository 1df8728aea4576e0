"""Tampering with the audit log: the restricted role cannot, the owner can but is found out.

The chain tests run on SQLite and PostgreSQL; the role and trigger tests need PostgreSQL.
"""

import datetime as dt
import importlib
import ipaddress
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from hotspot.audit import chain
from hotspot.audit.actions import record
from hotspot.audit.models import Action, AuditEvent

_migration = importlib.import_module("hotspot.audit.migrations.0003_hash_chain")

PG = connection.vendor == "postgresql"
pg_only = pytest.mark.skipif(not PG, reason="database roles and the chain trigger are PostgreSQL's")
sqlite_only = pytest.mark.skipif(PG, reason="the SQLite triggers")


def _rows(coordinator, n=4):
    return [
        record(Action.EXPORT, actor=coordinator, object_type="areas.area", object_id=i, count=i)
        for i in range(1, n + 1)
    ]


def _as_owner(*statements, params=None):
    """Raw SQL with the append-only triggers off, as the tables' owner could (undone with the test)."""
    with connection.cursor() as cursor:
        if PG:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_delete")
        for sql in statements:
            cursor.execute(sql, params)
        if PG:
            for name in ("audit_auditevent_append_only", "audit_auditevent_chain"):
                cursor.execute(f"ALTER TABLE audit_auditevent ENABLE ALWAYS TRIGGER {name}")
        else:  # put the guards back, as the owner would to hide the edit
            for sql in _migration.SQLITE_TRIGGERS[:2]:
                cursor.execute(sql)


def _verify(*args):
    call_command("verify_audit_log", *args, "--no-record", stdout=open("/dev/null", "w"))


def test_a_clean_log_verifies_and_every_row_is_chained(coordinator):
    rows = _rows(coordinator)
    assert [r.seq for r in rows] == list(range(rows[0].seq, rows[0].seq + 4))
    verdict = chain.verify()
    assert verdict.ok, verdict.problem
    assert verdict.head_seq == rows[-1].seq
    assert verdict.head_hash == rows[-1].hash
    assert not AuditEvent.objects.filter(seq__isnull=True).exists()
    _verify()  # no exception: exit status 0


def test_every_kind_of_value_hashes_alike_in_the_database_and_in_python(demo_municipality):
    """On PostgreSQL the trigger computes the hash, the verifier recomputes it in Python."""
    from django.test import RequestFactory

    from hotspot.accounts.models import User

    user = User.objects.create_user("søren_ærø", password="x-password-123")
    for address in ("2001:db8::1", "192.0.2.5", "::ffff:192.0.2.6"):
        record(
            Action.UPDATE,
            actor=user,
            municipality=demo_municipality,
            object_type="programmes.goal",
            object_id="7",
            fields=["title", "baseline_value"],
            count=0,
            request=RequestFactory().get("/", REMOTE_ADDR=address),
        )
    record(Action.LOGIN_FAILED, username="(unknown user)", fields=[])
    verdict = chain.verify()
    assert verdict.ok, verdict.problem
    stored = AuditEvent.objects.order_by("-seq")[1].ip
    assert ipaddress.ip_address(stored) == ipaddress.ip_address("::ffff:192.0.2.6")


def test_editing_a_row_as_owner_is_detected(coordinator):
    rows = _rows(coordinator)
    target = rows[1]
    _as_owner("UPDATE audit_auditevent SET count = 999 WHERE id = %s", params=[target.pk])
    with pytest.raises(CommandError, match=rf"row id {target.pk} \(sequence number {target.seq}\)"):
        _verify()


def test_deleting_a_middle_row_is_detected(coordinator):
    rows = _rows(coordinator)
    _as_owner("DELETE FROM audit_auditevent WHERE id = %s", params=[rows[1].pk])
    with pytest.raises(CommandError, match=rf"row id {rows[2].pk} has sequence number"):
        _verify()


def test_rewriting_the_chain_after_an_edit_is_detected_against_a_recorded_head(coordinator):
    rows = _rows(coordinator)
    recorded = f"{rows[2].seq}:{rows[2].hash}"
    # The owner edits a row and recomputes every later hash: the chain alone looks intact again ...
    _as_owner("UPDATE audit_auditevent SET count = 999 WHERE id = %s", params=[rows[1].pk])
    previous = chain.GENESIS
    fixed = []
    for row in AuditEvent.objects.order_by("seq"):
        expected = chain.row_hash(previous, row)
        if row.hash != expected:
            fixed.append((expected, row.pk))
        previous = expected
    for new_hash, pk in fixed:
        _as_owner("UPDATE audit_auditevent SET hash = %s WHERE id = %s", params=[new_hash, pk])
    _verify()
    # ... but not against the head the DPO wrote down.
    with pytest.raises(CommandError, match=rf"row id {rows[2].pk} .* was recorded for it"):
        _verify("--expect-head", recorded)


def test_deleting_the_tail_is_detected_against_a_recorded_head(coordinator):
    rows = _rows(coordinator)
    recorded = f"{rows[-1].seq}:{rows[-1].hash}"
    _verify("--expect-head", recorded)
    _as_owner(
        "DELETE FROM audit_auditevent WHERE id IN (%s, %s)", params=[rows[-1].pk, rows[-2].pk]
    )
    _verify()  # what a chain alone cannot see ...
    with pytest.raises(CommandError, match="rows at the end were deleted"):
        _verify("--expect-head", recorded)  # ... a recorded head can


def test_a_bad_expected_head_is_a_clear_error(db):
    with pytest.raises(CommandError, match="SEQUENCE:HASH"):
        _verify("--expect-head", "yesterday")


def test_a_successful_check_is_recorded_and_shown_to_the_dpo(client, member, coordinator):
    _rows(coordinator, 2)
    call_command("verify_audit_log", stdout=open("/dev/null", "w"))
    check = AuditEvent.objects.filter(action=Action.VERIFY).order_by("-seq").first()
    assert check is not None and check.count == check.seq - 1
    client.force_login(member("dpo"))
    page = client.get(reverse("audit:list")).content.decode()
    assert 'id="chain-status"' in page
    head = AuditEvent.objects.order_by("-seq").first()  # the dpo's login came after the check
    assert f"{head.seq}:{head.hash}" in page  # the head to write down
    assert "Sidst kontrolleret" in page or "Last checked" in page
    assert (
        timezone.localtime(check.at).strftime("%Y-%m-%d %H:%M") in page
    )  # local time, as the page


# --- SQLite ---------------------------------------------------------------------------------------


@sqlite_only
def test_sqlite_refuses_raw_update_delete_and_back_dated_rows(coordinator):
    event = record(Action.EXPORT, actor=coordinator, object_type="areas.area", object_id=1)
    for sql, params in (
        ("UPDATE audit_auditevent SET count = 0 WHERE id = %s", [event.pk]),
        ("DELETE FROM audit_auditevent WHERE id = %s", [event.pk]),
        (
            "INSERT INTO audit_auditevent (at, seq, hash, actor_username, action, object_type, "
            "object_id, purpose, fields) VALUES ('2001-01-01 00:00:00', %s, '', 'x', 'export', "
            "'', '', '', '[]')",
            [event.seq + 1],
        ),
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    assert chain.verify().ok


# --- PostgreSQL -----------------------------------------------------------------------------------


@pg_only
def test_a_back_dated_forged_insert_gets_the_server_time_and_next_link(coordinator, analyst):
    head = _rows(coordinator, 1)[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (at, seq, hash, actor_id, actor_username, action, "
            "object_type, object_id, purpose, fields) VALUES ('2001-01-01 00:00:00+00', 1, 'forged', "
            "%s, 'someone-else', 'export', '', '', '', '[]') RETURNING id",
            [analyst.pk],
        )
        pk = cursor.fetchone()[0]
    row = AuditEvent.objects.get(pk=pk)
    assert abs(row.at - timezone.now()) < dt.timedelta(minutes=1)
    assert row.seq == head.seq + 1
    assert row.hash == chain.row_hash(head.hash, row)
    assert row.actor_username == analyst.username  # from the user table, not from the client
    assert chain.verify().ok


@pg_only
def test_the_superuser_replica_switch_does_not_bypass_the_triggers(coordinator):
    event = _rows(coordinator, 1)[0]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute("UPDATE audit_auditevent SET count = 0 WHERE id = %s", [event.pk])
        cursor.execute(
            "INSERT INTO audit_auditevent (at, actor_username, action, object_type, object_id, "
            "purpose, fields) VALUES ('2001-01-01 00:00:00+00', '', 'export', '', '', '', '[]') "
            "RETURNING seq, at"
        )
        seq, at = cursor.fetchone()
    assert seq == event.seq + 1 and at.year == timezone.now().year
    assert chain.verify().ok


@pytest.fixture
def restricted_role(db):
    """A role set up by harden_database's statements, created inside the test's transaction."""
    from hotspot.audit.management.commands.harden_database import check_role, hardening_sql

    name = f"hotspot_test_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} NOLOGIN")
        assert check_role(cursor, name) == []
        cursor.execute("SELECT current_schema(), current_database()")
        schema, database = cursor.fetchone()
        for sql in hardening_sql(
            name, schema=schema, database=database, server_version=connection.pg_version
        ):
            cursor.execute(sql)
    return name


def _as_role(role, sql, params=None):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")  # undone by the savepoint's roll-back on an error
        cursor.execute(sql, params)
        cursor.execute("RESET ROLE")


@pg_only
def test_the_restricted_role_cannot_change_the_log(restricted_role, coordinator):
    event = _rows(coordinator, 1)[0]
    for sql in (
        "UPDATE audit_auditevent SET count = 0 WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
        "TRUNCATE audit_auditevent",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_auditevent_chain ON audit_auditevent",
        "SET session_replication_role = replica",
        "CREATE TABLE audit_shadow (id int)",
    ):
        params = [event.pk] if "%s" in sql else None
        with pytest.raises(DatabaseError):
            _as_role(restricted_role, sql, params)
    # What it may do: append (the trigger still sets time and chain) and read; other tables as usual.
    _as_role(
        restricted_role,
        "INSERT INTO audit_auditevent (at, actor_username, action, object_type, object_id, "
        "purpose, fields) VALUES ('2001-01-01 00:00:00+00', '', 'export', '', '', '', '[]')",
    )
    _as_role(restricted_role, "SELECT count(*) FROM audit_auditevent")
    _as_role(
        restricted_role,
        "UPDATE programmes_programme SET name = name WHERE id = (SELECT min(id) FROM "
        "programmes_programme)",
    )
    event.refresh_from_db()
    assert event.count == 1
    assert AuditEvent.objects.order_by("-seq").first().at.year == timezone.now().year
    assert chain.verify().ok


@pg_only
def test_harden_database_prints_the_statements_and_refuses_a_superuser(db, capsys):
    with pytest.raises(CommandError, match="superuser"):
        call_command("harden_database", "--app-role", "postgres")
    out = capsys.readouterr().out
    assert "GRANT SELECT, INSERT ON TABLE" in out
    assert "REVOKE ALL ON TABLE" in out
    with pytest.raises(CommandError, match="plain role name"):
        call_command("harden_database", "--app-role", "x; DROP TABLE y")


def test_the_canonical_text_of_a_row_is_pinned():
    """The chain's text must never change (old rows would stop verifying), and the PostgreSQL trigger
    holds a copy of it: the text is written out here by hand, so an edit of ``chain.canonical`` (or of
    its order of fields) fails this test even when the code and the trigger are changed together."""
    import datetime as dt
    import hashlib

    row = AuditEvent(
        seq=7,
        at=dt.datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=dt.UTC),
        actor_id=3,
        actor_username="søren",
        municipality_id=1,
        action="update",
        object_type="programmes.goal",
        object_id="42",
        purpose="analysis",
        fields=["title", "target"],
        count=None,
        ip="2001:db8::1",
    )
    text = (
        "1:7" "26:2026-03-01T12:30:05.123456" "1:3" "5:søren" "1:1" "6:update"
        "15:programmes.goal" "2:42" "8:analysis" "15:5:title6:target" "-" "11:2001:db8::1"
    )  # fmt: skip
    assert chain.canonical(row) == text
    expected = hashlib.sha256(f"{chain.GENESIS}\n{text}".encode()).hexdigest()
    assert chain.row_hash(chain.GENESIS, row) == expected
    assert expected == "87c2315744b35a4f42a8668b2a1673fbe71e8822d6bc851d25fe6bde9137d1be"


def test_a_missing_trigger_fails_the_check(db):
    from django.core.management import CommandError, call_command
    from django.db import connection

    assert chain.missing_triggers(connection) == []
    name = chain.TRIGGERS[connection.vendor][0]
    with connection.cursor() as cursor:  # DDL is transactional on both: the test rolls it back
        on = " ON audit_auditevent" if connection.vendor == "postgresql" else ""
        cursor.execute(f"DROP TRIGGER {name}{on}")
    assert chain.missing_triggers(connection) == [name]
    with pytest.raises(CommandError, match=name):
        call_command("verify_audit_log", "--no-record")
