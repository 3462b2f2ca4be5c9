"""In a real browser: an online application for a 30-working-day matter on 7 December 2026, when nobody has entered
2027's holidays, is refused with a plain sentence; the form comes back with what was typed and the uploaded file
named as kept; once 2027 is entered, sending it again without choosing the file again succeeds."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from playwright.sync_api import expect

from yichuang.catalogue.models import Material
from yichuang.catalogue.tests.factories import MatterFactory, MatterMaterialFactory
from yichuang.clock.models import CalendarYear
from yichuang.clock.workcalendar import SHANGHAI
from yichuang.intake.models import Attachment, Submission
from yichuang.intake.tests.helpers import build_hall
from yichuang.intake.tests.ids import resident_id

from .conftest import PHONE, last_code

pytestmark = [pytest.mark.browser, pytest.mark.calendar_as_installed]

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
DEC_7 = dt.datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)


def test_refused_for_the_calendar_then_sent_again_without_choosing_the_file(
    transactional_db, page, screenshot, settings, tmp_path
):
    # The browser's own clock is not travelled: cookies without an expiry date, so it keeps them.
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_AGE = None
    scan = tmp_path / "工伤认定申请表.pdf"
    scan.write_bytes(PDF)
    with time_machine.travel(DEC_7, tick=True):
        hall = build_hall()
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

        page.goto("/portal/")
        page.get_by_label("手机号码").fill(PHONE)
        page.get_by_role("button", name="获取验证码").click()
        page.get_by_label("短信验证码").fill(last_code())
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading", name="我的申请")).to_be_visible()

        page.goto("/portal/apply/matter/INJURY/")
        expect(page.get_by_role("heading", name="在线申请：工伤认定")).to_be_visible()
        page.get_by_label("姓名或单位名称").fill("李四")
        page.get_by_label("身份证号码或统一社会信用代码").fill(resident_id("411624", "19850412", "031"))
        row = page.locator('li[data-material="ID"]')
        row.locator('input[type="file"]').set_input_files(str(scan))
        page.get_by_role("button", name="提交申请").click()

        # Refused: the applicant's sentence, what they typed, and the file named as kept.
        alert = page.locator("ul.errorlist.nonfield")
        expect(alert).to_contain_text("本事项的办理期限需要用到2027年的节假日安排")
        expect(alert).to_contain_text("您填写的内容和上传的文件已保存")
        expect(alert).not_to_contain_text("管理员")
        expect(page.get_by_label("姓名或单位名称")).to_have_value("李四")
        expect(row.locator(".kept-file")).to_have_text("已上传：工伤认定申请表.pdf（无需重新上传）")
        screenshot(page, "portal-apply-kept-upload", full_page=True)
        assert not Submission.objects.exists()

        # The administrator enters 2027; the applicant sends the same form again, choosing no file.
        CalendarYear.objects.create(year=2027, complete=True)
        page.get_by_role("button", name="提交申请").click()
        expect(page.get_by_text("申请已提交")).to_be_visible()
        submission = Submission.objects.get()
        assert list(Attachment.objects.filter(submission=submission).values_list("original_name", flat=True)) == [
            "工伤认定申请表.pdf"
        ]
