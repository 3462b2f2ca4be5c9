"""Fixtures of the output tests: the back office's small hall, an output clerk at an output window, and
submissions concluded and returned to the output window."""

import base64
import datetime as dt
import io
from dataclasses import dataclass

import pytest
from PIL import Image, ImageDraw

from yichuang.backoffice import services as office_services
from yichuang.backoffice.tests.conftest import (  # noqa: F401 (fixtures)
    Office,
    _media,
    django_db_setup,
    office,
    take_in,
)
from yichuang.intake import services as intake
from yichuang.intake.tests.helpers import BUNDLE_MATERIALS, PERSON, T0, received
from yichuang.intake.tests.ids import credit_code, resident_id
from yichuang.organisation import services as org_services
from yichuang.organisation.tests.factories import UserFactory, WindowFactory

AGENT = {"name": "李四", "id_number": resident_id("411624", "19850101", "456"), "phone": "13800001111"}
LATER = T0 + dt.timedelta(hours=1)
# An organisation applicant: intake records its credit code, and no legal representative.
COMPANY = {
    "kind": "org", "name": "沈丘县好运商贸有限公司", "id_number": credit_code("91411624MA9"), "phone": "13900001111"
}  # fmt: skip
LEGAL_REP = {"name": "赵六", "id_number": resident_id("411624", "19750315", "222")}


def pad_png(strokes=(((30, 100), (75, 40), (120, 90), (165, 30), (210, 110)),), *, background=None) -> str:
    """A PNG data URL as the signature pad sends it (480×160, transparent until written on)."""
    image = Image.new("RGBA", (480, 160), background or (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        draw.line(stroke, fill=(17, 17, 17, 255), width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


SIGNATURE = pad_png()
BLANK_PAD = pad_png(strokes=())


@dataclass
class Desk:
    office: Office
    clerk: object  # output clerk seated at the output window
    window: object
    police_officer: object

    @property
    def hall(self):
        return self.office.hall


@pytest.fixture
def desk(office) -> Desk:  # noqa: F811
    hall = office.hall
    window = WindowFactory(zone=hall.general, number=50, name="综合出件", output=True)
    clerk = UserFactory(output_clerk=True, username="out1")
    org_services.take_seat(clerk, window)
    police = UserFactory(officer=True, department=hall.police, username="police1")
    return Desk(office=office, clerk=clerk, window=window, police_officer=police)


def approve(case, officer, *, now=LATER, certificate="CERT-1"):
    office_services.claim(case, officer, now=now)
    return office_services.conclude(case, officer, outcome="approved", certificate_number=certificate, now=now)


def reject(case, officer, *, now=LATER):
    office_services.claim(case, officer, now=now)
    return office_services.conclude(
        case, officer, outcome="rejected", reasons="不符合条件", legal_basis="《条例》第三条", now=now
    )


def ready_single(desk: Desk, *, agent=None, applicant=PERSON):
    """One PERMIT case (县市场监督管理局, stationed), approved: its result is at the output window."""
    hall = desk.hall
    submission = intake.submit(
        actor=hall.general_clerk,
        applicant=applicant,
        matters=["PERMIT"],
        materials=received("ID"),
        agent=agent,
        window=hall.w_general,
        now=T0,
    )
    approve(submission.cases.get(), desk.office.officer)
    return submission


def bundle(desk: Desk, *, materials=None, applicant=PERSON):
    """企业开办: SETUP (samr), SEAL (police), INVOICE (tax) accepted together, not concluded yet."""
    hall = desk.hall
    return intake.submit(
        actor=hall.clerk,
        applicant=applicant,
        bundle="qiyekaiban",
        materials=materials if materials is not None else received(*BUNDLE_MATERIALS),
        window=hall.w1,
        now=T0,
    )


def officer_for(desk: Desk, case):
    return {
        desk.hall.samr.pk: desk.office.officer,
        desk.hall.tax.pk: desk.office.tax_officer,
        desk.hall.police.pk: desk.police_officer,
    }[case.department_id]


def approve_all(desk: Desk, submission):
    for case in submission.cases.order_by("seq"):
        approve(case, officer_for(desk, case))


__all__ = ["AGENT", "BLANK_PAD", "COMPANY", "LEGAL_REP", "PERSON", "SIGNATURE", "T0", "pad_png", "take_in"]
