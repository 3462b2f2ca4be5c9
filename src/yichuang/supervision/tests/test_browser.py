"""督办 in a real browser: the supervisor sees a red case on the board without searching, issues a blue order,
the department's officer replies, the supervisor escalates to orange and then closes it."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from yichuang.intake.models import Case
from yichuang.intake.tests.helpers import T0
from yichuang.supervision.demo import load_tasks
from yichuang.supervision.models import Order

from .conftest import take_in

pytestmark = [pytest.mark.browser]


def _due(days: int) -> str:
    return (timezone.localtime() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def test_supervisor_orders_department_replies_supervisor_escalates_and_closes(
    transactional_db, office, page, staff_login, screenshot
):
    hall = office.hall
    red = take_in(hall, now=T0)  # due in March 2026: red ever since
    take_in(hall, now=T0 + dt.timedelta(days=1))
    yellow = take_in(hall, now=T0 + dt.timedelta(days=2))
    now = timezone.now()  # turn one case yellow: due tomorrow, in its warning time since an hour
    Case.objects.filter(pk=yellow.pk).update(due_at=now + dt.timedelta(days=1), warn_at=now - dt.timedelta(hours=1))
    load_tasks()

    # The board shows the red case without any search, red before yellow, with the counts per department.
    staff_login(office.supervisor)
    page.goto("/supervision/")
    expect(page.locator("h1")).to_have_text("督办看板")
    expect(page.locator("#red-total strong")).to_have_text("2")
    expect(page.locator(f"#red-cases tr[data-case='{red.number}']")).to_be_visible()
    expect(page.locator(f"#yellow-cases tr[data-case='{yellow.number}']")).to_be_visible()
    expect(page.locator("#department-counts")).to_contain_text("县市场监督管理局")
    screenshot(page, "supervision-board", full_page=True)

    # A blue order on the red case.
    page.locator(f"a[data-issue='{red.number}']").click()
    expect(page.locator("h1")).to_have_text("下发督办单")
    page.get_by_label("督办事项").fill("该件已超期，请说明原因并于期限内办结。")
    page.get_by_label("答复期限").fill(_due(2))
    page.locator("#btn-issue").click()
    page.wait_for_url(re.compile(r"/supervision/orders/DB-\d{4}-\d{4}/$"))
    order = Order.objects.get()
    expect(page.locator("#order-number")).to_have_text(order.number)
    expect(page.locator("#order-level")).to_have_text("蓝色督办（催办）")

    # The department's officer finds it in the ledger and replies.
    page.context.clear_cookies()
    staff_login(office.officer)
    page.goto("/supervision/orders/")
    page.get_by_role("link", name=order.number).click()
    expect(page.locator("#escalate-form")).to_have_count(0)
    page.get_by_label("答复内容").fill("已安排专人办理，今日办结。")
    page.locator("#reply-form button[type=submit]").click()
    expect(page.locator("#order-status")).to_have_text("已答复")
    expect(page.locator("#reply-form")).to_have_count(0)

    # The supervisor escalates to orange, then closes.
    page.context.clear_cookies()
    staff_login(office.supervisor)
    page.goto(f"/supervision/orders/{order.number}/")
    page.get_by_label("升级理由").fill("答复后仍未办结。")
    page.get_by_label("答复期限").fill(_due(1))
    page.locator("#escalate-form button[type=submit]").click()
    expect(page.locator("#order-level")).to_have_text("橙色督办（警示）")
    expect(page.locator("#order-status")).to_have_text("待答复")
    page.get_by_label("办结意见").fill("已办结，销号。")
    page.locator("#close-form button[type=submit]").click()
    expect(page.locator("#order-status")).to_have_text("已办结")
    expect(page.locator("#order-events tbody tr")).to_have_count(4)
    order.refresh_from_db()
    assert (order.level, order.status) == ("orange", "closed")
