"""Forms of the administration page: add a member, change a member's role, end a membership."""

from django import forms
from django.contrib.auth import password_validation
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.actions import existing_user, split_name
from hotspot.accounts.models import Membership, User
from hotspot.accounts.roles import Role

_END_SALT = "hotspot.accounts.member_end"
_NEW_USER = {"required": _("Needed for a new user.")}


def styled(form):
    """The design system's classes on a form's widgets (every app's forms use this one)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, (forms.CheckboxSelectMultiple, forms.RadioSelect)):
            continue
        if isinstance(widget, forms.CheckboxInput):
            css = "form-checkbox"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-input"
        widget.attrs.setdefault("class", css)


def _role_field():
    return forms.ChoiceField(label=_("Role"), choices=Role.choices)


def _organisation_field():
    field = Membership._meta.get_field("organisation")
    return forms.CharField(
        label=_("Organisation"),
        max_length=field.max_length,
        required=False,
        help_text=field.help_text,
    )


class MemberAddForm(forms.Form):
    """A new member: a new user (name, e-mail address, a first password typed twice and checked by the
    site's password rules), or an existing user name, which only gets the membership."""

    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        help_text=_(
            "Letters, digits and @ . + - _ only. If the user name exists already (e.g. a member of "
            "another municipality), that user becomes a member here with the role you choose: "
            "their e-mail address, name and password stay as they are, and the fields for them are "
            "not needed."
        ),
    )
    email = forms.EmailField(label=_("E-mail address"), error_messages=_NEW_USER)
    full_name = forms.CharField(label=_("Full name"), max_length=150, error_messages=_NEW_USER)
    role = _role_field()
    organisation = _organisation_field()
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        error_messages=_NEW_USER,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("The same password again"),
        strip=False,
        error_messages=_NEW_USER,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Give the new member the password in person or by telephone, never by e-mail."),
    )

    #: needed for a new user only
    NEW_USER_FIELDS = ("email", "full_name", "password1", "password2")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # an existing user name needs none of the new user's fields (what they hold is not used)
        self.existing = existing_user(self.data.get("username", "")) if self.is_bound else None
        if self.existing is not None:
            for name in self.NEW_USER_FIELDS:
                self.fields[name].required = False
        self.fields["password1"].help_text = " ".join(
            password_validation.password_validators_help_texts()
        )
        styled(self)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        try:
            User.username_validator(username)
        except ValidationError:
            raise ValidationError(_("Use letters, digits and @ . + - _ only.")) from None
        return username

    def clean(self):
        data = super().clean()
        username = data.get("username")
        if not username:
            return data
        if self.existing is not None:
            # only the membership: the user's own fields are left as they are, whatever was typed
            for name in self.NEW_USER_FIELDS:
                self._errors.pop(name, None)
            return data
        password1, password2 = data.get("password1"), data.get("password2")
        if password1 and password2:
            if password1 != password2:
                self.add_error("password2", _("The two passwords differ."))
            else:
                first_name, last_name = split_name(data.get("full_name") or "")
                candidate = User(
                    username=username,
                    email=data.get("email") or "",
                    first_name=first_name,
                    last_name=last_name,
                )
                try:
                    password_validation.validate_password(password1, candidate)
                except ValidationError as exc:
                    self.add_error("password1", exc)
        return data

    def member(self) -> dict:
        """The keyword arguments of ``actions.add_member``."""
        data = self.cleaned_data
        return {
            "username": data["username"],
            "role": data["role"],
            "organisation": data["organisation"],
            # not used for an existing user (and then perhaps not even valid)
            "email": data.get("email") or "",
            "full_name": data.get("full_name") or "",
            "password": data.get("password1") or "",
        }


class MemberChangeForm(forms.Form):
    """A member's role and organisation, with the values the form was shown with (hidden), so that a
    change someone else made meanwhile is not overwritten."""

    role = _role_field()
    organisation = _organisation_field()
    role_shown = forms.CharField(widget=forms.HiddenInput, required=False)
    organisation_shown = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)

    def __init__(self, *args, membership: Membership, **kwargs):
        initial = {
            "role": membership.role,
            "organisation": membership.organisation,
            "role_shown": membership.role,
            "organisation_shown": membership.organisation,
        }
        super().__init__(*args, initial=initial, **kwargs)
        styled(self)

    def shown(self) -> tuple[str, str]:
        return self.cleaned_data["role_shown"], self.cleaned_data["organisation_shown"]


class MemberEndForm(forms.Form):
    """Ending a membership. The form carries a signed note of which membership of which municipality
    it ends, so that a second press after the first has ended it can say so (and change nothing)
    without telling anyone whether another municipality has a membership with that key."""

    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, membership: Membership | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if membership is not None:
            self.initial["token"] = signing.dumps(
                [membership.pk, membership.municipality_id], salt=_END_SALT
            )

    def is_for(self, pk: int, municipality) -> bool:
        """Whether this (posted) form was made for membership ``pk`` of ``municipality``."""
        try:
            note = signing.loads(self.data.get("token", ""), salt=_END_SALT)
        except signing.BadSignature:
            return False
        return note == [pk, municipality.pk]
