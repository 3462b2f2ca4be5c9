"""一窗出件 in a real browser: the output clerk finds a ready 企业开办 submission by the applicant's ID number,
checks the receiver's identity, takes the signature on the touch screen and prints the receipt."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from yichuang.intake.tests.helpers import PERSON
from yichuang.output.models import Handover

from .conftest import AGENT, approve, bundle, officer_for

pytestmark = [pytest.mark.browser]


def test_output_clerk_hands_a_bundle_over_after_the_id_check(transactional_db, desk, page, staff_login, screenshot):
    submission = bundle(desk)
    now = timezone.now()
    for case in submission.cases.order_by("seq"):
        approve(case, officer_for(desk, case), now=now, certificate=f"91411624MA{case.seq:08d}")

    staff_login(desk.clerk)
    page.goto("/output/")
    expect(page.locator(f"#ready-list tr[data-submission='{submission.number}']")).to_contain_text("全部办结")

    # Found by the applicant's ID number: straight to the submission, the number shown masked.
    page.get_by_label("查找：受理编号、办件编号、今日排队号或身份证号码").fill(PERSON["id_number"])
    page.get_by_role("button", name="查找").click()
    page.wait_for_url(re.compile(rf"/output/s/{submission.number}/$"))
    expect(page.locator("#submission-number")).to_have_text(submission.number)
    expect(page.locator("#cases tbody tr")).to_have_count(3)
    expect(page.locator("main")).not_to_contain_text(PERSON["id_number"])

    # A wrong ID number is refused at its field.
    page.get_by_label("领取人身份证号码（核验）").fill(AGENT["id_number"])
    page.get_by_label("领取人姓名").fill("张三")
    page.locator("#hand-over-submit").click()
    expect(page.locator("#form-hand-over .errorlist")).to_contain_text("不一致")
    assert not Handover.objects.exists()

    # The right one, and a signature drawn on the pad.
    page.get_by_label("领取人身份证号码（核验）").fill(PERSON["id_number"])
    box = page.locator("#signature-pad").bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 100)
    page.mouse.down()
    for i, dy in enumerate((40, 90, 30, 110, 60, 80)):
        page.mouse.move(box["x"] + 60 + i * 45, box["y"] + dy, steps=4)
    page.mouse.up()
    screenshot(page, "output-window", full_page=True)
    page.locator("#hand-over-submit").click()

    page.wait_for_url(re.compile(r"/output/handovers/\d+/receipt/$"))
    expect(page.locator("h1")).to_have_text("领取回执")
    receipt = page.locator("#receipt")
    expect(receipt).to_contain_text("张三")
    expect(receipt).not_to_contain_text(PERSON["id_number"])
    for case in submission.cases.all():
        expect(receipt).to_contain_text(case.number)
    expect(page.locator("img.signature-img")).to_be_visible()
    handover = Handover.objects.get()
    assert handover.items.count() == 3 and handover.signature.startswith("data:image/png;base64,")
    assert not handover.partial and handover.window == desk.window
