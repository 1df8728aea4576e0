"""Write audit rows. Every state change and every read of person data calls ``record``."""

import ipaddress
import re

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from hotspot.audit import chain
from hotspot.audit.models import Action, AuditEvent, Purpose

# Object ids are database keys or codes; anything that could be a CPR number (ddmmyy-xxxx) or free text is
# refused so that the log itself never becomes a register of persons.
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.:\-]{0,64}$")
_CPR = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")
_FIELD = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")


def _check(object_type: str, object_id: str, fields) -> None:
    if not _SAFE_ID.match(object_id) or _CPR.search(object_id):
        raise ValueError(
            # the refused value is not repeated: it may be the very CPR number the rule keeps out
            "audit object_id must be a key of at most 64 letters, digits or _.:- and no CPR number; "
            f"got one of {len(str(object_id))} characters"
        )
    if not re.match(r"^[a-z_]*\.?[a-z_]*$", object_type):
        raise ValueError(f"audit object_type must look like 'app.model'; got {object_type!r}")
    for name in fields:
        if not _FIELD.match(name):
            raise ValueError(f"audit fields must be field names, not values; got {name!r}")


def _address(value: str | None) -> str | None:
    """``value`` as a normalised IPv4/IPv6 address, or None when it is not one (never free text)."""
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None
    # IPv6 in the form Django stores it (e.g. ::ffff:192.0.2.6), so that the hash chain sees what is stored.
    return clean_ipv6_address(str(address)) if address.version == 6 else str(address)


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind a trusted reverse proxy (BEHIND_PROXY) the last
    address in X-Forwarded-For, the one the proxy itself appended (earlier entries are client-supplied).
    Only a valid IP address is returned: a last entry that is not one falls back to REMOTE_ADDR, and an
    invalid REMOTE_ADDR gives None. django-axes uses this too (AXES_CLIENT_IP_CALLABLE), so lock-outs
    and the audit log agree."""
    if request is None:
        return None
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = [
            a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()
        ]
        if forwarded:
            address = _address(forwarded[-1])
            if address is not None:
                return address
    return _address(request.META.get("REMOTE_ADDR"))


def record(
    action: str,
    *,
    actor=None,
    municipality=None,
    obj=None,
    object_type: str = "",
    object_id: str | int = "",
    purpose: str = Purpose.NONE,
    fields=(),
    count: int | None = None,
    request=None,
    username: str = "",
) -> AuditEvent:
    """Append one audit row.

    ``obj`` (a model instance) gives ``object_type`` and ``object_id``; ``fields`` are the names of changed
    fields (never their values); ``count`` is the number of rows read or exported.
    """
    if action not in Action.values:
        raise ValueError(f"audit action must be one of {Action.values}; got {action!r}")
    if purpose not in Purpose.values:
        raise ValueError(f"audit purpose must be one of {Purpose.values}; got {purpose!r}")
    if obj is not None:
        object_type = obj._meta.label_lower
        object_id = obj.pk
    object_id = "" if object_id is None else str(object_id)
    fields = list(fields)
    _check(object_type, object_id, fields)
    if actor is not None and not actor.is_authenticated:
        actor = None
    if municipality is None and request is not None:
        municipality = getattr(request, "municipality", None)
    event = AuditEvent(
        actor=actor,
        actor_username=(actor.get_username() if actor is not None else username)[:150],
        municipality=municipality,
        action=action,
        object_type=object_type,
        object_id=object_id,
        purpose=purpose,
        fields=fields,
        count=count,
        ip=client_ip(request),
    )
    if connection.vendor == "postgresql":
        # The trigger (migration 0003) sets seq, at, hash and the user name; RETURNING brings them back.
        event.save(force_insert=True)
        return event
    with transaction.atomic():
        # SQLite: every transaction holds the database's write lock from its start (transaction_mode
        # IMMEDIATE), so nobody appends between reading the head of the chain and writing the next link.
        head = AuditEvent.objects.exclude(seq__isnull=True).order_by("-seq")
        head = head.values_list("seq", "hash").first() or (0, chain.GENESIS)
        event.ip = AuditEvent._meta.get_field("ip").get_prep_value(event.ip)  # as it will be stored
        event.seq = head[0] + 1
        event.at = timezone.now()
        event.hash = chain.row_hash(head[1], event)
        event.save(force_insert=True)
    return event


def record_export(
    request,
    *,
    count: int,
    obj=None,
    municipality=None,
    object_type: str = "",
    purpose: str = Purpose.ANALYSIS,
    fields=(),
) -> AuditEvent:
    """The audit row of a download (action ``export``, ``count`` rows), written before the answer.

    The one writer of export rows: ``hotspot.reports.exports`` (every list, workbook, stream and PDF of
    the apps) and the audit log's own export call it, and no view records an export itself
    (``tests/test_architecture.py`` checks that).
    """
    return record(
        Action.EXPORT,
        actor=request.user,
        municipality=municipality or getattr(request, "municipality", None),
        obj=obj,
        object_type=object_type,
        purpose=purpose,
        fields=list(fields),
        count=count,
        request=request,
    )
