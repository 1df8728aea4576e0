"""Pseudonyms for casework: a keyed hash of the CPR number, and names encrypted at rest.

``person_key`` turns a CPR number into HMAC-SHA256 hex under ``CASEWORK_HMAC_KEY`` (hotspot/config.py),
so that the same person is recognised across agencies and programmes without the number being stored.
``encrypt_name``/``decrypt_name`` use cryptography's MultiFernet over ``CASEWORK_NAME_KEYS``: the first
key encrypts, every key decrypts, and ``rotate`` re-encrypts a token with the first key. No function here
puts a CPR number or a name in an error message.
"""

import hashlib
import hmac
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.views.decorators.debug import sensitive_variables

from hotspot import config

_CPR = re.compile(r"^(\d{6})-?(\d{4})$")


@sensitive_variables()
def normalise_cpr(cpr: str) -> str:
    """The ten digits of a CPR number written ``ddmmyyxxxx`` or ``ddmmyy-xxxx``; ValueError otherwise."""
    match = _CPR.match((cpr or "").strip()) if isinstance(cpr, str) else None
    if match is None:
        raise ValueError(
            "a CPR number must be 10 digits, optionally with a dash after the sixth (ddmmyy-xxxx)"
        )
    digits = match.group(1) + match.group(2)
    day, month = int(digits[:2]), int(digits[2:4])
    if not (1 <= day <= 31 and 1 <= month <= 12):
        raise ValueError("a CPR number must start with a date of birth (ddmmyy)")
    return digits


#: A CPR-like number anywhere in a text: six digits, an optional dash or space, four digits, not part
#: of a longer number.
_CPR_IN_TEXT = re.compile(r"(?<!\d)\d{6}[- ]?\d{4}(?!\d)")


@sensitive_variables()
def contains_cpr(text: str) -> bool:
    """Whether ``text`` holds something that could be a CPR number (ddmmyyxxxx, ddmmyy-xxxx or
    ddmmyy xxxx): free text that leaves casework (a task, a title) must not."""
    return bool(_CPR_IN_TEXT.search(text or ""))


@sensitive_variables()
def person_key(cpr: str) -> str:
    """HMAC-SHA256 (64 hex characters) of the normalised CPR number under CASEWORK_HMAC_KEY."""
    digits = normalise_cpr(cpr)
    secret = config.casework_hmac_key(debug=settings.DEBUG)
    return hmac.new(secret.encode("utf-8"), digits.encode("ascii"), hashlib.sha256).hexdigest()


def _fernet() -> MultiFernet:
    keys = config.casework_name_keys()
    if not keys:
        raise ImproperlyConfigured("CASEWORK_NAME_KEYS is required to store names")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            "CASEWORK_NAME_KEYS must be comma-separated Fernet keys (32 url-safe base64 bytes each)"
        ) from None


@sensitive_variables()
def encrypt_name(name: str) -> str:
    """A Fernet token (text) of ``name`` under the current (first) key."""
    return _fernet().encrypt(name.encode("utf-8")).decode("ascii")


@sensitive_variables()
def decrypt_name(token: str) -> str:
    """The name in ``token``, under any of the configured keys; ValueError when none opens it."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise ValueError("the stored name cannot be decrypted with CASEWORK_NAME_KEYS") from None


def rotate(token: str) -> str:
    """``token`` re-encrypted under the current (first) key."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise ValueError("the stored name cannot be decrypted with CASEWORK_NAME_KEYS") from None
