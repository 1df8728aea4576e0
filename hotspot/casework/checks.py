"""System check: a site that runs casework without its pseudonym secret fails at start-up (``manage.py
check --deploy``, gunicorn's first import), not at the first CPR number a caseworker types."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from hotspot import config


@checks.register(checks.Tags.security)
def pseudonym_secret(app_configs, **kwargs):
    try:
        config.casework_hmac_key(debug=settings.DEBUG)
        config.casework_name_keys()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="casework.E001")]
    return []
