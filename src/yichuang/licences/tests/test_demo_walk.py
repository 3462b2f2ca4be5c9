"""The README's walk, steps 23–24, on the demo data only (nothing created by hand, demo accounts): the e-licence of
沈丘县付井镇喜来乐面馆 opened at the output window and verified signed out; 沈丘县康乐养老服务有限公司's 营业执照 from
the province's licence store taken as 免提交 for its 养老机构备案, and seen by 县民政局."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser]


def test_steps_23_and_24(transactional_db, browser, live_server):
    from yichuang.demo import hall as demo
    from yichuang.intake.models import Submission
    from yichuang.licences.demo import CARE_HOME, CARE_HOME_CODE
    from yichuang.licences.models import Licence

    demo.load_demo()
    contexts = []

    def signed_in(username=None):
        ctx = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1366, "height": 900})
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        if username:
            page.goto("/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", demo.DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
        return page

    # 23. output1 opens the submission in the ready list and follows its 证照编号.
    page = signed_in("output1")
    page.goto("/output/")
    page.locator("#ready-list tr", has_text="沈丘县付井镇喜来乐面馆").get_by_role("link").first.click()
    licence = Licence.objects.get(type__code="SQ-SPJY", holder_name="沈丘县付井镇喜来乐面馆")
    page.get_by_role("link", name=licence.number).click()
    expect(page.locator("#licence")).to_contain_text("食品经营许可证")
    code = page.locator("#verify-code").inner_text()
    public = signed_in()
    public.goto("/")
    public.get_by_role("link", name="电子证照核验").click()
    public.get_by_label("证照编号").fill(licence.number)
    public.get_by_label("核验码（8位）").fill(code)
    public.get_by_role("button", name="核验").click()
    expect(public.locator("#verify-result")).to_contain_text("有效")
    assert "喜来乐" not in public.locator("#verify-result").inner_text()

    # 24. clerk6 at window 29 takes in 养老机构备案 with the 营业执照 as 免提交.
    desk = signed_in("clerk6")
    desk.goto("/desk/intake/")
    desk.get_by_label("法人或其他组织").check()
    desk.get_by_label("姓名 / 单位名称").fill(CARE_HOME)
    desk.get_by_label("身份证号码 / 统一社会信用代码").fill(CARE_HOME_CODE)
    desk.get_by_label("联系电话").fill("13803940009")
    desk.locator("input[name=matters][value='411624-QT-MZ-003']").check()
    desk.locator("#btn-checklist").click()
    row = desk.locator("tr[data-material=business-license]")
    row.get_by_label("免提交", exact=True).check()
    # Every other required line as received (the walk takes in what the checklist asks for).
    desk.locator("#btn-accept").click()
    desk.wait_for_url(re.compile(r"/desk/intake/[\d-]+/$"))
    submission = Submission.objects.filter(applicant_name=CARE_HOME).get()
    assert submission.materials.get(code="business-license").status == "reused"
    expect(desk.locator("tr[data-material=business-license] [data-reused=licence]")).to_contain_text(CARE_HOME_CODE)
    for ctx in contexts:
        ctx.close()
