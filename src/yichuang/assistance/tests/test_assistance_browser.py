"""帮办代办 in the browser: the helper takes an elderly person on with her signed consent, submits for her at the
desk as her agent, follows the cases on the project page; she opens her link and sees the same progress."""

import pytest
import time_machine
from playwright.sync_api import expect

from yichuang.assistance.models import Assistance
from yichuang.intake.models import Submission
from yichuang.intake.tests.ids import resident_id

from .conftest import PDF, T0

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_take_on_submit_as_agent_and_follow(helpers, page, staff_login, screenshot, tmp_path):
    helper = helpers[0]
    consent = tmp_path / "授权委托书.pdf"
    consent.write_bytes(PDF)
    with time_machine.travel(T0, tick=True):
        staff_login(helper)
        page.goto("/assist/")
        page.click("#start summary")
        page.select_option("#category", "elderly")
        page.check("input[name='subject.kind'][value=person]")
        page.fill("#subject-name", "刘桂兰")
        page.fill("#subject-id", resident_id(birth="19470301"))
        page.fill("#subject-phone", "13803941234")
        page.click("#start-assistance")  # consent not confirmed, no signed form: refused, nothing saved
        expect(page.locator("#error-summary")).to_be_visible()
        assert not Assistance.objects.exists()
        expect(page.locator("#subject-name")).to_have_value("刘桂兰")  # what was typed stays
        page.check("#consent-confirmed")
        page.set_input_files("#consent-file", str(consent))
        page.click("#start-assistance")
        number = Assistance.objects.get().number
        expect(page.locator("h1")).to_contain_text(number)

        page.click("#submit-for")
        expect(page.locator("#assistance-banner")).to_contain_text(number)
        expect(page.locator("#applicant-name")).to_have_value("刘桂兰")
        page.check("input[name=matters][value='411624-GG-GS-001']")  # 供水过户, taken in at window 43's zone
        page.click("#btn-checklist")
        page.click("#btn-accept")
        expect(page.locator("#assisted-by")).to_contain_text(number)
        submission = Submission.objects.get()
        assert submission.assisted_by == helper and submission.agent_name == helper.get_full_name()

        page.goto(f"/assist/{number}/")
        expect(page.locator(f"[data-submission='{submission.number}']")).to_be_visible()
        screenshot(page, "assistance-project", full_page=True)

        token = Assistance.objects.get().token
        person = page.context.browser.new_context(base_url=page.url.split("/assist/")[0], locale="zh-CN",
                                                  viewport={"width": 390, "height": 844})  # fmt: skip
        phone = person.new_page()
        phone.goto(f"/assist/t/{token}/")
        expect(phone.locator(f"[data-submission='{submission.number}']")).to_be_visible()
        expect(phone.locator("body")).not_to_contain_text("刘桂兰")  # masked on the open link
        screenshot(phone, "assistance-person", full_page=True)
        person.close()
