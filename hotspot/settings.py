"""Settings for the hotspot platform, read from the environment (see docs/configuration.md)."""

from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from hotspot.config import (
    database_url,
    env_bool,
    env_int,
    env_list,
    env_str,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = secret_key(debug=DEBUG)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is required when DEBUG is off (comma-separated host names)"
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_NAME = env_str("SITE_NAME", "Hotspot")
# The demo site shows a banner that it holds synthetic data (UX.md).
DEMO_MODE = env_bool("DEMO_MODE", DEBUG)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "hotspot.accounts",
    "hotspot.audit",
    "hotspot.areas",
    "hotspot.incidents",
    "hotspot.surveys",
    "hotspot.indicators",
    "hotspot.imports",
    "hotspot.indices",
    "hotspot.programmes",
    "hotspot.casework",
    "hotspot.spatial",
    "hotspot.notifications",
    "hotspot.public",
    "hotspot.api",
    "rest_framework",
    "drf_spectacular",
    "hotspot.evaluations",
    "hotspot.reports",
]
# The demo city (make_demo_city, its programmes and studies) is an app of its own that only a demo site
# installs; no other app imports it (tests/test_architecture.py).
if DEMO_MODE:
    INSTALLED_APPS.append("hotspot.demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "hotspot.accounts.middleware.DanishFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hotspot.accounts.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "hotspot.accounts.middleware.MunicipalityMiddleware",
    # Ends sessions on the server: idle for the roles that see person data, absolute for all.
    "hotspot.accounts.middleware.SessionTimeoutMiddleware",
    # Tells whoever started a long computation that it finished, on their next page (after the above).
    "hotspot.notices.FinishedWorkMiddleware",
    # Last, so that it sees the response of a failed login (django-axes' requirement).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hotspot.urls"
WSGI_APPLICATION = "hotspot.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "hotspot" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hotspot.accounts.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": database_url(f"sqlite:///{VAR_DIR / 'hotspot.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses locked-out users before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login rate limiting: LOGIN_FAILURE_LIMIT failed attempts for one user name from one address lock it
# out for LOGIN_LOCKOUT_MINUTES; each failure and lock-out is audited (hotspot.audit.signals).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# ...and LOGIN_ADDRESS_FAILURE_LIMIT failed attempts from one address, whatever the user names, lock that
# address out for as long (password spraying); axes has one limit for all combinations, so a handler adds it.
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20, minimum=1)
# The small-cell rule (hotspot/disclosure.py): counts of reports and charges below this are
# hidden, with their rates, from roles without raw-data rights.
SMALL_CELL_MIN = env_int("SMALL_CELL_MIN", 5, minimum=2)
AXES_HANDLER = "hotspot.accounts.lockout.AddressLimitHandler"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# An attempt refused because of a lock-out is not a new failure: otherwise colleagues behind the same
# address (one town-hall NAT) logging in with the right password would keep the address locked.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False
# One answer to "which address did this request come from", for lock-outs and the audit log alike;
# behind a reverse proxy (BEHIND_PROXY=1) it is the address the proxy appended to X-Forwarded-For.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
AXES_CLIENT_IP_CALLABLE = "hotspot.audit.actions.client_ip"

LANGUAGE_CODE = "da"
LANGUAGES = [("da", _("Danish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True
# Thousands separators only where a template asks (intcomma): years and codes stay 2025, not 2.025.
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "hotspot" / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
# Imports (docs/data-import.md): files above this size are refused before they are read.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 2 * 1024**3, minimum=1)
# E-mail (notifications): Django's SMTP backend configured from the environment; without EMAIL_HOST the
# messages are written to the console (the demo) and every notification is in the app's list anyway.
EMAIL_HOST = env_str("EMAIL_HOST", "") or ""
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "hotspot@localhost")
# The site's address for links in e-mails (e.g. https://hotspot.kommune.dk); empty: no link.
SITE_URL = env_str("SITE_URL", "") or ""
NOTIFICATIONS_EVERY_MINUTES = env_int("NOTIFICATIONS_EVERY_MINUTES", 15, minimum=1)
# The JSON API (hotspot/api): token authentication only (no session: a browser does not send a token by
# itself, so no CSRF), one permission class, limit/offset pages, the OpenAPI schema by drf-spectacular.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["hotspot.api.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["hotspot.api.permissions.ScopedCapability"],
    "DEFAULT_PAGINATION_CLASS": "hotspot.api.pagination.Pages",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hotspot platform API",
    "DESCRIPTION": "Areas, safety-index runs and scores, programmes with goals and tasks, studies and "
    "spatial analyses of the token's municipality. Authorization: Bearer <token>.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "ENUM_NAME_OVERRIDES": {
        "TaskStatusEnum": "hotspot.programmes.models.TaskStatus",
        "ComputationStatusEnum": "hotspot.computations.Status",
    },
}
# The largest grid (cells, or periods x cells for emerging hot spots) a spatial run may create.
SPATIAL_MAX_CELLS = env_int("SPATIAL_MAX_CELLS", 2_000_000, minimum=100)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Without collectstatic (make demo, tests) whitenoise serves straight from the app folders.
WHITENOISE_USE_FINDERS = DEBUG

TASKS = {
    "default": {
        "BACKEND": env_str("TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

SESSION_COOKIE_AGE = env_int("SESSION_HOURS", 10, minimum=1) * 3600
# Roles that see person data are logged out after this many minutes without a request (the page warns
# two minutes before and counts typing as activity); SESSION_HOURS after login ends every session.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 15, minimum=3)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp 4): only our own files; no inline script or style, no eval. JSON data
# blocks (<script type="application/json">) are not executed, so the policy does not concern them; Leaflet
# and Chart.js set styles through element.style (the CSSOM), which CSP allows. data: images: the empty
# favicon of base.html. Templates are checked by hotspot/accounts/tests/test_hardening.py.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if BEHIND_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if BEHIND_PROXY:
    USE_X_FORWARDED_HOST = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
