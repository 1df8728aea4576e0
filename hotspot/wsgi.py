"""WSGI entry point for gunicorn: ``gunicorn hotspot.wsgi``."""

import os
import sys

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotspot.settings")

try:
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
except ImproperlyConfigured as exc:
    sys.exit(f"Configuration error: {exc}")
