"""窗口承载力 in a real browser: the hall manager opens the planner, chooses a zone and Monday, reads the plan per
half hour (formula and simulation side by side), merges two zones into one pool, and the page still fits a phone."""

import pytest
from playwright.sync_api import expect

from .capacity_data import build

pytestmark = [pytest.mark.browser]


def no_sideways_scroll(page) -> bool:
    """The page itself never scrolls sideways (wide tables scroll inside their own box)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_hall_manager_plans_a_zone_and_merges_two(transactional_db, page, staff_login, screenshot):
    hall = build(weeks=4)
    staff_login(hall.admin)
    page.goto("/hall/capacity/")
    expect(page.locator("h1")).to_contain_text("窗口承载力测算")
    expect(page.locator("#zone-table tbody tr")).to_have_count(2)  # every zone of the site first
    expect(page.locator("#accuracy-table tbody tr")).to_have_count(2)
    assert no_sideways_scroll(page)

    # One zone, Mondays: the plan per half hour.
    page.select_option("#id_zone", "cap-a")
    page.select_option("#id_weekday", "1")
    page.locator("#btn-plan").click()
    rows = page.locator("#slot-table tbody tr")
    expect(rows).to_have_count(14)
    expect(rows.first.locator("th")).to_have_text("09:00–09:30")
    expect(page.locator("#zone-summary")).to_contain_text("日均取号")
    first_plan = int(rows.first.locator("td[data-column=windows]").inner_text())
    assert first_plan >= 1
    expect(rows.first.locator("td[data-column=sim_within]")).to_have_text(lambda_percent())
    expect(page.locator("#accuracy-table tbody tr")).to_have_count(1)

    # What if the two zones were one pool (无差别受理)?
    page.select_option("#id_merge_a", "cap-a")
    page.select_option("#id_merge_b", "cap-b")
    page.locator("#btn-plan").click()
    headline = page.locator("#merge-headline")
    expect(headline).to_contain_text("平均等候由")
    expect(page.locator("#merge-table tbody tr")).to_have_count(3)
    text = headline.inner_text()
    before, after = (float(x) for x in _waits(text))
    assert after < before
    expect(page.locator("#slot-table tbody tr")).to_have_count(14)  # the zone's plan stays
    assert no_sideways_scroll(page)
    screenshot(page, "hall-capacity", full_page=True)

    # A bad number is answered at its field.
    page.fill("#id_target", "100")
    page.locator("#btn-plan").click()
    expect(page.locator("#err_target")).to_be_visible()
    expect(page.locator("#slot-table")).to_have_count(0)

    # On a phone the form stacks and the tables scroll in their own box.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/hall/capacity/?zone=cap-b&weekday=2&weeks=4&target=80&within=10&patience=on")
    expect(page.locator("#slot-table tbody tr")).to_have_count(14)
    assert no_sideways_scroll(page)


def lambda_percent():
    import re

    return re.compile(r"^(\d+\.\d%|—)$")


def _waits(text: str):
    import re

    return re.search(r"由 ([\d.]+) 分钟降至 ([\d.]+) 分钟", text).groups()
