"""一次评价 in a real browser: the rating pad beside an output window, paired once by staff, shows the results
just handed over; the person taps 不满意 and sees the thank-you; a supervisor then finds the rectification."""

import pytest
from playwright.sync_api import expect

from yichuang.feedback.models import Evaluation, Rectification
from yichuang.organisation.tests.factories import WindowFactory
from yichuang.output.models import Handover, HandoverItem

from .conftest import concluded_case

pytestmark = [pytest.mark.browser]


def test_rating_pad_at_the_output_window(transactional_db, office, page, staff_login, screenshot):
    case = concluded_case(office)
    window = WindowFactory(zone=office.hall.general, number=50, name="综合出件", output=True)
    page.set_viewport_size({"width": 1280, "height": 800})  # the tablet

    # A member of staff pairs the tablet once.
    staff_login(office.hall.admin)
    page.goto(f"/rate/{window.pk}/pair")
    page.get_by_role("button", name="在本设备上配对").click()
    expect(page.locator(".pad-welcome")).to_have_text("欢迎您！")

    # The output clerk hands the result over; the pad shows it by itself.
    handover = Handover.objects.create(
        submission=case.submission, method="in_person", receiver="applicant", receiver_name="张三",
        window=window, handed_by=office.hall.admin,
    )  # fmt: skip
    HandoverItem.objects.create(handover=handover, case=case, outcome="approved")
    expect(page.locator(".pad-cases")).to_contain_text(case.matter_name, timeout=15_000)
    expect(page.locator(".pad-cases")).to_contain_text(case.number)
    expect(page.locator(".pad-level")).to_have_count(5)
    screenshot(page, "rating-pad")

    # The person taps 不满意 (2).
    page.get_by_role("button", name="不满意", exact=True).click()
    expect(page.locator(".pad-welcome")).to_have_text("感谢您的评价！")
    evaluation = Evaluation.objects.get()
    assert (evaluation.case, evaluation.level, evaluation.channel, evaluation.window) == (case, 2, "pad", window)
    rect = Rectification.objects.get(evaluation=evaluation)
    # Back to idle after the thank-you.
    expect(page.locator(".pad-welcome")).to_have_text("欢迎您！", timeout=15_000)

    # A supervisor, at their own desk, sees the rectification.
    page.context.clear_cookies()
    staff_login(office.supervisor)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/feedback/rectifications/")
    card = page.locator(f"#r{rect.pk}")
    expect(card).to_contain_text("不满意")
    expect(card).to_contain_text(case.number)
    expect(card).to_contain_text("窗口评价器")
