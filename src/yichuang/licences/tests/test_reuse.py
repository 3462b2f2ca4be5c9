"""材料复用 at intake: a licence the applicant holds, or the same material of an earlier submission still valid,
stands in for a material (免提交) — and nothing else does."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from yichuang.catalogue.models import Material, Matter
from yichuang.intake import services as intake
from yichuang.intake.models import Attachment, MaterialStatus, Submission, SubmissionMaterial
from yichuang.intake.tests.helpers import PERSON, T0, received
from yichuang.intake.tests.ids import resident_id
from yichuang.licences import reuse, services
from yichuang.licences.models import LicenceType, ReusableMaterial

from .conftest import approve

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
OTHER = {**PERSON, "name": "李四", "id_number": resident_id("411624", "19850101", "456")}


@pytest.fixture
def business_licence(office) -> LicenceType:
    """In the small hall PERMIT plays the matter that issues a business licence (营业执照), and 发票申领 (INVOICE,
    县税务局) asks for that licence as its material LICENCE."""
    licence_type = LicenceType.objects.create(code="BL", name="营业执照", holder_kind="person", valid_years=1)
    licence_type.issuing_matters.add(Matter.objects.get(code="PERMIT"))
    licence_type.materials.add(Material.objects.get(code="LICENCE"))
    return licence_type


def invoice(hall, material: dict, *, applicant=PERSON, now=T0 + dt.timedelta(days=1)):
    return intake.submit(
        actor=hall.clerk,
        applicant=applicant,
        matters=["INVOICE"],
        materials=[{"material": "LICENCE", **material}],
        window=hall.w1,
        now=now,
    )


def refused_reason(hall, material: dict, **kwargs) -> str:
    before = Submission.objects.count()
    with pytest.raises(ValidationError) as caught:
        invoice(hall, material, **kwargs)
    assert Submission.objects.count() == before  # nothing half-saved
    return " ".join(caught.value.message_dict["materials[0].status"])


def test_a_held_licence_stands_in_for_its_material(office, business_licence):
    licence = approve(office).licence
    offered = reuse.offers("person", PERSON["id_number"], ["LICENCE", "ID"], today=dt.date(2026, 3, 11))
    assert [(o.kind, o.pk) for o in offered["LICENCE"]] == [("licence", licence.pk)]
    assert "ID" not in offered and "营业执照" in offered["LICENCE"][0].label

    submission = invoice(office.hall, {"status": "reused", "licence": licence.pk})
    line = submission.materials.get()
    assert (line.status, line.licence_id, line.reused_from_id) == (MaterialStatus.REUSED, licence.pk, None)
    assert line.get_status_display() == "免提交"
    assert submission.cases.get().department.code == "tax"


def test_only_the_applicants_own_valid_licence_of_the_right_type(office, business_licence):
    licence = approve(office).licence
    hall = office.hall
    assert "不能免提交" in refused_reason(hall, {"status": "reused", "licence": licence.pk}, applicant=OTHER)
    # Expired: valid one year, to 2027-03-09.
    assert "不能免提交" in refused_reason(
        hall, {"status": "reused", "licence": licence.pk}, now=T0 + dt.timedelta(days=365)
    )
    business_licence.materials.clear()  # the type no longer stands for the material
    assert "不能免提交" in refused_reason(hall, {"status": "reused", "licence": licence.pk})
    business_licence.materials.add(Material.objects.get(code="LICENCE"))
    services.revoke(licence, hall.admin, reason="吊销")
    assert "不能免提交" in refused_reason(hall, {"status": "reused", "licence": licence.pk})


def test_a_reuse_names_exactly_one_source(office, business_licence):
    licence = approve(office).licence
    hall = office.hall
    assert "须注明一项" in refused_reason(hall, {"status": "reused"})
    assert "须注明一项" in refused_reason(hall, {"status": "reused", "licence": licence.pk, "reuse": 1})
    with pytest.raises(ValidationError) as caught:
        invoice(hall, {"status": "reused", "licence": "1; drop"})
    assert "materials[0].licence" in caught.value.message_dict
    assert not SubmissionMaterial.objects.filter(status=MaterialStatus.REUSED).exists()


def test_an_earlier_copy_is_reused_while_recent_with_its_files(office, business_licence):
    hall = office.hall
    ReusableMaterial.objects.create(material=Material.objects.get(code="ID"), valid_days=30)
    first = intake.submit(
        actor=hall.general_clerk, applicant=PERSON, matters=["PERMIT"], materials=received("ID"),
        window=hall.w_general, now=T0,
    )  # fmt: skip
    intake.attach_file(first, "ID", SimpleUploadedFile("身份证.pdf", PDF), actor=hall.general_clerk)
    earlier = first.materials.get(code="ID")

    def take_in(now, material, applicant=PERSON):
        return intake.submit(
            actor=hall.general_clerk, applicant=applicant, matters=["PERMIT"],
            materials=[{"material": "ID", **material}], window=hall.w_general, now=now,
        )  # fmt: skip

    day29 = T0 + dt.timedelta(days=29)
    offered = reuse.offers("person", PERSON["id_number"], ["ID"], today=day29.date())
    assert [(o.kind, o.pk, o.on) for o in offered["ID"]] == [("earlier", earlier.pk, dt.date(2026, 3, 10))]
    second = take_in(day29, {"status": "reused", "reuse": earlier.pk})
    line = second.materials.get()
    assert (line.status, line.reused_from_id, line.licence_id) == (MaterialStatus.REUSED, earlier.pk, None)
    copied = Attachment.objects.get(submission=second)
    original = Attachment.objects.get(submission=first)
    assert (copied.file.name, copied.sha256, copied.material_code) == (original.file.name, original.sha256, "ID")

    # The same copy a day too late, or offered to someone else: refused.
    with pytest.raises(ValidationError) as caught:
        take_in(T0 + dt.timedelta(days=31), {"status": "reused", "reuse": earlier.pk})
    assert "不能免提交" in " ".join(caught.value.message_dict["materials[0].status"])
    with pytest.raises(ValidationError):
        take_in(day29, {"status": "reused", "reuse": earlier.pk}, applicant=OTHER)
    # A line that was itself reused is not offered again (its source is): no chains.
    assert [o.pk for o in reuse.offers("person", PERSON["id_number"], ["ID"], today=day29.date())["ID"]] == [
        earlier.pk
    ]
    assert Attachment.objects.count() == 2


def test_a_refused_submissions_material_is_not_offered(office, business_licence):
    hall = office.hall
    ReusableMaterial.objects.create(material=Material.objects.get(code="ID"), valid_days=30)
    intake.refuse(
        actor=hall.general_clerk, applicant=PERSON, matters=["PERMIT"], materials=received("ID"),
        window=hall.w_general, reasons="不属于本中心受理范围", now=T0,
    )  # fmt: skip
    assert reuse.offers("person", PERSON["id_number"], ["ID"], today=dt.date(2026, 3, 11)) == {}


def test_the_api_takes_a_reuse_and_says_so(office, business_licence):
    from django.test import Client

    from yichuang.organisation import services as org_services

    licence = approve(office).licence
    client = Client(HTTP_AUTHORIZATION=f"Bearer {org_services.issue_api_token(office.hall.clerk)}")
    data = {
        "applicant": PERSON,
        "matters": ["INVOICE"],
        "materials": [{"material": "LICENCE", "status": "reused", "licence": licence.pk}],
        "channel": "window",
    }
    created = client.post("/api/submissions", data, content_type="application/json")
    assert created.status_code == 201, created.content
    number = created.json()["number"]
    shown = client.get(f"/api/submissions/{number}").json()
    line = next(m for m in shown["materials"] if m["material"] == "LICENCE")
    assert (line["status"], line["licence_id"]) == ("reused", licence.pk)

    data["applicant"] = OTHER  # someone else naming that licence: refused at the field
    refused = client.post("/api/submissions", data, content_type="application/json")
    assert refused.status_code == 422, refused.content
    assert [e["field"] for e in refused.json()["errors"]] == ["materials[0].status"]


def test_a_licence_whose_fee_is_unpaid_is_not_in_force(office, business_licence, client):
    from decimal import Decimal

    from yichuang.fees import services as fees
    from yichuang.fees.models import FeeItem, PaymentNotice

    FeeItem.objects.create(
        matter=Matter.objects.get(code="PERMIT"), name="工本费", amount=Decimal("10"), basis="某价费字〔2020〕12号"
    )
    licence = approve(office).licence
    notice = PaymentNotice.objects.get(case=licence.case)
    assert notice.status == PaymentNotice.Status.UNPAID
    day = dt.date(2026, 3, 11)
    assert reuse.offers("person", PERSON["id_number"], ["LICENCE"], today=day) == {}
    html = client.get("/licences/verify/", {"number": licence.number, "code": licence.verify_code}).content.decode()
    assert "尚未生效（待缴费）" in html

    from yichuang.fees import gateways

    report = gateways.Report(number=notice.number, state="paid", amount=notice.amount, receipt_number="PJ1")
    fees.apply(report, source="callback")
    assert [o.pk for o in reuse.offers("person", PERSON["id_number"], ["LICENCE"], today=day)["LICENCE"]] == [
        licence.pk
    ]
