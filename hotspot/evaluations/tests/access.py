"""Role x URL rows for the evaluations app, collected by hotspot/accounts/tests/test_access.py."""

TABLE: dict = {}
