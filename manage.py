#!/usr/bin/env python
"""Django's command-line utility for the hotspot platform."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotspot.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018  (load settings now so a bad variable stops here)
    except ImproperlyConfigured as exc:
        # One line that names the variable, no traceback (docs/configuration.md).
        sys.exit(f"Configuration error: {exc}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
