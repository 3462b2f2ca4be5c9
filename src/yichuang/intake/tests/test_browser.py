"""一窗受理 in a real browser, on the demo hall: a seated clerk calls a ticket at the desk, takes in the 企业开办
bundle with one deferred material, and prints the receipt and the deferral notice."""

import re

import pytest
from playwright.sync_api import expect

from yichuang.catalogue.models import Bundle
from yichuang.catalogue.queries import merged_materials
from yichuang.intake.models import Submission
from yichuang.organisation.models import User, Zone
from yichuang.queue import services as queue_services

from .ids import credit_code

pytestmark = [pytest.mark.browser]

COMPANY = {"name": "沈丘县槐店好运商贸有限公司", "id_number": credit_code("91411624MA9G"), "phone": "13903941234"}


def test_clerk_calls_a_ticket_and_takes_in_the_enterprise_bundle(transactional_db, page, staff_login, screenshot):
    from yichuang.demo import hall as demo

    demo.load_demo()
    bundle = Bundle.objects.get(code="enterprise-opening")
    zone = Zone.objects.get(code="sq-enterprise")
    lines = merged_materials(bundle.ordered_matters())
    ticket = queue_services.issue_ticket(zone, phone=COMPANY["phone"])
    clerk = User.objects.get(username="clerk2")  # seated at window 10, 企业开办综合受理

    # The clerk calls the next ticket at the desk, then takes it in.
    staff_login(clerk, password=demo.DEMO_PASSWORD)
    page.goto("/desk/")
    page.locator("#btn-call").click()
    expect(page.locator("#current-number")).to_have_text(ticket.number)
    page.get_by_role("link", name="受理", exact=True).click()
    expect(page.locator("#ticket-banner")).to_contain_text(ticket.number)
    expect(page.locator("h1")).to_contain_text("10 号窗口")

    page.get_by_label("法人或其他组织").check()
    page.get_by_label("姓名 / 单位名称").fill(COMPANY["name"])
    page.get_by_label("身份证号码 / 统一社会信用代码").fill(COMPANY["id_number"])
    page.get_by_label("联系电话").fill(COMPANY["phone"])
    page.locator(f"input[name=bundle][value={bundle.code}]").check()
    page.locator("#btn-checklist").click()
    rows = page.locator("table.checklist tr[data-material]")
    expect(rows).to_have_count(len(lines))

    # One deferrable material is deferred, due on the last day it may be (the input's max).
    row = page.locator("tr[data-material=domicile-proof]")
    row.get_by_label("容缺").check()
    due = row.locator("input[type=date]")
    latest = due.get_attribute("max")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", latest or ""), latest
    due.fill(latest)
    screenshot(page, "intake-desk", full_page=True)
    page.locator("#btn-accept").click()
    page.wait_for_url(re.compile(r"/desk/intake/\d{6}-\d{8}-\d{6}/$"))

    submission = Submission.objects.get(ticket=ticket)  # the demo hall has its history of submissions too
    assert submission.ticket == ticket and submission.window.number == 10 and submission.cases.count() == 6
    assert submission.materials.get(code="domicile-proof").status == "deferred"
    expect(page.locator("#submission-number")).to_have_text(submission.number)
    expect(page.locator("#cases tbody tr")).to_have_count(6)

    # The receipt: masked identity, every case, the QR code to the progress page; and its PDF.
    page.locator("a[data-document=receipt]").click()
    expect(page.locator("h1")).to_have_text("受理回执")
    expect(page.locator(".qr svg")).to_be_visible()
    article = page.locator("article.doc")
    expect(article).to_contain_text(submission.applicant.masked_id_number)
    expect(article).not_to_contain_text(COMPANY["id_number"])
    for case in submission.cases.all():
        expect(article).to_contain_text(case.number)
    expect(article).to_contain_text(f"/progress/{submission.number}/")
    screenshot(page, "receipt", full_page=True)
    pdf = page.request.get(f"/desk/intake/{submission.number}/receipt.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")

    # The deferral notice lists the deferred material with its due date.
    page.go_back()
    page.locator("a[data-document=deferral-notice]").click()
    expect(page.locator("h1")).to_have_text("容缺受理通知书")
    expect(page.locator("article.doc")).to_contain_text("住所（经营场所）使用证明")
    y, m, d = (int(x) for x in latest.split("-"))
    expect(page.locator("article.doc")).to_contain_text(f"{y}年{m}月{d}日")
    screenshot(page, "deferral-notice", full_page=True)
    pdf = page.request.get(f"/desk/intake/{submission.number}/deferral-notice.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
