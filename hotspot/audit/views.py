import datetime as dt

from django.apps import apps
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotspot.accounts.access import require_capability
from hotspot.accounts.roles import Capability
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


#: the names that actions record for work no person did (``record(..., username=…)``), as words
SYSTEM_ACTORS = {
    "task": gettext_lazy("background task"),
    "make_demo_programmes": gettext_lazy("demo city builder"),
    "manage.py verify_audit_log": gettext_lazy("check of the hash chain"),
    "(unknown user)": gettext_lazy("(unknown user)"),
}


def object_label(object_type: str, object_id: str) -> str:
    """ "område 22" for ``areas.area`` / ``22``: the model's name in the reader's language and the key
    (the type as stored when the model is unknown)."""
    if not object_type:
        return ""
    try:
        meta = apps.get_model(object_type)._meta
    except (LookupError, ValueError):
        name = object_type
    else:
        # a model without its own (translated) name would show Django's English one from the class
        explicit = "verbose_name" in meta.original_attrs
        name = str(meta.verbose_name if explicit else meta.app_config.verbose_name)
    return f"{name} {object_id}" if object_id else name


@require_capability(Capability.VIEW_AUDIT)
def event_list(request):
    events, action, user = _filtered(request)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    for e in page:  # words for the page; the CSV export keeps the stored values
        e.object_label = object_label(e.object_type, e.object_id)
        # a label only for work no account did: a real user called "task" stays "task"
        system = e.actor_id is None and e.actor_username in SYSTEM_ACTORS
        e.actor_label = str(SYSTEM_ACTORS[e.actor_username]) if system else e.actor_username
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
    header = [_("time (UTC)"), _("user name"), _("action"), _("object type"), _("object id")]
    header += [_("purpose"), _("fields"), _("rows"), _("address")]
    rows = (
        [
            e.at.astimezone(dt.UTC).isoformat(),
            e.actor_username,
            e.action,
            e.object_type,
            e.object_id,
        ]
        + [e.purpose, ",".join(e.fields), e.count, e.ip]
        for e in events.iterator(chunk_size=5000)
    )
    return stream_csv_response(header, rows, f"audit-{timezone.now():%Y%m%d}")
