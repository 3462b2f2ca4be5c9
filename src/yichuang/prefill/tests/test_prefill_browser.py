"""The pre-filled application in the browser: a person answers the 企业开办 guide and fills the application at the
self-service terminal, takes a ticket; the clerk calls it, the form is filled by the application, and accepts.
Then the window's time for a pre-filled intake against a typed one (the same walks `bench/prefill_window.py` runs at
a human pace; this test runs them as fast as the browser goes and checks the clerk's work)."""

import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from yichuang.intake.models import Submission
from yichuang.intake.tests.ids import credit_code
from yichuang.organisation.models import Site
from yichuang.prefill import services
from yichuang.prefill.models import Prefill
from yichuang.situation.models import Guide

from .walks import prefilled_intake, typed_intake

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
ANSWERS = {"seal": "need", "bank": "open", "invoice": "need", "social": "need", "staff": "hired", "fund": "need",
           "shareholders": "natural", "premises": "rented", "agent": "self"}  # fmt: skip


def _opening():
    """The demo's 企业开办 guide, as published."""
    return Guide.objects.get(code="enterprise-opening").published()


def test_kiosk_fill_ticket_and_the_clerk_accepts(clerk, page, staff_login, screenshot, tmp_path):
    site = Site.objects.get(is_default=True)
    page.set_viewport_size({"width": 1080, "height": 1920})  # the hall's upright touch terminal
    page.goto(f"/self/{site.code}/")
    page.click("text=企业开办情形引导")
    for question, option in ANSWERS.items():
        page.click(f"fieldset[data-question={question}] input[value={option}]")
    result = page.locator("[data-situation-result]")
    expect(result.locator("[data-matter]")).to_have_count(6)
    expect(page.locator("tr[data-upload-material=power-of-attorney]")).to_be_hidden()  # not needed: not offered
    page.fill("#applicant-name", "沈丘县好运商贸有限公司")
    page.fill("#applicant-id", credit_code("91411624MA9"))
    page.fill("#applicant-phone", "13900001111")
    pdf = tmp_path / "租赁合同.pdf"
    pdf.write_bytes(PDF)
    page.set_input_files("input[name=file-rental-contract]", str(pdf))
    screenshot(page, "prefill-kiosk", full_page=True)
    page.click("#prefill-submit")
    code = page.locator("#prefill-code").inner_text().replace(" ", "")
    assert Prefill.objects.get().code == code
    expect(page.locator(".prefill-materials")).to_contain_text("房屋租赁合同")
    screenshot(page, "prefill-code")
    page.click("#take-ticket")
    ticket_number = page.locator("#ticket-number").inner_text()

    staff_login(clerk)
    page.set_viewport_size({"width": 1600, "height": 1000})  # the counter PC
    page.goto("/desk/")
    page.click("#btn-call")
    expect(page.locator("#desk-current")).to_contain_text(ticket_number)
    page.click("#btn-intake")
    expect(page.locator("#prefill-banner")).to_contain_text(code[:4])  # the called ticket brought its application
    expect(page.locator("#applicant-name")).to_have_value("沈丘县好运商贸有限公司")
    expect(page.locator("tr[data-material=rental-contract] .prefill-file")).to_contain_text("租赁合同.pdf")
    screenshot(page, "prefill-desk", full_page=True)
    page.click("#btn-accept")
    expect(page.locator("#submission-number")).to_be_visible()
    submission = Submission.objects.get()
    assert submission.cases.count() == 6 and submission.situation_answers == ANSWERS
    assert submission.ticket.number == ticket_number
    assert [a.material_code for a in submission.attachments.all()] == ["rental-contract"]


def test_window_time_prefilled_against_typed(clerk, page, staff_login):
    human = os.environ.get("YICHUANG_HUMAN_PACE") == "1"
    site = Site.objects.get(is_default=True)
    prefill = services.create(site=site, channel="portal", version=_opening(), answers=ANSWERS,
                              applicant={"kind": "org", "name": "沈丘县好运商贸有限公司",
                                         "id_number": credit_code("91411624MA9"), "phone": "13900001111"})  # fmt: skip
    staff_login(clerk)
    page.set_viewport_size({"width": 1600, "height": 1000})
    scanned = prefilled_intake(page, code=prefill.display_code, human=human)
    name, credit, phone = "沈丘县顺达物流有限公司", credit_code("91411624MB1"), "13900002222"
    typed = typed_intake(page, name=name, credit=credit, phone=phone, answers_matters=[], human=human)
    assert Submission.objects.count() == 2
    assert all(s.cases.count() == 6 for s in Submission.objects.all())  # the same six matters both ways
    assert scanned["keys"] == 0 and typed["keys"] == len(name) + len(credit) + len(phone)
    assert scanned["clicks"] < typed["clicks"]
    if out := os.environ.get("YICHUANG_WINDOW_TIMES"):
        Path(out).write_text(json.dumps({"prefilled": scanned, "typed": typed, "human": human}))


def test_book_for_the_application_check_in_by_qr_and_the_window_has_it(clerk, page, staff_login, screenshot):
    import datetime

    from yichuang.organisation.models import Zone
    from yichuang.queue.models import AppointmentSlot

    from .conftest import T0

    site = Site.objects.get(is_default=True)
    AppointmentSlot.objects.create(zone=Zone.objects.get(code="sq-enterprise"), date=T0.date(),
                                   start=datetime.time(10, 15), end=datetime.time(10, 45), capacity=3)  # fmt: skip
    prefill = services.create(site=site, channel="portal", version=_opening(), answers=ANSWERS,
                              applicant={"kind": "org", "name": "沈丘县好运商贸有限公司",
                                         "id_number": credit_code("91411624MA9"), "phone": "13900001111"})  # fmt: skip
    phone = page  # the person's phone first, then the hall's kiosk, then the clerk's PC
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(f"/booking/{site.code}/?prefill={prefill.code}")
    expect(phone.locator("#booking-prefill")).to_contain_text(prefill.display_code)
    phone.fill("#id_name", "张三")
    phone.fill("#id_phone", "13900001111")
    phone.get_by_role("button", name="预约").click()
    code = phone.locator("#booking-code").inner_text().strip()
    expect(phone.locator("#booking-materials")).to_contain_text("房屋租赁合同")  # the application's tailored list
    expect(phone.locator("#booked .qr svg")).to_be_visible()
    screenshot(phone, "appointment", full_page=True)

    page.set_viewport_size({"width": 1280, "height": 1024})
    page.goto(f"/kiosk/{site.code}/")
    page.focus("#checkin-code")
    page.keyboard.type(code.lower())  # the kiosk's QR scanner types what the code's QR holds
    page.keyboard.press("Enter")
    ticket_number = page.locator("#ticket-number").inner_text()

    staff_login(clerk)
    page.goto("/desk/")
    page.click("#btn-call")
    expect(page.locator("#desk-current")).to_contain_text(ticket_number)
    page.click("#btn-intake")
    expect(page.locator("#prefill-banner")).to_contain_text(prefill.display_code)
