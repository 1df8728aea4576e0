import pytest
from cryptography.fernet import Fernet

HMAC_KEY = "test-only-casework-hmac-key-0123456789abcdef"
NAME_KEY = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def _casework_secrets(monkeypatch, english):
    """The two casework secrets, from the environment as in production; pages in English."""
    monkeypatch.setenv("CASEWORK_HMAC_KEY", HMAC_KEY)
    monkeypatch.delenv("CASEWORK_HMAC_KEY_FILE", raising=False)
    monkeypatch.setenv("CASEWORK_NAME_KEYS", NAME_KEY)
    monkeypatch.delenv("CASEWORK_NAME_KEYS_FILE", raising=False)
    yield
