"""A limit that needs a year whose holidays nobody has entered: the intake is refused with nothing saved, and the
reason is told to the person at the form — the applicant online in a plain sentence, the clerk at a window what
the administrator must do — with one warning line in the server log for the administrator."""

import datetime
import logging
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from yichuang.catalogue.models import Material
from yichuang.catalogue.tests.factories import MatterFactory, MatterMaterialFactory
from yichuang.clock.workcalendar import SHANGHAI
from yichuang.intake import services
from yichuang.intake.models import Channel, Submission

from .helpers import PERSON, received

pytestmark = [pytest.mark.django_db, pytest.mark.calendar_as_installed]

# Monday 7 December 2026 (the day the issue was found): 30 working days from here end in 2027.
DEC_7 = datetime.datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)
# Thursday 31 December 2026: the delegated 县民政局 collects next on Tuesday 5 January 2027.
DEC_31 = datetime.datetime(2026, 12, 31, 11, 0, tzinfo=SHANGHAI)
ADMIN_DUE = "2027年的工作日历尚未录入，无法计算办结期限；请管理员录入该年节假日安排。"
CHECKLIST = "2027年的工作日历尚未录入，无法计算办结期限和容缺材料的最迟补交日期；请管理员录入该年节假日安排。"
ADMIN_PICKUP = "2027年的工作日历尚未录入，无法安排部门取件；请管理员录入该年节假日安排。"
APPLICANT = (
    "本事项的办理期限需要用到2027年的节假日安排，该安排尚未录入本系统，暂时无法在网上提交。"
    "您填写的内容和上传的文件已保存，安排录入后可直接提交；也可拨打大厅电话咨询。"
)
ID = received("ID")
BOTH = received("ID", "PLAN")


def injury(hall):
    """工伤认定: online, 30 working days."""
    matter = MatterFactory(
        code="INJURY",
        name="工伤认定",
        department=hall.samr,
        zones=[hall.general],
        legal_limit=Decimal("60"),
        promised_limit=Decimal("30"),
        online=True,
    )
    MatterMaterialFactory(matter=matter, material=Material.objects.get(code="ID"), order=1, core=True)
    return matter


def calendar_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "yichuang.intake.services"]


def test_online_the_applicant_reads_a_plain_sentence_and_the_admin_finds_one_log_line(hall, caplog):
    injury(hall)
    with caplog.at_level(logging.WARNING, logger="yichuang.intake.services"), pytest.raises(ValidationError) as info:
        services.submit(
            actor=None,
            applicant=PERSON,
            matters=["INJURY"],
            materials=received("ID"),
            channel=Channel.ONLINE,
            now=DEC_7,
        )
    assert info.value.message_dict == {"matters[0]": [APPLICANT]}
    assert "管理员" not in APPLICANT
    assert not Submission.objects.exists()
    [line] = calendar_lines(caplog)
    assert "2027" in line and "INJURY" in line and "online" in line
    for personal in (PERSON["name"], PERSON["id_number"], PERSON["phone"]):
        assert personal not in line


def test_online_the_halls_phone_is_named_when_it_has_one(hall):
    injury(hall)
    hall.site.phone = "0394-5211234"
    hall.site.save()
    with pytest.raises(ValidationError) as info:
        services.submit(
            actor=None, applicant=PERSON, matters=["INJURY"], materials=ID, channel=Channel.ONLINE, now=DEC_7
        )
    assert info.value.message_dict["matters[0]"] == [
        APPLICANT.replace("大厅电话咨询", "大厅电话 0394-5211234 咨询")
    ]


def test_at_a_window_the_clerk_keeps_the_administrators_sentence(hall, caplog):
    injury(hall)
    with caplog.at_level(logging.WARNING, logger="yichuang.intake.services"), pytest.raises(ValidationError) as info:
        services.submit(actor=hall.general_clerk, applicant=PERSON, matters=["INJURY"], materials=ID, now=DEC_7)
    assert info.value.message_dict == {"matters[0]": [ADMIN_DUE]}
    assert len(calendar_lines(caplog)) == 1 and "window" in calendar_lines(caplog)[0]


def test_a_delegated_departments_pickup_in_the_unknown_year(hall, caplog):
    hall.elderly.online = True
    hall.elderly.save()
    with caplog.at_level(logging.WARNING, logger="yichuang.intake.services"), pytest.raises(ValidationError) as info:
        services.submit(actor=hall.general_clerk, applicant=PERSON, matters=["ELDERLY"], materials=BOTH, now=DEC_31)
    # The clerk is told both things the administrator's entry will fix; the log says it once.
    assert info.value.message_dict == {"matters[0]": [ADMIN_DUE, ADMIN_PICKUP]}
    assert len(calendar_lines(caplog)) == 1
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="yichuang.intake.services"), pytest.raises(ValidationError) as info:
        services.submit(
            actor=None, applicant=PERSON, matters=["ELDERLY"], materials=BOTH, channel=Channel.ONLINE, now=DEC_31
        )
    # The applicant reads the one plain sentence.
    assert info.value.message_dict == {"matters[0]": [APPLICANT]}
    assert len(calendar_lines(caplog)) == 1
    assert not Submission.objects.exists()


@pytest.fixture
def on_dec_7():
    """The whole test on 7 December 2026, the hall's seats included (a clerk sits at a window for a day)."""
    with time_machine.travel(DEC_7, tick=False):
        yield


def test_the_desk_says_it_at_the_matter_from_the_checklist_on(on_dec_7, client, hall):
    injury(hall)
    client.force_login(hall.general_clerk)
    data = {
        "applicant.kind": "person",
        "applicant.name": PERSON["name"],
        "applicant.id_number": PERSON["id_number"],
        "applicant.phone": PERSON["phone"],
        "matters": ["INJURY"],
        "m-0-material": "ID",
        "m-0-status": "received",
    }
    page = client.post("/desk/intake/", {**data, "action": "checklist"}).content.decode()
    assert CHECKLIST in page
    response = client.post("/desk/intake/", {**data, "action": "accept"})
    assert response.status_code == 422
    page = response.content.decode()
    assert ADMIN_DUE in page and APPLICANT not in page
    assert not Submission.objects.exists()
