"""Building blocks for the role x URL tables (this app's test_access.py and each app's tests/access.py).

A table row is ``"namespace:name[#variant]": (url, {role: status}, anonymous_status)`` where ``url`` is
"none" (no arguments), "own"/"foreign" (a housing area of Demokommune / of Lillekommune), or a callable
``url(own_municipality, foreign_municipality) -> str`` that may create the objects it needs.
"""

ROLES = [
    "coordinator",
    "analyst",
    "caseworker",
    "police",
    "partner",
    "board",
    "dpo",
    "admin",
    "outsider",
]
ALL = dict.fromkeys(ROLES, 200)
NONE_OF_THEM = dict.fromkeys(ROLES, 404)
RAW = {"coordinator", "analyst", "police", "admin"}  # roles with view_raw_data
IMPORTERS = {"coordinator", "analyst", "admin"}  # roles with import_data
PERSON = {"coordinator", "caseworker", "police"}  # roles with view_person_data
PROGRAMME_EDITORS = {
    "coordinator"
}  # roles with manage_programmes (admin manages users, not programmes)


def only(allowed, *, outsider=403, other=403):
    """Status per role: 200 for ``allowed``, ``other`` for the rest, ``outsider`` for the outsider."""
    table = {role: (200 if role in allowed else other) for role in ROLES}
    table["outsider"] = outsider
    return table


def foreign_only():
    """An object of Lillekommune: 404 for every Demokommune member, 200 for the outsider."""
    return {**NONE_OF_THEM, "outsider": 200}
