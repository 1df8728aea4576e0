"""The hash chain, server-assigned times and append-only on SQLite too.

- Every row gets a sequence number and ``hash`` = SHA-256(previous row's hash + the row's canonical
  content, ``hotspot.audit.chain.canonical``); existing rows are chained here, in id order.
- PostgreSQL: a BEFORE INSERT trigger (``audit_chain``) takes a transaction-level advisory lock, then sets
  the sequence number, the time (``clock_timestamp()``), the user name (from the user table, when the row
  names a user) and the hash, overwriting whatever the client sent. Both triggers are ``ENABLE ALWAYS``,
  so ``session_replication_role = replica`` does not switch them off.
- SQLite: triggers refuse UPDATE and DELETE, and an INSERT whose time is not the current time (within a
  minute) or whose sequence number is not the next one; the hash is computed by ``actions.record``.
  Altering this table on SQLite later rebuilds it and drops these triggers: recreate them afterwards.

The canonical text here and in ``hotspot/audit/chain.py`` must stay identical and must never change.
"""

import django.db.models.functions.datetime
from django.conf import settings
from django.db import migrations, models

from hotspot.audit import chain

LOCK_KEY = 7_310_593_626_146  # pg_advisory_xact_lock key of the chain's head (any fixed number)

PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION audit_part(v text) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN v IS NULL THEN '-' ELSE length(v)::text || ':' || v END $$;

CREATE OR REPLACE FUNCTION audit_chain() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, {schema}, pg_temp
AS $$
DECLARE
    last_seq bigint;
    last_hash text;
    who text;
    names text;
BEGIN
    IF jsonb_typeof(NEW.fields) IS DISTINCT FROM 'array' OR EXISTS (
        SELECT 1 FROM jsonb_array_elements(NEW.fields) AS e WHERE jsonb_typeof(e) <> 'string'
    ) THEN
        RAISE EXCEPTION 'audit_auditevent.fields must be a list of field names'
            USING ERRCODE = 'check_violation';
    END IF;
    -- One writer at a time appends to the chain (held until this transaction ends).
    PERFORM pg_advisory_xact_lock({lock_key});
    SELECT seq, hash INTO last_seq, last_hash FROM audit_auditevent
        WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
    NEW.seq := COALESCE(last_seq, 0) + 1;
    NEW.at := clock_timestamp();
    IF NEW.actor_id IS NOT NULL THEN
        SELECT username INTO who FROM {user_table} WHERE id = NEW.actor_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'audit_auditevent: there is no user with id %', NEW.actor_id
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        NEW.actor_username := who;
    END IF;
    SELECT COALESCE(string_agg(audit_part(e), '' ORDER BY n), '') INTO names
        FROM jsonb_array_elements_text(NEW.fields) WITH ORDINALITY AS t(e, n);
    NEW.hash := encode(sha256(convert_to(
        COALESCE(last_hash, repeat('0', 64)) || E'\\n'
        || audit_part(NEW.seq::text)
        || audit_part(to_char(NEW.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'))
        || audit_part(NEW.actor_id::text) || audit_part(NEW.actor_username)
        || audit_part(NEW.municipality_id::text) || audit_part(NEW.action)
        || audit_part(NEW.object_type) || audit_part(NEW.object_id) || audit_part(NEW.purpose)
        || audit_part(names) || audit_part(NEW.count::text) || audit_part(host(NEW.ip)),
        'UTF8')), 'hex');
    RETURN NEW;
END;
$$;
"""
PG_TRIGGERS = """
CREATE TRIGGER audit_auditevent_chain
    BEFORE INSERT ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_chain();
ALTER TABLE audit_auditevent ENABLE ALWAYS TRIGGER audit_auditevent_chain;
ALTER TABLE audit_auditevent ENABLE ALWAYS TRIGGER audit_auditevent_append_only;
"""
PG_DROP = """
DROP TRIGGER IF EXISTS audit_auditevent_chain ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_chain();
DROP FUNCTION IF EXISTS audit_part(text);
ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only;
"""
SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only: DELETE refused'); END""",
    """CREATE TRIGGER audit_auditevent_insert BEFORE INSERT ON audit_auditevent
    WHEN NEW.at IS NULL
        OR abs(julianday(NEW.at) - julianday('now')) > 60.0 / 86400
        OR NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit_auditevent)
    BEGIN SELECT RAISE(ABORT,
        'audit_auditevent: a new row must have the current time and the next sequence number');
    END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
    "DROP TRIGGER IF EXISTS audit_auditevent_insert",
]


def chain_existing_rows(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute(
            "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only", params=None
        )
    previous, batch = chain.GENESIS, []
    for seq, row in enumerate(AuditEvent.objects.order_by("id").iterator(chunk_size=5000), 1):
        row.seq = seq
        row.hash = previous = chain.row_hash(previous, row)
        batch.append(row)
        if len(batch) == 5000:
            AuditEvent.objects.bulk_update(batch, ["seq", "hash"])
            batch = []
    AuditEvent.objects.bulk_update(batch, ["seq", "hash"])
    if postgresql:
        schema_editor.execute(
            "ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only", params=None
        )


def install_triggers(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT quote_ident(current_schema())")
            schema = cursor.fetchone()[0]
        user_table = connection.ops.quote_name(apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table)
        sql = PG_FUNCTIONS.format(schema=schema, lock_key=LOCK_KEY, user_table=user_table)
        schema_editor.execute(sql, params=None)
        schema_editor.execute(PG_TRIGGERS, params=None)
    elif connection.vendor == "sqlite":
        for sql in SQLITE_TRIGGERS:
            schema_editor.execute(sql, params=None)


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_DROP:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_append_only_trigger'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='hash',
            field=models.CharField(blank=True, db_default='', max_length=64, verbose_name='hash'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='seq',
            field=models.BigIntegerField(db_default=None, null=True, unique=True, verbose_name='sequence number'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('login', 'Logged in'), ('login_failed', 'Failed login'), ('locked_out', 'Locked out after failed logins'), ('logout', 'Logged out'), ('create', 'Created'), ('update', 'Changed'), ('delete', 'Deleted'), ('read_person', 'Read person data'), ('search_person', 'Searched person data'), ('export', 'Exported'), ('import', 'Imported'), ('verify', 'Verified the audit log')], max_length=20, verbose_name='action'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='at',
            field=models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), db_index=True, verbose_name='time (UTC)'),
        ),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(install_triggers, remove_triggers, elidable=False),
    ]
