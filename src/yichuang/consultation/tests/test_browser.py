"""集中咨询 in a real browser: the consultant calls a ticket at the consultation window, types the question (the
knowledge base suggests an article, ticked as used), cannot solve it and escalates it to 县市场监督管理局; the
department's expert finds it in the queue and answers; the citizen opens the link from the message, reads the
answer and rates it once."""

import re

import pytest
from playwright.sync_api import expect

from yichuang.consultation.models import Consultation
from yichuang.notifications.models import Message
from yichuang.queue import services as queue

from .conftest import published_article as _published_article

pytestmark = [pytest.mark.browser]


def test_consultant_escalates_expert_answers_citizen_rates(transactional_db, desk, page, staff_login, screenshot):
    hall = desk.hall
    article = _published_article(desk)
    ticket = queue.issue_ticket(hall.general)
    assert queue.call_next(hall.w_consult, desk.consultant).pk == ticket.pk

    # The consultant records the called ticket's question; the knowledge base suggests while it is typed.
    staff_login(desk.consultant)
    page.goto("/consult/")
    expect(page.locator("h1")).to_have_text("咨询台")
    expect(page.locator("#called-ticket")).to_contain_text(ticket.number)
    expect(page.get_by_label("咨询窗口")).to_be_checked()
    page.get_by_label("咨询内容").press_sequentially("食品经营许可证快到期了，延续怎么办", delay=20)
    suggestion = page.locator(f"#suggestions input[name=articles][value='{article.pk}']")
    expect(suggestion).to_be_visible()
    suggestion.check()
    # The matters by the same search-as-you-type picker as the citizen's form (no list of every matter).
    picker = page.get_by_role("combobox", name="涉及事项")
    picker.press_sequentially("食品", delay=30)
    expect(page.get_by_role("option", name="食品经营许可（县市场监督管理局）")).to_be_visible()
    picker.press("ArrowDown")
    picker.press("Enter")
    expect(page.locator(".zx-chosen")).to_contain_text("食品经营许可")
    page.get_by_label("联系电话（可不填；转办的答复以短信告知）").fill("13800001111")
    page.get_by_label("未能当场解决，转办部门").check()
    expect(page.get_by_label("转办部门", exact=True)).to_be_visible()
    page.get_by_label("转办部门", exact=True).select_option(label="县市场监督管理局")
    page.get_by_label("转办说明").fill("咨询人的许可证下周到期，请说明能否先受理。")
    page.locator("#btn-record").click()
    page.wait_for_url(re.compile(r"/consult/ZX-\d{4}-\d{4}/$"))
    consultation = Consultation.objects.get()
    assert consultation.ticket_id == ticket.pk and list(consultation.articles.all()) == [article]
    assert [m.code for m in consultation.matters.all()] == ["PERMIT"]
    expect(page.locator("#status")).to_have_text("已转办部门")
    expect(page.locator("#asker-phone")).to_contain_text("138****1111")

    # The department's expert answers from the queue.
    page.context.clear_cookies()
    staff_login(desk.office.officer)
    page.goto("/consult/department/")
    row = page.locator(f"#queue tr[data-number='{consultation.number}']")
    expect(row).to_be_visible()
    row.get_by_role("link", name=consultation.number).click()
    page.get_by_label("部门答复").fill("到期前 30 个工作日内可申请延续，材料齐全的当场受理，原证继续有效至换发。")
    page.locator("#btn-answer").click()
    expect(page.locator("#status")).to_have_text("部门已答复")

    # The citizen opens the link of the message, reads the answer and rates it.
    message = Message.objects.get(kind=Message.Kind.CONSULTATION_ANSWERED)
    link = re.search(r"https?://\S+/consult/t/[\w-]+/", message.body).group(0)
    page.context.clear_cookies()
    page.goto(link)
    expect(page.locator("#reply")).to_contain_text("原证继续有效至换发")
    expect(page.locator("#question")).to_contain_text("延续怎么办")
    page.get_by_label("非常满意").check()
    page.get_by_label("意见建议（可不填）").fill("不用再跑一趟了")
    screenshot(page, "consultation", full_page=True)
    page.locator("#btn-rate").click()
    expect(page.locator("#rated")).to_contain_text("非常满意")
    expect(page.locator("#rate-form")).to_have_count(0)
    assert consultation.rating.level == 5


def test_citizen_picks_a_matter_by_keyboard_and_the_question_keeps_it(transactional_db, desk, page, screenshot):
    page.goto("/consult/ask/")
    page.get_by_label("您想咨询什么？").fill("食品经营许可证快到期了，延续要多久？")
    picker = page.get_by_role("combobox", name="涉及的事项（可不选）")
    expect(page.locator("select[data-matter-picker]")).to_be_hidden()  # the plain select, replaced by the picker
    picker.press_sequentially("食品", delay=30)
    expect(page.get_by_role("option", name="食品经营许可（县市场监督管理局）")).to_be_visible()
    picker.press("ArrowDown")
    picker.press("Enter")
    expect(page.locator(".zx-chosen")).to_contain_text("食品经营许可")
    screenshot(page, "consultation-ask-matter")
    page.get_by_label("手机号码（答复将以短信告知）").fill("13800007777")
    page.locator("#btn-ask").click()
    page.wait_for_url(re.compile(r"/consult/t/[A-Za-z0-9_-]+/$"))
    assert [m.code for m in Consultation.objects.get().matters.all()] == ["PERMIT"]
