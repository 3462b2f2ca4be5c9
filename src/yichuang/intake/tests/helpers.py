"""The small hall of the intake tests (also built by the concurrency hammer in a subprocess) and input helpers."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from yichuang.catalogue.tests.factories import BundleFactory, MaterialFactory, MatterFactory, MatterMaterialFactory
from yichuang.clock.workcalendar import SHANGHAI
from yichuang.organisation import services as org_services
from yichuang.organisation.models import PickupSlot, Window
from yichuang.organisation.tests.factories import (
    DepartmentFactory,
    SiteFactory,
    UserFactory,
    WindowFactory,
    ZoneFactory,
)

from .ids import resident_id

# Tuesday 10 March 2026, 10:00 in Shanghai: a working day, inside opening hours.
T0 = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)


@dataclass
class Hall:
    site: object
    enterprise: object
    general: object
    w1: object
    w2: object
    w_police: object
    w_general: object
    w_consult: object
    samr: object
    police: object
    tax: object
    civil: object
    setup: object  # working hours 2, materials: ID (core), FORM (core), ARTICLES (pledgeable), PREMISES (deferrable)
    seal: object  # instant
    invoice: object  # instant
    licence_days: object  # 3 working days, general zone
    elderly: object  # delegated department (civil affairs), 5 working days, general zone
    household: object  # specialized only (police window 41)
    paused: object  # suspended
    bundle: object
    clerk: object  # seated at w1
    clerk2: object  # seated at w2
    general_clerk: object  # seated at w_general
    admin: object  # hall admin, not seated


def build_hall() -> Hall:
    site = SiteFactory(code="hall", name="沈丘县政务服务中心", division_code="411624", is_default=True)
    samr = DepartmentFactory(code="samr", name="县市场监督管理局")
    police = DepartmentFactory(code="police", name="县公安局")
    tax = DepartmentFactory(code="tax", name="县税务局")
    civil = DepartmentFactory(code="civil", name="县民政局", delegated=True)
    PickupSlot.objects.create(department=civil, weekday=1, time=datetime.time(15, 0))  # Tuesday 15:00
    PickupSlot.objects.create(department=civil, weekday=3, time=datetime.time(10, 0))  # Thursday 10:00

    enterprise = ZoneFactory(site=site, code="enterprise", name="企业开办服务专区", ticket_letter="E", order=1)
    general = ZoneFactory(site=site, code="general", name="综合审批服务区", ticket_letter="Z", order=2)
    w1 = WindowFactory(zone=enterprise, number=1, name="企业开办综合受理一")
    w2 = WindowFactory(zone=enterprise, number=2, name="企业开办综合受理二")
    w_general = WindowFactory(zone=general, number=21, name="综合受理")
    w_police = WindowFactory(
        zone=general, number=41, name="户政专业窗口", kind=Window.Kind.SPECIALIZED, department=police
    )
    w_consult = WindowFactory(zone=general, number=39, name="综合咨询", kind=Window.Kind.CONSULT)

    id_card = MaterialFactory(code="ID", name="申请人身份证明")
    form = MaterialFactory(code="FORM", name="企业设立登记申请书")
    articles = MaterialFactory(code="ARTICLES", name="公司章程")
    premises = MaterialFactory(code="PREMISES", name="住所使用证明")
    licence = MaterialFactory(code="LICENCE", name="营业执照")
    attorney = MaterialFactory(code="ATTORNEY", name="授权委托书")
    plan = MaterialFactory(code="PLAN", name="养老机构平面图")

    setup = MatterFactory(
        code="SETUP",
        name="企业设立登记",
        department=samr,
        zones=[enterprise],
        hours=True,
        legal_limit=Decimal("24"),
        promised_limit=Decimal("2"),
        online=True,
    )
    seal = MatterFactory(code="SEAL", name="公章刻制备案", department=police, zones=[enterprise], instant=True)
    invoice = MatterFactory(code="INVOICE", name="发票申领", department=tax, zones=[enterprise], instant=True)
    licence_days = MatterFactory(
        code="PERMIT",
        name="食品经营许可",
        department=samr,
        zones=[general],
        legal_limit=Decimal("20"),
        promised_limit=Decimal("3"),
    )
    elderly = MatterFactory(
        code="ELDERLY",
        name="养老机构备案",
        department=civil,
        zones=[general],
        delegated=True,
        promised_limit=Decimal("5"),
    )
    household = MatterFactory(code="HOUSEHOLD", name="户口迁移", department=police, zones=[general], specialized=True)
    paused = MatterFactory(code="PAUSED", name="广告发布登记", department=samr, zones=[enterprise], suspended=True)

    MatterMaterialFactory(matter=setup, material=id_card, order=1, originals=1, copies=1, core=True)
    MatterMaterialFactory(matter=setup, material=form, order=2, originals=1, copies=0, core=True)
    MatterMaterialFactory(matter=setup, material=articles, order=3, originals=1, copies=0, pledgeable=True)
    MatterMaterialFactory(matter=setup, material=premises, order=4, originals=0, copies=1, deferrable=True)
    MatterMaterialFactory(matter=setup, material=attorney, order=5, originals=1, copies=0, required=False)
    MatterMaterialFactory(matter=seal, material=id_card, order=1, originals=1, copies=2)
    MatterMaterialFactory(matter=seal, material=licence, order=2, originals=0, copies=1)
    MatterMaterialFactory(matter=invoice, material=licence, order=1, originals=1, copies=0)
    MatterMaterialFactory(matter=licence_days, material=id_card, order=1, originals=1, copies=1, core=True)
    MatterMaterialFactory(matter=elderly, material=id_card, order=1, originals=1, copies=1, core=True)
    MatterMaterialFactory(matter=elderly, material=plan, order=2, originals=1, copies=0, deferrable=True)
    MatterMaterialFactory(matter=household, material=id_card, order=1, originals=1, copies=0)

    bundle = BundleFactory(
        code="qiyekaiban",
        name="企业开办",
        zone=enterprise,
        limit_unit="working_days",
        limit=Decimal("0.5"),
        matters=[setup, seal, invoice],
    )
    clerk = UserFactory(window_clerk=True, username="clerk")
    clerk2 = UserFactory(window_clerk=True, username="clerk2")
    general_clerk = UserFactory(window_clerk=True, username="gclerk")
    admin = UserFactory(hall_admin=True, username="admin")
    org_services.take_seat(clerk, w1)
    org_services.take_seat(clerk2, w2)
    org_services.take_seat(general_clerk, w_general)
    return Hall(
        site=site,
        enterprise=enterprise,
        general=general,
        w1=w1,
        w2=w2,
        w_police=w_police,
        w_general=w_general,
        w_consult=w_consult,
        samr=samr,
        police=police,
        tax=tax,
        civil=civil,
        setup=setup,
        seal=seal,
        invoice=invoice,
        licence_days=licence_days,
        elderly=elderly,
        household=household,
        paused=paused,
        bundle=bundle,
        clerk=clerk,
        clerk2=clerk2,
        general_clerk=general_clerk,
        admin=admin,
    )


PERSON = {
    "kind": "person",
    "name": "张三",
    "id_number": resident_id("411624", "19900307", "123"),
    "phone": "13912345678",
}


def received(*codes, **overrides) -> list[dict]:
    return [{"material": code, "status": "received", "due": None, **overrides} for code in codes]


# Everything the bundle's merged list requires, received.
BUNDLE_MATERIALS = ["ID", "FORM", "ARTICLES", "PREMISES", "LICENCE"]
