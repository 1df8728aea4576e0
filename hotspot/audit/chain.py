"""The hash chain of the audit log: every row stores SHA-256(previous row's hash + its own content).

On PostgreSQL the chain is computed by the database trigger ``audit_chain`` (migration 0003), which also
sets the row's sequence number and time; on SQLite ``actions.record`` computes it under the database's
write lock. ``verify`` recomputes it here, in Python, independently of any code stored in the database.
The canonical text below and its copy in the trigger must never change: old rows would stop verifying.

What the chain detects and what it does not is in docs/audit.md ("Trust model").
"""

import datetime as dt
import hashlib
from dataclasses import dataclass

GENESIS = "0" * 64  # the "previous hash" of the first row


def _part(value) -> str:
    # Length-prefixed, so that no two different rows have the same canonical text; NULL is not "".
    if value is None:
        return "-"
    value = str(value)
    return f"{len(value)}:{value}"


def _ip(value) -> str | None:
    if value is None or value == "":
        return None
    value = str(value)
    return value[:-3] if value.endswith("/32") else value.removesuffix("/128")


def canonical(row) -> str:
    """The content of one row that the chain covers, as text (``row`` is an AuditEvent)."""
    at = row.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    fields = "".join(_part(name) for name in (row.fields or []))
    return "".join(
        _part(value)
        for value in (
            row.seq,
            at,
            row.actor_id,
            row.actor_username,
            row.municipality_id,
            row.action,
            row.object_type,
            row.object_id,
            row.purpose,
            fields,
            row.count,
            _ip(row.ip),
        )
    )


def row_hash(previous: str, row) -> str:
    return hashlib.sha256(f"{previous}\n{canonical(row)}".encode()).hexdigest()


@dataclass(frozen=True)
class Verdict:
    ok: bool
    rows: int  # rows checked
    head_seq: int | None  # the last row of the chain
    head_hash: str
    problem: str = ""  # the first break, naming the row
    broken_id: int | None = None


def verify(queryset=None, *, expect_head: tuple[int, str] | None = None) -> Verdict:
    """Walk the whole chain in order; stop at the first break.

    ``expect_head`` is a (sequence number, hash) the data protection officer recorded earlier: the row
    with that number must still exist with that hash (this is what detects a truncated tail).
    """
    from hotspot.audit.models import AuditEvent

    qs = queryset if queryset is not None else AuditEvent.objects.all()
    unchained = qs.filter(seq__isnull=True).order_by("id").values_list("id", flat=True).first()
    previous, expected_seq, rows = GENESIS, 1, 0
    head_seq = None
    for row in qs.exclude(seq__isnull=True).order_by("seq").iterator(chunk_size=5000):
        if row.seq != expected_seq:
            return Verdict(
                False,
                rows,
                head_seq,
                previous,
                f"row id {row.id} has sequence number {row.seq}, expected {expected_seq}: "
                f"{row.seq - expected_seq} row(s) before it are missing",
                row.id,
            )
        if row.hash != row_hash(previous, row):
            return Verdict(
                False,
                rows,
                head_seq,
                previous,
                f"row id {row.id} (sequence number {row.seq}) does not match its hash: "
                "the row was changed, or a row before it was changed or inserted",
                row.id,
            )
        previous, head_seq, expected_seq, rows = row.hash, row.seq, expected_seq + 1, rows + 1
        if expect_head and row.seq == expect_head[0] and row.hash != expect_head[1]:
            return Verdict(
                False,
                rows,
                head_seq,
                previous,
                f"row id {row.id} (sequence number {row.seq}) has hash {row.hash}, but "
                f"{expect_head[1]} was recorded for it: the log was rewritten from there on",
                row.id,
            )
    if unchained is not None:
        return Verdict(
            False,
            rows,
            head_seq,
            previous,
            f"row id {unchained} has no sequence number: it was written past the chain "
            "(with the database trigger disabled)",
            unchained,
        )
    if expect_head and (head_seq is None or head_seq < expect_head[0]):
        return Verdict(
            False,
            rows,
            head_seq,
            previous,
            f"the chain ends at sequence number {head_seq or 0}, but sequence number "
            f"{expect_head[0]} was recorded: rows at the end were deleted",
        )
    return Verdict(True, rows, head_seq, previous)


#: The triggers that keep the log append-only and chained (migrations 0002 and 0003). A later migration
#: that rebuilds the table on SQLite (an AlterField does) drops them silently: ``missing_triggers`` finds it.
TRIGGERS = {
    "postgresql": ("audit_auditevent_append_only", "audit_auditevent_chain"),
    "sqlite": (
        "audit_auditevent_no_update",
        "audit_auditevent_no_delete",
        "audit_auditevent_insert",
    ),
}


def missing_triggers(connection) -> list[str]:
    """The guarding triggers that are absent (or, on PostgreSQL, not ``ENABLE ALWAYS``)."""
    wanted = TRIGGERS.get(connection.vendor, ())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass "
                "AND tgenabled = 'A'"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_auditevent'"
            )
        present = {name for (name,) in cursor.fetchall()}
    return [name for name in wanted if name not in present]
