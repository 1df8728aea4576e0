"""Settings come from the environment; a wrong or missing one stops start-up with one line naming it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
GOOD_KEY = "k" * 60


def manage(*args, env_overrides=None):
    # A clean environment: only what any process has, plus the variables under test.
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    env["DJANGO_SETTINGS_MODULE"] = "hotspot.settings"
    env.update(env_overrides or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line_error(result, variable):
    assert result.returncode != 0
    lines = [line for line in result.stderr.strip().splitlines() if line]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert variable in lines[0]
    return lines[0]


def test_missing_secret_key_stops_startup(tmp_path):
    result = manage("check", env_overrides={"DEBUG": "0", "ALLOWED_HOSTS": "example.org"})
    one_line_error(result, "SECRET_KEY")


def test_short_secret_key_is_refused():
    result = manage(
        "check", env_overrides={"DEBUG": "0", "SECRET_KEY": "short", "ALLOWED_HOSTS": "example.org"}
    )
    one_line_error(result, "SECRET_KEY")


def test_bad_boolean_names_the_variable():
    result = manage("check", env_overrides={"DEBUG": "maybe"})
    one_line_error(result, "DEBUG")


def test_bad_database_url_names_the_variable():
    result = manage(
        "check", env_overrides={"DEBUG": "1", "DATABASE_URL": "mysql://nobody@nowhere/db"}
    )
    one_line_error(result, "DATABASE_URL")


def test_missing_allowed_hosts_in_production():
    result = manage("check", env_overrides={"DEBUG": "0", "SECRET_KEY": GOOD_KEY})
    one_line_error(result, "ALLOWED_HOSTS")


def test_unreadable_secret_key_file(tmp_path):
    result = manage(
        "check",
        env_overrides={
            "DEBUG": "0",
            "SECRET_KEY_FILE": str(tmp_path / "nope"),
            "ALLOWED_HOSTS": "example.org",
        },
    )
    one_line_error(result, "SECRET_KEY_FILE")


def test_secret_key_from_file_and_deploy_check_passes(tmp_path):
    key_file = tmp_path / "secret"
    key_file.write_text("f" * 20 + "0123456789abcdefghijklmnopqrstuvwxyz!@#$%^&*()" + "\n")
    casework_key = tmp_path / "casework"
    casework_key.write_text("c" * 40 + "\n")
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={
            "DEBUG": "0",
            "SECRET_KEY_FILE": str(key_file),
            "CASEWORK_HMAC_KEY_FILE": str(casework_key),
            "ALLOWED_HOSTS": "hotspot.example.dk",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        },
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("name", ["LOGIN_FAILURE_LIMIT", "SESSION_HOURS"])
def test_bad_numbers_name_the_variable(name):
    result = manage("check", env_overrides={"DEBUG": "1", name: "lots"})
    one_line_error(result, name)
