"""Print (or run) the GRANT/REVOKE statements of the two-role set-up on PostgreSQL.

The owner role owns the tables and runs ``manage.py migrate``; the application (web and task worker)
connects as a second role that has normal rights on every table except the audit log, where it may only
INSERT and SELECT. Run it as the owner after every ``migrate``; it is idempotent. docs/audit.md explains
why the audit log's guarantees depend on it.
"""

import re

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

AUDIT_TABLE = "audit_auditevent"
_ROLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def hardening_sql(app_role: str, *, schema: str, database: str, server_version: int) -> list[str]:
    """The statements, in order, for ``app_role`` (already created, LOGIN, not the owner)."""
    if not _ROLE.match(app_role):
        raise CommandError(
            f"--app-role must be a plain role name (letters, digits, _; at most 63); got {app_role!r}"
        )
    q = connection.ops.quote_name
    role, schema_q, audit = q(app_role), q(schema), f"{q(schema)}.{q(AUDIT_TABLE)}"
    sql = [
        f"GRANT CONNECT, TEMPORARY ON DATABASE {q(database)} TO {role}",
        f"GRANT USAGE ON SCHEMA {schema_q} TO {role}",
        # Nobody but the owner creates objects (tables, or functions that shadow the triggers' calls).
        f"REVOKE CREATE ON SCHEMA {schema_q} FROM PUBLIC",
        f"REVOKE CREATE ON SCHEMA {schema_q} FROM {role}",
        # Normal rights everywhere (no TRUNCATE, no TRIGGER, no REFERENCES, no ownership) ...
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema_q} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema_q} TO {role}",
        # ... and on the tables later migrations create (run by the owner, who runs this too).
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema_q} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema_q} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
        # The audit log: append and read, nothing else.
        f"REVOKE ALL ON TABLE {audit} FROM PUBLIC",
        f"REVOKE ALL ON TABLE {audit} FROM {role}",
        f"GRANT SELECT, INSERT ON TABLE {audit} TO {role}",
    ]
    if server_version >= 150000:
        # The import engine's fast path would otherwise switch off foreign-key triggers for its batch.
        sql.append(f"REVOKE SET ON PARAMETER session_replication_role FROM {role}")
    return sql


def check_role(cursor, app_role: str) -> list[str]:
    """Reasons the role cannot be the restricted application role (empty when it can)."""
    cursor.execute(
        "SELECT rolsuper, rolbypassrls, rolcreaterole FROM pg_roles WHERE rolname = %s", [app_role]
    )
    row = cursor.fetchone()
    if row is None:
        return [
            f"role {app_role!r} does not exist: CREATE ROLE {app_role} LOGIN PASSWORD '…' first"
        ]
    problems = []
    if row[0]:
        problems.append(f"role {app_role!r} is a superuser: it bypasses every grant and trigger")
    if row[2]:
        problems.append(f"role {app_role!r} has CREATEROLE: it can grant itself the owner's rights")
    cursor.execute(
        "SELECT r.rolname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
        "WHERE c.oid = to_regclass(%s)",
        [AUDIT_TABLE],
    )
    owner = cursor.fetchone()
    if owner is None:
        problems.append(f"table {AUDIT_TABLE} does not exist: run manage.py migrate first")
    elif owner[0] == app_role:
        problems.append(f"role {app_role!r} owns {AUDIT_TABLE}: run migrations as another role")
    else:
        cursor.execute("SELECT pg_has_role(%s, %s, 'USAGE')", [app_role, owner[0]])
        if cursor.fetchone()[0]:
            problems.append(
                f"role {app_role!r} is a member of the owner {owner[0]!r} and has its rights"
            )
    return problems


class Command(BaseCommand):
    help = (
        "Print the GRANT/REVOKE statements that make the audit log append-only for the application's "
        "database role (PostgreSQL); --execute runs them. Run as the tables' owner after every migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("--app-role", required=True, help="the role web and worker connect as")
        parser.add_argument(
            "--execute", action="store_true", help="run the statements (as the owner) too"
        )

    def handle(self, *args, app_role, execute=False, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "harden_database is for PostgreSQL; SQLite has no roles (docs/audit.md)"
            )
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema(), current_database()")
            schema, database = cursor.fetchone()
            sql = hardening_sql(
                app_role,
                schema=schema,
                database=database,
                server_version=connection.pg_version,
            )
            problems = check_role(cursor, app_role)
        self.stdout.write(f"-- Run as the owner of the tables, after every migrate ({database}).")
        for statement in sql:
            self.stdout.write(statement + ";")
        if problems:
            raise CommandError("; ".join(problems))
        if execute:
            with transaction.atomic(), connection.cursor() as cursor:
                for statement in sql:
                    cursor.execute(statement)
            self.stdout.write(
                self.style.SUCCESS(f"Done: {app_role} may only append to the audit log.")
            )
