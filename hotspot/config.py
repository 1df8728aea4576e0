"""Read settings from the environment, healthchecks style.

Each helper raises ``ImproperlyConfigured`` with one line that names the variable, so a wrong or missing
setting stops start-up with a message an operator can act on (``manage.py`` and ``wsgi.py`` print it
without a traceback).
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in TRUE:
        return True
    if value.strip().lower() in FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}"
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {number}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def _secret_from_env_or_file(name: str) -> str | None:
    """The value of ``name``, or the contents of the file named by ``name``_FILE; None when neither is set."""
    value = os.environ.get(name)
    path = os.environ.get(f"{name}_FILE")
    if value and path:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both")
    if path:
        try:
            value = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE {path!r} cannot be read: {exc.strerror}"
            ) from None
        if not value:
            raise ImproperlyConfigured(f"{name}_FILE {path!r} is empty")
    return value or None


def secret_key(*, debug: bool) -> str:
    """SECRET_KEY from the variable, or from the file named by SECRET_KEY_FILE (Docker/systemd secrets)."""
    key = _secret_from_env_or_file("SECRET_KEY")
    if key:
        if not debug and len(key) < 50:
            raise ImproperlyConfigured(
                "SECRET_KEY must be at least 50 characters when DEBUG is off"
            )
        return key
    if debug:
        # Development only: a fixed, clearly marked key so sessions survive restarts of `make demo`.
        return "insecure-development-key-do-not-use-in-production-0123456789abcdef"
    raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is off")


def casework_hmac_key(*, debug: bool) -> str:
    """CASEWORK_HMAC_KEY (or the file named by CASEWORK_HMAC_KEY_FILE): the secret of the keyed hash that
    turns a CPR number into a case's person key. It lives outside the database; changing it makes every
    stored key unrecognisable. Read when a key is computed, so a site without casework needs none."""
    key = _secret_from_env_or_file("CASEWORK_HMAC_KEY")
    if key:
        if not debug and len(key) < 32:
            raise ImproperlyConfigured(
                "CASEWORK_HMAC_KEY must be at least 32 characters when DEBUG is off"
            )
        return key
    if debug:
        # Development only, like SECRET_KEY: a fixed, clearly marked key.
        return "insecure-development-casework-key-do-not-use-in-production"
    raise ImproperlyConfigured(
        "CASEWORK_HMAC_KEY (or CASEWORK_HMAC_KEY_FILE) is required when DEBUG is off"
    )


def casework_name_keys() -> list[str]:
    """CASEWORK_NAME_KEYS (or the file named by CASEWORK_NAME_KEYS_FILE): comma-separated Fernet keys for
    names stored at rest, the current key first; older keys after it still decrypt (key rotation)."""
    value = _secret_from_env_or_file("CASEWORK_NAME_KEYS") or ""
    return [item.strip() for item in value.split(",") if item.strip()]


def database_url(default: str) -> dict:
    import dj_database_url

    url = os.environ.get("DATABASE_URL") or default
    try:
        config = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 0, minimum=0))
    except Exception as exc:  # dj_database_url raises several types on a bad URL
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
    engine = config.get("ENGINE", "")
    if engine not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
        raise ImproperlyConfigured(
            f"DATABASE_URL must point to SQLite or PostgreSQL; got engine {engine or url!r}"
        )
    if engine == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # WAL lets the web process read while the task worker writes. Writers take turns: a login,
        # a session or an audit row waits up to 20 s for the one write lock (imports write in short
        # transactions, one per chunk: imports.engine.chunked_commit) instead of failing at once.
        config.setdefault("OPTIONS", {})["init_command"] = (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
        )
        config["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    return config
