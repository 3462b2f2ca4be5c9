"""The per-process cache of reference data: any change of the catalogue, the hall or the calendar is seen by the
very next intake (each test makes an intake first, so that the cache is built, then changes something)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from yichuang.catalogue.models import Material
from yichuang.clock.models import CalendarOverride
from yichuang.clock.workcalendar import SHANGHAI
from yichuang.intake import reference, services
from yichuang.intake.models import ReferenceRevision

from .helpers import BUNDLE_MATERIALS, PERSON, T0, received
from .test_submit import ORG

pytestmark = pytest.mark.django_db


def bundle(hall, **kwargs):
    args = {"actor": hall.clerk, "applicant": ORG, "bundle": "qiyekaiban", "materials": received(*BUNDLE_MATERIALS)}
    return services.submit(**{**args, **kwargs}, now=T0)


def refused(hall, **kwargs) -> dict:
    with pytest.raises(ValidationError) as info:
        bundle(hall, **kwargs)
    return info.value.message_dict


def test_every_change_gives_a_new_token(hall):
    first = reference.current_token()
    assert first and len(first) == 32
    hall.seal.save()
    second = reference.current_token()
    assert second != first
    hall.setup.zones.remove(hall.general)  # many-to-many
    assert reference.current_token() != second
    assert ReferenceRevision.objects.count() == 1


def test_a_matter_suspended_after_an_intake(hall):
    bundle(hall)
    hall.seal.status = "suspended"
    hall.seal.save()
    assert refused(hall) == {"bundle": ["事项“公章刻制备案”已暂停，暂不受理。"]}


def test_a_matter_taken_out_of_the_zone(hall):
    bundle(hall)
    hall.invoice.zones.remove(hall.enterprise)
    assert "不在“企业开办服务专区”受理" in refused(hall)["bundle"][0]


def test_a_window_closed(hall):
    bundle(hall)
    hall.w1.is_open = False
    hall.w1.save()
    assert refused(hall) == {"window": ["1 号窗口已关闭。"]}


def test_a_requirement_changed(hall):
    bundle(hall)
    requirement = hall.setup.requirements.get(material__code="PREMISES")
    requirement.deferrable = False
    requirement.save()
    materials = received("ID", "FORM", "ARTICLES", "LICENCE") + [
        {"material": "PREMISES", "status": "deferred", "due": "2026-03-10"}
    ]
    assert refused(hall, materials=materials) == {"materials[4].status": ["“住所使用证明”不可容缺受理。"]}


def test_a_material_renamed_reaches_the_next_snapshot(hall):
    bundle(hall)
    material = Material.objects.get(code="ID")
    material.name = "居民身份证"
    material.save()
    case = bundle(hall).cases.get(matter=hall.setup)
    assert case.matter_snapshot["materials"][0]["name"] == "居民身份证"


def test_a_holiday_entered_moves_the_due_time(hall):
    first = services.submit(
        actor=hall.general_clerk, applicant=PERSON, matters=["PERMIT"], materials=received("ID"), now=T0
    )
    assert first.cases.get().due_at == datetime.datetime(2026, 3, 13, 17, 30, tzinfo=SHANGHAI)
    CalendarOverride.objects.create(date=datetime.date(2026, 3, 12), is_workday=False, note="测试")
    second = services.submit(
        actor=hall.general_clerk, applicant=PERSON, matters=["PERMIT"], materials=received("ID"), now=T0
    )
    assert second.cases.get().due_at == datetime.datetime(2026, 3, 16, 17, 30, tzinfo=SHANGHAI)
