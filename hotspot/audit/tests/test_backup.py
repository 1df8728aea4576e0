"""Backups (``manage.py backup`` / ``restore``, hotspot/backup.py): the demo city's test database is
backed up, restored into an empty database, and found there row for row with its audit chain intact.

The round trip runs on the engine of the suite's pass: into a new SQLite file, or into a throwaway
PostgreSQL database made on the server's maintenance database. The restored data are counted with the
database driver itself (sqlite3, psycopg), not with the code under test.
"""

import hashlib
import io
import json
import shutil
import sqlite3
import time
import uuid
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import override_settings

from hotspot import backup
from hotspot.audit import chain
from hotspot.audit.models import AuditEvent

PG = connection.vendor == "postgresql"
pg_only = pytest.mark.skipif(not PG, reason="the pg_dump/pg_restore round trip needs PostgreSQL")
sqlite_only = pytest.mark.skipif(PG, reason="the SQLite backup API round trip needs SQLite")

#: Generous ceilings (seconds) for the test database (scale 0.1): a backup or restore far slower than
#: the few seconds docs/backup.md reports is a regression.
BACKUP_SECONDS = 60
RESTORE_SECONDS = 120

UPLOADS = {
    "imports/2024/anmeldelser.csv": b"dato;adresse\n2024-01-02;Torvet 1\n",
    "reports/rapport æøå.pdf": b"%PDF-1.4\n" + bytes(range(256)) * 40,
}


def _write_uploads(root: Path) -> None:
    for name, body in UPLOADS.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)


def _model_counts() -> dict[str, int]:
    """Every model's table and its rows, counted with the ORM on the test database."""
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            counts[model._meta.db_table] = model._base_manager.count()
    return counts


class Target:
    """An empty database of the suite's engine, with a driver-level connection to read it."""

    def __init__(self, tmp_path):
        cfg = dict(connection.settings_dict)
        if PG:
            import psycopg

            self.name = f"hotspot_restore_{uuid.uuid4().hex[:8]}"
            self._params = {
                "user": cfg["USER"],
                "password": cfg["PASSWORD"] or None,
                "host": cfg["HOST"],
                "port": cfg["PORT"] or 5432,
            }
            self._admin = psycopg.connect(dbname="postgres", autocommit=True, **self._params)
            self._admin.execute(f'CREATE DATABASE "{self.name}"')
        else:
            self.name = str(tmp_path / f"restored-{uuid.uuid4().hex[:8]}.sqlite3")
        self.settings = {**cfg, "NAME": self.name}

    def query(self, sql: str) -> list[tuple]:
        if PG:
            import psycopg

            with psycopg.connect(dbname=self.name, **self._params) as conn:
                return conn.execute(sql).fetchall()
        conn = sqlite3.connect(self.name)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    def tables(self) -> set[str]:
        if PG:
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        else:
            sql = (
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'sqlite_sequence'"
            )
        return {name for (name,) in self.query(sql)}

    def count(self, table: str) -> int:
        return self.query(f'SELECT COUNT(*) FROM "{table}"')[0][0]

    def drop(self) -> None:
        if PG:
            self._admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self._admin.close()


@pytest.fixture
def target(tmp_path):
    t = Target(tmp_path)
    yield t
    t.drop()


def _backup_outside_the_test_transaction(tmp_path_factory, django_db_blocker, **patches):
    """``manage.py backup`` of the test database (the committed demo city) and two uploaded files.

    It runs before the test's transaction opens (a module fixture): SQLite's backup API waits forever for
    a connection with an open write transaction, which every test with ``db`` holds. Returns the
    directory it wrote into, the seconds it took and the exception it raised (or None).
    """
    media = tmp_path_factory.mktemp("media")
    _write_uploads(media)
    out = tmp_path_factory.mktemp("backups")
    error = None
    with (
        pytest.MonkeyPatch.context() as mp,
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media),
    ):
        for name, value in patches.items():
            mp.setattr(backup, name, value)
        started = time.perf_counter()
        try:
            call_command("backup", str(out), stdout=io.StringIO(), stderr=io.StringIO())
        except Exception as exc:  # noqa: BLE001 - the interrupted backup's exception is the result
            error = exc
        seconds = time.perf_counter() - started
    return out, seconds, error


@pytest.fixture(scope="module")
def made_backup(tmp_path_factory, django_db_setup, django_db_blocker):
    out, seconds, error = _backup_outside_the_test_transaction(tmp_path_factory, django_db_blocker)
    assert error is None
    (directory,) = out.iterdir()
    return directory, seconds


def _disk_full(root, dest):
    raise OSError(28, "No space left on device")


@pytest.fixture(scope="module")
def interrupted_backup(tmp_path_factory, django_db_setup, django_db_blocker):
    """A backup that fails after the database dump (archive_media, the next step, raises)."""
    out, _, error = _backup_outside_the_test_transaction(
        tmp_path_factory, django_db_blocker, archive_media=_disk_full
    )
    return out, error


@pytest.fixture
def copy_of_backup(made_backup, tmp_path):
    directory, _ = made_backup
    return Path(shutil.copytree(directory, tmp_path / directory.name))


def _restore(directory, alias, **options):
    out = io.StringIO()
    call_command("restore", str(directory), database=alias, stdout=out, **options)
    return out.getvalue()


def _round_trip(made_backup, target, tmp_path, settings):
    directory, backup_seconds = made_backup
    original = _model_counts()
    head = chain.verify()
    assert head.ok and head.rows > 0 and original["audit_auditevent"] == head.rows
    assert not directory.name.endswith(".partial")

    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["engine"] == connection.vendor
    assert manifest["database"] == connection.settings_dict["NAME"]
    assert {t: manifest["tables"][t] for t in original} == original
    assert manifest["audit"]["seq"] == head.head_seq and manifest["audit"]["hash"] == head.head_hash
    assert manifest["audit"]["id"] == AuditEvent.objects.get(seq=head.head_seq).id
    # The test database is fully migrated: the latest applied migration of each app is its leaf.
    assert manifest["migrations"] == dict(MigrationLoader(connection).graph.leaf_nodes())
    assert manifest["media"]["files"] == len(UPLOADS)
    assert set(manifest["files"]) == {p.name for p in directory.iterdir()} - {"manifest.json"}
    for name, recorded in manifest["files"].items():
        body = (directory / name).read_bytes()
        assert recorded == {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}

    settings.MEDIA_ROOT = tmp_path / "restored-media"
    with backup.temporary_alias(target.settings) as alias:
        started = time.perf_counter()
        verdict = _restore(directory, alias)
        restore_seconds = time.perf_counter() - started
        assert verdict.startswith("Restore verified: ")
        assert f"sequence number {head.head_seq}" in verdict

        # Counted by the driver, in the restored database.
        assert {t: target.count(t) for t in original} == original
        assert target.query("SELECT seq, hash FROM audit_auditevent ORDER BY seq DESC LIMIT 1") == [
            (head.head_seq, head.head_hash)
        ]
        restored = chain.verify(
            AuditEvent.objects.using(alias).all(), expect_head=(head.head_seq, head.head_hash)
        )
        assert restored.ok and restored.rows == head.rows and restored.head_hash == head.head_hash
        assert chain.missing_triggers(backup.connections[alias]) == []
        for name, body in UPLOADS.items():
            assert (settings.MEDIA_ROOT / name).read_bytes() == body

        # The target is no longer empty: refused without --force, nothing changed; replaced with it.
        with pytest.raises(CommandError, match="is not empty .*--force"):
            _restore(directory, alias)
        assert _restore(directory, alias, force=True).startswith("Restore verified: ")
        assert {t: target.count(t) for t in original} == original

    assert backup_seconds < BACKUP_SECONDS and restore_seconds < RESTORE_SECONDS


@sqlite_only
def test_sqlite_backup_restores_into_an_empty_file(db, made_backup, target, tmp_path, settings):
    assert (made_backup[0] / "db.sqlite3").is_file()
    _round_trip(made_backup, target, tmp_path, settings)


@pg_only
def test_postgresql_backup_restores_into_an_empty_database(
    db, made_backup, target, tmp_path, settings
):
    assert (made_backup[0] / "database.dump").is_file()
    _round_trip(made_backup, target, tmp_path, settings)


def _nothing_restored(target, media_root):
    assert target.tables() == set()
    assert not media_root.exists() or not any(media_root.iterdir())


def test_a_manifest_with_an_altered_hash_is_refused(db, copy_of_backup, target, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    manifest_path = copy_of_backup / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    name = "database.dump" if PG else "db.sqlite3"
    manifest["files"][name]["sha256"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest))
    with backup.temporary_alias(target.settings) as alias:
        with pytest.raises(CommandError, match=f"{name}: its SHA-256 differs from the manifest"):
            _restore(copy_of_backup, alias)
    _nothing_restored(target, settings.MEDIA_ROOT)


def test_a_changed_file_is_refused(db, copy_of_backup, target, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    archive = copy_of_backup / "media.tar"
    body = bytearray(archive.read_bytes())
    body[520] ^= 0xFF  # inside the first member's content (after its 512-byte header); same size
    archive.write_bytes(bytes(body))
    with backup.temporary_alias(target.settings) as alias:
        with pytest.raises(CommandError, match="media.tar: its SHA-256 differs"):
            _restore(copy_of_backup, alias)
    _nothing_restored(target, settings.MEDIA_ROOT)


def test_a_backup_of_the_other_engine_is_refused(db, copy_of_backup, target, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    manifest_path = copy_of_backup / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["engine"] = "sqlite" if PG else "postgresql"
    manifest_path.write_text(json.dumps(manifest))
    with backup.temporary_alias(target.settings) as alias:
        with pytest.raises(CommandError, match=f"the target .* is {connection.vendor}"):
            _restore(copy_of_backup, alias)
    _nothing_restored(target, settings.MEDIA_ROOT)


def test_a_database_that_is_not_empty_is_refused(db, copy_of_backup, target, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    with backup.temporary_alias(target.settings) as alias:
        with backup.connections[alias].cursor() as cursor:
            cursor.execute("CREATE TABLE kept (x integer)")
            cursor.execute("INSERT INTO kept VALUES (1)")
        backup.connections[alias].close()
        with pytest.raises(CommandError, match=r"is not empty \(kept hold rows\)"):
            _restore(copy_of_backup, alias)
    assert target.tables() == {"kept"} and target.count("kept") == 1
    assert not settings.MEDIA_ROOT.exists()


def test_uploaded_files_in_media_root_are_not_overwritten_without_force(
    db, copy_of_backup, target, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    (settings.MEDIA_ROOT / "imports").mkdir(parents=True)
    (settings.MEDIA_ROOT / "imports" / "newer.csv").write_text("x\n")
    with backup.temporary_alias(target.settings) as alias:
        with pytest.raises(CommandError, match=r"already holds 1 file\(s\)"):
            _restore(copy_of_backup, alias)
    assert target.tables() == set()


def test_an_interrupted_backup_leaves_only_a_partial_directory(
    db, interrupted_backup, target, tmp_path, settings
):
    out, error = interrupted_backup
    assert isinstance(error, OSError) and "No space left" in str(error)
    (partial,) = out.iterdir()
    assert partial.name.endswith(".partial")
    assert {p.name for p in partial.iterdir()} == {"database.dump" if PG else "db.sqlite3"}

    settings.MEDIA_ROOT = tmp_path / "restored-media"
    with backup.temporary_alias(target.settings) as alias:
        with pytest.raises(CommandError, match=r"an unfinished backup \(\.partial\)"):
            _restore(partial, alias)
        renamed = partial.rename(partial.with_name(partial.name.removesuffix(".partial")))
        with pytest.raises(CommandError, match="manifest.json: missing"):
            _restore(renamed, alias)
    _nothing_restored(target, settings.MEDIA_ROOT)


def test_a_sqlite_backup_inside_a_transaction_is_refused_not_stuck(db, tmp_path):
    if PG:
        pytest.skip("PostgreSQL backs up from a snapshot of its own, whatever transaction is open")
    with pytest.raises(CommandError, match="cannot be backed up from inside a transaction"):
        call_command("backup", str(tmp_path), stdout=io.StringIO())
    assert list(tmp_path.iterdir()) == []


def test_a_missing_backup_directory_is_refused_naming_it(db, tmp_path):
    with pytest.raises(CommandError, match=f"{tmp_path / 'nowhere' / 'manifest.json'}: missing"):
        call_command("restore", str(tmp_path / "nowhere"), stdout=io.StringIO())


def test_the_verdict_names_what_differs_after_the_restore(
    db, made_backup, target, tmp_path, settings
):
    """A restored database that lost the audit log's last row (its guard switched off) is reported."""
    directory, _ = made_backup
    manifest = json.loads((directory / "manifest.json").read_text())
    rows, last = manifest["tables"]["audit_auditevent"], manifest["audit"]["seq"]
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    with backup.temporary_alias(target.settings) as alias:
        assert _restore(directory, alias).startswith("Restore verified: ")
        assert backup.compare(alias, manifest) == []
        guard = "audit_auditevent_append_only" if PG else "audit_auditevent_no_delete"
        with backup.connections[alias].cursor() as cursor:
            if PG:
                cursor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {guard}")
            else:
                cursor.execute(f"DROP TRIGGER {guard}")
            cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [last])
        problems = backup.compare(alias, manifest)
    assert problems == [
        f"table audit_auditevent has {rows - 1} rows, the backup {rows}",
        f"the restored audit chain is broken: the chain ends at sequence number {last - 1}, but "
        f"sequence number {last} was recorded: rows at the end were deleted",
        f"the audit log's guarding triggers are missing: {guard}",
    ]
    outcome = backup.Outcome(False, 1, rows, 0, last, problems)
    assert outcome.verdict.startswith("Restore DIFFERS from the backup: table audit_auditevent")
