"""The reference helper skips without the reference, and fails instead under REQUIRE_REFERENCES=1."""

import pytest

from safetystats.tests.references import reference


def test_present_reference_is_imported():
    assert reference("numpy").__name__ == "numpy"


def test_missing_reference_skips_by_default(monkeypatch):
    monkeypatch.delenv("REQUIRE_REFERENCES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        reference("no_such_reference_module_xyz")


def test_missing_reference_fails_when_required(monkeypatch):
    monkeypatch.setenv("REQUIRE_REFERENCES", "1")
    with pytest.raises(pytest.fail.Exception, match="REQUIRE_REFERENCES=1"):
        reference("no_such_reference_module_xyz")
