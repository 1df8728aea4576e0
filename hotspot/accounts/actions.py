"""Changes to a municipality's members: add one, change a role, end a membership.

Each change is one transaction that sends ``signals.membership_changed`` inside it, so that the audit log
(which listens: accounts may not import it) writes its row or nothing is written. A user is never deleted
here: ending a membership leaves the user, who may belong to another municipality, and the user's name,
e-mail address and password are never changed through another municipality's membership.

Every change is safe to repeat: the same request a second time finds the change made and changes
nothing (``Outcome.changed`` is False), and a municipality always keeps at least one administrator.
"""

from __future__ import annotations

import dataclasses

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from hotspot.accounts.models import Membership, User
from hotspot.accounts.roles import Role
from hotspot.accounts.signals import membership_changed


class MembershipRefused(Exception):
    """A change the rules forbid; the message says why, for the page."""


@dataclasses.dataclass(frozen=True)
class Outcome:
    membership: Membership | None
    changed: bool
    #: the user was created by this change (not an existing user given a membership)
    created_user: bool = False


def existing_user(username: str) -> User | None:
    """The user with this user name (the exact spelling first, then ignoring case), or None."""
    username = username.strip()
    if not username:
        return None
    return (
        User.objects.filter(username=username).first()
        or User.objects.filter(username__iexact=username).order_by("pk").first()
    )


def split_name(full_name: str) -> tuple[str, str]:
    """ "Kim Møller Hansen" -> ("Kim Møller", "Hansen"): the last word is the last name."""
    words = full_name.split()
    if len(words) < 2:
        return (words[0] if words else ""), ""
    return " ".join(words[:-1]), words[-1]


def _send(action, membership, *, actor, request, fields):
    membership_changed.send(
        Membership,
        action=action,
        membership=membership,
        actor=actor,
        request=request,
        fields=list(fields),
    )


def _lock_administrators(municipality_id: int) -> list[int]:
    """Lock the municipality's administrator memberships (always in key order, so that two changes
    wait for each other rather than deadlock) and return their keys. On SQLite every transaction
    holds the write lock from its start, which serialises the same way."""
    return list(
        Membership.objects.select_for_update()
        .filter(municipality_id=municipality_id, role=Role.ADMIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _refuse_last_administrator(membership: Membership, administrators: list[int], what: str):
    if membership.role == Role.ADMIN and administrators == [membership.pk]:
        raise MembershipRefused(
            what
            + " "
            + _(
                "%(user)s is the municipality's only administrator: make another member "
                "administrator first."
            )
            % {"user": membership.user.get_username()}
        )


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise ValueError(f"role must be one of {Role.values}; got {role!r}")


def add_member(
    municipality,
    *,
    username: str,
    role: str,
    email: str = "",
    full_name: str = "",
    password: str = "",
    organisation: str = "",
    actor=None,
    request=None,
) -> Outcome:
    """Give ``username`` a membership of ``municipality`` with ``role``; a user name that does not
    exist yet becomes a new user with ``email``, ``full_name`` and ``password`` (checked by the form
    against the password rules). An existing user keeps their e-mail address, name and password.

    A member who has the membership with this role and organisation already: nothing changes. A member
    with another role: refused (the role is changed on the member's page)."""
    _check_role(role)
    username, organisation = username.strip(), organisation.strip()
    try:
        with transaction.atomic():
            user = existing_user(username)
            created_user = user is None
            if created_user:
                if not password:
                    raise ValueError("a new user needs a password")
                first_name, last_name = split_name(full_name)
                user = User(
                    username=username,
                    email=email.strip(),
                    first_name=first_name,
                    last_name=last_name,
                )
                user.set_password(password)
                user.full_clean(exclude=["password"])
                user.save()
            current = (
                Membership.objects.select_for_update()
                .filter(user=user, municipality=municipality)
                .first()
            )
            if current is not None:
                if (current.role, current.organisation) == (role, organisation):
                    return Outcome(current, changed=False)
                raise MembershipRefused(
                    _(
                        "%(user)s is a member already, with the role %(role)s: change the role on "
                        "the member's page. Nothing was changed."
                    )
                    % {"user": user.get_username(), "role": current.get_role_display()}
                )
            membership = Membership.objects.create(
                user=user, municipality=municipality, role=role, organisation=organisation
            )
            fields = ["user", "municipality", "role"] + (["organisation"] if organisation else [])
            if created_user:
                fields += [
                    name
                    for name in ("username", "email", "first_name", "last_name")
                    if getattr(user, name)
                ] + ["password"]
            _send("create", membership, actor=actor, request=request, fields=fields)
    except ValidationError as exc:
        raise MembershipRefused(" ".join(exc.messages)) from None
    except IntegrityError:
        # someone else created the same user or membership in the same moment
        raise MembershipRefused(
            _("%(user)s was added by someone else just now. Nothing was changed; look again.")
            % {"user": username}
        ) from None
    return Outcome(membership, changed=True, created_user=created_user)


def change_member(
    membership: Membership,
    *,
    role: str,
    organisation: str = "",
    shown: tuple[str, str] | None = None,
    actor=None,
    request=None,
) -> Outcome:
    """Give ``membership`` the ``role`` and ``organisation``. ``shown`` is the (role, organisation) the
    form was shown with: when the membership has changed since and is not already what is asked, the
    change is refused rather than overwriting someone else's. Demoting the municipality's only
    administrator is refused."""
    _check_role(role)
    organisation = organisation.strip()
    with transaction.atomic():
        administrators = _lock_administrators(membership.municipality_id)
        current = _locked(membership.pk)
        if current is None:
            raise MembershipRefused(_("The membership has ended meanwhile. Nothing was changed."))
        changed = [
            name
            for name, value in (("role", role), ("organisation", organisation))
            if getattr(current, name) != value
        ]
        if not changed:
            return Outcome(current, changed=False)
        if shown is not None and (current.role, current.organisation) != tuple(shown):
            raise MembershipRefused(
                _(
                    "Someone else changed this membership meanwhile: the role is now %(role)s. "
                    "Nothing was changed; look at it and try again."
                )
                % {"role": current.get_role_display()}
            )
        if "role" in changed and role != Role.ADMIN:
            _refuse_last_administrator(current, administrators, _("The role cannot be changed."))
        current.role, current.organisation = role, organisation
        current.save(update_fields=changed)
        _send("update", current, actor=actor, request=request, fields=changed)
    return Outcome(current, changed=True)


def _locked(pk) -> Membership | None:
    """The membership as it is now, locked until the transaction ends (None once it has ended)."""
    return (
        Membership.objects.select_for_update()
        .select_related("user", "municipality")
        .filter(pk=pk)
        .first()
    )


def end_membership(membership: Membership, *, actor=None, request=None) -> Outcome:
    """End ``membership`` (the user stays: they may belong to another municipality). A membership that
    has ended already: nothing changes. Ending the municipality's only administrator is refused."""
    with transaction.atomic():
        administrators = _lock_administrators(membership.municipality_id)
        current = _locked(membership.pk)
        if current is None:
            return Outcome(None, changed=False)
        _refuse_last_administrator(current, administrators, _("The membership cannot be ended."))
        # sent before the row goes, so that the audit row names the membership's key
        _send("delete", current, actor=actor, request=request, fields=[])
        current.delete()
    return Outcome(None, changed=True)
