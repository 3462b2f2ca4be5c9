"""一窗出件 in a real browser: a company's 企业开办 results, found by its credit code, collected by its legal
representative with their own resident ID (the credit code refused in that field), signed on the touch screen
with the mouse, and the receipt saying who collected."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from yichuang.core.masking import mask_id_number
from yichuang.output.models import Handover

from .conftest import COMPANY, LEGAL_REP, approve, bundle, officer_for

pytestmark = [pytest.mark.browser]


def sign(page, strokes):
    """Write on the signature pad with the mouse, stroke by stroke."""
    pad = page.locator("#signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()  # in the viewport: the mouse only reaches what is on screen
    for stroke in strokes:
        (x, y), *rest = stroke
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=5)
        page.mouse.up()


def test_legal_representative_collects_a_company_bundle(transactional_db, desk, page, staff_login, screenshot):
    submission = bundle(desk, applicant=COMPANY)
    now = timezone.now()
    for case in submission.cases.order_by("seq"):
        approve(case, officer_for(desk, case), now=now, certificate=f"91411624MA{case.seq:08d}")

    staff_login(desk.clerk)
    page.goto("/output/")
    expect(page.locator(f"#ready-list tr[data-submission='{submission.number}']")).to_contain_text("全部办结")

    # Found by the company's credit code: straight to the submission.
    page.get_by_label("查找：受理编号、办件编号、今日排队号或身份证号码").fill(COMPANY["id_number"])
    page.get_by_role("button", name="查找").click()
    page.wait_for_url(re.compile(rf"/output/s/{submission.number}/$"))
    expect(page.locator("#submission-number")).to_have_text(submission.number)
    expect(page.locator("#cases tbody tr")).to_have_count(3)

    # An organisation collects through a person: 法定代表人 (chosen) or 委托代理人, never "本人".
    roles = page.locator("#receiver-roles")
    expect(roles.get_by_label("法定代表人")).to_be_checked()
    expect(roles.get_by_label("申请人本人")).to_have_count(0)
    licence = page.get_by_label("法定代表人领取：已核对营业执照")
    authorisation = page.get_by_label("委托代理人领取：已收取申请人签署的授权委托书")
    expect(licence).to_be_visible()
    expect(authorisation).to_be_hidden()
    roles.get_by_label("委托代理人").check()
    expect(authorisation).to_be_visible()
    expect(licence).to_be_hidden()
    roles.get_by_label("法定代表人").check()

    # The credit code where a person's ID belongs, and no signature: both refused at their fields.
    page.get_by_label("领取人身份证号码（核验）").fill(COMPANY["id_number"])
    page.get_by_label("领取人姓名").fill(LEGAL_REP["name"])
    licence.check()
    page.locator("#hand-over-submit").click()
    form = page.locator("#form-hand-over")
    expect(form.locator("#id_number ~ .errorlist")).to_contain_text("这是统一社会信用代码")
    expect(form.locator("#id_number ~ .errorlist")).to_contain_text("本人的居民身份证号码")
    expect(form.locator(".signature .errorlist")).to_contain_text("签名板上没有签名")
    assert not Handover.objects.exists()

    # What the clerk typed is kept (the ID number is not echoed back); a fresh form for the picture.
    expect(page.get_by_label("领取人姓名")).to_have_value(LEGAL_REP["name"])
    expect(page.get_by_label("领取人身份证号码（核验）")).to_have_value("")
    expect(licence).to_be_checked()
    page.goto(f"/output/s/{submission.number}/")

    # The legal representative's own ID, the licence checked, the signature drawn with the mouse.
    page.get_by_label("领取人身份证号码（核验）").fill(LEGAL_REP["id_number"])
    page.get_by_label("领取人姓名").fill(LEGAL_REP["name"])
    licence.check()
    page.get_by_label("核验说明").fill("营业执照副本已核对")
    sign(page, [[(30, 100), (70, 40), (110, 110), (150, 35), (190, 100)], [(230, 60), (300, 75), (360, 50)]])
    screenshot(page, "output-window", full_page=True)
    page.locator("#hand-over-submit").click()

    page.wait_for_url(re.compile(r"/output/handovers/\d+/receipt/$"))
    expect(page.locator("h1")).to_have_text("领取回执")
    receipt = page.locator("#receipt")
    expect(receipt.locator("#receiver-role")).to_have_text("法定代表人")
    expect(receipt.locator("#receiver")).to_have_text(LEGAL_REP["name"])
    expect(receipt.locator("#receiver-id")).to_have_text(mask_id_number(LEGAL_REP["id_number"]))
    expect(receipt).to_contain_text("已核对营业执照")
    expect(receipt).to_contain_text(desk.window.name)
    expect(receipt).not_to_contain_text(LEGAL_REP["id_number"])
    for case in submission.cases.all():
        expect(receipt).to_contain_text(case.number)
    expect(page.locator("#receipt-signature img.signature-img")).to_be_visible()
    expect(page.get_by_role("link", name="下载 PDF")).to_be_visible()

    handover = Handover.objects.get()
    assert handover.items.count() == 3 and not handover.partial and handover.window == desk.window
    assert handover.receiver == "legal_rep" and handover.representative_checked
    assert handover.receiver_id_masked == mask_id_number(LEGAL_REP["id_number"])
    assert handover.signature.startswith("data:image/png;base64,") and handover.no_signature_reason == ""
