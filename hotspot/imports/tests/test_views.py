"""The Data pages through HTTP: upload, preview, commit, history, exports, size limit, tenancy."""

import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hotspot.audit.models import AuditEvent
from hotspot.imports.models import ImportBatch, Status
from hotspot.incidents.models import CrimeReport

GOOD = (
    "id,occurred_at,offence,x,y,crs\n"
    "W-1,2020-01-01T10:00:00,TRUS,718715.04,6175581.34,EPSG:25832\n"
    "W-2,2020-01-02T10:00:00,HAERV,718725.04,6175591.34,EPSG:25832\n"
)


def _upload(client, content, name="web.csv", kind="reports", **extra):
    return client.post(
        reverse("imports:upload"),
        {
            "kind": kind,
            "file": SimpleUploadedFile(name, content.encode()),
            "source": "Politiet",
            **extra,
        },
    )


def test_upload_preview_commit_history(login, analyst):
    client = login(analyst)
    response = _upload(client, GOOD)
    batch = ImportBatch.objects.get(file_name="web.csv")
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
    assert (
        batch.status == Status.READY and batch.created_by == analyst and batch.source == "Politiet"
    )
    page = client.get(batch.get_absolute_url()).content.decode()
    assert 'id="commit-button"' in page and "W-2" in page  # preview of the first rows
    assert client.post(reverse("imports:commit", args=[batch.pk])).status_code == 302
    batch.refresh_from_db()
    assert batch.status == Status.COMMITTED and batch.rows_created == 2
    assert CrimeReport.objects.filter(external_id__in=["W-1", "W-2"]).count() == 2
    # committing twice is refused and changes nothing
    client.post(reverse("imports:commit", args=[batch.pk]))
    assert CrimeReport.objects.filter(external_id__in=["W-1", "W-2"]).count() == 2
    home = client.get(reverse("imports:home")).content.decode()
    assert f'data-batch="{batch.pk}" data-status="committed"' in home
    client.post(reverse("imports:rollback", args=[batch.pk]))
    assert not CrimeReport.objects.filter(external_id__in=["W-1", "W-2"]).exists()


def test_bad_rows_are_listed_and_exportable(login, analyst):
    client = login(analyst)
    _upload(client, GOOD.replace("TRUS", "NOPE").replace("HAERV", "NOPE2"), name="bad.csv")
    batch = ImportBatch.objects.get(file_name="bad.csv")
    assert batch.status == Status.INVALID and batch.errors == 2
    page = client.get(batch.get_absolute_url()).content.decode()
    assert 'id="commit-button"' not in page and 'id="problems"' in page
    response = client.get(reverse("imports:problems_export", args=[batch.pk, "csv"]))
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff") and ";" in text.splitlines()[0]
    assert "bad.csv;2;offence" in text and "bad.csv;3;offence" in text
    assert AuditEvent.objects.filter(action="export", object_id=str(batch.pk), count=2).exists()
    xlsx = client.get(reverse("imports:problems_export", args=[batch.pk, "xlsx"]))
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert ws.max_row == 3
    assert client.get(reverse("imports:problems_export", args=[batch.pk, "pdf"])).status_code == 404


def test_oversized_upload_is_refused_with_a_message(login, analyst, settings):
    settings.IMPORT_MAX_BYTES = 100
    response = _upload(login(analyst), GOOD * 5)
    assert response.status_code in (200, 413)
    assert "IMPORT_MAX_BYTES" in response.content.decode()
    assert not ImportBatch.objects.filter(file_name="web.csv").exists()


def test_form_errors_do_not_500(login, analyst):
    client = login(analyst)
    response = client.post(reverse("imports:upload"), {"kind": "reports"})
    assert response.status_code == 200 and "form-error" in response.content.decode()
    response = _upload(client, GOOD, kind="nonsense")
    assert response.status_code == 200


def test_exports_of_lists_are_danish_csv_and_audited(login, analyst):
    client = login(analyst)
    response = client.get(reverse("areas:export", args=["csv"]))
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    header, first = text.splitlines()[:2]
    assert header.count(";") == 7
    assert "," in first.split(";")[-1] or first.split(";")[-1] == ""  # decimal comma
    assert AuditEvent.objects.filter(action="export", object_type="areas.area").exists()
    xlsx = client.get(reverse("imports:batches_export", args=["xlsx"]))
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_outsider_cannot_see_or_commit_a_foreign_batch(login, outsider, analyst):
    _upload(login(analyst), GOOD, name="mine.csv")
    batch = ImportBatch.objects.get(file_name="mine.csv")
    client = login(outsider)
    assert client.get(batch.get_absolute_url()).status_code == 404
    assert client.post(reverse("imports:commit", args=[batch.pk])).status_code == 404
    assert "mine.csv" not in client.get(reverse("imports:home")).content.decode()
