"""A small but real catalogue for the guide's tests: one hall, three zones, an enterprise-start bundle."""

from decimal import Decimal

from yichuang.catalogue.models import LimitUnit
from yichuang.organisation.models import Window
from yichuang.organisation.tests.factories import DepartmentFactory, SiteFactory, WindowFactory, ZoneFactory

from .factories import BundleFactory, LifeEventFactory, MaterialFactory, MatterFactory, MatterMaterialFactory


def build_small_catalogue() -> dict:
    site = SiteFactory(
        code="shenqiu", name="沈丘县政务服务中心", is_default=True, phone="0394-5212345", address="沈丘县新华路 1 号"
    )
    samr = DepartmentFactory(code="samr", name="县市场监督管理局", phone="0394-5210001")
    police = DepartmentFactory(code="police", name="县公安局")
    tax = DepartmentFactory(code="tax", name="县税务局")
    land = DepartmentFactory(code="land", name="县自然资源局")
    civil = DepartmentFactory(code="civil", name="县民政局", delegated=True)

    enterprise = ZoneFactory(site=site, code="enterprise", name="企业开办服务专区", ticket_letter="E", order=1)
    realty = ZoneFactory(site=site, code="realty", name="不动产登记服务专区", ticket_letter="B", order=2)
    general = ZoneFactory(site=site, code="general", name="综合审批服务区", ticket_letter="Z", order=3)
    for number in (1, 2):
        WindowFactory(zone=enterprise, number=number, name=f"企业开办综合受理{number}")
    WindowFactory(zone=realty, number=11, name="不动产综合受理")
    WindowFactory(zone=realty, number=12, name="不动产收费发证", kind=Window.Kind.CASHIER)
    WindowFactory(zone=general, number=21, name="综合受理一")
    WindowFactory(zone=general, number=22, name="综合受理二")
    WindowFactory(zone=general, number=41, name="户政专业窗口", kind=Window.Kind.SPECIALIZED, department=police)

    start_business = LifeEventFactory(code="start-business", name="开办企业", audience="org")
    id_card = MaterialFactory(code="ID", name="申请人身份证明", issuer="公安机关")
    form = MaterialFactory(code="SETUP-FORM", name="企业设立登记申请书")
    articles = MaterialFactory(code="ARTICLES", name="公司章程")
    premises = MaterialFactory(code="PREMISES", name="住所使用证明")
    licence = MaterialFactory(code="LICENCE", name="营业执照")
    deed = MaterialFactory(code="DEED", name="不动产权证书")

    setup = MatterFactory(
        code="411624-SAMR-001",
        name="企业设立登记",
        department=samr,
        zones=[enterprise],
        hours=True,
        keywords="营业执照 公司注册",
        online=True,
        conditions="申请人应具备完全民事行为能力。",
        procedure="1. 取号\n2. 窗口受理\n3. 审核发照",
        legal_basis="《中华人民共和国市场主体登记管理条例》",
    )
    setup.life_events.set([start_business])
    seal = MatterFactory(code="411624-GA-002", name="公章刻制备案", department=police, zones=[enterprise], instant=True)
    invoice = MatterFactory(
        code="411624-SW-003", name="发票申领", department=tax, zones=[enterprise], instant=True, online=True
    )
    transfer = MatterFactory(
        code="411624-ZR-004",
        name="不动产转移登记",
        department=land,
        zones=[realty],
        legal_limit=Decimal("30"),
        promised_limit=Decimal("5"),
        fee=Decimal("80"),
        fee_note="住宅每件 80 元",
    )
    elderly = MatterFactory(
        code="411624-MZ-005", name="养老机构备案", department=civil, zones=[general], delegated=True
    )
    household = MatterFactory(
        code="411624-GA-006",
        name="户口迁移",
        department=police,
        zones=[general],
        specialized=True,
        limit_unit=LimitUnit.WORKING_DAYS,
    )
    paused = MatterFactory(
        code="411624-SAMR-007", name="广告发布登记", department=samr, zones=[enterprise], suspended=True
    )
    gone = MatterFactory(code="411624-SAMR-008", name="已撤销的旧登记事项", department=samr, status="cancelled")

    # The ID is needed by all three matters of the bundle, with different counts: merged it is 1 original, 2 copies.
    MatterMaterialFactory(matter=setup, material=id_card, order=1, originals=1, copies=1, core=True)
    MatterMaterialFactory(matter=setup, material=form, order=2, originals=1, copies=0, core=True)
    MatterMaterialFactory(matter=setup, material=articles, order=3, originals=1, copies=0, pledgeable=True)
    MatterMaterialFactory(
        matter=setup, material=premises, order=4, originals=0, copies=1, deferrable=True, notes="租赁合同或产权证明"
    )
    MatterMaterialFactory(matter=seal, material=id_card, order=1, originals=1, copies=2)
    MatterMaterialFactory(matter=seal, material=licence, order=2, originals=0, copies=1)
    MatterMaterialFactory(matter=invoice, material=licence, order=1, originals=1, copies=0)
    MatterMaterialFactory(matter=invoice, material=id_card, order=2, originals=0, copies=1)
    MatterMaterialFactory(matter=transfer, material=id_card, order=1, originals=1, copies=1)
    MatterMaterialFactory(matter=transfer, material=deed, order=2, originals=1, copies=0, core=True)

    bundle = BundleFactory(
        code="qiyekaiban",
        name="企业开办",
        zone=enterprise,
        life_event=start_business,
        limit_unit=LimitUnit.WORKING_HOURS,
        limit=Decimal("4"),
        matters=[setup, seal, invoice],
        description="登记注册、印章刻制、发票申领一窗办理。",
    )
    return {
        "site": site,
        "zones": {"enterprise": enterprise, "realty": realty, "general": general},
        "bundle": bundle,
        "event": start_business,
        "setup": setup,
        "seal": seal,
        "invoice": invoice,
        "transfer": transfer,
        "elderly": elderly,
        "household": household,
        "paused": paused,
        "gone": gone,
        "id_card": id_card,
    }
