"""Hardening against the attacks of issue 10: Content-Security-Policy, no caching of data, oversized uploads,
password spraying, and static files that collect with the manifest storage (issue 14)."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from hotspot.audit.models import Action, AuditEvent
from hotspot.imports.models import ImportBatch

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = sorted((ROOT / "hotspot").glob("**/templates/**/*.html"))


def _csp(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


# --- Content-Security-Policy (item 12) -----------------------------------------------------------------


def test_pages_send_a_policy_without_unsafe_inline(client, login, coordinator):
    pages = [reverse("login")]  # anonymous
    for url in pages:
        policy = _csp(client.get(url))
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    client = login(coordinator)
    for name in ("home", "areas:list", "areas:map"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        policy = _csp(response)
        header = response.headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header
        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]


def test_templates_are_found():
    assert len(TEMPLATES) > 50
    assert any(p.name == "base.html" for p in TEMPLATES)


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
HANDLER_ATTR = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTR = re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.IGNORECASE)
STYLE_BLOCK = re.compile(r"<style\b", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def _pdf_only(path: Path) -> bool:
    # printed by WeasyPrint on the server (hotspot.reports.pdf), never sent to a browser: no CSP there
    return path.name.endswith("_pdf.html")


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_has_no_inline_script_handler_or_style(path):
    text = path.read_text(encoding="utf-8")
    where = str(path.relative_to(ROOT))
    for m in SCRIPT_TAG.finditer(text):
        attrs = m.group(1)
        assert re.search(r"\bsrc\s*=", attrs) or re.search(
            r"""type\s*=\s*["']application/json["']""", attrs
        ), f"{where}: inline <script> {m.group(0)!r} (put it in a static file)"
    assert not HANDLER_ATTR.search(text), f"{where}: on…= handler attribute"
    assert not JS_URL.search(text), f"{where}: javascript: URL"
    if not _pdf_only(path):
        assert not STYLE_ATTR.search(text), f"{where}: style= attribute (use a class)"
        assert not STYLE_BLOCK.search(text), f"{where}: <style> block (use a static CSS file)"


def test_json_script_filter_output_is_allowed_by_the_template_test():
    # json_script renders <script id=… type="application/json">: the check above must accept it
    from django.utils.html import json_script

    html = json_script({"a": "</script>"}, "x")
    m = SCRIPT_TAG.search(html)
    assert m and re.search(r"""type\s*=\s*["']application/json["']""", m.group(1))


# --- Cache-Control: no-store (item 18) ------------------------------------------------------------------


def _no_store(response):
    cc = response.headers.get("Cache-Control", "")
    return "no-store" in cc and "private" in cc


def test_pages_and_downloads_of_signed_in_users_are_not_stored(
    login, coordinator, demo_municipality
):
    from hotspot.programmes.models import Programme

    client = login(coordinator)
    page = client.get(reverse("areas:list"))
    assert page.status_code == 200 and _no_store(page)
    csv = client.get(reverse("areas:export", args=["csv"]))
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv") and _no_store(csv)
    programme = Programme.objects.filter(municipality=demo_municipality).first()
    pdf = client.get(reverse("programmes:report_pdf", args=[programme.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and _no_store(pdf)
    geojson = client.get(reverse("areas:geojson"))
    assert geojson.status_code == 200 and _no_store(geojson)


def test_static_files_keep_their_caching(login, coordinator):
    client = login(coordinator)
    static = client.get(staticfiles_storage.url("hotspot/app.css"))
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("Cache-Control", "")


# --- oversized upload: 413 with a Danish message (item 13) ----------------------------------------------


def test_oversized_upload_gets_413_with_the_limit_in_mb(login, analyst, settings):
    settings.IMPORT_MAX_BYTES = 1_000_000
    body = "id,occurred_at,offence\n" + "X-1,2020-01-01T10:00:00,TRUS\n" * 80_000  # 2.3 MB
    response = login(analyst).post(
        reverse("imports:upload"),
        {"kind": "reports", "file": SimpleUploadedFile("stor.csv", body.encode())},
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "Filen er større end grænsen på 1 MB" in page
    assert 'id="upload-errors"' in page
    assert not ImportBatch.objects.filter(file_name="stor.csv").exists()


def test_the_413_message_groups_thousands_in_danish(login, analyst, settings):
    settings.IMPORT_MAX_BYTES = 2 * 1024**3
    # the view refuses on the announced length, before the body is read
    response = login(analyst).post(
        reverse("imports:upload"),
        {"kind": "reports", "file": SimpleUploadedFile("b.csv", b"x")},
        CONTENT_LENGTH=str(3 * 1024**3),
    )
    assert response.status_code == 413
    assert "grænsen på 2.147 MB" in response.content.decode()


# --- password spraying: a per-address limit (item 15) ---------------------------------------------------


def _login(address, username, password):
    return Client().post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_many_user_names_from_one_address_lock_that_address_out(settings, analyst, coordinator):
    settings.AXES_FAILURE_LIMIT = 5
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 4
    for user in (analyst, coordinator):
        user.set_password("right-password-123")
        user.save()
    spray = "192.0.2.10"
    names = ["analyst", "partner", "board", "police"]
    for name in names[:3]:  # one guess per user name: the per-user limit (5) is never reached
        assert _login(spray, name, "Sommer2026!").status_code == 200
    # below the address limit the address still works
    assert _login(spray, "coordinator", "right-password-123").status_code == 302
    assert _login(spray, names[3], "Sommer2026!").status_code == 429  # the 4th failure locks it
    locked = _login(spray, "analyst", "right-password-123")
    assert locked.status_code == 429
    assert "For mange mislykkede login" in locked.content.decode()
    assert AuditEvent.objects.filter(action=Action.LOCKED_OUT, ip=spray).exists()
    # another address is not affected
    assert _login("192.0.2.11", "analyst", "right-password-123").status_code == 302


def test_the_address_limit_counts_only_the_cool_off_time(settings, analyst):
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 2
    analyst.set_password("right-password-123")
    analyst.save()
    for name in ("partner", "board"):
        _login("192.0.2.20", name, "wrong")
    assert _login("192.0.2.20", "analyst", "right-password-123").status_code == 429
    AccessAttempt.objects.filter(ip_address="192.0.2.20").update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    )
    assert _login("192.0.2.20", "analyst", "right-password-123").status_code == 302


def test_refused_logins_during_a_lock_out_do_not_prolong_it(settings, analyst, coordinator):
    """Colleagues behind the locked address who log in with the right password while it is locked
    get the 429 page, but do not count as new failures: when the guesses expire, the address is open."""
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 2
    for user in (analyst, coordinator):
        user.set_password("right-password-123")
        user.save()
    office = "192.0.2.30"
    for name in ("partner", "board"):
        _login(office, name, "wrong")
    guesses = list(AccessAttempt.objects.filter(ip_address=office).values_list("pk", flat=True))
    for _ in range(3):  # the colleagues keep trying while it is locked
        assert _login(office, "coordinator", "right-password-123").status_code == 429
        assert _login(office, "analyst", "right-password-123").status_code == 429
    assert AuditEvent.objects.filter(action=Action.LOCKED_OUT, ip=office).count() >= 6
    AccessAttempt.objects.filter(pk__in=guesses).update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    )
    assert _login(office, "analyst", "right-password-123").status_code == 302


# --- collectstatic with the manifest storage (issue 14 item 12) -----------------------------------------


def test_collectstatic_with_the_manifest_storage(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    manifest = (tmp_path / "staticfiles.json").read_text()
    for name in (
        "vendor/leaflet/leaflet.js",
        "vendor/chartjs/chart.umd.min.js",
        "vendor/dkfds/css/dkfds.min.css",
        "vendor/dkfds/js/dkfds.min.js",
        "hotspot/map.js",
    ):
        assert f'"{name}"' in manifest
