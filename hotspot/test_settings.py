"""Settings for the test suite: production settings with a test key and fast password hashing.

The suite runs on SQLite by default and on PostgreSQL when DATABASE_URL points there.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("CASEWORK_HMAC_KEY", "test-only-casework-key-" + "y" * 20)

from hotspot.settings import *  # noqa: E402,F403

# The suite runs against the demo city, so it installs the demo app whatever DEMO_MODE says.
if "hotspot.demo" not in INSTALLED_APPS:  # noqa: F405
    INSTALLED_APPS.append("hotspot.demo")  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Tasks run inline in tests unless a test asks for the database backend explicitly.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
