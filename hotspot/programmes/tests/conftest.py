import pytest


@pytest.fixture(autouse=True)
def _english(english):
    """This app's tests check the English source texts; the Danish pages are covered by the browser tests."""
    yield
