"""Role x URL rows for the indices app, collected by hotspot/accounts/tests/test_access.py."""

TABLE: dict = {}
