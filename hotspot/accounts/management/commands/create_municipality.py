"""``manage.py create_municipality CODE NAME --admin USERNAME --email E [--password-file F]``.

The first step of a new installation (docs/getting-started.md): the municipality (the tenant) and its
first administrator, a user with the ``admin`` role there (users and memberships, imports, the data).
The password comes from a file (``--password-file``, its first line) or is asked for twice; it is never
an argument, so that it stays out of the shell's history and the process list.

Running the same command again changes nothing. A code that another municipality has, a municipality
that has an administrator already, and a user name that is taken are refused with the reason, and
nothing is written.
"""

from __future__ import annotations

import getpass
import sys

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from hotspot.accounts.models import Membership, Municipality, User
from hotspot.accounts.roles import Role
from hotspot.accounts.signals import membership_changed


def _code(code: str) -> str:
    code = code.strip()
    field = Municipality._meta.get_field("code")
    try:
        field.run_validators(code)
    except ValidationError:
        raise CommandError(
            f"Municipality code {code!r}: expected three digits, e.g. 101 for Copenhagen."
        ) from None
    return code


def read_password(path: str | None, *, ask=getpass.getpass) -> str:
    """The first line of ``path`` (without its line break), or asked for twice on the terminal."""
    if path:
        try:
            with open(path, encoding="utf-8") as fh:
                password = fh.readline().rstrip("\r\n")
        except OSError as exc:
            raise CommandError(f"--password-file {path}: {exc.strerror or exc}.") from None
        except UnicodeDecodeError:
            raise CommandError(f"--password-file {path}: not UTF-8 text.") from None
        if not password:
            raise CommandError(f"--password-file {path}: the first line is empty.")
        return password
    if not sys.stdin.isatty():
        raise CommandError("No terminal to ask for the password on: give --password-file.")
    password = ask("Password for the administrator: ")
    if password != ask("The same password again: "):
        raise CommandError("The two passwords differ; nothing was created.")
    if not password:
        raise CommandError("The password is empty; nothing was created.")
    return password


def _administrators(municipality) -> list[str]:
    return list(
        Membership.objects.filter(municipality=municipality, role=Role.ADMIN)
        .order_by("user__username")
        .values_list("user__username", flat=True)
    )


def plan(code: str, name: str, username: str) -> tuple[Municipality | None, bool]:
    """What the command will do -> (the existing municipality or None, whether anything is to be
    created). CommandError when the code or the user name is taken."""
    municipality = Municipality.objects.filter(code=code).first()
    user = User.objects.filter(username__iexact=username).first()
    if municipality is not None:
        if municipality.name != name:
            raise CommandError(
                f"Municipality code {code} is taken by {municipality.name}; nothing was created."
            )
        admins = _administrators(municipality)
        if user is not None and user.username in admins:
            return municipality, False  # done before: the same command again
        if admins:
            raise CommandError(
                f"{municipality.name} ({code}) has an administrator already "
                f"({', '.join(admins)}); further users and memberships are added by an "
                "administrator on /administration/. Nothing was created."
            )
    if user is not None:
        raise CommandError(
            f"The user name {user.username} is taken; choose another. Nothing was created."
        )
    return municipality, True


@transaction.atomic
def create(code: str, name: str, *, username: str, email: str, password: str):
    """Create the municipality (unless it exists with this name) and its first administrator ->
    (municipality, user). All or nothing."""
    municipality, _to_do = plan(code, name, username)
    if municipality is None:
        municipality = Municipality(code=code, name=name)
        municipality.full_clean()
        municipality.save()
    user = User(username=username, email=email)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    membership = Membership.objects.create(user=user, municipality=municipality, role=Role.ADMIN)
    # the audit row of the first membership, as for every membership made on /administration/
    membership_changed.send(
        Membership,
        action="create",
        membership=membership,
        actor=None,
        username="manage.py",
        request=None,
        fields=["user", "municipality", "role", "username", "email", "password"],
    )
    return municipality, user


class Command(BaseCommand):
    help = (
        "Create a municipality and its first administrator (role admin): the first step of a new "
        "installation. The password comes from --password-file (its first line) or is asked for; "
        "running the same command again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="the municipality's three-digit code, e.g. 101")
        parser.add_argument("name", help="the municipality's name, e.g. Københavns Kommune")
        parser.add_argument("--admin", required=True, metavar="USERNAME", help="user name")
        parser.add_argument("--email", required=True, help="the administrator's e-mail address")
        parser.add_argument(
            "--password-file",
            default="",
            metavar="FILE",
            help="a file whose first line is the password (else it is asked for)",
        )

    def handle(self, *args, **opts):
        code, name = _code(opts["code"]), opts["name"].strip()
        username, email = opts["admin"].strip(), opts["email"].strip()
        if not name:
            raise CommandError("The municipality's name is empty.")
        if len(name) > Municipality._meta.get_field("name").max_length:
            raise CommandError("The municipality's name is longer than 100 characters.")
        try:
            User.username_validator(username)
        except ValidationError:
            raise CommandError(
                f"User name {username!r}: use letters, digits and @ . + - _ only."
            ) from None
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"E-mail address {email!r} is not valid.") from None
        municipality, to_do = plan(code, name, username)
        if not to_do:
            self.stdout.write(
                f"{municipality.name} ({code}) and its administrator {username} exist already; "
                "nothing was changed."
            )
            return
        password = read_password(opts["password_file"] or None)
        try:
            password_validation.validate_password(password, User(username=username, email=email))
        except ValidationError as exc:
            raise CommandError(
                "The password is refused: " + " ".join(exc.messages) + " Nothing was created."
            ) from None
        try:
            municipality, user = create(
                code, name, username=username, email=email, password=password
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages) + " Nothing was created.") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {municipality.name} ({municipality.code}) and its administrator "
                f"{user.username}. Log in at /accounts/login/."
            )
        )
