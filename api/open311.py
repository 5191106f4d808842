"""Open311 GeoReport v2 under ``/open311/v2/``, so existing civic clients connect
unchanged: categories are services, obstacles are requests.

* ``services.{json,xml}`` and ``services/{code}.{json,xml}`` are public (the
  categories are public anyway); the definition names the attributes a request
  needs: ``credit_code`` (the firm), optional ``external_ref`` and ``urgency``.
* ``requests.{json,xml}`` (GET, POST) and ``requests/{id}.{json,xml}`` need an
  integration key, as the ``api_key`` parameter (GeoReport's way) or the
  ``Authorization: Api-Key`` header; an integration sees only its own requests.
* Errors are GeoReport's list of ``{code, description}`` (``<errors>`` in XML),
  with the HTTP status as the code.

Intake is the REST API's (``services.integration_obstacle_submit``), so
idempotency by ``attribute[external_ref]``, channel scoping and webhooks behave
the same. ``address_string`` and the contact fields are added to the
description for the desk to read; the address is also kept to be shown back.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # building XML only; nothing here parses it
from datetime import datetime, time, timedelta

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from rest_framework import exceptions, renderers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from approvals.choices import DONE_STATES, TaskState, Urgency
from approvals.models import Task

from . import permissions, selectors, services
from .authentication import Open311KeyAuthentication
from .serializers import default_title, enterprise_for_code
from .throttles import PerKeyThrottle

CLOSED_STATES = (*DONE_STATES, TaskState.REJECTED)
MAX_REQUESTS = 1000  # GeoReport v2: at most 1000 requests per answer
DEFAULT_RANGE = timedelta(days=90)  # GeoReport v2: the most recent 90 days by default

# XML element names of list items
_ITEM = {"attributes": "attribute", "values": "value"}


class FormatConverter:
    """``json`` or ``xml``, the GeoReport response format in the path."""

    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class Open311XMLRenderer(renderers.BaseRenderer):
    """GeoReport's XML: ``<services><service>…``, ``<service_requests><request>…``,
    ``<errors><error>…``; ``None`` is an empty element, booleans are words."""

    media_type = "text/xml"
    format = "xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        renderer_context = renderer_context or {}
        response = renderer_context.get("response")
        view = renderer_context.get("view")
        if response is not None and response.status_code >= 400:
            root_tag, item_tag = "errors", "error"
        else:
            root_tag, item_tag = getattr(view, "xml_tags", ("response", "item"))
        root = ET.Element(root_tag)
        if isinstance(data, dict):
            self._fill(root, data)
        else:
            for row in data or []:
                self._fill(ET.SubElement(root, item_tag), row)
        return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="utf-8")

    def _fill(self, element, row: dict) -> None:
        for key, value in row.items():
            child = ET.SubElement(element, key)
            if isinstance(value, list):
                for item in value:
                    self._fill(ET.SubElement(child, _ITEM.get(key, "item")), item)
            elif isinstance(value, bool):
                child.text = "true" if value else "false"
            elif value is not None:
                child.text = str(value)


def _error_list(detail, code: int) -> list[dict]:
    """DRF's error detail (a string, list or per-field dict) as GeoReport errors."""
    if isinstance(detail, dict):
        rows = []
        for field, reasons in detail.items():
            for reason in reasons if isinstance(reasons, list) else [reasons]:
                label = "" if field in ("detail", "non_field_errors") else f"{field}: "
                rows.append({"code": code, "description": f"{label}{reason}"})
        return rows
    if isinstance(detail, list):
        return [{"code": code, "description": str(reason)} for reason in detail]
    return [{"code": code, "description": str(detail)}]


def open311_exception_handler(exc, context):
    if isinstance(exc, services.ReferenceTaken):
        exc = exceptions.ValidationError({"attribute[external_ref]": exc.messages})
        exc.status_code = status.HTTP_409_CONFLICT
    elif hasattr(exc, "messages") and not isinstance(exc, exceptions.APIException):
        exc = exceptions.ValidationError(exc.messages)  # InvalidTransition and the like
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = _error_list(response.data, response.status_code)
    return response


class Open311View(APIView):
    """GeoReport's formats, key parameter, error list and throttle."""

    schema = None  # not part of the OpenAPI document: GeoReport has its own spec
    authentication_classes = [Open311KeyAuthentication]
    permission_classes = [permissions.IsIntegration]
    throttle_classes = [PerKeyThrottle]
    renderer_classes = [renderers.JSONRenderer, Open311XMLRenderer]
    parser_classes = [FormParser, MultiPartParser, JSONParser]
    xml_tags = ("service_requests", "request")

    def perform_content_negotiation(self, request, force=False):
        # the format is the path's suffix, not the Accept header
        renderer = (Open311XMLRenderer() if self.kwargs.get("fmt") == "xml"
                    else renderers.JSONRenderer())
        return renderer, renderer.media_type

    def get_exception_handler(self):
        return open311_exception_handler


def _service(category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.name,
        "metadata": True,
        "type": "realtime",
        "keywords": "",
        "group": category.parent.name if category.parent_id else "",
    }


class ServiceList(Open311View):
    permission_classes = [AllowAny]
    xml_tags = ("services", "service")

    def get(self, request, fmt: str):
        return Response([_service(c) for c in selectors.categories_active()])


class ServiceDefinition(Open311View):
    permission_classes = [AllowAny]
    xml_tags = ("service_definition", "attribute")

    def get(self, request, code: str, fmt: str):
        category = get_object_or_404(selectors.categories_active(), code=code)
        urgencies = [{"key": value, "name": str(label)} for value, label in Urgency.choices]
        return Response({
            "service_code": category.code,
            "attributes": [
                {"variable": True, "code": "credit_code", "datatype": "string",
                 "required": True, "datatype_description": _("18 characters"), "order": 1,
                 "description": _("Unified social credit code of the enterprise")},
                {"variable": True, "code": "external_ref", "datatype": "string",
                 "required": False, "datatype_description": _("up to 64 characters"),
                 "order": 2, "description": _(
                     "Your reference: sent again, it returns the same request")},
                {"variable": True, "code": "urgency", "datatype": "singlevaluelist",
                 "required": False, "datatype_description": "", "order": 3,
                 "description": _("Urgency"), "values": urgencies},
            ],
        })


def _expected(task: Task) -> str | None:
    if task.deadline_on is None:
        return None
    end = datetime.combine(task.deadline_on, time(23, 59, 59))
    return timezone.make_aware(end).isoformat()


def _request_row(task: Task, address: str = "") -> dict:
    obstacle = task.obstacle
    return {
        "service_request_id": str(obstacle.pk),
        "status": "closed" if task.state in CLOSED_STATES else "open",
        "status_notes": str(selectors.PLAIN_STATUS.get(task.state, task.get_state_display())),
        "service_name": obstacle.category.name,
        "service_code": obstacle.category.code,
        "description": obstacle.description,
        "agency_responsible": task.department.name if task.department_id else "",
        "service_notice": "",
        "requested_datetime": timezone.localtime(obstacle.received_at).isoformat(),
        "updated_datetime": timezone.localtime(task.updated_at).isoformat(),
        "expected_datetime": _expected(task),
        "address": address,
        "address_id": "",
        "zipcode": "",
        "lat": None,
        "long": None,
        "media_url": "",
    }


def _tasks(request):
    return selectors.obstacle_tasks_for(request).select_related("obstacle__integration_link")


def _address(task: Task) -> str:
    link = getattr(task.obstacle, "integration_link", None)
    return link.address_string if link else ""


def _parse_moment(name: str, raw: str):
    value = parse_datetime(raw) or (
        datetime.combine(parse_date(raw), time.min) if parse_date(raw) else None)
    if value is None:
        raise exceptions.ValidationError(
            {name: [_("Use the W3C date-time format, e.g. 2026-01-31T00:00:00Z.")]})
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


class RequestListCreate(Open311View):
    """GET: the integration's requests (filters of GeoReport v2); POST: a new one."""

    def get(self, request, fmt: str):
        params = request.query_params
        qs = _tasks(request)
        try:
            ids = [int(x) for x in _split(params.get("service_request_id", ""))]
        except ValueError:
            raise exceptions.ValidationError(
                {"service_request_id": [_("Request ids are numbers, comma separated.")]}
            ) from None
        if ids:
            # GeoReport: ids override every other filter
            qs = qs.filter(obstacle_id__in=ids)
        else:
            if params.get("service_code"):
                qs = qs.filter(obstacle__category__code__in=_split(params["service_code"]))
            wanted = set(_split(params.get("status", "")))
            if wanted - {"open", "closed"}:
                raise exceptions.ValidationError(
                    {"status": [_("The status is open or closed.")]})
            if wanted == {"open"}:
                qs = qs.exclude(state__in=CLOSED_STATES)
            elif wanted == {"closed"}:
                qs = qs.filter(state__in=CLOSED_STATES)
            start = params.get("start_date")
            end = params.get("end_date")
            end_at = _parse_moment("end_date", end) if end else timezone.now()
            start_at = (_parse_moment("start_date", start) if start
                        else end_at - DEFAULT_RANGE)
            qs = qs.filter(obstacle__received_at__gte=start_at,
                           obstacle__received_at__lte=end_at)
        rows = [_request_row(t, _address(t)) for t in qs[:MAX_REQUESTS]]
        return Response(rows)

    def post(self, request, fmt: str):
        data = request.data
        errors: dict[str, list] = {}
        category = None
        code = (data.get("service_code") or "").strip()
        if not code:
            errors["service_code"] = [_("service_code is required.")]
        else:
            category = selectors.categories_active().filter(code=code).first()
            if category is None:
                errors["service_code"] = [_("No service has this code.")]
        enterprise = None
        raw_code = (data.get("attribute[credit_code]") or "").strip()
        if not raw_code:
            errors["attribute[credit_code]"] = [_("The enterprise's credit code is required.")]
        else:
            try:
                enterprise = enterprise_for_code(raw_code)
            except exceptions.ValidationError as exc:
                errors["attribute[credit_code]"] = exc.detail
        description = (data.get("description") or "").strip()
        if not description:
            errors["description"] = [_("Describe the obstacle.")]
        urgency = (data.get("attribute[urgency]") or Urgency.NORMAL).strip()
        if urgency not in Urgency.values:
            errors["attribute[urgency]"] = [_("The urgency is normal or urgent.")]
        external_ref = (data.get("attribute[external_ref]") or "").strip()
        if len(external_ref) > 64:
            errors["attribute[external_ref]"] = [_("At most 64 characters.")]
        address = (data.get("address_string") or "").strip()[:200]
        contact = " ".join(p for p in ((data.get("first_name") or "").strip(),
                                       (data.get("last_name") or "").strip()) if p)[:64]
        phone = (data.get("phone") or "").strip()[:32]
        if errors:
            raise exceptions.ValidationError(errors)
        label = _("Address")
        full = description if not address else f"{description}\n\n{label}: {address}"
        obstacle, created = services.integration_obstacle_submit(
            key=request.auth, enterprise=enterprise, category=category,
            title=default_title(description), description=full[:5000],
            external_ref=external_ref, urgency=urgency, contact_name=contact,
            contact_phone=phone, address_string=address)
        task = _tasks(request).get(obstacle=obstacle)
        row = {"service_request_id": str(obstacle.pk),
               "service_notice": str(selectors.PLAIN_STATUS[task.state]),
               "account_id": None}
        return Response([row], status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def not_found(request, rest: str) -> JsonResponse:
    """A path under /open311/v2/ that GeoReport does not define (or a format
    other than json and xml): a GeoReport error in JSON."""
    return JsonResponse(_error_list(_("Not found."), 404), status=404, safe=False)


class RequestDetail(Open311View):
    def get(self, request, pk: int, fmt: str):
        task = selectors.lead_task_or_404(_tasks(request), pk)
        return Response([_request_row(task, _address(task))])

