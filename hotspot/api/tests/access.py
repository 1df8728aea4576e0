"""Role x URL rows for the API app's pages. The JSON endpoints take a token, never a session: with a
logged-in session and no token they answer 401 for everyone (test_api.py has the role x endpoint table
with tokens); the schema is public."""

from django.urls import reverse

from hotspot.accounts.tests.table import ALL, NONE_OF_THEM, ROLES

_NO_TOKEN = dict.fromkeys(ROLES, 401)


def _detail(name):
    return lambda own, foreign: reverse(name, args=[1])


def _revoke_someone_elses(own, foreign):
    import datetime as dt

    from django.utils import timezone

    from hotspot.accounts.models import User
    from hotspot.api.models import ApiToken

    other, _ = User.objects.get_or_create(username="token-owner")
    token = ApiToken.objects.create(
        municipality=own, user=other, name="x", prefix="acc3ss00", secret_digest="0" * 64,
        scopes=["read"], expires_at=timezone.now() + dt.timedelta(days=1),
    )  # fmt: skip
    return reverse("api:token_revoke", args=[token.pk])


TABLE: dict = {
    "api:schema": ("none", ALL, 200),
    "api:tokens": ("none", ALL, 302),
    "api:token_revoke#other": (_revoke_someone_elses, NONE_OF_THEM, 302),
    "api:areas-list": ("none", _NO_TOKEN, 401),
    "api:areas-detail": (_detail("api:areas-detail"), _NO_TOKEN, 401),
    "api:index-runs-list": ("none", _NO_TOKEN, 401),
    "api:index-runs-detail": (_detail("api:index-runs-detail"), _NO_TOKEN, 401),
    "api:index-runs-scores": (_detail("api:index-runs-scores"), _NO_TOKEN, 401),
    "api:programmes-list": ("none", _NO_TOKEN, 401),
    "api:programmes-detail": (_detail("api:programmes-detail"), _NO_TOKEN, 401),
    "api:tasks-list": ("none", _NO_TOKEN, 401),
    "api:tasks-detail": (_detail("api:tasks-detail"), _NO_TOKEN, 401),
    "api:studies-list": ("none", _NO_TOKEN, 401),
    "api:studies-detail": (_detail("api:studies-detail"), _NO_TOKEN, 401),
    "api:spatial-runs-list": ("none", _NO_TOKEN, 401),
    "api:spatial-runs-detail": (_detail("api:spatial-runs-detail"), _NO_TOKEN, 401),
}
