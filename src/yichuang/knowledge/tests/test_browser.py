"""The knowledge base in a real browser: a department's officer writes an article and submits it, a hall admin
publishes it from the review queue, and a citizen finds it on the guide's page of its matter."""

import re

import pytest
from playwright.sync_api import expect

from .helpers import Desk

pytestmark = [pytest.mark.browser]


def test_editor_writes_admin_publishes_citizen_reads_on_the_guide(transactional_db, page, staff_login, screenshot):
    desk = Desk()
    staff_login(desk.editor)
    page.goto("/knowledge/")
    page.locator("#kb-new").click()
    page.get_by_label("标题").fill("企业设立登记常见问题")
    page.get_by_label("类别").select_option("qa")
    page.get_by_label("企业设立登记").check()
    page.get_by_label("正文").fill("问：开办企业要跑几次？\n答：材料齐全的，最多跑一次。")
    page.locator("#kb-save").click()
    page.wait_for_url(re.compile(r"/knowledge/v/\d+/$"))
    expect(page.locator("#kb-version-status")).to_contain_text("草稿")
    page.locator("#kb-submit").click()
    expect(page.locator("#kb-version-status")).to_contain_text("待审核")

    page.context.clear_cookies()
    staff_login(desk.admin)
    page.goto("/knowledge/review/")
    page.locator("#kb-queue").get_by_role("link", name="企业设立登记常见问题").click()
    page.get_by_label("审核意见（可不填）").fill("内容准确，同意发布。")
    page.locator("#kb-publish").click()
    page.wait_for_url(re.compile(r"/knowledge/\d+/$"))
    expect(page.locator("#kb-body")).to_contain_text("最多跑一次")

    page.context.clear_cookies()
    page.goto(f"/guide/matters/{desk.matter.code}/")
    articles = page.locator("#matter-articles")
    expect(articles).to_contain_text("企业设立登记常见问题")
    articles.get_by_role("link", name="企业设立登记常见问题").click()
    expect(page.locator("h1")).to_have_text("企业设立登记常见问题")
    expect(page.locator("#kb-body")).to_contain_text("材料齐全的，最多跑一次。")
    screenshot(page, "knowledge", full_page=True)
