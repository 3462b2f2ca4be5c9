"""Browser walk: the output window opens the e-licence an approval issued; anyone verifies it on the public page by
its number and code — without seeing who holds it; at the holder's next intake it stands in for the material it
is (免提交, nothing scanned), and the deciding department sees it."""

import re

import pytest
from playwright.sync_api import expect

from yichuang.catalogue.models import Material
from yichuang.intake.models import Submission
from yichuang.intake.tests.helpers import PERSON
from yichuang.organisation.tests.factories import UserFactory

from .conftest import approve

pytestmark = pytest.mark.browser


def test_a_licence_opened_at_the_output_window_and_verified_in_public(
    transactional_db, office, permit_licence, page, browser, live_server, staff_login, screenshot
):
    permit_licence.valid_years = None  # long-term: the walk reads 有效 on whatever day it runs
    permit_licence.save()
    case = approve(office)
    licence = case.licence
    clerk = office.hall.admin  # a hall admin may hand results over too

    staff_login(clerk)
    page.goto(f"/output/s/{case.submission.number}/")
    page.get_by_role("link", name=licence.number).click()
    page.wait_for_url(re.compile(rf"/licences/{licence.pk}/$"))
    expect(page.locator("#licence")).to_contain_text(PERSON["name"])
    expect(page.locator("#licence")).to_contain_text("有效")
    code = page.locator("#verify-code").inner_text()
    assert code == licence.verify_code

    # Someone handed a paper copy checks it on a phone, signed in as nobody.
    phone = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844}, locale="zh-CN")
    public = phone.new_page()
    public.goto("/licences/verify/")
    public.get_by_label("证照编号").fill(licence.number)
    public.get_by_label("核验码（8位）").fill("WRONGCOD")
    public.get_by_role("button", name="核验").click()
    expect(public.locator("#verify-result")).to_contain_text("未找到该证照")
    public.get_by_label("核验码（8位）").fill(code.lower())
    public.get_by_role("button", name="核验").click()
    result = public.locator("#verify-result")
    expect(result).to_contain_text("有效")
    expect(result).to_contain_text("食品经营许可证")
    expect(result).to_contain_text("县市场监督管理局")
    assert PERSON["name"] not in public.content() and PERSON["id_number"][-4:] not in public.content()
    screenshot(public, "licence-verify", full_page=True)
    phone.close()

    # The holder applies for 发票申领 (县税务局), which asks for that licence (LICENCE): the window sees it held.
    permit_licence.materials.add(Material.objects.get(code="LICENCE"))
    page.context.clear_cookies()
    staff_login(office.hall.clerk)  # seated at window 1, 企业开办服务专区
    page.goto("/desk/intake/")
    page.get_by_label("姓名 / 单位名称").fill(PERSON["name"])
    page.get_by_label("身份证号码 / 统一社会信用代码").fill(PERSON["id_number"])
    page.get_by_label("联系电话").fill(PERSON["phone"])
    page.locator("input[name=matters][value=INVOICE]").check()
    page.locator("#btn-checklist").click()
    row = page.locator("tr[data-material=LICENCE]")
    row.get_by_label("免提交", exact=True).check()
    expect(row.get_by_label("营业执照的免提交依据")).to_contain_text(f"食品经营许可证 {licence.number}")
    screenshot(page, "licence-reuse-desk", full_page=True)
    page.locator("#btn-accept").click()
    page.wait_for_url(re.compile(r"/desk/intake/[\d-]+/$"))
    submission = Submission.objects.get(cases__matter__code="INVOICE")
    line = submission.materials.get(code="LICENCE")
    assert (line.status, line.licence_id) == ("reused", licence.pk)
    expect(page.locator("tr[data-material=LICENCE]")).to_contain_text("免提交")
    expect(page.locator("tr[data-material=LICENCE] [data-reused=licence]")).to_contain_text(licence.number)

    # The tax officer deciding it sees the licence in place of the paper and opens it.
    page.context.clear_cookies()
    staff_login(UserFactory(officer=True, department=office.hall.tax))
    page.goto(f"/office/cases/{submission.cases.get().number}/")
    reused = page.locator("#materials tr[data-material=LICENCE]")
    expect(reused).to_contain_text("免提交")
    reused.get_by_role("link", name=f"食品经营许可证 {licence.number}").click()
    page.wait_for_url(re.compile(rf"/licences/{licence.pk}/$"))
    expect(page.locator("#licence")).to_contain_text(PERSON["name"])
