"""factory_boy factories for the desk's models; traits give tasks their states."""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

import factory

from approvals.calendar import deadline_for
from approvals.choices import Channel, Role, TaskRole, TaskState
from approvals.models import Department, Obstacle, ObstacleCategory, Profile, Task
from enterprises.models import Contact, Enterprise, FirmMembership, Industry, Liaison, Street
from enterprises.validators import generate_credit_code
from visits.models import ServiceTeam

_rng = random.Random(7)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept{n}")
    name = factory.Sequence(lambda n: f"测试局{n}")
    office_phone = "0571-88880000"


class ServiceTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceTeam
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"服务专班{n}")


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a profile; ``role`` puts them in that role's group and
    ``department`` / ``team`` place them."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.gov.cn")
    password = factory.django.Password("Secret-pass-123")

    @classmethod
    def _create(cls, model_class, *args, role=None, department=None, team=None, mobile=None,
                **kwargs):
        user = super()._create(model_class, *args, **kwargs)
        if role:
            user.groups.add(Group.objects.get(name=role))
        Profile.objects.update_or_create(user=user, defaults={
            "department": department, "team": team, "mobile": mobile,
            "display_name": user.username, "office_phone": "0571-88881111"})
        return user


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Street
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"330106{n:03d}")
    name = factory.Sequence(lambda n: f"测试街道{n}")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"杭州测试{n}科技有限公司")
    credit_code = factory.LazyFunction(lambda: generate_credit_code(_rng))
    industry = factory.LazyFunction(lambda: Industry.objects.get(code="C"))
    street = factory.SubFactory(StreetFactory)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    enterprise = factory.SubFactory(EnterpriseFactory)
    name = "联系人"
    mobile = "13812341234"


class LiaisonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Liaison

    staff = factory.SubFactory(UserFactory, role=Role.SERVICE_STAFF)
    enterprise = factory.SubFactory(EnterpriseFactory)
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FirmMembership

    user = factory.SubFactory(UserFactory, role=Role.FIRM_USER)
    enterprise = factory.SubFactory(EnterpriseFactory)
    is_admin = False

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # through the service, so the member holds its django-guardian grants
        from enterprises.services import membership_add

        return membership_add(**kwargs)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ObstacleCategory
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cat{n}")
    name = factory.Sequence(lambda n: f"类别{n}")
    default_department = factory.SubFactory(DepartmentFactory)
    limit_normal_days = 5
    limit_urgent_days = 2


class ObstacleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Obstacle

    enterprise = factory.SubFactory(EnterpriseFactory)
    category = factory.SubFactory(CategoryFactory)
    title = factory.Sequence(lambda n: f"堵点{n}")
    description = "企业反映的问题"
    channel = Channel.VISIT


class TaskFactory(factory.django.DjangoModelFactory):
    """A lead task; traits put it in a state without going through the services
    (for list and permission tests; service tests use the services)."""

    class Meta:
        model = Task

    obstacle = factory.SubFactory(ObstacleFactory)
    role = TaskRole.LEAD
    state = TaskState.SUBMITTED

    class Params:
        assigned = factory.Trait(
            state=TaskState.ASSIGNED,
            department=factory.SubFactory(DepartmentFactory),
            assigned_at=factory.LazyFunction(timezone.now),
            deadline_on=factory.LazyAttribute(lambda o: deadline_for(o.assigned_at, 5)),
        )
        in_progress = factory.Trait(
            assigned=True, state=TaskState.IN_PROGRESS,
            accepted_at=factory.LazyFunction(timezone.now),
        )
        overdue = factory.Trait(
            assigned=True, state=TaskState.IN_PROGRESS,
            assigned_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=30)),
        )
        resolved = factory.Trait(
            in_progress=True, state=TaskState.RESOLVED,
            resolved_at=factory.LazyFunction(timezone.now), resolution="办结", resolved_on_time=True,
            resolution_working_days=2,
        )
