"""Factories for the catalogue. Traits: MatterFactory(instant=True), MatterFactory(suspended=True)."""

from decimal import Decimal

import factory

from yichuang.catalogue.models import Bundle, BundleItem, LifeEvent, LimitUnit, Material, Matter, MatterMaterial
from yichuang.organisation.tests.factories import DepartmentFactory, ZoneFactory


class LifeEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LifeEvent

    code = factory.Sequence(lambda n: f"event{n}")
    name = factory.Sequence(lambda n: f"主题{n}")


class MaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Material

    code = factory.Sequence(lambda n: f"M{n:04d}")
    name = factory.Sequence(lambda n: f"测试材料{n}")


class MatterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Matter
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"T{n:06d}")
    name = factory.Sequence(lambda n: f"测试事项{n}")
    kind = Matter.Kind.LICENSE
    department = factory.SubFactory(DepartmentFactory)
    limit_unit = LimitUnit.WORKING_DAYS
    legal_limit = Decimal("20")
    promised_limit = Decimal("5")

    class Params:
        instant = factory.Trait(limit_unit=LimitUnit.INSTANT, legal_limit=Decimal("0"), promised_limit=Decimal("0"))
        hours = factory.Trait(limit_unit=LimitUnit.WORKING_HOURS, legal_limit=Decimal("4"), promised_limit=Decimal("4"))
        suspended = factory.Trait(status=Matter.Status.SUSPENDED)
        specialized = factory.Trait(specialized_only=True)

    @factory.post_generation
    def zones(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.zones.set(extracted)


class MatterMaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MatterMaterial

    matter = factory.SubFactory(MatterFactory)
    material = factory.SubFactory(MaterialFactory)
    originals = 1
    copies = 0

    class Params:
        core_material = factory.Trait(core=True, required=True)
        deferrable_material = factory.Trait(deferrable=True, required=True)


class BundleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bundle
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"B{n:03d}")
    name = factory.Sequence(lambda n: f"一件事{n}")
    zone = factory.SubFactory(ZoneFactory)
    limit_unit = LimitUnit.WORKING_DAYS
    limit = Decimal("5")

    @factory.post_generation
    def matters(obj, create, extracted, **kwargs):
        if create and extracted:
            for i, matter in enumerate(extracted):
                BundleItem.objects.create(bundle=obj, matter=matter, order=i)
