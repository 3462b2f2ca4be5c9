"""The online hall in a real browser: an applicant signs in with phone and code, applies online for a matter
with uploads, supplies the deferred material, and follows the progress page without signing in."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from yichuang.intake.models import Attachment, Submission
from yichuang.intake.tests.helpers import build_hall
from yichuang.intake.tests.ids import resident_id

from .conftest import PHONE, last_code

pytestmark = [pytest.mark.browser]

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_apply_online_and_follow_progress(transactional_db, page, screenshot, tmp_path):
    build_hall()
    id_scan = tmp_path / "身份证.pdf"
    id_scan.write_bytes(PDF)
    form_scan = tmp_path / "申请书.png"
    form_scan.write_bytes(PNG)
    premises_scan = tmp_path / "住所证明.pdf"
    premises_scan.write_bytes(PDF)

    # Sign in: phone, then the code the SMS would bring (read from the outbox).
    page.goto("/")
    page.get_by_role("link", name="网上办事大厅").first.click()
    page.get_by_label("手机号码").fill(PHONE)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_role("heading", name="输入验证码")).to_be_visible()
    expect(page.get_by_text("139****5678")).to_be_visible()
    page.get_by_label("短信验证码").fill(last_code())
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的申请")).to_be_visible()

    # Apply online for 企业设立登记 with the same material rules as at the window.
    page.get_by_role("link", name="在线申请办事").click()
    page.get_by_role("link", name="企业设立登记").click()
    expect(page.get_by_role("heading", name="在线申请：企业设立登记")).to_be_visible()
    page.get_by_label("姓名或单位名称").fill("李四")
    page.get_by_label("身份证号码或统一社会信用代码").fill(resident_id("411624", "19850412", "031"))
    rows = {
        code: page.locator(f'li[data-material="{code}"]') for code in ("ID", "FORM", "ARTICLES", "PREMISES", "ATTORNEY")
    }
    expect(rows["ID"]).to_contain_text("核心要件")
    expect(rows["PREMISES"]).to_contain_text("可容缺")
    rows["ID"].locator('input[type="file"]').set_input_files(str(id_scan))
    rows["FORM"].locator('input[type="file"]').set_input_files(str(form_scan))
    rows["ARTICLES"].get_by_label("告知承诺（以承诺代替证明）").check()
    rows["PREMISES"].get_by_label("容缺后补（须签署承诺）").check()
    today = timezone.localdate().isoformat()  # the hall's day (Asia/Shanghai)
    rows["PREMISES"].get_by_label("补交期限").fill(today)
    rows["ATTORNEY"].get_by_label("不提供（非必要材料）").check()
    screenshot(page, "portal-apply", full_page=True)
    page.get_by_role("button", name="提交申请").click()

    # The submission page: number, the case with its department and due time, the deferred material.
    expect(page.get_by_text("申请已提交")).to_be_visible()
    submission = Submission.objects.get()
    assert submission.channel == "online"
    case = submission.cases.get()
    expect(page.locator(f'tr[data-case="{case.number}"]')).to_contain_text("县市场监督管理局")
    expect(page.get_by_text("有容缺材料待补交")).to_be_visible()
    premises = page.locator('tr[data-material="PREMISES"]')
    premises.locator('input[type="file"]').set_input_files(str(premises_scan))
    premises.get_by_role("button", name="补交").click()
    expect(page.get_by_text("材料已补交。")).to_be_visible()
    expect(page.locator('tr[data-material="PREMISES"]')).to_have_attribute("data-status", "received")
    assert Attachment.objects.filter(submission=submission).count() == 3

    # Without signing in: the progress lookup by number and the last four digits of the phone.
    page.get_by_role("button", name="退出网上大厅").click()
    page.goto(f"/progress/{submission.number}/")
    expect(page.get_by_label("手机号后四位")).to_be_visible()  # no lookup yet: only the form
    expect(page.get_by_text(case.number)).to_have_count(0)
    page.get_by_label("手机号后四位").fill("0000")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_text("编号或手机号后四位不正确")).to_be_visible()
    page.get_by_label("手机号后四位").fill(PHONE[-4:])
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("heading", name="办理进度")).to_be_visible()
    expect(page.locator(f'tr[data-case="{case.number}"]')).to_contain_text("企业设立登记")
    expect(page.locator(".timeline")).to_contain_text("补交材料")
    expect(page.locator(".timeline")).not_to_contain_text("身份证.pdf")  # file names may carry personal data
    expect(page.locator("main")).not_to_contain_text(PHONE)
    assert re.search(r"李\*", page.locator("main").inner_text())
    screenshot(page, "progress", full_page=True)
