import csv

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from hotspot.accounts.access import require_capability
from hotspot.accounts.roles import Capability
from hotspot.audit.actions import record
from hotspot.audit.models import Action, AuditEvent, Purpose


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
    return render(
        request,
        "audit/event_list.html",
        {"page": page, "actions": Action.choices, "action": action, "user_filter": user},
    )


@require_capability(Capability.VIEW_AUDIT)
def event_export(request):
    events, _action, _user = _filtered(request)
    rows = list(events[:100000])
    record(
        Action.EXPORT,
        actor=request.user,
        object_type="audit.auditevent",
        purpose=Purpose.OVERSIGHT,
        count=len(rows),
        request=request,
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.now():%Y%m%d}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow(
        [
            _("time (UTC)"),
            _("user name"),
            _("action"),
            _("object type"),
            _("object id"),
            _("purpose"),
            _("fields"),
            _("rows"),
            _("address"),
        ]
    )
    for e in rows:
        writer.writerow(
            [
                e.at.isoformat(),
                e.actor_username,
                e.action,
                e.object_type,
                e.object_id,
                e.purpose,
                ",".join(e.fields),
                e.count or "",
                e.ip or "",
            ]
        )
    return response
