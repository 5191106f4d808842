"""REST API v1: thin views. Reads go through ``selectors`` (scoped in SQL to
the client), intake through ``services``; errors are 400 with a reason per
field, 401/403/404/409/429 as fitting, never a 500."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import generics, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from approvals.choices import Channel, TaskState
from enterprises.models import Enterprise

from . import permissions, selectors, services
from .authentication import IntegrationKeyAuthentication
from .serializers import (
    CategorySerializer,
    EnterpriseSerializer,
    ObstacleCreateSerializer,
    ObstacleDetailSerializer,
    ObstacleSerializer,
    WebhookSerializer,
    clean_credit_code,
)
from .throttles import PerKeyThrottle


def api_exception_handler(exc, context):
    """DRF's handler, plus: a reference taken by someone else is 409; a refusal
    from the closed loop's services (``InvalidTransition``) is 400 with its
    reason."""
    if isinstance(exc, services.ReferenceTaken):
        return Response({"external_ref": exc.messages}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError({"non_field_errors": exc.messages})
    return drf_exception_handler(exc, context)


class Pagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


class ApiMixin:
    """What every v1 endpoint shares: key or session, throttled per key."""

    authentication_classes = [IntegrationKeyAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsApiClient]
    throttle_classes = [PerKeyThrottle]
    pagination_class = Pagination

    def get_exception_handler(self):
        return api_exception_handler


STATE_PARAM = OpenApiParameter("state", str, enum=TaskState.values,
                               description="Only obstacles in this state.")
REF_PARAM = OpenApiParameter("external_ref", str, description="Your work-order number.")
CHANNEL_PARAM = OpenApiParameter("channel", str, enum=Channel.values,
                                 description="Staff only: the channel of the reference.")


class ObstacleListCreate(ApiMixin, generics.ListCreateAPIView):
    """Obstacles the client may read; integrations also take new ones in."""

    serializer_class = ObstacleSerializer

    def get_permissions(self):
        if self.request.method == "POST":
            return [permissions.IsIntegration()]
        return super().get_permissions()

    def get_queryset(self):
        qs = selectors.obstacle_tasks_for(self.request)
        params = self.request.query_params
        if "state" in params:
            if params["state"] not in TaskState.values:
                raise ValidationError({"state": [_("Not a state of the closed loop.")]})
            qs = qs.filter(state=params["state"])
        if "external_ref" in params:
            qs = qs.filter(obstacle__external_ref=params["external_ref"].strip())
        return qs

    @extend_schema(parameters=[STATE_PARAM, REF_PARAM])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ObstacleCreateSerializer,
        responses={201: ObstacleDetailSerializer, 200: ObstacleDetailSerializer},
        description="Take a work order in. The same external_ref again answers 200 with "
                    "the obstacle taken in the first time (never a second one).",
    )
    def post(self, request, *args, **kwargs):
        form = ObstacleCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        obstacle, created = services.integration_obstacle_submit(key=request.auth,
                                                                 **form.validated_data)
        task = selectors.with_timeline(selectors.obstacle_tasks_for(request)).get(
            obstacle=obstacle)
        return Response(ObstacleDetailSerializer(task).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ObstacleDetail(ApiMixin, generics.RetrieveAPIView):
    """One obstacle: state in plain words, department, deadline, the events
    the firm may see. Out of the client's scope is the same 404 as missing."""

    serializer_class = ObstacleDetailSerializer

    def get_object(self):
        qs = selectors.with_timeline(selectors.obstacle_tasks_for(self.request))
        return selectors.lead_task_or_404(qs, self.kwargs["pk"])


class ObstacleByRef(ApiMixin, generics.RetrieveAPIView):
    """One obstacle by the client's work-order number."""

    serializer_class = ObstacleDetailSerializer

    @extend_schema(parameters=[CHANNEL_PARAM])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_object(self):
        qs = selectors.with_timeline(selectors.obstacle_tasks_for(self.request)).filter(
            obstacle__external_ref=self.kwargs["external_ref"])
        channel = self.request.query_params.get("channel")
        if channel is not None:
            if channel not in Channel.values:
                raise ValidationError({"channel": [_("Not a channel of the desk.")]})
            qs = qs.filter(obstacle__channel=channel)
        rows = list(qs[:2])
        if not rows:
            return get_object_or_404(qs.none())
        if len(rows) > 1:
            # an integration has one channel; staff may see the same number on two
            raise ValidationError({"channel": [_("This reference is used on several "
                                                 "channels: say which.")]})
        return rows[0]


class CategoryList(ApiMixin, generics.ListAPIView):
    """Active obstacle categories, by code (a short list: not paginated)."""

    serializer_class = CategorySerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.categories_active()


class EnterpriseLookup(ApiMixin, generics.ListAPIView):
    """Staff only: the registered enterprise with this credit code (0 or 1 rows)."""

    serializer_class = EnterpriseSerializer
    permission_classes = [permissions.IsDeskStaff]

    @extend_schema(parameters=[OpenApiParameter("credit_code", str, required=True)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        raw = self.request.query_params.get("credit_code")
        if not raw:
            raise ValidationError({"credit_code": [_("Give the credit code to look up.")]})
        try:
            code = clean_credit_code(raw)
        except serializers.ValidationError as exc:
            raise ValidationError({"credit_code": exc.detail}) from None
        return Enterprise.objects.filter(credit_code=code).order_by("pk")


class WebhookView(ApiMixin, generics.RetrieveUpdateAPIView):
    """The integration's webhook: where state changes are POSTed, and the
    secret their signature is made with."""

    serializer_class = WebhookSerializer
    permission_classes = [permissions.IsIntegration]
    http_method_names = ["get", "put", "options"]

    def get_object(self):
        return permissions.client_integration(self.request)

    def perform_update(self, serializer):
        services.integration_webhook_set(integration=serializer.instance,
                                         url=serializer.validated_data["webhook_url"])


def not_found(request, rest: str) -> JsonResponse:
    """A path under /api/ that matches no endpoint (``/api/v1/obstacles/abc/``):
    the API's own 404 body, so clients always get JSON."""
    return JsonResponse({"detail": _("Not found.")}, status=404)


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI from the vendored sidecar assets, with no inline script or
    style (the desk's Content-Security-Policy allows neither)."""

    template_name = "api/swagger_ui.html"


