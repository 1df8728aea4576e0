"""The JSON API (``/api/v1/``): the same objects the pages show, fetched through the same tenant
querysets (``visible_to``/``in_municipality``) and changed through the same actions; one permission
(``permissions.ScopedCapability``: the role's capabilities narrowed by the token's scopes). Every
request is audited (``AuditedMixin``). Another municipality's object is a 404, as on the pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from hotspot.accounts.access import require_capability
from hotspot.accounts.roles import Capability
from hotspot.api import actions as token_actions
from hotspot.api import serializers as s
from hotspot.api.forms import TokenForm
from hotspot.api.models import ApiToken
from hotspot.areas.models import Area
from hotspot.audit.actions import record
from hotspot.audit.models import Action, Purpose
from hotspot.evaluations.models import Study
from hotspot.indices.models import IndexRun, SafetyScore
from hotspot.programmes.models import Programme, Task
from hotspot.spatial.models import SpatialRun


class AuditedMixin:
    """One audit row per API request: who, which token, which endpoint, how many objects."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        token = getattr(request, "auth", None)
        if token is not None and hasattr(token, "prefix"):
            data = getattr(response, "data", None)
            count = data.get("count") if isinstance(data, dict) and "count" in data else None
            # the token is the object; the endpoint's model and the object asked for are the fields
            model = self.queryset.model._meta
            record(
                Action.API,
                actor=request.user,
                municipality=token.municipality,
                obj=token,
                purpose=Purpose.ANALYSIS,
                fields=[model.app_label, model.model_name, request.method.lower()],
                count=count,
                request=request._request,
            )
        return response


class TenantViewSet(AuditedMixin, viewsets.ReadOnlyModelViewSet):
    capability = Capability.VIEW_AGGREGATES
    model = None
    lookup_value_regex = "[0-9]+"

    def base_queryset(self):
        return self.model.objects.visible_to(self.request.user).in_municipality(
            self.request._request.municipality
        )


class AreaViewSet(TenantViewSet):
    """Areas (police roder, housing areas, districts, hotspots, control areas) of the token's
    municipality. Filter: ``?kind=hotspot``."""

    model = Area
    queryset = Area.objects.none()  # the schema's types; get_queryset gives the rows
    serializer_class = s.AreaSerializer
    basename = "areas"

    def get_queryset(self):
        qs = self.base_queryset().select_related("parent").order_by("code")
        kind = self.request.query_params.get("kind")
        return qs.filter(kind=kind) if kind else qs


class IndexRunViewSet(TenantViewSet):
    """Safety-index runs, newest first; ``/scores/`` gives each area's score per year
    (``?year=``)."""

    model = IndexRun
    queryset = IndexRun.objects.none()  # the schema's types; get_queryset gives the rows
    serializer_class = s.IndexRunSerializer
    basename = "index-runs"

    def get_queryset(self):
        return self.base_queryset().select_related("version__definition").defer("inputs")

    @extend_schema(responses=s.ScoreSerializer(many=True))
    @action(detail=True)
    def scores(self, request, pk=None):
        run = self.get_object()
        scores = SafetyScore.objects.filter(run=run).select_related("area").order_by("year", "area")
        year = request.query_params.get("year")
        if year is not None:
            if not year.isdigit():
                return Response({"year": ["A year is required."]}, status=400)
            scores = scores.filter(year=int(year))
        page = self.paginate_queryset(scores)
        return self.get_paginated_response(s.ScoreSerializer(page, many=True).data)


class ProgrammeViewSet(TenantViewSet):
    """Programmes with their goals."""

    model = Programme
    queryset = Programme.objects.none()  # the schema's types; get_queryset gives the rows
    serializer_class = s.ProgrammeSerializer
    basename = "programmes"

    def get_queryset(self):
        return self.base_queryset().prefetch_related("areas", "goals").order_by("name")


class TaskViewSet(AuditedMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Action-plan tasks (``?programme=``). ``PATCH {"status": …, "version": …}`` changes a task's
    status as the action plan page does (``write`` scope, programme editors; a stale ``version`` is a
    409 with the current one)."""

    capability = Capability.VIEW_AGGREGATES
    write_capability = Capability.MANAGE_PROGRAMMES
    serializer_class = s.TaskSerializer
    basename = "tasks"
    queryset = Task.objects.none()  # the schema's types; get_queryset gives the rows
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        qs = Task.objects.visible_to(self.request.user).in_municipality(
            self.request._request.municipality
        )
        programme = self.request.query_params.get("programme")
        if programme is not None:
            if not programme.isdigit():
                from rest_framework.exceptions import ValidationError

                raise ValidationError({"programme": ["A programme id is required."]})
            qs = qs.filter(programme_id=int(programme))
        return qs.order_by("due", "pk")

    @extend_schema(request=s.TaskStatusSerializer, responses=s.TaskSerializer)
    def partial_update(self, request, pk=None):
        from hotspot.programmes.actions import Conflict, set_task_status

        task = get_object_or_404(self.get_queryset(), pk=pk)
        body = s.TaskStatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            task = set_task_status(
                task,
                body.validated_data["status"],
                expected_version=body.validated_data["version"],
                actor=request.user,
                request=request._request,
            )
        except Conflict as exc:
            return Response(
                {
                    "version": [
                        f"The task was changed meanwhile; its version is now {exc.current.version}."
                    ]
                },
                status=status.HTTP_409_CONFLICT,
            )
        except DjangoPermissionDenied:
            return Response(status=status.HTTP_403_FORBIDDEN)
        return Response(s.TaskSerializer(task).data)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)


class StudyViewSet(TenantViewSet):
    """Effect studies with their newest finished result's main estimate."""

    model = Study
    queryset = Study.objects.none()  # the schema's types; get_queryset gives the rows
    serializer_class = s.StudySerializer
    basename = "studies"

    def get_queryset(self):
        return self.base_queryset().prefetch_related("results").order_by("name", "pk")


class SpatialRunViewSet(TenantViewSet):
    """Spatial analyses (``?method=gi_star``) with their class counts; the cells are on the page and
    its CSV."""

    model = SpatialRun
    queryset = SpatialRun.objects.none()  # the schema's types; get_queryset gives the rows
    serializer_class = s.SpatialRunSerializer
    basename = "spatial-runs"

    def get_queryset(self):
        qs = self.base_queryset().select_related("area")
        method = self.request.query_params.get("method")
        return qs.filter(method=method) if method else qs


# --- the user's tokens (HTML pages) ---------------------------------------------------------------
@require_capability(Capability.VIEW_AGGREGATES)
def token_list(request):
    """The active membership's tokens: create one (the secret is shown once), see when each was last
    used, revoke."""
    membership = request.membership
    form = TokenForm(request.POST or None, membership=membership)
    secret = None
    if request.method == "POST" and form.is_valid():
        _token, secret = token_actions.create_token(
            membership,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            days=form.cleaned_data["days"],
            request=request,
        )
        messages.success(request, _("The token was created. Copy it now: it is not shown again."))
        form = TokenForm(membership=membership)
    tokens = ApiToken.objects.in_municipality(request.municipality).filter(user=request.user)
    return render(request, "api/tokens.html", {"form": form, "tokens": tokens, "secret": secret})


@require_capability(Capability.VIEW_AGGREGATES)
def token_revoke(request, pk):
    token = get_object_or_404(
        ApiToken.objects.in_municipality(request.municipality), pk=pk, user=request.user
    )
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    token_actions.revoke_token(token, user=request.user, request=request)
    messages.success(request, _("The token was revoked."))
    return redirect("api:tokens")
