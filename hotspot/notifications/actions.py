"""Every notification is written here: the weekly digest, reminders before a deadline, meeting
invitations and changes, and the user's settings. Sending is ``mail.py``'s, in the task worker."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from hotspot.accounts.roles import Capability
from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose
from hotspot.notifications.calendar import meeting_calendar
from hotspot.notifications.models import EmailStatus, Kind, Notification, Preferences


def preferences(user) -> Preferences:
    prefs, _created = Preferences.objects.get_or_create(user=user)
    return prefs


@transaction.atomic
def save_preferences(user, data: dict, *, request=None) -> Preferences:
    prefs = preferences(user)
    fields = [k for k in ("email", "weekly_digest", "reminder_days", "invitations") if k in data]
    for k in fields:
        setattr(prefs, k, data[k])
    prefs.save(update_fields=fields)
    record(
        Action.UPDATE,
        actor=user,
        obj=prefs,
        purpose=Purpose.ADMINISTRATION,
        fields=fields,
        request=request,
    )
    return prefs


def notify(
    user, municipality, *, kind, key, subject, body, link="", calendar=""
) -> Notification | None:
    """One notification, once: a second call with the same ``key`` for the user writes nothing
    (``None``). E-mail is pending when the user wants it and has an address."""
    prefs = preferences(user)
    wants_mail = prefs.email and bool(user.email)
    try:
        with transaction.atomic():
            return Notification.objects.create(
                municipality=municipality,
                user=user,
                kind=kind,
                key=key[:200],
                subject=subject[:200],
                body=body,
                link=link[:300],
                calendar=calendar,
                email_status=EmailStatus.PENDING if wants_mail else EmailStatus.NOT_SENT,
                next_attempt_at=timezone.now() if wants_mail else None,
            )
    except IntegrityError:
        return None


@transaction.atomic
def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])


def _preferences_of(user_ids) -> dict:
    """{user id: Preferences} in one query; a user without a row gets the defaults (unsaved)."""
    found = {p.user_id: p for p in Preferences.objects.filter(user_id__in=user_ids)}
    return {uid: found.get(uid) or Preferences(user_id=uid) for uid in user_ids}


def _language(user) -> str:
    """Messages are written in Danish, the platform's language (a user has no language of their own)."""
    return "da"


# --- reminders ----------------------------------------------------------------------------------
def send_reminders(today: dt.date | None = None) -> int:
    """A reminder for each open task with an owner whose deadline is within the owner's
    ``reminder_days`` (once per task and deadline). Returns how many were written."""
    from hotspot.programmes.models import Task, TaskStatus

    today = today or timezone.localdate()
    written = 0
    tasks = (
        Task.objects.exclude(status=TaskStatus.DONE)
        .filter(owner__isnull=False, due__gte=today, due__lte=today + dt.timedelta(days=31))
        .select_related("owner", "programme", "programme__municipality")
    )
    tasks = list(tasks)
    prefs_of = _preferences_of({t.owner_id for t in tasks})
    for task in tasks:
        prefs = prefs_of[task.owner_id]
        days = (task.due - today).days
        if not prefs.reminder_days or days > prefs.reminder_days:
            continue
        membership = task.owner.membership_for(task.programme.municipality_id)
        if membership is None:
            continue
        with override(_language(task.owner)):
            made = notify(
                task.owner,
                task.programme.municipality,
                kind=Kind.REMINDER,
                key=f"reminder:task:{task.pk}:{task.due:%Y-%m-%d}",
                subject=_("Due in %(days)s days: %(task)s") % {"days": days, "task": task.title}
                if days
                else _("Due today: %(task)s") % {"task": task.title},
                body=_("The task %(task)s of %(programme)s is due on %(due)s.")
                % {
                    "task": task.title,
                    "programme": task.programme.name,
                    "due": f"{task.due:%d.%m.%Y}",
                },
                link=task.programme.get_absolute_url(),
            )
        written += made is not None
    return written


# --- meeting invitations ------------------------------------------------------------------------
def invite(meeting, *, changed: bool) -> int:
    """An invitation (or a change notice) with an iCalendar attachment to each group member with a
    user account who wants them. Returns how many were written."""
    group = meeting.group
    programme = group.programme
    written = 0
    for member in group.members.filter(user__isnull=False).select_related("user"):
        user = member.user
        if (
            not preferences(user).invitations
            or user.membership_for(programme.municipality_id) is None
        ):
            continue
        with override(_language(user)):
            words = {
                "group": group.name,
                "date": f"{meeting.date:%d.%m.%Y}",
                "place": meeting.place or _("place not yet given"),
            }
            subject = (
                _("Meeting changed: %(group)s on %(date)s")
                if changed
                else _("Invitation: %(group)s on %(date)s")
            ) % words
            body = _("%(group)s meets on %(date)s, %(place)s.") % words
            if meeting.agenda:
                body += "\n\n" + _("Agenda:") + "\n" + meeting.agenda
            made = notify(
                user,
                programme.municipality,
                kind=Kind.MEETING_CHANGED if changed else Kind.INVITATION,
                key=f"meeting:{meeting.pk}:v{meeting.version}",
                subject=subject,
                body=body,
                link=reverse("programmes:meeting", args=[meeting.pk]),
                calendar=meeting_calendar(meeting, sequence=meeting.version - 1),
            )
        written += made is not None
    return written


# --- the weekly digest --------------------------------------------------------------------------
def digest_for(
    user, membership, *, since: dt.datetime | None, today: dt.date, scorecards: dict | None = None
) -> dict:
    """What one user's weekly digest says for one municipality: counts and titles, never person data."""
    from hotspot.casework.pages import overdue_count
    from hotspot.imports.models import ImportBatch
    from hotspot.programmes.inputs import RED, scorecard
    from hotspot.programmes.models import Programme, Task, TaskStatus

    municipality = membership.municipality
    programmes = list(Programme.objects.visible_to(user).in_municipality(municipality))
    mine = Task.objects.filter(programme__in=programmes, owner=user).exclude(status=TaskStatus.DONE)
    overdue = list(mine.filter(due__lt=today).order_by("due")[:20])
    this_week = list(
        mine.filter(due__gte=today, due__lt=today + dt.timedelta(days=7)).order_by("due")[:20]
    )
    # a programme's scorecard is computed once per round, however many users' digests show it
    scorecards = {} if scorecards is None else scorecards
    mine_in = set(mine.values_list("programme_id", flat=True))
    red = []
    for p in programmes:
        if membership.can(Capability.MANAGE_PROGRAMMES) or p.pk in mine_in:
            if p.pk not in scorecards:
                scorecards[p.pk] = [st.goal for st in scorecard(p) if st.band == RED]
            red += scorecards[p.pk]
    follow_ups = overdue_count(programmes) if membership.can(Capability.VIEW_PERSON_DATA) else None
    batches = ImportBatch.objects.in_municipality(municipality).filter(
        status=ImportBatch.done_status
    )
    if since is not None:
        batches = batches.filter(finished_at__gte=since)
    return {
        "municipality": municipality,
        "overdue": overdue,
        "this_week": this_week,
        "red_goals": red,
        "follow_ups": follow_ups,
        "batches": batches.count() if since is not None else 0,
    }


def digest_text(d: dict) -> str:
    lines = []
    if d["overdue"]:
        lines.append(_("Your overdue tasks:"))
        lines += [f"- {t.title} ({t.due:%d.%m.%Y})" for t in d["overdue"]]
    if d["this_week"]:
        lines.append(_("Your tasks due this week:"))
        lines += [f"- {t.title} ({t.due:%d.%m.%Y})" for t in d["this_week"]]
    if d["red_goals"]:
        lines.append(_("Goals that are off track:"))
        lines += [f"- {g.title} ({g.programme.name})" for g in d["red_goals"]]
    if d["follow_ups"]:
        lines.append(
            _("Follow-ups of police reports due this week: %(n)s (see Casework).")
            % {"n": d["follow_ups"]}
        )
    if d["batches"]:
        lines.append(_("New data since the last digest: %(n)s imports.") % {"n": d["batches"]})
    return "\n".join(lines)


def send_digests(now: dt.datetime | None = None, *, force: bool = False) -> int:
    """The weekly digest, on Mondays (``force``: today), to each user who wants it, one per
    municipality of theirs with something to say. Returns how many were written."""
    from hotspot.accounts.models import Membership

    now = now or timezone.now()
    today = timezone.localdate(now)
    if today.weekday() != 0 and not force:
        return 0
    written = 0
    week = f"{today.isocalendar().year}-W{today.isocalendar().week:02d}"
    memberships = list(Membership.objects.select_related("user", "municipality"))
    prefs_of = _preferences_of({m.user_id for m in memberships})
    scorecards: dict = {}
    for membership in memberships:
        user = membership.user
        prefs = prefs_of[user.pk]
        if not prefs.weekly_digest or not user.is_active:
            continue
        with override(_language(user)):
            d = digest_for(
                user, membership, since=prefs.last_digest_at, today=today, scorecards=scorecards
            )
            text = digest_text(d)
            if not text:
                continue
            made = notify(
                user,
                membership.municipality,
                kind=Kind.DIGEST,
                key=f"digest:{membership.municipality_id}:{week}",
                subject=_("Your week in %(municipality)s")
                % {"municipality": membership.municipality.name},
                body=text,
                link=reverse("home"),
            )
        written += made is not None
        Preferences.objects.update_or_create(user=user, defaults={"last_digest_at": now})
    return written
