"""Role x URL rows for the programmes app, collected by hotspot/accounts/tests/test_access.py."""

TABLE: dict = {}
