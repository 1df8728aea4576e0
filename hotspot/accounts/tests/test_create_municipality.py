"""``manage.py create_municipality``: the first step of a new installation (docs/getting-started.md)."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from hotspot.accounts.management.commands import create_municipality as command
from hotspot.accounts.models import Membership, Municipality, User
from hotspot.accounts.roles import Capability, Role

PASSWORD = "en-lang-og-god-adgangskode-1"


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "password.txt"
    path.write_text(PASSWORD + "\n")
    return str(path)


def _run(*args, **opts):
    out = io.StringIO()
    call_command("create_municipality", *args, stdout=out, **opts)
    return out.getvalue()


def _state():
    return (
        sorted(Municipality.objects.values_list("code", "name")),
        sorted(User.objects.values_list("username", flat=True)),
        sorted(Membership.objects.values_list("user__username", "municipality__code", "role")),
    )


def test_creates_the_municipality_and_its_administrator(db, client, password_file):
    out = _run(
        "997", "Prøvekøbing", admin="anna", email="anna@example.dk", password_file=password_file
    )
    assert "Created Prøvekøbing (997)" in out
    municipality = Municipality.objects.get(code="997")
    user = User.objects.get(username="anna")
    assert user.email == "anna@example.dk" and user.check_password(PASSWORD)
    assert not user.is_superuser
    membership = Membership.objects.get(user=user)
    assert (membership.municipality, membership.role) == (municipality, Role.ADMIN)
    assert membership.can(Capability.IMPORT_DATA) and membership.can(Capability.MANAGE_MEMBERS)
    # the administrator logs in with it and lands in the new municipality
    response = client.post(reverse("login"), {"username": "anna", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).wsgi_request.municipality == municipality


def test_the_same_command_again_changes_nothing(db, password_file, tmp_path):
    _run("997", "Prøvekøbing", admin="anna", email="anna@example.dk", password_file=password_file)
    before = _state()
    other = tmp_path / "other.txt"
    other.write_text("a-completely-different-password-2\n")
    out = _run(
        "997", "Prøvekøbing", admin="anna", email="anna@example.dk", password_file=str(other)
    )
    assert "exist already; nothing was changed" in out
    assert _state() == before
    assert User.objects.get(username="anna").check_password(PASSWORD)  # not reset either


@pytest.mark.parametrize(
    "args,opts,message",
    [
        # the demo's code, another name
        (("999", "Eksempelkøbing"), {"admin": "new-admin"}, "code 999 is taken by Demokommune"),
        # the demo municipality itself has an administrator already
        (("999", "Demokommune"), {"admin": "new-admin"}, r"has an administrator already \(admin\)"),
        # a user of the demo
        (("997", "Prøvekøbing"), {"admin": "analyst"}, "user name analyst is taken"),
        (("997", "Prøvekøbing"), {"admin": "ANALYST"}, "user name analyst is taken"),
        (("98", "Prøvekøbing"), {"admin": "anna"}, "expected three digits"),
        (("997", "Prøvekøbing"), {"admin": "an na"}, "letters, digits"),
        (("997", "Prøvekøbing"), {"admin": "anna", "email": "not-an-address"}, "not valid"),
    ],
)
def test_refusals_say_why_and_write_nothing(db, password_file, args, opts, message):
    before = _state()
    opts = {"email": "x@example.dk", "password_file": password_file, **opts}
    with pytest.raises(CommandError, match=message):
        _run(*args, **opts)
    assert _state() == before


def test_a_weak_or_missing_password_is_refused(db, tmp_path):
    before = _state()
    weak = tmp_path / "weak.txt"
    weak.write_text("12345\n")
    with pytest.raises(CommandError, match="password is refused"):
        _run("997", "Prøvekøbing", admin="anna", email="a@example.dk", password_file=str(weak))
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    with pytest.raises(CommandError, match="first line is empty"):
        _run("997", "Prøvekøbing", admin="anna", email="a@example.dk", password_file=str(empty))
    with pytest.raises(CommandError, match="--password-file .*missing.txt"):
        _run(
            "997", "Prøvekøbing", admin="anna", email="a@example.dk",
            password_file=str(tmp_path / "missing.txt"),
        )  # fmt: skip
    assert _state() == before


def test_the_password_is_asked_for_twice(monkeypatch):
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr(command.sys.stdin, "isatty", lambda: True, raising=False)
    assert command.read_password(None, ask=lambda prompt: next(answers)) == PASSWORD
    answers = iter([PASSWORD, PASSWORD + "x"])
    with pytest.raises(CommandError, match="differ"):
        command.read_password(None, ask=lambda prompt: next(answers))


def test_without_a_terminal_or_a_file_it_says_what_to_give(db, monkeypatch):
    monkeypatch.setattr(command.sys.stdin, "isatty", lambda: False, raising=False)
    with pytest.raises(CommandError, match="give --password-file"):
        _run("997", "Prøvekøbing", admin="anna", email="a@example.dk")
    assert not Municipality.objects.filter(code="997").exists()


def test_a_municipality_made_in_the_admin_gets_its_first_administrator(db, password_file):
    Municipality.objects.create(code="996", name="Tomby")
    _run("996", "Tomby", admin="tove", email="tove@example.dk", password_file=password_file)
    assert Membership.objects.get(user__username="tove").municipality.code == "996"
    assert Municipality.objects.filter(code="996").count() == 1
