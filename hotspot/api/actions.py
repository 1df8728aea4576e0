"""Creating and revoking API tokens, audited. The secret is shown once and never stored."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.utils import timezone

from hotspot.api.models import ApiToken, Scope, digest
from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose

#: the longest a token may live
MAX_DAYS = 365


@transaction.atomic
def create_token(membership, *, name: str, scopes, days: int, request=None) -> tuple[ApiToken, str]:
    """A new token for ``membership``'s user and municipality: (token, the secret to show once)."""
    scopes = sorted({Scope(s).value for s in scopes} | {Scope.READ.value})
    if Scope.PERSON in scopes and not membership.can("view_person_data"):
        raise ValueError("person scope without the right to see person data")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        municipality=membership.municipality,
        user=membership.user,
        name=name[:80],
        prefix=prefix,
        secret_digest=digest(secret),
        scopes=scopes,
        expires_at=timezone.now() + dt.timedelta(days=max(1, min(MAX_DAYS, int(days)))),
    )
    record(
        Action.CREATE,
        actor=membership.user,
        municipality=membership.municipality,
        obj=token,
        purpose=Purpose.ADMINISTRATION,
        fields=["name", "scopes", "expires_at"],
        request=request,
    )
    return token, f"hs_{prefix}_{secret}"


@transaction.atomic
def revoke_token(token: ApiToken, *, user, request=None) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    record(
        Action.UPDATE,
        actor=user,
        municipality=token.municipality,
        obj=token,
        purpose=Purpose.ADMINISTRATION,
        fields=["revoked_at"],
        request=request,
    )
