"""Members of a municipality managed on /administration/ by its administrator (the role ``admin``).

Add a member (a new user with a first password, or an existing user who only gets the membership),
change a role, end a membership; never the last administrator; nothing of another municipality; every
change one audit row with field names only; a second press of the same form changes nothing.
"""

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from hotspot.accounts import actions
from hotspot.accounts.models import Membership, User
from hotspot.accounts.roles import Role
from hotspot.audit.models import Action, AuditEvent, Purpose

PASSWORD = "Kløverparkens-lange-kodeord-7"


@pytest.fixture
def admin(member):
    return member("admin")


@pytest.fixture
def as_admin(client, admin):
    client.force_login(admin)
    return client


def _new_member(**changes):
    data = {
        "username": "kim",
        "email": "kim@demokommune.dk",
        "full_name": "Kim Møller Hansen",
        "role": Role.COORDINATOR,
        "organisation": "Hotspotsekretariatet",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(changes)
    return data


def _membership_rows():
    return AuditEvent.objects.filter(object_type="accounts.membership").order_by("seq")


def _of(user, municipality):
    return Membership.objects.get(user=user, municipality=municipality)


def _assert_no_value_in(event, *values):
    """No column of the audit row holds any of ``values`` (a password, an e-mail address, a name)."""
    stored = " ".join(
        str(getattr(event, f.attname)) for f in AuditEvent._meta.concrete_fields
    ).lower()
    for value in values:
        assert value.lower() not in stored, f"{value!r} is in the audit row"


def test_the_administrator_adds_a_coordinator_who_logs_in_and_opens_programmes(
    as_admin, admin, demo_municipality
):
    before = _membership_rows().count()
    response = as_admin.post(reverse("member_new"), _new_member(), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("administration")
    kim = User.objects.get(username="kim")
    assert (kim.email, kim.first_name, kim.last_name) == (
        "kim@demokommune.dk",
        "Kim Møller",
        "Hansen",
    )
    assert kim.check_password(PASSWORD) and not kim.is_staff and not kim.is_superuser
    membership = _of(kim, demo_municipality)
    assert (membership.role, membership.organisation) == (Role.COORDINATOR, "Hotspotsekretariatet")
    assert f'id="member-{membership.pk}"' in response.content.decode()

    rows = list(_membership_rows()[before:])
    assert len(rows) == 1
    event = rows[0]
    assert (event.action, event.purpose) == (Action.CREATE, Purpose.ADMINISTRATION)
    assert (event.object_id, event.actor_id, event.municipality_id) == (
        str(membership.pk),
        admin.pk,
        demo_municipality.pk,
    )
    assert set(event.fields) == {
        "user",
        "municipality",
        "role",
        "organisation",
        "username",
        "email",
        "first_name",
        "last_name",
        "password",
    }
    _assert_no_value_in(event, PASSWORD, "kim@demokommune.dk", "Møller", "Hotspotsekretariatet")

    # the new coordinator logs in with the first password and works in Demokommune
    kims = Client()
    login = kims.post(reverse("login"), {"username": "kim", "password": PASSWORD})
    assert login.status_code == 302 and login["Location"] == reverse("home")
    assert kims.get(reverse("programmes:list")).status_code == 200
    assert kims.get(reverse("programmes:list")).wsgi_request.municipality == demo_municipality


def test_an_existing_user_only_gets_the_membership(
    as_admin, outsider, demo_municipality, other_municipality
):
    page = as_admin.get(reverse("member_new"))
    # the page says what happens to a user name that exists already
    with translation.override("da"):
        hint = str(page.context["form"]["username"].help_text)
    assert "@ . + - _" in hint and escape(hint) in page.content.decode()
    password, email = outsider.password, outsider.email
    response = as_admin.post(
        reverse("member_new"),
        _new_member(
            username="OUTSIDER",  # the user name as typed, in another case
            email="ikke-en-adresse",  # ignored, like the name and the passwords
            full_name="",
            password1="short",
            password2="other",
            role=Role.ANALYST,
        ),
        follow=True,
    )
    assert response.status_code == 200
    with translation.override("da"):
        said = translation.gettext(
            "%(user)s existed already and is now a member here too: %(role)s. Their "
            "e-mail address, name and password are unchanged."
        ) % {"user": "outsider", "role": Role.ANALYST.label}
    assert [str(m) for m in response.context["messages"]] == [said]
    outsider.refresh_from_db()
    assert (outsider.password, outsider.email) == (password, email)  # the user's own fields stay
    assert _of(outsider, demo_municipality).role == Role.ANALYST
    assert _of(outsider, other_municipality).role == Role.COORDINATOR  # untouched
    event = _membership_rows().last()
    assert event.fields == ["user", "municipality", "role", "organisation"]


def test_a_second_post_of_the_same_form_changes_nothing(
    as_admin, analyst, partner, demo_municipality
):
    before = _membership_rows().count()
    as_admin.post(reverse("member_new"), _new_member())
    again = as_admin.post(reverse("member_new"), _new_member(), follow=True)
    assert again.status_code == 200
    assert Membership.objects.filter(user__username="kim").count() == 1
    assert _membership_rows().count() == before + 1

    membership = _of(analyst, demo_municipality)
    form = {
        "role": Role.COORDINATOR,
        "organisation": "",
        "role_shown": Role.ANALYST,
        "organisation_shown": membership.organisation,
    }
    url = reverse("member_edit", args=[membership.pk])
    assert as_admin.post(url, form).status_code == 302
    assert as_admin.post(url, form, follow=True).status_code == 200
    membership.refresh_from_db()
    assert membership.role == Role.COORDINATOR
    assert _membership_rows().count() == before + 2

    ending = _of(partner, demo_municipality)
    end_url = reverse("member_end", args=[ending.pk])
    token = as_admin.get(end_url).context["form"]["token"].value()
    assert as_admin.post(end_url, {"token": token}).status_code == 302
    second = as_admin.post(end_url, {"token": token}, follow=True)
    assert second.status_code == 200 and second.redirect_chain[-1][0] == reverse("administration")
    assert _membership_rows().count() == before + 3


def test_a_role_change_made_meanwhile_is_not_overwritten(as_admin, analyst, demo_municipality):
    membership = _of(analyst, demo_municipality)
    # someone else made the analyst a police member after the form was shown
    actions.change_member(membership, role=Role.POLICE, organisation=membership.organisation)
    before = _membership_rows().count()
    response = as_admin.post(
        reverse("member_edit", args=[membership.pk]),
        {
            "role": Role.CASEWORKER,
            "organisation": membership.organisation,
            "role_shown": Role.ANALYST,
            "organisation_shown": membership.organisation,
        },
    )
    assert response.status_code == 400
    membership.refresh_from_db()
    assert membership.role == Role.POLICE
    assert _membership_rows().count() == before


def test_changing_a_role(as_admin, admin, analyst, demo_municipality):
    membership = _of(analyst, demo_municipality)
    url = reverse("member_edit", args=[membership.pk])
    form = as_admin.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data["role"] = Role.CASEWORKER
    before = _membership_rows().count()
    response = as_admin.post(url, data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("administration")
    membership.refresh_from_db()
    assert membership.role == Role.CASEWORKER
    rows = list(_membership_rows()[before:])
    assert [(e.action, e.fields, e.object_id, e.actor_id) for e in rows] == [
        (Action.UPDATE, ["role"], str(membership.pk), admin.pk)
    ]


def test_ending_a_membership_keeps_the_user(as_admin, admin, outsider, demo_municipality):
    membership = actions.add_member(demo_municipality, username="outsider", role=Role.BOARD)
    pk = membership.membership.pk
    page = as_admin.get(reverse("member_end", args=[pk]))
    assert page.status_code == 200
    before = _membership_rows().count()
    # the form of another member's page does not end this one
    other = _of(admin, demo_municipality)
    other_token = as_admin.get(reverse("member_end", args=[other.pk])).context["form"]
    wrong = as_admin.post(reverse("member_end", args=[pk]), {"token": other_token["token"].value()})
    assert wrong.status_code == 400 and Membership.objects.filter(pk=pk).exists()
    assert as_admin.post(reverse("member_end", args=[pk]), {}).status_code == 400
    response = as_admin.post(
        reverse("member_end", args=[pk]), {"token": page.context["form"]["token"].value()}
    )
    assert response.status_code == 302 and response["Location"] == reverse("administration")
    assert not Membership.objects.filter(pk=pk).exists()
    assert User.objects.filter(pk=outsider.pk).exists()
    assert Membership.objects.filter(user=outsider).count() == 1  # Lillekommune's stays
    rows = list(_membership_rows()[before:])
    assert [(e.action, e.object_id, e.actor_id, e.fields) for e in rows] == [
        (Action.DELETE, str(pk), admin.pk, [])
    ]


def test_the_last_administrator_can_be_neither_demoted_nor_ended(
    as_admin, admin, analyst, demo_municipality
):
    own = _of(admin, demo_municipality)
    assert list(Membership.objects.filter(municipality=demo_municipality, role=Role.ADMIN)) == [own]
    before = _membership_rows().count()
    demote = as_admin.post(
        reverse("member_edit", args=[own.pk]),
        {
            "role": Role.ANALYST,
            "organisation": own.organisation,
            "role_shown": Role.ADMIN,
            "organisation_shown": own.organisation,
        },
    )
    assert demote.status_code == 400
    with translation.override("da"):
        only = escape(
            translation.gettext(
                "%(user)s is the municipality's only administrator: make another member "
                "administrator first."
            )
            % {"user": "admin"}
        )
    assert only in demote.content.decode()
    end = as_admin.get(reverse("member_end", args=[own.pk]))
    refused = as_admin.post(
        reverse("member_end", args=[own.pk]),
        {"token": end.context["form"]["token"].value()},
        follow=True,
    )
    assert only in refused.content.decode()
    own.refresh_from_db()
    assert own.role == Role.ADMIN
    assert _membership_rows().count() == before
    with pytest.raises(actions.MembershipRefused):
        actions.end_membership(own)

    # with a second administrator, the first may step down (and then no longer manages members)
    actions.change_member(_of(analyst, demo_municipality), role=Role.ADMIN)
    stepped = as_admin.post(
        reverse("member_edit", args=[own.pk]),
        {
            "role": Role.ANALYST,
            "organisation": own.organisation,
            "role_shown": Role.ADMIN,
            "organisation_shown": own.organisation,
        },
    )
    assert stepped.status_code == 302 and stepped["Location"] == reverse("home")
    own.refresh_from_db()
    assert own.role == Role.ANALYST


@pytest.mark.parametrize("role", ["coordinator", "analyst", "partner"])
def test_other_roles_get_403_on_every_new_url(client, member, role, analyst, demo_municipality):
    client.force_login(member(role))
    target = _of(analyst, demo_municipality)
    before = (Membership.objects.count(), _membership_rows().count(), target.role)
    for name, args in (
        ("member_new", []),
        ("member_edit", [target.pk]),
        ("member_end", [target.pk]),
    ):
        url = reverse(name, args=args)
        assert client.get(url).status_code == 403, (role, name)
        assert client.post(url, _new_member(role=Role.ADMIN)).status_code == 403, (role, name)
    target.refresh_from_db()
    assert (Membership.objects.count(), _membership_rows().count(), target.role) == before


def test_a_membership_of_another_municipality_is_404(as_admin, outsider, other_municipality):
    theirs = _of(outsider, other_municipality)
    before = _membership_rows().count()
    for name in ("member_edit", "member_end"):
        url = reverse(name, args=[theirs.pk])
        assert as_admin.get(url).status_code == 404
        assert (
            as_admin.post(url, {"role": Role.PARTNER, "role_shown": "coordinator"}).status_code
            == 404
        )
    # a note for another municipality's membership does not pass either
    from hotspot.accounts.forms import MemberEndForm

    forged = MemberEndForm(membership=theirs).initial["token"]
    assert (
        as_admin.post(reverse("member_end", args=[theirs.pk]), {"token": forged}).status_code == 404
    )
    theirs.refresh_from_db()
    assert theirs.role == Role.COORDINATOR
    assert _membership_rows().count() == before


def test_a_weak_password_is_refused_with_djangos_message(as_admin):
    weak = "kim12345"
    with translation.override("da"):
        try:
            password_validation.validate_password(weak, User(username="kim", first_name="Kim"))
        except ValidationError as exc:
            expected = exc.messages
    assert expected  # Django refuses it: too short, and too like the user name
    response = as_admin.post(reverse("member_new"), _new_member(password1=weak, password2=weak))
    assert response.status_code == 400
    page = response.content.decode()
    for message in expected:
        assert message in page
    assert not User.objects.filter(username="kim").exists()
    differ = as_admin.post(reverse("member_new"), _new_member(password2=PASSWORD + "x"))
    assert differ.status_code == 400 and not User.objects.filter(username="kim").exists()


def test_a_new_user_needs_email_name_and_password(as_admin):
    response = as_admin.post(
        reverse("member_new"), {"username": "kim", "role": Role.ANALYST, "organisation": ""}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"email", "full_name", "password1", "password2"}
    assert not User.objects.filter(username="kim").exists()


def test_create_municipality_sends_the_same_signal(db, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "password.txt"
    path.write_text(PASSWORD + "\n")
    call_command(
        "create_municipality",
        "996",
        "Signalkøbing",
        admin="signe",
        email="signe@signalkoebing.dk",
        password_file=str(path),
        stdout=open(tmp_path / "out", "w"),
    )
    membership = Membership.objects.get(user__username="signe")
    event = _membership_rows().filter(object_id=str(membership.pk)).get()
    assert (event.action, event.actor_id, event.actor_username, event.municipality_id) == (
        Action.CREATE,
        None,
        "manage.py",
        membership.municipality_id,
    )
    assert "password" in event.fields and "role" in event.fields
    _assert_no_value_in(event, PASSWORD, "signe@signalkoebing.dk")


def test_the_member_pages_are_danish(as_admin, admin, analyst, demo_municipality):
    """The crawl of tests/test_danish_pages.py does not log in as the administrator: these pages,
    their error states and their messages, checked the same way."""
    from tests.test_danish_pages import english_words, problems, visible_text

    membership = _of(analyst, demo_municipality)
    pages = {
        "administration": as_admin.get(reverse("administration")),
        "member_new": as_admin.get(reverse("member_new")),
        "member_new (errors)": as_admin.post(
            reverse("member_new"), _new_member(email="x", password1="kim", password2="mik")
        ),
        "member_new (done)": as_admin.post(reverse("member_new"), _new_member(), follow=True),
        "member_new (again)": as_admin.post(reverse("member_new"), _new_member(), follow=True),
        "member_edit": as_admin.get(reverse("member_edit", args=[membership.pk])),
        "member_end": as_admin.get(reverse("member_end", args=[membership.pk])),
    }
    own = _of(admin, demo_municipality)
    pages["member_edit (last administrator)"] = as_admin.post(
        reverse("member_edit", args=[own.pk]),
        {
            "role": Role.ANALYST,
            "role_shown": Role.ADMIN,
            "organisation": own.organisation,
            "organisation_shown": own.organisation,
        },
    )
    for name, response in pages.items():
        assert response.status_code in (200, 400), name
        assert '<html lang="da"' in response.content.decode(), name
    english = english_words()
    names = sorted(User.objects.values_list("username", flat=True), key=len, reverse=True)
    report = [
        f"{name}: {found}"
        for name, response in pages.items()
        for found in problems(visible_text(response.content.decode()), english, names)
    ]
    assert not report, "\n".join(report)
    assert "Tilføj et medlem" in pages["administration"].content.decode()
