"""An admin imports a holiday notice in a real browser: paste → preview (the month grids) → confirm."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from yichuang.clock.models import CalendarOverride, CalendarYear
from yichuang.organisation.tests.factories import UserFactory

from .test_services import NOTICE_2027

pytestmark = [pytest.mark.browser]


def test_paste_preview_confirm(transactional_db, page, staff_login, screenshot, settings):
    CalendarYear.objects.update_or_create(year=2027, defaults={"complete": False, "assumed": True})
    admin = UserFactory(hall_admin=True, username="calendaradmin")
    staff_login(admin)

    page.goto("/admin/clock/calendaryear/")
    expect(page.get_by_role("link", name="2027", exact=True)).to_be_visible()
    page.get_by_role("link", name="导入节假日通知").click()
    page.get_by_label("通知全文").fill(NOTICE_2027)
    page.get_by_role("button", name="预览").click()

    october_first = page.locator('td[data-date="2027-10-01"]')
    expect(october_first).to_have_class("holiday")
    expect(october_first).to_have_attribute("title", "10月1日 国庆节（休）")
    expect(october_first).to_contain_text("休")
    expect(page.locator('td[data-date="2027-09-26"]')).to_contain_text("班")
    expect(page.locator("#notice-title")).to_have_text("国务院办公厅关于2027年部分节假日安排的通知")
    expect(page.locator("#notice-days")).to_contain_text("2027-10-01")
    assert page.locator(".notice-month").count() == 12
    assert not CalendarOverride.objects.exists()
    screenshot(page, "calendar-import", full_page=True)

    page.get_by_role("button", name="确认导入").click()
    expect(page.locator(".messagelist")).to_contain_text("已导入")
    assert CalendarOverride.objects.filter(date=dt.date(2027, 10, 1), note="国庆节").exists()
    year = CalendarYear.objects.get(year=2027)
    assert year.complete and not year.assumed
