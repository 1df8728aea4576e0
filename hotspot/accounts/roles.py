"""Roles and what each may do: the one table every access decision reads.

A user holds one membership (and so one role) per municipality. Views ask for a capability, never for a
role, so that adding a role or moving a right is a change here and in the role x URL test, nowhere else.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator (hotspot secretariat)")
    ANALYST = "analyst", _("Analyst")
    CASEWORKER = "caseworker", _("Caseworker (SSP/social)")
    POLICE = "police", _("Police")
    PARTNER = "partner", _("Partner (housing, business, volunteers)")
    BOARD = "board", _("Board member")
    DPO = "dpo", _("Data protection officer")
    ADMIN = "admin", _("Administrator")


class Capability(models.TextChoices):
    VIEW_AGGREGATES = "view_aggregates", _("See aggregated figures, maps and reports")
    VIEW_RAW_DATA = "view_raw_data", _("See and export incident-level data")
    IMPORT_DATA = "import_data", _("Import and roll back data")
    VIEW_PERSON_DATA = "view_person_data", _("See pseudonymous person data (casework)")
    MANAGE_PROGRAMMES = "manage_programmes", _("Create and change programmes")
    VIEW_AUDIT = "view_audit", _("Read the audit log")
    MANAGE_MEMBERS = "manage_members", _("Manage users and memberships")


_C = Capability
CAPABILITIES: dict[str, frozenset[str]] = {
    Role.COORDINATOR: frozenset(
        {
            _C.VIEW_AGGREGATES,
            _C.VIEW_RAW_DATA,
            _C.IMPORT_DATA,
            _C.VIEW_PERSON_DATA,
            _C.MANAGE_PROGRAMMES,
        }
    ),
    Role.ANALYST: frozenset({_C.VIEW_AGGREGATES, _C.VIEW_RAW_DATA, _C.IMPORT_DATA}),
    Role.CASEWORKER: frozenset({_C.VIEW_AGGREGATES, _C.VIEW_PERSON_DATA}),
    Role.POLICE: frozenset({_C.VIEW_AGGREGATES, _C.VIEW_RAW_DATA, _C.VIEW_PERSON_DATA}),
    # Partners and board members see aggregates only (the model's data protection rule).
    Role.PARTNER: frozenset({_C.VIEW_AGGREGATES}),
    Role.BOARD: frozenset({_C.VIEW_AGGREGATES}),
    Role.DPO: frozenset({_C.VIEW_AGGREGATES, _C.VIEW_AUDIT}),
    Role.ADMIN: frozenset(
        {_C.VIEW_AGGREGATES, _C.VIEW_RAW_DATA, _C.IMPORT_DATA, _C.MANAGE_MEMBERS}
    ),
}


def role_can(role: str | None, capability: str) -> bool:
    return role is not None and capability in CAPABILITIES.get(role, frozenset())


# Which fields of a casework case each role with view_person_data sees (hotspot.casework.pages drops the
# rest). Police do not see social notes; roles not listed see no case at all.
_CASE_COMMON = frozenset(
    {"alias", "kind", "legal_basis", "consent_date", "purpose", "name", "created_at"}
)
CASE_FIELDS: dict[str, frozenset[str]] = {
    Role.COORDINATOR: _CASE_COMMON | {"social_note"},
    Role.CASEWORKER: _CASE_COMMON | {"social_note"},
    Role.POLICE: _CASE_COMMON,
}


def case_fields(role: str | None) -> frozenset[str]:
    return CASE_FIELDS.get(role, frozenset())
