"""The hall admin's walk in a browser: the province refused a row (its reason in the list), the admin filters the
rejected rows, corrects the data on the row's page and resends it from the list."""

import json

import pytest
from playwright.sync_api import expect

from yichuang.exchange import services
from yichuang.exchange.models import OutboxEvent
from yichuang.exchange.targets import HttpTarget
from yichuang.organisation.tests.factories import UserFactory

from .helpers import with_special

pytestmark = pytest.mark.browser


def test_a_rejected_row_corrected_and_resent(transactional_db, desk, province, page, staff_login, screenshot):
    _submission, case = with_special(desk)
    province.modes = ["reject"]
    services.deliver_due(target=HttpTarget(province.url))
    rejected = OutboxEvent.objects.get(status="rejected")

    staff_login(UserFactory(hall_admin=True))
    page.goto("/admin/exchange/outboxevent/?status__exact=rejected")
    row = page.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("实施编码不在省级实施清单中")
    expect(row).to_contain_text(case.number)
    screenshot(page, "exchange-rejected", full_page=True)

    row.locator("th a, td a").first.click()
    payload = page.locator("textarea[name=payload]")
    data = json.loads(payload.input_value())
    payload.fill(json.dumps({**data, "impl_code": "FIXED-CODE"}, ensure_ascii=False))
    page.locator("input[name=_save]").click()
    page.wait_for_url("**/admin/exchange/outboxevent/**")

    page.goto("/admin/exchange/outboxevent/?status__exact=rejected")
    page.locator("#result_list tbody tr input.action-select").check()
    page.locator("select[name=action]").select_option("resend")
    page.locator("button[name=index]").click()
    rejected.refresh_from_db()
    assert (rejected.status, rejected.revision, rejected.payload["impl_code"]) == ("pending", 2, "FIXED-CODE")
    assert services.deliver_due(target=HttpTarget(province.url)).sent >= 1
    rejected.refresh_from_db()
    assert rejected.status == "sent"
