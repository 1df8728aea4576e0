from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from hotspot.accounts.access import require_capability
from hotspot.accounts.roles import Capability
from hotspot.audit import pages
from hotspot.audit.actions import record_export
from hotspot.audit.models import Action, AuditEvent, Purpose
from hotspot.downloads import stream_csv_response


def _filtered(request):
    events = AuditEvent.objects.visible_to(request.user)
    action = request.GET.get("action", "")
    user = request.GET.get("user", "").strip()
    if action in Action.values:
        events = events.filter(action=action)
    if user:
        events = events.filter(actor_username=user)
    return events, action, user


@require_capability(Capability.VIEW_AUDIT)
def event_list(request):
    events, action, user = _filtered(request)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    pages.label_events(page)  # words for the page; the CSV export keeps the stored values
    # Cheap: the last run of manage.py verify_audit_log (the (action, seq) index) and the chain's head
    # (the seq index); without the first index a log never verified was read back to its start.
    chain_rows = AuditEvent.objects.exclude(seq__isnull=True).order_by("-seq")
    verified = chain_rows.filter(action=Action.VERIFY).first()
    head = chain_rows.only("seq", "hash").first()
    return render(
        request,
        "audit/event_list.html",
        {
            "page": page,
            "actions": Action.choices,
            "action": action,
            "user_filter": user,
            "verified": verified,
            "head": head,
            "unverified_rows": (head.seq - verified.seq) if head and verified else None,
        },
    )


@require_capability(Capability.VIEW_AUDIT)
def event_export(request):
    """The whole filtered log as CSV, streamed (no row limit); the export is itself audited."""
    events, _action, _user = _filtered(request)
    record_export(
        request, count=events.count(), object_type="audit.auditevent", purpose=Purpose.OVERSIGHT
    )
    # local time with its offset (+01:00 or +02:00), as every other time of the platform; the offset
    # keeps the hour the clocks go back unambiguous
    header = [_("time (local time)"), _("user name"), _("action"), _("object type"), _("object id")]
    header += [_("purpose"), _("fields"), _("rows"), _("address")]
    rows = (
        [
            timezone.localtime(e.at).isoformat(),
            e.actor_username,
            e.action,
            e.object_type,
            e.object_id,
        ]
        + [e.purpose, ",".join(e.fields), e.count, e.ip]
        for e in events.iterator(chunk_size=5000)
    )
    return stream_csv_response(header, rows, f"audit-{timezone.now():%Y%m%d}")
