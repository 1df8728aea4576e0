"""The follow-up queue fills itself (issue 15, part 4): after every import of police reports (and every
roll-back) the task worker refreshes the queues of the municipality's programmes with a rule, without
anyone pressing "Fetch new reports"; and ``manage.py generate_followup_queues`` does it on a schedule.
Each with a test that fails when the rule is removed."""

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from hotspot.areas.models import Area, AreaKind
from hotspot.audit.models import Action, AuditEvent
from hotspot.casework import tasks
from hotspot.casework.models import DANISH_TIME, FollowUpItem, FollowUpRule
from hotspot.imports import actions as imports
from hotspot.imports.models import Status
from hotspot.incidents.models import CrimeReport, OffenceGroup
from hotspot.incidents.signals import reports_changed
from hotspot.programmes.models import Programme


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.IMPORT_DIR = str(tmp_path / "imports")


START = dt.datetime(2020, 1, 1, tzinfo=DANISH_TIME)


@pytest.fixture
def programme(demo_municipality):
    """A programme from 2020 on a police rode with robberies since, following up robberies only."""
    robbed = CrimeReport.objects.filter(
        municipality=demo_municipality, offence__group=OffenceGroup.ROBBERY, occurred_at__gte=START
    ).values("area_id")
    rode = Area.objects.filter(kind=AreaKind.RODE, pk__in=robbed).order_by("pk").first()
    assert rode is not None
    programme = Programme.objects.create(
        municipality=demo_municipality,
        name="Kø af sig selv",
        start=START.date(),
        end=dt.date(2030, 12, 31),
    )
    programme.areas.set([rode])
    FollowUpRule.objects.create(
        programme=programme,
        offence_groups=[OffenceGroup.ROBBERY],
        response_days=5,
        owning_agency="SSP",
    )
    programme.rode = rode
    return programme


def _import(tmp_path, municipality, lines, name="r.csv"):
    """Check and commit a reports file through the import actions, as the import pages do."""
    path = tmp_path / name
    path.write_text("id,occurred_at,offence,area\n" + "".join(lines), encoding="utf-8")
    batch = imports.create_batch(
        municipality=municipality, kind="reports", file_name=name, path=str(path)
    )
    imports.validate(batch)
    batch.refresh_from_db()
    assert batch.status == Status.READY, list(batch.problems.values_list("reason", flat=True))
    imports.commit(batch)
    batch.refresh_from_db()
    assert batch.status == Status.COMMITTED
    return batch


def _lines(rode, prefix, n, *, offence="ROEV", when="2024-02-10T21:00:00"):
    return [f"{prefix}-{i},{when},{offence},{rode.code}\n" for i in range(n)]


def _items(programme):
    return FollowUpItem.objects.filter(programme=programme, crime_report__isnull=False)


def _queued(programme) -> set[int]:
    return set(_items(programme).values_list("crime_report_id", flat=True))


def _taken(programme) -> set[int]:
    """Written apart from the action: the robberies in the rode from the start's Danish midnight."""
    return set(
        CrimeReport.objects.filter(
            area=programme.rode, offence__group=OffenceGroup.ROBBERY, occurred_at__gte=START
        ).values_list("pk", flat=True)
    )


def test_an_import_of_reports_fills_the_queue_without_a_button(
    tmp_path, programme, demo_municipality
):
    assert not _items(programme).exists()
    before = _taken(programme)
    lines = _lines(programme.rode, "KØ-A", 3)
    lines += _lines(programme.rode, "KØ-THEFT", 2, offence="TYV_AND")  # not in the rule
    lines += _lines(programme.rode, "KØ-OLD", 2, when="2019-06-01T12:00:00")  # before the start
    batch = _import(tmp_path, demo_municipality, lines)

    imported = CrimeReport.objects.filter(batch=batch)
    assert imported.count() == 7
    new = set(imported.filter(external_id__startswith="KØ-A").values_list("pk", flat=True))
    assert len(new) == 3
    # nobody pressed anything: the queue holds the rode's robberies since the start, the new ones too
    assert _queued(programme) == before | new
    assert set(_items(programme).values_list("owning_agency", flat=True)) == {"SSP"}
    row = AuditEvent.objects.filter(object_type="casework.followupitem").latest("pk")
    assert (row.action, row.count, row.actor_id, row.actor_username) == (
        Action.CREATE,
        len(before | new),
        None,
        tasks.AUTOMATIC,
    )


def test_a_second_import_and_a_roll_back_add_no_duplicates(tmp_path, programme, demo_municipality):
    base = len(_taken(programme))
    first = _import(tmp_path, demo_municipality, _lines(programme.rode, "KØ-A", 3), "a.csv")
    assert _items(programme).count() == base + 3
    # a second file: the reports already queued are not queued again, the two new ones are
    second = _import(tmp_path, demo_municipality, _lines(programme.rode, "KØ-B", 2), "b.csv")
    assert _items(programme).count() == base + 5
    assert len(_queued(programme)) == base + 5  # one item a report
    # rolling the second back refreshes too: nothing new, and the items of its reports are kept
    imports.rollback(second)
    second.refresh_from_db()
    assert second.status == Status.ROLLED_BACK
    assert not CrimeReport.objects.filter(batch=second).exists()
    assert _items(programme).count() == base + 5
    assert CrimeReport.objects.filter(batch=first).count() == 3
    # and refreshing once more (the signal again, the scheduled command) adds nothing
    rows = AuditEvent.objects.count()
    reports_changed.send(sender=None, municipality_id=demo_municipality.pk)
    call_command("generate_followup_queues", stdout=io.StringIO())
    call_command("generate_followup_queues", "--now", stdout=io.StringIO())
    assert _items(programme).count() == base + 5
    assert AuditEvent.objects.count() == rows


def test_the_refresh_takes_only_the_municipality_s_programmes_with_a_rule(
    programme, demo_municipality, other_municipality, monkeypatch
):
    without_groups = Programme.objects.create(
        municipality=demo_municipality,
        name="Ingen grupper",
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
    )
    FollowUpRule.objects.create(programme=without_groups, offence_groups=[])
    Programme.objects.create(
        municipality=demo_municipality,
        name="Ingen regel",
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
    )
    elsewhere = Programme.objects.create(
        municipality=other_municipality,
        name="Andetsteds",
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
    )
    FollowUpRule.objects.create(programme=elsewhere, offence_groups=[OffenceGroup.ROBBERY])
    with_rules = set(
        FollowUpRule.objects.filter(programme__municipality=demo_municipality)
        .exclude(programme=without_groups)
        .values_list("programme_id", flat=True)
    )
    assert programme.pk in with_rules

    enqueued = []
    monkeypatch.setattr(
        tasks, "generate_queue_task", SimpleNamespace(enqueue=lambda *args: enqueued.append(args))
    )
    reports_changed.send(sender=None, municipality_id=demo_municipality.pk)
    assert sorted(enqueued) == sorted((pk,) for pk in with_rules)
    enqueued.clear()
    call_command("generate_followup_queues", stdout=io.StringIO())
    assert {pk for (pk,) in enqueued} == with_rules | {elsewhere.pk}


def test_the_command_fills_the_queues_itself_with_now(programme, demo_municipality, monkeypatch):
    expected = _taken(programme)
    assert expected
    out = io.StringIO()
    call_command(
        "generate_followup_queues", "--now", f"--municipality={demo_municipality.pk}", stdout=out
    )
    assert set(_items(programme).values_list("crime_report_id", flat=True)) == expected
    row = AuditEvent.objects.filter(object_type="casework.followupitem").latest("pk")
    assert row.actor_username == "manage.py generate_followup_queues"
    assert "Added" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("generate_followup_queues", "--municipality=999999", stdout=io.StringIO())
