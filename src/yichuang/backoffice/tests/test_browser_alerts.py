"""Alerts in a real browser: an officer signs in, sees the count in the header, opens the list, opens the case
from it, marks the alert read there and sees the count drop — while the lead still has it unread."""

import datetime as dt

import pytest
import time_machine
from playwright.sync_api import expect

from yichuang.backoffice import sweep
from yichuang.backoffice.models import Alert
from yichuang.intake.tests.helpers import SHANGHAI, build_hall
from yichuang.organisation.tests.factories import UserFactory

from .conftest import take_in

pytestmark = [pytest.mark.browser]

# A day chinesecalendar knows (the case page computes the clock). The sign-in cookie lasts the browser session
# and the CSRF cookie is made session-long below, so the browser's own clock, which does not travel, drops neither.
NOW = dt.datetime(2026, 6, 10, 10, 0, tzinfo=SHANGHAI)


def test_officer_sees_reads_and_the_count_drops(transactional_db, page, staff_login, screenshot, settings):
    settings.CSRF_COOKIE_AGE = None
    with time_machine.travel(NOW, tick=True):
        hall = build_hall()  # its clerks are seated today, the travelled day
        officer = UserFactory(officer=True, department=hall.samr, username="samr1", first_name="审批员")
        lead = UserFactory(lead=True, department=hall.samr, username="samr_lead")
        late = take_in(hall, now=NOW - dt.timedelta(days=14))  # PERMIT: 3 working days, long overdue
        soon = take_in(hall, now=NOW - dt.timedelta(days=2))  # due Thu 17:30: under 2 working days left
        report = sweep.raise_warnings(NOW)
        assert (report.red, report.yellow) == (1, 1)
        red = Alert.objects.get(kind="case_red", subject=late.number)

        staff_login(officer)
        page.goto("/office/")
        badge = page.locator("#alert-count")
        expect(badge).to_contain_text("预警提醒")
        expect(badge).to_have_attribute("data-unread", "2")
        badge.click()

        expect(page.get_by_role("heading", name="预警提醒")).to_be_visible()
        row = page.locator(f'tr[data-alert="{red.pk}"]')
        expect(row).to_contain_text("办件红灯超期")
        expect(row).to_contain_text("县市场监督管理局")
        expect(page.locator(f'tr[data-alert] >> text="{soon.number}"')).to_be_visible()
        screenshot(page, "office-alerts")

        row.get_by_role("link", name=late.number).click()
        expect(page.locator("#case-number")).to_have_text(late.number)
        alerts = page.locator("#case-alerts")
        expect(alerts).to_contain_text("办件红灯超期")
        alerts.get_by_role("button", name="标为已读").click()
        expect(page.get_by_text("已标为已读 1 条。")).to_be_visible()
        expect(page.locator("#case-alerts")).to_have_count(0)
        expect(page.locator("#alert-count")).to_have_attribute("data-unread", "1")

        page.locator("#alert-count").click()
        expect(page.locator(f'tr[data-alert="{red.pk}"]')).to_have_count(0)
        page.get_by_role("link", name="全部").click()
        expect(page.locator(f'tr[data-alert="{red.pk}"]')).to_contain_text("已读")

        # Read per person: the lead still has both.
        page.get_by_role("button", name="退出").click()
        staff_login(lead)
        page.goto("/office/")
        expect(page.locator("#alert-count")).to_have_attribute("data-unread", "2")
