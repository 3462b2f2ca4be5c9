"""Factories for the organisation. Traits name the roles: UserFactory(window_clerk=True)."""

import datetime

import factory
from django.contrib.auth.models import Group

from yichuang.organisation.models import Department, OpeningPeriod, Site, User, Window, Zone
from yichuang.organisation.roles import Role


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ["code"]
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"site{n}")
    name = factory.Sequence(lambda n: f"测试政务服务中心{n}")
    division_code = "411624"

    @factory.post_generation
    def hours(obj, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        for weekday in range(5):
            OpeningPeriod.objects.get_or_create(
                site=obj, weekday=weekday, start=datetime.time(9), end=datetime.time(12)
            )
            OpeningPeriod.objects.get_or_create(
                site=obj, weekday=weekday, start=datetime.time(13, 30), end=datetime.time(17, 30)
            )


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"dept{n}")
    name = factory.Sequence(lambda n: f"县测试局{n}")

    class Params:
        delegated = factory.Trait(presence=Department.Presence.DELEGATED)


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone

    site = factory.SubFactory(SiteFactory)
    code = factory.Sequence(lambda n: f"zone{n}")
    name = factory.Sequence(lambda n: f"测试服务区{n}")
    kind = Zone.Kind.COMPREHENSIVE
    ticket_letter = factory.Sequence(lambda n: "ABCDEFGHJKLMNPQRSTUVWXYZ"[n % 24])


class WindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Window

    zone = factory.SubFactory(ZoneFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda w: f"综合受理{w.number}")
    kind = Window.Kind.INTAKE

    class Params:
        closed = factory.Trait(is_open=False)
        output = factory.Trait(kind=Window.Kind.OUTPUT)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = "测"
    first_name = factory.Sequence(lambda n: f"员{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    class Params:
        window_clerk = factory.Trait(roles=[Role.WINDOW_CLERK])
        officer = factory.Trait(roles=[Role.BACKOFFICE_OFFICER], department=factory.SubFactory(DepartmentFactory))
        lead = factory.Trait(roles=[Role.DEPARTMENT_LEAD], department=factory.SubFactory(DepartmentFactory))
        output_clerk = factory.Trait(roles=[Role.OUTPUT_CLERK])
        supervisor = factory.Trait(roles=[Role.SUPERVISOR])
        hall_admin = factory.Trait(roles=[Role.HALL_ADMIN], is_staff=True)

    roles: list = []

    @classmethod
    def _create(cls, model_class, *args, roles=(), **kwargs):
        user = super()._create(model_class, *args, **kwargs)
        for role in roles:
            group, _ = Group.objects.get_or_create(name=str(role))
            user.groups.add(group)
        return user

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()
