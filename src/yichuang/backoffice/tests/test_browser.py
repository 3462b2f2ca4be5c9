"""The back office in a real browser: an officer requests a correction (the clock shows the pause), the
applicant supplies it online in the portal, the clock restarts, and the officer approves."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from yichuang.intake import services as intake
from yichuang.intake.models import Case
from yichuang.intake.tests.helpers import PERSON, build_hall, received
from yichuang.organisation.tests.factories import UserFactory
from yichuang.portal.tests.conftest import last_code

pytestmark = [pytest.mark.browser]

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def test_correction_online_then_approve(
    transactional_db, browser, live_server, page, staff_login, screenshot, tmp_path
):
    hall = build_hall()
    officer = UserFactory(officer=True, department=hall.samr, username="samr1", first_name="审批员")
    submission = intake.submit(
        actor=hall.general_clerk, applicant=PERSON, matters=["PERMIT"], materials=received("ID"),
        window=hall.w_general, now=timezone.now(),
    )  # fmt: skip
    intake.submit(
        actor=hall.general_clerk, applicant=PERSON, matters=["PERMIT"], materials=received("ID"),
        window=hall.w_general, now=timezone.now(),
    )  # fmt: skip
    case = submission.cases.get()

    # The officer's worklist: the case with its level as a text label, a claim button.
    staff_login(officer)
    page.goto("/office/")
    expect(page.get_by_role("heading", name="部门工作台 · 县市场监督管理局")).to_be_visible()
    row = page.locator(f'tr[data-case="{case.number}"]')
    expect(row).to_contain_text("食品经营许可")
    expect(row).to_contain_text("正常")
    expect(row).to_contain_text("张*")
    screenshot(page, "office-worklist")
    row.get_by_role("button", name="认领").click()
    expect(page.get_by_text(f"已认领办件 {case.number}")).to_be_visible()

    # The case page: ask for a correction, all at once; the clock stops.
    page.goto(f"/office/cases/{case.number}/")
    expect(page.locator("#case-status")).to_have_text("办理中")
    expect(page.locator("#clock")).not_to_contain_text("计时暂停")
    page.locator("#form-correction summary").click()
    form = page.locator("#form-correction")
    form.get_by_label("申请人身份证明", exact=True).check()
    form.get_by_label("申请人身份证明的补正说明").fill("复印件不清晰，请上传清晰的扫描件")
    form.get_by_label("其他补正事项 1").fill("经营场所照片")
    form.get_by_role("button", name="告知补正并暂停计时").click()
    expect(page.get_by_text("已一次性告知补正，计时暂停。")).to_be_visible()
    expect(page.locator("#clock-paused")).to_contain_text("计时暂停")
    expect(page.locator("#clock-paused")).to_contain_text("等待申请人补正材料")
    expect(page.locator("#case-status")).to_have_text("补正中")
    expect(page.locator("#timeline")).to_contain_text("一次性告知补正")
    expect(page.locator('#timeline li[data-kind="correction_requested"]')).to_contain_text("计时暂停")
    screenshot(page, "office-case", full_page=True)

    # The applicant, on their own phone: signs in, sees what to correct and by when, uploads it.
    scan = tmp_path / "身份证清晰件.pdf"
    scan.write_bytes(PDF)
    photo = tmp_path / "场所照片.pdf"
    photo.write_bytes(PDF)
    phone = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844}, locale="zh-CN")
    applicant = phone.new_page()
    applicant.set_default_timeout(10_000)
    applicant.goto("/portal/")
    applicant.get_by_label("手机号码").fill(PERSON["phone"])
    applicant.get_by_role("button", name="获取验证码").click()
    applicant.get_by_label("短信验证码").fill(last_code(PERSON["phone"]))
    applicant.get_by_role("button", name="登录").click()
    applicant.goto(f"/portal/submissions/{submission.number}/")
    box = applicant.locator(f'[data-correction="{case.number}"]')
    expect(box).to_contain_text("需要补正：食品经营许可")
    expect(box).to_contain_text("复印件不清晰")
    expect(box).to_contain_text("经营场所照片")
    box.get_by_label("上传“申请人身份证明”的补正文件").set_input_files(str(scan))
    box.get_by_label("上传“经营场所照片”的补正文件").set_input_files(str(photo))
    box.get_by_role("button", name="提交补正材料").click()
    expect(applicant.get_by_text("补正材料已提交，部门已恢复办理。")).to_be_visible()
    expect(applicant.locator("[data-correction]")).to_have_count(0)
    phone.close()

    # Back at the office: the clock runs again, the timeline shows the pause and the restart; approve.
    page.reload()
    expect(page.locator("#case-status")).to_have_text("办理中")
    expect(page.locator("#clock-paused")).to_have_count(0)
    restart = page.locator('#timeline li[data-kind="correction_received"]')
    expect(restart).to_contain_text("补正材料收到，恢复计时")
    expect(restart).to_contain_text("网上")
    expect(page.locator("#materials")).to_contain_text("身份证清晰件.pdf")
    conclude = page.locator("#form-conclude")
    conclude.get_by_label("准予").check()
    conclude.get_by_label("证照编号").fill("JY14116240001")
    conclude.get_by_role("button", name="办结").click()
    expect(page.get_by_text(f"办件 {case.number} 已办结。")).to_be_visible()
    expect(page.locator("#case-status")).to_have_text("准予办结")
    expect(page.locator("#decision")).to_contain_text("JY14116240001")
    assert Case.objects.get(pk=case.pk).status == "approved"
