"""The upload form says the configured limit in sensible units (issue 14 item 11: "Filer op til 2147
MB" for the default 2 GB)."""

import pytest
from django.urls import reverse
from django.utils import translation

from hotspot.imports.pages import size_words


@pytest.mark.parametrize(
    ("n_bytes", "en", "da"),
    [
        (2 * 1024**3, "2 GB", "2 GB"),
        (3 * 1024**3 // 2, "1.5 GB", "1,5 GB"),
        (500 * 1024**2, "500 MB", "500 MB"),
        (1024**3 - 1024**2, "1,023 MB", "1.023 MB"),
        (10 * 1024, "10 kB", "10 kB"),
        (512, "512 B", "512 B"),
    ],
)
def test_a_size_in_words(n_bytes, en, da):
    with translation.override("en"):
        assert size_words(n_bytes) == en
    with translation.override("da"):
        assert size_words(n_bytes) == da


def test_the_upload_form_says_the_configured_limit(client, analyst, settings):
    client.force_login(analyst)
    with translation.override("en"):
        html = client.get(reverse("imports:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 GB" in html and "2147" not in html and "2.147" not in html
    settings.IMPORT_MAX_BYTES = 200 * 1024**2
    html = client.get(reverse("imports:home")).content.decode()
    assert "200 MB" in html
