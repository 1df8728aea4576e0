"""Role x URL rows for the imports app, collected by hotspot/accounts/tests/test_access.py."""

TABLE: dict = {}
