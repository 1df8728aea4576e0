"""Backups of the database and the uploaded files, with a manifest; and their checked restore.

A backup is a directory ``OUT_DIR/<UTC time>`` holding

- the database: ``database.dump`` (PostgreSQL, ``pg_dump --format=custom --no-owner``) or
  ``db.sqlite3`` (SQLite, a copy made with SQLite's online backup API, never a copy of the live file);
- ``media.tar``: every file under MEDIA_ROOT;
- ``manifest.json``: when and from what it was made, the migration state, the number of rows of every
  table, the audit chain's head, the platform's version, and the SHA-256 and size of each file above.

The manifest describes exactly the data in the dump: on PostgreSQL the counts and the audit head are read
in one REPEATABLE READ transaction whose snapshot ``pg_dump --snapshot`` dumps; on SQLite they are read
from the copy. A backup is written into ``<UTC time>.partial`` and renamed when complete, so a failed run
leaves only a ``.partial`` directory, which ``restore`` refuses.

``restore`` checks before it changes anything (the manifest is there, every file has its recorded hash
and size, the engine is the target's, the target is empty unless forced), restores, and then compares the
target with the manifest: every table's row count and the audit chain up to the recorded head
(``hotspot.audit.chain.verify``). docs/backup.md is the operator's guide.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404: pg_dump and pg_restore, with argument lists, never a shell
import tarfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction
from django.db.utils import load_backend

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_COPY = "db.sqlite3"
MEDIA = "media.tar"
PARTIAL = ".partial"
_CHUNK = 1 << 20


class BackupError(Exception):
    """An expected failure (a refused restore, a failed pg_dump): its text names the file and the reason."""


# --- connections ------------------------------------------------------------------------------------


def vendor(settings_dict: dict) -> str:
    engine = settings_dict["ENGINE"]
    if engine.endswith("postgresql"):
        return "postgresql"
    if engine.endswith("sqlite3"):
        return "sqlite"
    raise BackupError(f"backups support SQLite and PostgreSQL, not {engine}")


@contextlib.contextmanager
def temporary_alias(settings_dict: dict):
    """A database alias for ``settings_dict`` (Django's settings of one database) while the block runs,
    so that the ORM (``Model.objects.using(alias)``) can read another database or another snapshot.

    The connection is registered for this thread only and not in ``settings.DATABASES``: a connection
    made at run time, not a database of the project's."""
    alias = f"backup_{uuid.uuid4().hex[:8]}"
    # configure_settings fills in Django's defaults (it wants its dictionary's first key "default").
    filled = connections.configure_settings({"default": dict(settings_dict)})["default"]
    connections[alias] = load_backend(filled["ENGINE"]).DatabaseWrapper(filled, alias)
    try:
        yield alias
    finally:
        connections[alias].close()
        del connections[alias]


def _pg_command(program: str, settings_dict: dict) -> tuple[list[str], dict]:
    """The program's path and connection arguments, and an environment carrying the password (never an
    argument: arguments are visible in the process list)."""
    path = shutil.which(program)
    if path is None:
        raise BackupError(f"{program} is not installed (Debian: apt-get install postgresql-client)")
    args = [path]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            args.append(f"{option}={settings_dict[key]}")
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    options = settings_dict.get("OPTIONS") or {}
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey", "passfile", "service"):
        if options.get(key):
            env[f"PG{key.upper()}"] = str(options[key])
    return args, env


def _run(args: list[str], env: dict, what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # nosec B603
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(
            f"{what} failed (exit code {done.returncode}): "
            + (" ".join(detail[-3:]) or "no output")
        )


# --- what a database holds --------------------------------------------------------------------------


def model_tables() -> set[str]:
    """Every model's table (django.apps, many-to-many tables included)."""
    return {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def table_names(alias: str) -> list[str]:
    """Every table in the database: the models' tables, django_migrations and any the models do not
    know (a table no model names is still data to restore)."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def row_counts(alias: str) -> dict[str, int]:
    connection = connections[alias]
    quote = connection.ops.quote_name
    counts = {}
    with connection.cursor() as cursor:
        for table in table_names(alias):
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # nosec B608: introspected names
            counts[table] = cursor.fetchone()[0]
    return counts


def migration_state(alias: str) -> dict[str, str]:
    """{app: its latest applied migration} (the last one recorded, as ``migrate`` applies them)."""
    connection = connections[alias]
    if "django_migrations" not in table_names(alias):
        return {}
    latest = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
        for app, name in cursor.fetchall():
            latest[app] = name
    return dict(sorted(latest.items()))


def audit_head(alias: str) -> dict:
    """The audit chain's head (the row with the highest sequence number) and whether the chain verifies."""
    from hotspot.audit import chain
    from hotspot.audit.models import AuditEvent

    verdict = chain.verify(AuditEvent.objects.using(alias).all())
    head_id = None
    if verdict.head_seq is not None:
        head_id = (
            AuditEvent.objects.using(alias)
            .filter(seq=verdict.head_seq)
            .values_list("id", flat=True)
            .first()
        )
    return {
        "id": head_id,
        "seq": verdict.head_seq,
        "hash": verdict.head_hash,
        "rows": verdict.rows,
        "intact": verdict.ok,
        "problem": verdict.problem,
    }


def nonempty_tables(alias: str) -> list[str]:
    """The tables of the database that hold at least one row."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    found = []
    with connection.cursor() as cursor:
        for table in table_names(alias):
            cursor.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1")  # nosec B608: introspected names
            if cursor.fetchone():
                found.append(table)
    return found


def platform_version() -> str:
    try:
        return importlib.metadata.version("hotspot")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# --- files ------------------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def archive_media(root: Path, dest: Path) -> dict:
    """Every regular file under ``root`` into the tar ``dest`` (names relative to ``root``)."""
    files, size = 0, 0
    with tarfile.open(dest, "w") as tar:
        for path in _media_files(root):
            tar.add(path, arcname=path.relative_to(root).as_posix(), recursive=False)
            files, size = files + 1, size + path.stat().st_size
    return {"files": files, "bytes": size}


# --- backup -----------------------------------------------------------------------------------------


def _sqlite_copy(alias: str, dest: Path) -> None:
    """SQLite's online backup API: a consistent copy of the live database in one step."""
    connection = connections[alias]
    connection.ensure_connection()
    target = sqlite3.connect(dest)
    try:
        connection.connection.backup(target)
        # The copy is a single file (no -wal beside it), so that its hash stays what the manifest says.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()


def _sqlite_readonly(path: Path) -> dict:
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": f"file:{path}?mode=ro"}


def _describe(alias: str) -> dict:
    tables = row_counts(alias)
    return {
        "migrations": migration_state(alias),
        "tables": tables,
        "rows": sum(tables.values()),
        # Models whose table the database lacks (migrations not applied): named, not silently skipped.
        "models_without_table": sorted(model_tables() - set(tables)),
        "audit": audit_head(alias),
    }


def _new_directory(out_dir: Path, now: dt.datetime) -> tuple[Path, Path]:
    stamp = now.strftime("%Y-%m-%dT%H-%M-%SZ")
    for n in range(1000):
        name = stamp if n == 0 else f"{stamp}-{n}"
        final, partial = out_dir / name, out_dir / f"{name}{PARTIAL}"
        if not final.exists() and not partial.exists():
            partial.mkdir()
            return final, partial
    raise BackupError(f"{out_dir}: too many backups named {stamp}")


def make_backup(out_dir, *, using: str = "default", media_root=None) -> tuple[Path, dict]:
    """Write a backup of database ``using`` and of ``media_root`` (MEDIA_ROOT) into a new directory
    under ``out_dir``; return that directory and its manifest."""
    started = time.monotonic()
    out_dir = Path(out_dir)
    media_root = Path(media_root if media_root is not None else settings.MEDIA_ROOT)
    out_dir.mkdir(parents=True, exist_ok=True)
    settings_dict = dict(connections[using].settings_dict)
    engine = vendor(settings_dict)
    if engine == "sqlite" and connections[using].in_atomic_block:
        # SQLite's backup of a connection with an open write transaction waits for it forever.
        raise BackupError("a SQLite database cannot be backed up from inside a transaction")
    now = dt.datetime.now(dt.UTC)
    final, partial = _new_directory(out_dir, now)

    if engine == "sqlite":
        _sqlite_copy(using, partial / SQLITE_COPY)
        with temporary_alias(_sqlite_readonly(partial / SQLITE_COPY)) as alias:
            described = _describe(alias)
    else:
        from psycopg import IsolationLevel

        snapshot_settings = {
            **settings_dict,
            "OPTIONS": {
                **settings_dict.get("OPTIONS", {}),
                "isolation_level": IsolationLevel.REPEATABLE_READ,
            },
            "CONN_MAX_AGE": 0,
        }
        args, env = _pg_command("pg_dump", settings_dict)
        with temporary_alias(snapshot_settings) as alias, transaction.atomic(using=alias):
            with connections[alias].cursor() as cursor:
                cursor.execute("SET TRANSACTION READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                (snapshot,) = cursor.fetchone()
            described = _describe(alias)
            # The dump sees exactly what the counts above saw (the snapshot is held until the block ends).
            _run(
                [
                    *args,
                    "--format=custom",
                    "--no-owner",
                    f"--snapshot={snapshot}",
                    f"--file={partial / PG_DUMP}",
                    f"--dbname={settings_dict['NAME']}",
                ],
                env,
                "pg_dump",
            )

    media = archive_media(media_root, partial / MEDIA)
    files = {}
    for path in sorted(partial.iterdir()):
        _fsync(path)
        files[path.name] = {"sha256": sha256(path), "size": path.stat().st_size}
    manifest = {
        "format": FORMAT,
        "created_at": now.isoformat(timespec="seconds"),
        "engine": engine,
        "database": str(settings_dict["NAME"]),
        "platform_version": platform_version(),
        **described,
        "media": {"root": str(media_root), **media},
        "files": files,
        "seconds": round(time.monotonic() - started, 2),
    }
    # The manifest last, then the rename: a directory without ".partial" is always complete.
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    _fsync(partial / MANIFEST)
    partial.rename(final)
    _fsync(out_dir)
    return final, manifest


# --- restore ----------------------------------------------------------------------------------------


def read_manifest(backup_dir) -> dict:
    """The manifest of a complete backup (its files are checked by ``check_files``)."""
    backup_dir = Path(backup_dir)
    if backup_dir.name.endswith(PARTIAL):
        raise BackupError(
            f"{backup_dir}: an unfinished backup ({PARTIAL}): the run that wrote it failed or is "
            "still running; use a complete backup"
        )
    path = backup_dir / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path}: missing, so {backup_dir} is not a complete backup")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"{path}: not readable as a manifest ({exc})") from None
    needed = ("format", "engine", "tables", "audit", "files")
    if not isinstance(manifest, dict) or any(key not in manifest for key in needed):
        raise BackupError(f"{path}: not a backup manifest (it lacks {', '.join(needed)})")
    if manifest["format"] != FORMAT:
        raise BackupError(f"{path}: format {manifest['format']}, this version reads {FORMAT}")
    return manifest


def check_files(backup_dir, manifest: dict) -> None:
    """Every file the manifest lists is there with its recorded size and SHA-256."""
    backup_dir = Path(backup_dir)
    database = PG_DUMP if manifest["engine"] == "postgresql" else SQLITE_COPY
    for name in (database, MEDIA):
        if name not in manifest["files"]:
            raise BackupError(f"{backup_dir / MANIFEST}: lists no {name}")
    for name, recorded in manifest["files"].items():
        file = backup_dir / name
        if Path(name).name != name or not file.is_file():
            raise BackupError(f"{file}: missing from the backup")
        if file.stat().st_size != recorded["size"]:
            raise BackupError(
                f"{file}: {file.stat().st_size} bytes, the manifest says {recorded['size']}"
            )
        if sha256(file) != recorded["sha256"]:
            raise BackupError(
                f"{file}: its SHA-256 differs from the manifest's (the file was changed or damaged)"
            )


@dataclass
class Outcome:
    ok: bool
    tables: int
    rows: int
    media_files: int
    audit_seq: int | None
    problems: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if not self.ok:
            return "Restore DIFFERS from the backup: " + "; ".join(self.problems)
        head = (
            f"the audit chain is intact up to its recorded head, sequence number {self.audit_seq}"
            if self.audit_seq
            else "the audit log is empty, as in the backup"
        )
        return (
            f"Restore verified: {self.tables} tables with {self.rows} rows as in the backup; "
            f"{head}; {self.media_files} uploaded file(s)."
        )


def _clear_to_restore(
    alias: str, manifest: dict, backup_dir: Path, media_root: Path, force: bool
) -> None:
    target = connections[alias].settings_dict
    engine = vendor(target)
    if manifest["engine"] != engine:
        raise BackupError(
            f"the backup is of a {manifest['engine']} database, the target {target['NAME']} is "
            f"{engine}: restore into the same engine"
        )
    check_files(backup_dir, manifest)
    if force:
        return
    full = nonempty_tables(alias)
    if full:
        shown = ", ".join(full[:5]) + (f" and {len(full) - 5} more" if len(full) > 5 else "")
        raise BackupError(
            f"the target database {target['NAME']} is not empty ({shown} hold rows): restore into "
            "an empty database, or pass --force to replace its contents"
        )
    media = _media_files(media_root)
    if media:
        raise BackupError(
            f"MEDIA_ROOT {media_root} already holds {len(media)} file(s): restore into an empty "
            "MEDIA_ROOT, or pass --force to write over them"
        )


def _restore_sqlite(alias: str, copy: Path) -> None:
    connection = connections[alias]
    connection.close()
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    finally:
        source.close()
        connection.close()  # reopened with the settings' PRAGMAs on next use


def _restore_postgres(alias: str, dump: Path) -> None:
    connection = connections[alias]
    target = dict(connection.settings_dict)
    connection.close()
    args, env = _pg_command("pg_restore", target)
    _run(
        [
            *args,
            "--no-owner",
            # Grants name the roles of the server the backup came from; the target's come from
            # ``manage.py harden_database`` (docs/backup.md).
            "--no-acl",
            "--clean",
            "--if-exists",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={target['NAME']}",
            str(dump),
        ],
        env,
        "pg_restore",
    )


def _restore_media(archive: Path, media_root: Path) -> int:
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        tar.extractall(
            media_root, members=members, filter="data"
        )  # the "data" filter refuses unsafe names
    return len(members)


def compare(alias: str, manifest: dict) -> list[str]:
    """How database ``alias`` differs from the manifest (empty when it holds what the backup held)."""
    from hotspot.audit import chain
    from hotspot.audit.models import AuditEvent

    problems = []
    counts = row_counts(alias)
    for table, expected in manifest["tables"].items():
        if table not in counts:
            problems.append(f"table {table} is missing ({expected} rows in the backup)")
        elif counts[table] != expected:
            problems.append(f"table {table} has {counts[table]} rows, the backup {expected}")
    head = manifest["audit"]
    if not head.get("intact", True):
        problems.append(
            "the audit chain was already broken when the backup was made: " + head["problem"]
        )
    expect = (head["seq"], head["hash"]) if head.get("seq") else None
    verdict = chain.verify(AuditEvent.objects.using(alias).all(), expect_head=expect)
    if not verdict.ok:
        problems.append(f"the restored audit chain is broken: {verdict.problem}")
    elif verdict.head_seq != head.get("seq") or (expect and verdict.head_hash != head["hash"]):
        problems.append(
            f"the restored audit chain ends at sequence number {verdict.head_seq or 0}, the backup's "
            f"at {head.get('seq') or 0}"
        )
    missing = chain.missing_triggers(connections[alias])
    if missing:
        problems.append("the audit log's guarding triggers are missing: " + ", ".join(missing))
    return problems


def restore_backup(
    backup_dir, *, using: str = "default", media_root=None, force: bool = False
) -> Outcome:
    """Check the backup and the target, restore both, compare with the manifest.

    Raises BackupError, with nothing changed, when the backup or the target is refused; returns the
    outcome of the comparison otherwise.
    """
    backup_dir = Path(backup_dir)
    media_root = Path(media_root if media_root is not None else settings.MEDIA_ROOT)
    manifest = read_manifest(backup_dir)
    _clear_to_restore(using, manifest, backup_dir, media_root, force)
    if manifest["engine"] == "sqlite":
        _restore_sqlite(using, backup_dir / SQLITE_COPY)
    else:
        _restore_postgres(using, backup_dir / PG_DUMP)
    media_files = _restore_media(backup_dir / MEDIA, media_root)
    problems = compare(using, manifest)
    expected_media = manifest.get("media", {}).get("files", media_files)
    if media_files != expected_media:
        problems.append(f"{media_files} uploaded files restored, the backup lists {expected_media}")
    return Outcome(
        ok=not problems,
        tables=len(manifest["tables"]),
        rows=sum(manifest["tables"].values()),
        media_files=media_files,
        audit_seq=manifest["audit"].get("seq"),
        problems=problems,
    )
