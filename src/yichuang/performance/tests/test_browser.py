"""绩效考核 in a real browser: a supervisor opens the page, chooses November 2026, sorts the staff table by the
satisfaction rate with the keyboard (and back), and switches to the zones."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser]


def test_supervisor_changes_the_period_and_sorts(transactional_db, month, page, staff_login, screenshot):
    staff_login(month.supervisor)
    page.goto("/performance/")
    expect(page.locator("h1")).to_contain_text("绩效考核")
    expect(page.locator("[data-preset=this_month]")).to_have_attribute("aria-current", "true")

    # The period: November 2026 (the end day is excluded).
    page.fill("#id_from", "2026-11-01")
    page.fill("#id_to", "2026-12-01")
    page.locator("#btn-period").click()
    expect(page.locator("#period-label")).to_have_text("2026-11-01 — 2026-11-30")
    rows = page.locator("#performance-table tbody tr")
    expect(page.locator(f'tr[data-key="{month.clerk.pk}"] td[data-column=tickets]')).to_have_text("2")
    expect(page.locator("#total td[data-column=ratings]")).to_have_text("6")

    # Sort by the satisfaction rate with the keyboard: descending first, then ascending.
    header = page.locator("th[data-column=satisfaction] a")
    header.focus()
    page.keyboard.press("Enter")
    expect(page.locator("th[data-column=satisfaction]")).to_have_attribute("aria-sort", "descending")
    expect(rows.first).to_have_attribute("data-key", str(month.gclerk.pk))
    expect(rows.nth(1).locator("td[data-column=satisfaction]")).to_have_text("66.7%")
    page.locator("th[data-column=satisfaction] a").focus()
    page.keyboard.press("Enter")
    expect(page.locator("th[data-column=satisfaction]")).to_have_attribute("aria-sort", "ascending")
    expect(rows.first).to_have_attribute("data-key", str(month.clerk2.pk))
    expect(page.locator("#period-label")).to_have_text("2026-11-01 — 2026-11-30")  # the period stays

    # The zones' tab keeps the period; its charts are drawn.
    page.get_by_role("link", name="按服务区").click()
    expect(page.locator(f'tr[data-key="{month.hall.enterprise.pk}"] td[data-column=satisfaction]')).to_have_text(
        "40.0%"
    )
    expect(page.locator("#chart-satisfaction .bar-row")).to_have_count(2)
    expect(page.locator("#chart-within .bar-row")).to_have_count(3)  # also the online submissions
    screenshot(page, "performance", full_page=True)
