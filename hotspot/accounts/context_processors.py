from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from hotspot.accounts.middleware import SessionTimeoutMiddleware
from hotspot.accounts.roles import Capability, Role

#: the marker of a menu entry shown to the partner role only
PARTNERS_ONLY = "role:partner"

# Top navigation (UX.md). An entry shows when the active role has its capability; an entry whose URL
# does not exist yet is left out, so apps can be added one at a time.
NAVIGATION = [
    ("home", _("Overview"), Capability.VIEW_AGGREGATES, ("home",)),
    ("areas:list", _("Areas"), Capability.VIEW_AGGREGATES, ("areas:",)),
    ("imports:home", _("Data"), Capability.IMPORT_DATA, ("imports:",)),
    ("indices:home", _("Safety index"), Capability.VIEW_AGGREGATES, ("indices:",)),
    ("programmes:list", _("Programmes"), Capability.VIEW_AGGREGATES, ("programmes:",)),
    # a partner's reports on its organisation's tasks: in the partners' menu only (the other roles reach
    # the tasks through the programmes; the page explains a membership without an organisation)
    (
        "programmes:my_organisation",
        _("My organisation"),
        PARTNERS_ONLY,
        ("programmes:my_organisation",),
    ),
    ("casework:home", _("Casework"), Capability.VIEW_PERSON_DATA, ("casework:",)),
    ("evaluations:list", _("Evaluation"), Capability.VIEW_AGGREGATES, ("evaluations:",)),
    ("spatial:list", _("Spatial analysis"), Capability.VIEW_AGGREGATES, ("spatial:",)),
    (
        "administration",
        _("Administration"),
        None,
        ("administration", "member_new", "member_edit", "member_end", "audit:"),
    ),  # fmt: skip
]
ADMINISTRATION_CAPABILITIES = (Capability.VIEW_AUDIT, Capability.MANAGE_MEMBERS)


def navigation(request):
    membership = getattr(request, "membership", None)
    match = getattr(request, "resolver_match", None)
    current = (
        f"{match.namespace}:{match.url_name}"
        if match and match.namespace
        else (match.url_name if match else "")
    )
    items = []
    if membership is not None:
        for url_name, label, capability, prefixes in NAVIGATION:
            if capability is None:
                allowed = any(membership.can(c) for c in ADMINISTRATION_CAPABILITIES)
            elif capability == PARTNERS_ONLY:
                allowed = membership.role == Role.PARTNER
            else:
                allowed = membership.can(capability)
            try:
                url = reverse(url_name)
            except NoReverseMatch:
                continue
            if allowed:
                active = any(
                    current == p or (p.endswith(":") and current.startswith(p)) for p in prefixes
                )
                items.append({"url": url, "label": label, "active": active})
    memberships = []
    if request.user.is_authenticated:
        memberships = sorted(
            request.user.memberships_by_municipality().values(), key=lambda m: m.municipality.name
        )
    return {
        "nav_items": items,
        "membership": membership,
        "all_memberships": memberships,
        "demo_mode": settings.DEMO_MODE,
        "site_name": settings.SITE_NAME,
        # The brand in the header, title and footer: Django's LoginView puts its own ``site_name`` (the
        # request's host name without the sites framework) into the login page's context, which wins
        # over a context processor's, so the pages name the product under a name no view sets.
        "brand_name": settings.SITE_NAME,
        # the idle limit of this session (roles that see person data), for the page's warning
        "session_idle_seconds": SessionTimeoutMiddleware.idle_limit(request)
        if request.user.is_authenticated
        else None,
    }
