SESSION_KEY = "municipality_id"


class MunicipalityMiddleware:
    """Sets ``request.membership``: the user's membership in the municipality they work in now.

    A user with several memberships switches with the header's municipality picker (stored in the session);
    by default the first membership (by municipality name) is active.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        if request.user.is_authenticated:
            memberships = request.user.memberships_by_municipality()
            wanted = request.session.get(SESSION_KEY)
            if wanted in memberships:
                request.membership = memberships[wanted]
            elif memberships:
                request.membership = sorted(memberships.values(), key=lambda m: m.municipality.name)[0]
        request.municipality = request.membership.municipality if request.membership else None
        return self.get_response(request)
