"""Notifications: reminders once per deadline, the digest without person data, meeting invitations as
iCalendar, and e-mail through a real SMTP conversation with a local server that accepts, refuses or
stalls — a failed send is retried and never touches a page."""

import datetime as dt
import socket
import threading

import pytest
from django.core import mail as django_mail
from django.urls import reverse
from django.utils import timezone

from hotspot.audit.models import AuditEvent
from hotspot.notifications import actions, mail
from hotspot.notifications.models import EmailStatus, Kind, Notification, Preferences
from hotspot.notifications.tasks import run_notifications_task
from hotspot.programmes.models import Group, GroupMember, Meeting, Programme, Task, TaskStatus

TODAY = dt.date(2026, 12, 7)  # a Monday


@pytest.fixture
def programme(demo_municipality):
    return Programme.objects.filter(municipality=demo_municipality).order_by("pk").first()


def _task(programme, owner, due, title="Tjek belysningen i passagen"):
    return Task.objects.create(programme=programme, title=title, owner=owner, due=due)


def test_a_reminder_comes_once_per_deadline_and_follows_the_users_days(programme, coordinator):
    coordinator.email = "koordinator@example.test"
    coordinator.save()
    Task.objects.filter(owner=coordinator).update(status=TaskStatus.DONE)
    task = _task(programme, coordinator, TODAY + dt.timedelta(days=3))
    assert actions.send_reminders(TODAY) == 1
    assert actions.send_reminders(TODAY) == 0  # the same reminder is never written twice
    n = Notification.objects.get(user=coordinator, kind=Kind.REMINDER)
    assert task.title in n.subject and "3 dage" in n.subject
    assert n.email_status == EmailStatus.PENDING
    # a new deadline is a new reminder; a user who asked for none gets none
    task.due = TODAY + dt.timedelta(days=1)
    task.save()
    assert actions.send_reminders(TODAY) == 1
    Preferences.objects.filter(user=coordinator).update(reminder_days=0)
    task.due = TODAY + dt.timedelta(days=2)
    task.save()
    assert actions.send_reminders(TODAY) == 0


def test_without_an_address_a_notification_is_in_the_app_only(programme, member):
    board = member("board")
    board.email = ""
    board.save()
    _task(programme, board, TODAY)
    actions.send_reminders(TODAY)
    n = Notification.objects.get(user=board)
    assert n.email_status == EmailStatus.NOT_SENT and "i dag" in n.subject


def test_the_digest_lists_my_work_and_never_a_person(programme, coordinator, partner):
    from hotspot.casework.models import Case

    _task(programme, coordinator, TODAY - dt.timedelta(days=4), title="Forfalden opgave")
    _task(programme, coordinator, TODAY + dt.timedelta(days=2), title="Opgave i denne uge")
    assert actions.send_digests(timezone.make_aware(dt.datetime(2026, 12, 8, 7))) == 0  # a Tuesday
    now = timezone.make_aware(dt.datetime(2026, 12, 7, 7))
    assert actions.send_digests(now) >= 1
    digest = Notification.objects.get(user=coordinator, kind=Kind.DIGEST)
    assert "Forfalden opgave" in digest.body and "Opgave i denne uge" in digest.body
    for case in Case.objects.all()[:50]:
        assert case.alias not in digest.body and case.person_key not in digest.body
    assert actions.send_digests(now) == 0  # one per week and municipality
    partner_digest = Notification.objects.filter(user=partner, kind=Kind.DIGEST).first()
    if partner_digest:
        assert "Opfølgning" not in partner_digest.body


def test_a_meeting_invites_its_members_with_a_calendar_and_a_change_updates_it(
    programme, coordinator, django_capture_on_commit_callbacks
):
    from icalendar import Calendar

    group = Group.objects.filter(programme=programme).first()
    GroupMember.objects.get_or_create(group=group, name="Koordinator", user=coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = Meeting.objects.create(
            group=group, date=dt.date(2027, 1, 12), place="Beboerhuset", agenda="1. Status"
        )
    invitation = Notification.objects.get(user=coordinator, kind=Kind.INVITATION)
    assert "12.01.2027" in invitation.subject and "Beboerhuset" in invitation.body
    event = Calendar.from_ical(invitation.calendar).walk("VEVENT")[0]
    assert event.decoded("dtstart") == dt.date(2027, 1, 12)
    assert str(event["location"]) == "Beboerhuset" and int(event["sequence"]) == 0
    meeting.date = dt.date(2027, 1, 19)
    meeting.version += 1
    with django_capture_on_commit_callbacks(execute=True):
        meeting.save()
    change = Notification.objects.get(user=coordinator, kind=Kind.MEETING_CHANGED)
    changed = Calendar.from_ical(change.calendar).walk("VEVENT")[0]
    assert str(changed["uid"]) == str(event["uid"]) and int(changed["sequence"]) == 1
    assert changed.decoded("dtstart") == dt.date(2027, 1, 19)


# --- e-mail over SMTP ----------------------------------------------------------------------------
class _Handler:
    def __init__(self, answer="250 OK"):
        self.answer = answer
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        if self.answer.startswith("250"):
            self.received.append(envelope)
        return self.answer


@pytest.fixture
def smtp(settings):
    from aiosmtpd.controller import Controller

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    handler = _Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2
    yield handler
    controller.stop()


def _pending(user, municipality, **kw):
    user.email = user.email or f"{user.username}@example.test"
    user.save()
    return actions.notify(
        user, municipality, kind=Kind.REMINDER, key=kw.pop("key", "k"), subject="Emne",
        body="Tekst", **kw,
    )  # fmt: skip


def test_a_message_goes_over_smtp_with_its_calendar(smtp, coordinator, demo_municipality):
    n = _pending(coordinator, demo_municipality, calendar="BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    assert mail.send_pending() == {"sent": 1, "retry": 0, "failed": 0}
    n.refresh_from_db()
    assert n.email_status == EmailStatus.SENT and n.sent_at
    (envelope,) = smtp.received
    assert envelope.rcpt_tos == [coordinator.email]
    assert b"text/calendar" in envelope.content and b"Emne" in envelope.content
    assert mail.send_pending() == {"sent": 0, "retry": 0, "failed": 0}  # sent once


def test_a_refused_send_is_retried_later_and_then_given_up(smtp, coordinator, demo_municipality):
    smtp.answer = "550 mailbox unavailable"
    n = _pending(coordinator, demo_municipality)
    now = timezone.now()
    assert mail.send_pending(now) == {"sent": 0, "retry": 1, "failed": 0}
    n.refresh_from_db()
    assert n.email_status == EmailStatus.PENDING and n.attempts == 1
    assert "550" in n.last_error and n.next_attempt_at > now
    assert mail.send_pending(now)["retry"] == 0  # not before its time
    for k in range(2, mail.MAX_ATTEMPTS + 1):
        mail.send_pending(now + dt.timedelta(days=k))
    n.refresh_from_db()
    assert n.email_status == EmailStatus.FAILED and n.attempts == mail.MAX_ATTEMPTS
    # once the server takes mail again a new message goes through
    smtp.answer = "250 OK"
    _pending(coordinator, demo_municipality, key="k2")
    assert mail.send_pending(now + dt.timedelta(days=30))["sent"] == 1


def test_a_stalled_server_times_out_and_the_page_is_unaffected(
    settings, client, coordinator, demo_municipality
):
    stall = socket.socket()
    stall.bind(("127.0.0.1", 0))
    stall.listen(1)
    held = []
    threading.Thread(target=lambda: held.append(stall.accept()), daemon=True).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", stall.getsockname()[1]
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 1
    n = _pending(coordinator, demo_municipality)
    try:
        assert mail.send_pending()["retry"] == 1
    finally:
        stall.close()
    n.refresh_from_db()
    assert n.attempts == 1 and "timed out" in n.last_error.lower()
    client.force_login(coordinator)
    page = client.get(reverse("notifications:list"))
    assert page.status_code == 200 and "Emne" in page.content.decode()


def test_the_round_runs_in_the_worker_without_queuing_itself_on_the_immediate_backend(
    coordinator, demo_municipality
):
    django_mail.outbox = []
    _pending(coordinator, demo_municipality)
    result = run_notifications_task.enqueue(True)
    assert result.return_value["sent"] == 1
    assert len(django_mail.outbox) == 1


# --- pages ----------------------------------------------------------------------------------------
def test_a_user_reads_their_own_notifications_only(client, coordinator, analyst, demo_municipality):
    mine = _pending(coordinator, demo_municipality, key="mine")
    theirs = _pending(analyst, demo_municipality, key="theirs")
    client.force_login(coordinator)
    listing = client.get(reverse("notifications:list")).content.decode()
    assert mine.get_absolute_url() in listing and theirs.get_absolute_url() not in listing
    assert client.get(theirs.get_absolute_url()).status_code == 404
    assert client.get(mine.get_absolute_url()).status_code == 200
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_the_settings_are_the_users_own_and_audited(client, coordinator):
    client.force_login(coordinator)
    response = client.post(
        reverse("notifications:settings"),
        {"email": "", "weekly_digest": "on", "reminder_days": 5, "invitations": "on"},
    )
    assert response.status_code == 302
    prefs = Preferences.objects.get(user=coordinator)
    assert (prefs.email, prefs.weekly_digest, prefs.reminder_days) == (False, True, 5)
    assert AuditEvent.objects.filter(object_type__icontains="preferences").exists()
    bad = client.post(reverse("notifications:settings"), {"reminder_days": 400})
    assert bad.status_code == 200 and "30" in bad.content.decode()


def test_the_command_queues_a_round_and_runs_one_here(coordinator, demo_municipality):
    import io

    from django.core.management import call_command

    _pending(coordinator, demo_municipality)
    out = io.StringIO()
    call_command("send_notifications", stdout=out)  # queued: the immediate backend runs it at once
    assert "queued" in out.getvalue()
    assert Notification.objects.get(user=coordinator, key="k").email_status == EmailStatus.SENT
    out = io.StringIO()
    call_command("send_notifications", "--now", "--digest", stdout=out)
    assert "digests:" in out.getvalue() and "'sent':" in out.getvalue()
