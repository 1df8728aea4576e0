"""What the audit log page shows: the words for an event's object and actor."""

from django.apps import apps
from django.utils.translation import gettext_lazy

#: the names that actions record for work no person did (``record(..., username=…)``), as words
SYSTEM_ACTORS = {
    "task": gettext_lazy("background task"),
    "make_demo_programmes": gettext_lazy("demo city builder"),
    "manage.py verify_audit_log": gettext_lazy("check of the hash chain"),
    "manage.py": gettext_lazy("command line (manage.py)"),
    "(unknown user)": gettext_lazy("(unknown user)"),
}


def object_label(object_type: str, object_id: str) -> str:
    """ "område 22" for ``areas.area`` / ``22``: the model's name in the reader's language and the key
    (the type as stored when the model is unknown)."""
    if not object_type:
        return ""
    try:
        meta = apps.get_model(object_type)._meta
    except (LookupError, ValueError):
        name = object_type
    else:
        # a model without its own (translated) name would show Django's English one from the class
        explicit = "verbose_name" in meta.original_attrs
        name = str(meta.verbose_name if explicit else meta.app_config.verbose_name)
    return f"{name} {object_id}" if object_id else name


def label_events(events) -> None:
    """Give each event of the page its ``object_label`` and ``actor_label``."""
    for e in events:
        e.object_label = object_label(e.object_type, e.object_id)
        # a label only for work no account did: a real user called "task" stays "task"
        system = e.actor_id is None and e.actor_username in SYSTEM_ACTORS
        e.actor_label = str(SYSTEM_ACTORS[e.actor_username]) if system else e.actor_username
