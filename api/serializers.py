"""Serializers of the REST API: input is validated here (each bad field gets
its own reason), state changes happen only in the services."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from approvals.choices import Channel, EventAction, TaskState, Urgency
from approvals.models import ObstacleCategory, Task, TaskEvent
from enterprises.models import Enterprise
from enterprises.validators import validate_credit_code

from .selectors import PLAIN_STATUS, categories_active


def clean_credit_code(value: str) -> str:
    """The credit code validator's reasons as a field error."""
    try:
        return validate_credit_code(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from None


def enterprise_for_code(raw: str) -> Enterprise:
    """The registered enterprise with this credit code, or a field error that
    says what is wrong with the code (the same validator as the forms)."""
    enterprise = Enterprise.objects.filter(credit_code=clean_credit_code(raw)).first()
    if enterprise is None:
        raise serializers.ValidationError(
            _("No enterprise with this credit code is registered with the desk."))
    return enterprise


def default_title(description: str) -> str:
    """A work order often has no title: the first line of its description."""
    first = description.strip().splitlines()[0] if description.strip() else ""
    return first[:60]


class CodeField(serializers.SlugRelatedField):
    """A related object by its code, as ``SlugRelatedField``, except that a
    value PostgreSQL cannot compare (a NUL character) is refused with a 400
    before the lookup instead of failing in the database (a 500)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return super().to_internal_value(data)


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    default_department = serializers.SlugRelatedField(slug_field="name", read_only=True,
                                                      allow_null=True)

    class Meta:
        model = ObstacleCategory
        fields = ["code", "name", "parent", "default_department", "limit_normal_days",
                  "limit_urgent_days"]


class EnterpriseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enterprise
        fields = ["id", "credit_code", "name"]


class EventSerializer(serializers.ModelSerializer):
    """An event of the firm-visible timeline."""

    action = serializers.ChoiceField(choices=EventAction.choices)
    action_display = serializers.CharField(source="get_action_display")
    to_state = serializers.CharField()

    class Meta:
        model = TaskEvent
        fields = ["id", "created_at", "action", "action_display", "to_state", "comment"]


class ObstacleSerializer(serializers.ModelSerializer):
    """An obstacle as the client sees it: read from its lead task."""

    id = serializers.IntegerField(source="obstacle_id")
    external_ref = serializers.CharField(source="obstacle.external_ref")
    channel = serializers.ChoiceField(source="obstacle.channel", choices=Channel.choices)
    title = serializers.CharField(source="obstacle.title")
    description = serializers.CharField(source="obstacle.description")
    category = serializers.CharField(source="obstacle.category.code")
    category_name = serializers.CharField(source="obstacle.category.name")
    credit_code = serializers.CharField(source="obstacle.enterprise.credit_code")
    enterprise_name = serializers.CharField(source="obstacle.enterprise.name")
    urgency = serializers.ChoiceField(source="obstacle.urgency", choices=Urgency.choices)
    received_at = serializers.DateTimeField(source="obstacle.received_at")
    state = serializers.ChoiceField(choices=TaskState.choices)
    status = serializers.SerializerMethodField()
    department = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = ["id", "external_ref", "channel", "title", "description", "category",
                  "category_name", "credit_code", "enterprise_name", "urgency",
                  "received_at", "state", "status", "department", "deadline_on",
                  "updated_at"]

    @extend_schema_field(serializers.CharField())
    def get_status(self, task: Task) -> str:
        """The state in words a firm (and a hotline operator) understands."""
        return str(PLAIN_STATUS.get(task.state, task.get_state_display()))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_department(self, task: Task) -> str | None:
        return task.department.name if task.department_id else None


class ObstacleDetailSerializer(ObstacleSerializer):
    events = EventSerializer(source="firm_events", many=True, read_only=True)

    class Meta(ObstacleSerializer.Meta):
        fields = [*ObstacleSerializer.Meta.fields, "events"]


class ObstacleCreateSerializer(serializers.Serializer):
    """A work order handed over by an integration."""

    credit_code = serializers.CharField(
        max_length=40, help_text=_("The firm's unified social credit code (18 characters)."))
    category = CodeField(
        slug_field="code", queryset=categories_active(),
        help_text=_("Code of an active obstacle category (see /api/v1/categories/)."))
    title = serializers.CharField(max_length=120, required=False, allow_blank=True,
                                  default="")
    description = serializers.CharField(max_length=5000)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    contact_name = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                         default="")
    contact_phone = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                          default="")
    external_ref = serializers.CharField(
        max_length=64,
        help_text=_("Your work-order number. Sending it again returns the same obstacle."))

    def validate_credit_code(self, value: str) -> Enterprise:
        return enterprise_for_code(value)

    def validate(self, attrs: dict) -> dict:
        attrs["enterprise"] = attrs.pop("credit_code")
        if not attrs.get("title", "").strip():
            attrs["title"] = default_title(attrs["description"])
        if not attrs["title"]:
            raise serializers.ValidationError({"description": [_("Describe the obstacle.")]})
        return attrs


class WebhookSerializer(serializers.Serializer):
    url = serializers.URLField(source="webhook_url", allow_blank=True, max_length=200)
    secret = serializers.CharField(source="webhook_secret", read_only=True)
    events = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_events(self, integration) -> list[str]:
        return ["task.state_changed"]
