"""Browser walk: the output window opens the e-licence an approval issued, and anyone verifies it on the public
page by its number and code — without seeing who holds it."""

import re

import pytest
from playwright.sync_api import expect

from yichuang.intake.tests.helpers import PERSON

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
