"""The online application form sent twice at once by a real browser (a double click on 提交申请) makes one submission
(issue 13.2: the one-time form token); the second request is sent to the first result. Back and the same application
again is pointed out and made only when the applicant confirms (intake.duplicates)."""

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from yichuang.intake.models import Attachment, Submission
from yichuang.intake.tests.helpers import build_hall
from yichuang.intake.tests.ids import resident_id
from yichuang.notifications.models import Message

from .conftest import PHONE, last_code

pytestmark = [pytest.mark.browser]

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def test_a_double_click_on_submit_makes_one_submission(transactional_db, page, tmp_path):
    build_hall()
    scan = tmp_path / "扫描件.pdf"
    scan.write_bytes(PDF)
    page.goto("/portal/")
    page.get_by_label("手机号码").fill(PHONE)
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").fill(last_code())
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的申请")).to_be_visible()

    page.goto("/portal/apply/")
    page.get_by_role("link", name="企业设立登记").click()

    def fill_form():
        page.get_by_label("姓名或单位名称").fill("李四")
        page.get_by_label("身份证号码或统一社会信用代码").fill(resident_id("411624", "19850412", "031"))
        rows = {code: page.locator(f'li[data-material="{code}"]') for code in ("ID", "FORM", "ARTICLES", "PREMISES")}
        rows["ID"].locator('input[type="file"]').set_input_files(str(scan))
        rows["FORM"].locator('input[type="file"]').set_input_files(str(scan))
        rows["ARTICLES"].get_by_label("告知承诺（以承诺代替证明）").check()
        rows["PREMISES"].get_by_label("容缺后补（须签署承诺）").check()
        rows["PREMISES"].get_by_label("补交期限").fill(timezone.localdate().isoformat())
        page.locator('li[data-material="ATTORNEY"]').get_by_label("不提供（非必要材料）").check()

    fill_form()
    # A double click: the browser sends the same form twice (both requests carry the same token): at once on
    # PostgreSQL; on SQLite one after the other (the live server's in-memory database is one shared connection).
    results = page.evaluate(
        """async (together) => {
            const form = document.querySelector("form.apply-form");
            const send = () => fetch(location.href, {method: "POST", body: new FormData(form)})
                .then(async (r) => ({status: r.status, url: r.url, text: await r.text()}));
            return together ? Promise.all([send(), send()]) : [await send(), await send()];
        }""",
        connection.vendor == "postgresql",
    )
    submission = Submission.objects.get()  # one
    assert [r["status"] for r in results] == [200, 200], [(r["status"], r["text"][:300]) for r in results]
    assert {r["url"].split("/portal/")[1] for r in results} == {f"submissions/{submission.number}/"}
    # The other request was sent to the first result with a message. Sent at once, which page shows it is a race of
    # the two responses' message cookies (the first result page's clears the cookie the repeat has just set), so
    # the message is checked on one more sending of the same form, after both have ended.
    if connection.vendor != "postgresql":
        assert sum("此表单已提交过" in r["text"] for r in results) == 1
    again = page.evaluate(
        """async () => {
            const form = document.querySelector("form.apply-form");
            const r = await fetch(location.href, {method: "POST", body: new FormData(form)});
            return {status: r.status, url: r.url, text: await r.text()};
        }"""
    )
    assert again["status"] == 200 and again["url"].endswith(f"/portal/submissions/{submission.number}/")
    assert "此表单已提交过" in again["text"] and Submission.objects.count() == 1
    assert submission.cases.count() == 1 and Attachment.objects.filter(submission=submission).count() == 2
    assert Message.objects.filter(submission=submission.number, kind="accepted").count() == 1
    page.goto(f"/portal/submissions/{submission.number}/")
    expect(page.locator("[data-submission-number]").first).to_have_text(submission.number)

    # Back to the form (never cached: a fresh form with a new token) and the same application again: the form says
    # so, names the first, keeps the files, and creates nothing until the applicant confirms.
    page.go_back()
    expect(page.get_by_role("heading", name="在线申请：企业设立登记")).to_be_visible()
    fill_form()
    page.get_by_role("button", name="提交申请").click()
    warning = page.locator("#duplicate-warning")
    expect(warning).to_contain_text("您今天")
    expect(warning.get_by_role("link", name=submission.number)).to_be_visible()
    expect(page.locator('[data-kept="ID"]')).to_be_visible()
    assert Submission.objects.count() == 1
    page.get_by_label("我确认这是一次新的申请，再次提交").check()
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("[data-submission-number]").first).not_to_have_text(submission.number)
    second = Submission.objects.exclude(pk=submission.pk).get()
    expect(page.locator("[data-submission-number]").first).to_have_text(second.number)
    assert Attachment.objects.filter(submission=second).count() == 2
