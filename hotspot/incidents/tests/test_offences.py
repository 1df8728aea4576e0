"""The offence catalogue page and its download (roles that import)."""

import csv
import io

from django.urls import reverse

from hotspot.audit.models import Action, AuditEvent
from hotspot.incidents.models import Offence


def test_the_catalogue_lists_every_code_in_danish(login, analyst):
    client = login(analyst)
    page = client.get(reverse("incidents:offences")).content.decode()
    offences = list(Offence.objects.all())
    assert offences
    for o in offences:
        assert f'id="offence-{o.code}"' in page
        assert o.name_da in page
    assert "<h1>Overtrædelseskatalog</h1>" in page
    assert 'class="table table--compact table--zebra" id="offences"' in page
    serious = Offence.objects.filter(serious=True).first()
    row = page.split(f'id="offence-{serious.code}"')[1].split("</tr>")[0]
    assert row.count("<td>ja</td>") >= 1


def test_the_download_is_the_catalogue_and_is_audited(login, coordinator):
    client = login(coordinator)
    before = AuditEvent.objects.filter(action=Action.EXPORT).count()
    response = client.get(reverse("incidents:offences_export", args=["csv"]))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["kode", "navn (dansk)", "navn (engelsk)"]
    assert {r[0] for r in rows[1:]} == set(Offence.objects.values_list("code", flat=True))
    event = AuditEvent.objects.filter(action=Action.EXPORT).order_by("-seq").first()
    assert AuditEvent.objects.filter(action=Action.EXPORT).count() == before + 1
    assert (event.object_type, event.count) == ("incidents.offence", len(rows) - 1)
    xlsx = client.get(reverse("incidents:offences_export", args=["xlsx"]))
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")


def test_roles_that_do_not_import_are_refused(login, partner, member):
    for user in (partner, member("caseworker"), member("board")):
        client = login(user)
        assert client.get(reverse("incidents:offences")).status_code == 403
        assert client.get(reverse("incidents:offences_export", args=["csv"])).status_code == 403
