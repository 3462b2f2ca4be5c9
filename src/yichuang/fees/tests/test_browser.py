"""The output window in a real browser: a result whose fee is unpaid shows 待缴费 and its amount, the hand-over
is refused with the reason at the form; the payment arrives (the simulator's payer pays and the platform calls
back) and the same result is handed over, its 电子票据号 on the page."""

import re

import pytest
from playwright.sync_api import expect

from yichuang.fees import services
from yichuang.fees.models import PaymentNotice, Stage
from yichuang.intake.tests.helpers import PERSON
from yichuang.output.models import Handover
from yichuang.output.tests.conftest import ready_single
from yichuang.output.tests.test_browser import sign

from .conftest import fee, simulator

pytestmark = [pytest.mark.browser]
STROKES = [[(30, 100), (70, 40), (110, 110), (150, 35), (190, 100)]]


def fill_hand_over(page):
    page.get_by_label("领取人身份证号码（核验）").fill(PERSON["id_number"])
    page.get_by_label("领取人姓名").fill(PERSON["name"])
    sign(page, STROKES)


def test_an_unpaid_result_is_held_until_the_payment_arrives(
    transactional_db, desk, page, staff_login, screenshot, settings
):
    settings.FEES_SIMULATOR = "duplicates=1"
    fee(Stage.CONCLUSION, amount="10.00")
    submission = ready_single(desk)
    case = submission.cases.get()
    notice = PaymentNotice.objects.get(case=case)
    services.push(notice.pk, gateway=simulator())  # the worker handed it to the platform: its 缴款码
    notice.refresh_from_db()

    staff_login(desk.clerk)
    page.goto(f"/output/s/{submission.number}/")
    row = page.locator(f"#cases tr[data-case='{case.number}']")
    expect(row).to_contain_text("待缴费 ¥10.00")
    expect(row.locator("[data-pay-code]")).to_have_text(notice.pay_code)

    fill_hand_over(page)
    page.locator("#hand-over-submit").click()
    errors = page.locator("#form-hand-over .partial .errorlist")
    expect(errors).to_contain_text(f"办件 {case.number} 待缴费 ¥10.00")
    expect(errors).to_contain_text("缴费到账后才能出件")
    screenshot(page, "fees-output", full_page=True)
    assert not Handover.objects.exists()

    # The applicant pays; the platform calls back (twice: the simulator's duplicate) — paid once.
    row.get_by_role("button", name="模拟缴费（演示）").click()
    page.wait_for_url(re.compile(rf"/output/s/{submission.number}/$"))
    notice.refresh_from_db()
    assert notice.status == "paid" and notice.paid_via == "callback"
    assert list(notice.events.filter(source="callback").values_list("applied", flat=True)) == [True, False]
    expect(row).to_contain_text("可领取")
    expect(row.locator("[data-receipt]")).to_have_text(notice.receipt_number)

    fill_hand_over(page)
    page.locator("#hand-over-submit").click()
    page.wait_for_url(re.compile(r"/output/handovers/\d+/receipt/$"))
    assert Handover.objects.get().items.get().case == case
