"""Which tasks an organisation owns: the one rule a partner's progress report is checked against.

A task belongs to an organisation when its initiative's owner is that organisation, or the task's
``owner_name`` is, or the user it is assigned to is a member of the task's municipality for that
organisation. Names compare trimmed and case-insensitively ("Boligforeningen 3B" = " boligforeningen 3b").
A membership without an organisation owns nothing. The role does not enter: any member whose
membership names the organisation (a partner, a caseworker, a board member) reports on its tasks.

The comparison is made here in Python, not in the database: SQLite's ``lower()`` and ``iexact`` fold
ASCII letters only, and Danish organisation names have æ, ø and å.
"""

from hotspot.accounts.models import Membership
from hotspot.programmes.models import Initiative, Task


def organisation_key(name: str | None) -> str:
    """The form in which organisation names are compared."""
    return (name or "").strip().casefold()


def _owner_organisations(municipality_id: int, user_ids) -> dict[int, str]:
    """{user id: organisation key} of the given users' memberships in the municipality."""
    rows = Membership.objects.filter(municipality_id=municipality_id, user_id__in=set(user_ids))
    return {
        user_id: organisation_key(org)
        for user_id, org in rows.values_list("user_id", "organisation")
    }


def organisation_owns(membership, task: Task, *, owner_organisations=None) -> bool:
    """Whether the organisation of ``membership`` owns ``task`` (see the module's docstring).

    ``owner_organisations`` ({user id: organisation key}, from ``owned_tasks``) saves the query for the
    organisation of the task's assigned user when many tasks are checked at once."""
    if membership is None:
        return False
    organisation = organisation_key(membership.organisation)
    if not organisation or task.programme.municipality_id != membership.municipality_id:
        return False
    if task.initiative_id and organisation_key(task.initiative.owner) == organisation:
        return True
    if organisation_key(task.owner_name) == organisation:
        return True
    if task.owner_id:
        if owner_organisations is None:
            owner_organisations = _owner_organisations(membership.municipality_id, [task.owner_id])
        return owner_organisations.get(task.owner_id, "") == organisation
    return False


def owned_tasks(membership) -> list[Task]:
    """The tasks of the membership's municipality (every programme) its organisation owns: open ones
    first, then by due date."""
    if membership is None or not organisation_key(membership.organisation):
        return []
    tasks = list(
        Task.objects.in_municipality(membership.municipality_id).select_related(
            "programme", "plan", "initiative", "place"
        )
    )
    owners = _owner_organisations(
        membership.municipality_id, [t.owner_id for t in tasks if t.owner_id]
    )
    mine = [t for t in tasks if organisation_owns(membership, t, owner_organisations=owners)]
    return sorted(mine, key=lambda t: (t.status == "done", t.due, t.pk))


def owned_initiatives(membership) -> list[Initiative]:
    """The initiatives of the membership's municipality whose owner is its organisation."""
    organisation = organisation_key(membership.organisation if membership else "")
    if not organisation:
        return []
    initiatives = Initiative.objects.in_municipality(membership.municipality_id).select_related(
        "programme"
    )
    return [i for i in initiatives if organisation_key(i.owner) == organisation]
