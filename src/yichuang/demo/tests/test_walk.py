"""The README's walk through the demo (README.md, "A walk through the demo"), in real browsers, step by step as
written there, on the demo data only: nothing is created by hand, every account is a demo account. Steps 1–10
(the business opened) and 11–13 (consultation, the department's answer, the knowledge base) are two tests.

The demo is loaded as `yichuang demo` loads it, under a clock frozen (and ticking) on Tuesday 2026-11-10 at 10:20
in Shenqiu, a working day chinesecalendar knows: the hall has this morning's history, is quiet, and today's
booking slots from 10:30 are open."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from yichuang.intake.tests.ids import credit_code, resident_id

pytestmark = [pytest.mark.browser]

SHANGHAI = ZoneInfo("Asia/Shanghai")
WALK_STARTS = dt.datetime(2026, 11, 10, 10, 20, tzinfo=SHANGHAI)
COMPANY = {"name": "沈丘县槐店好运商贸有限公司", "id_number": credit_code("91411624MA9G"), "phone": "13903941234"}
LEGAL_REP = {"name": "赵六", "id_number": resident_id("411624", "19750315", "222")}
SPEECH_STUB = """
window.__spoken = [];
Object.defineProperty(window, "speechSynthesis", {configurable: true, value: {
  speaking: false, getVoices() { return []; }, cancel() {},
  speak(u) { window.__spoken.push(u.text); setTimeout(() => { if (u.onend) { u.onend({}); } }, 300); },
}});
"""
# Step 5 of the walk: the departments of the 企业开办 bundle and their demo officers.
OFFICERS = {
    "县市场监督管理局": "officer_market",
    "县公安局": "officer_police",
    "人民银行沈丘分行": "officer_pboc",
    "县税务局": "officer_tax",
    "县人社局": "officer_hrss",
    "县公积金中心": "officer_housing_fund",
}


@pytest.fixture(autouse=True)
def _fresh_queue_caches():
    from yichuang.queue import queries

    queries.clear_caches()
    yield
    queries.clear_caches()


@pytest.fixture
def walk_clock():
    with time_machine.travel(WALK_STARTS, tick=True):
        yield


@pytest.fixture
def person(browser, live_server):
    """person(username=None, **context options) → a page in a browser context of its own (a person, a screen or
    a tablet), signed in with the demo password when `username` is given."""
    from yichuang.demo.hall import DEMO_PASSWORD

    made = []

    def make(username=None, **kwargs):
        options = {"viewport": {"width": 1366, "height": 900}, **kwargs}
        ctx = browser.new_context(base_url=live_server.url, locale="zh-CN", **options)
        made.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        if username is not None:
            page.goto("/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
        return page

    yield make
    for ctx in made:
        ctx.close()


def sign(page):
    pad = page.locator("#signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 100)
    page.mouse.down()
    for i, dy in enumerate((40, 90, 30, 110, 50)):
        page.mouse.move(box["x"] + 70 + i * 45, box["y"] + dy, steps=5)
    page.mouse.up()


def test_the_readme_walk_on_the_demo(transactional_db, walk_clock, person, screenshot):
    from yichuang.demo import hall as demo
    from yichuang.feedback.models import Rectification
    from yichuang.intake.models import Submission

    demo.load_demo()  # as `yichuang demo` does, nothing else

    # The start page links every surface, and lists the demo accounts because the demo is loaded.
    start = person()
    start.goto("/")
    for href in ("/kiosk/shenqiu/", "/display/shenqiu/", "/display/shenqiu/boards/", "/booking/shenqiu/",
                 "/desk/", "/desk/intake/", "/office/", "/supervision/", "/output/", "/performance/",
                 "/feedback/rectifications/", "/guide/", "/portal/"):  # fmt: skip
        expect(start.locator(f'main a[href^="{href}"]').first).to_be_attached()
    pad_link = start.get_by_role("link", name="评价器 · 35 号窗口")
    expect(pad_link).to_be_visible()
    accounts = start.locator("[data-surface=demo-accounts]")
    expect(accounts).to_contain_text("演示账号")
    for username in ("clerk1", "output1", "supervisor", *OFFICERS.values()):
        expect(accounts.get_by_role("link", name=username, exact=True)).to_be_visible()
    pad_url = pad_link.get_attribute("href")

    # 1. The board, on its own 1920×1080 screen.
    board = person(viewport={"width": 1920, "height": 1080})
    board.context.add_init_script(SPEECH_STUB)
    board.goto("/display/shenqiu/")
    expect(board.locator(".win[data-window='11']")).to_be_visible()

    # 2. Booking: 企业开办服务专区, the next slot of today (10:30), a name and a phone → the booking code.
    applicant = person()
    applicant.goto("/booking/shenqiu/")
    applicant.get_by_role("link", name="企业开办服务专区").click()
    slot = applicant.locator("#id_slot option").first
    expect(slot).to_contain_text("11-10 10:30")
    applicant.select_option("#id_slot", slot.get_attribute("value"))
    applicant.get_by_label("姓名").fill(LEGAL_REP["name"])
    applicant.get_by_label("手机号").fill(COMPANY["phone"])
    applicant.get_by_role("button", name="预约").click()
    code = applicant.locator("#booking-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{8}", code), code

    # 3. The kiosk: 预约签到 with the code → a C ticket, ahead of walk-ins.
    kiosk = person(viewport={"width": 1280, "height": 1024})
    kiosk.goto("/kiosk/shenqiu/")
    kiosk.get_by_label("预约码").fill(code)
    kiosk.get_by_role("button", name="签到取号").click()
    number = kiosk.locator("#ticket-number").inner_text().strip()
    assert number.startswith("C"), number
    expect(kiosk.get_by_text("预约优先")).to_be_visible()

    # 4. Intake: clerk1 at window 11 calls that ticket; the board shows and speaks it.
    clerk = person("clerk1")
    clerk.goto("/desk/")
    expect(clerk.locator("h1")).to_contain_text("11")
    clerk.locator("#btn-call").click()
    expect(clerk.locator("#current-number")).to_have_text(number)
    expect(board.locator(".win[data-window='11'] .num")).to_have_text(number, timeout=5000)
    expect(board.locator("#announce-sub")).to_have_text(f"请 {number} 号到 11 号窗口", timeout=5000)
    clerk.locator("#btn-serve").click()
    clerk.get_by_role("link", name="受理", exact=True).click()
    expect(clerk.locator("#ticket-banner")).to_contain_text(number)
    clerk.get_by_label("法人或其他组织").check()
    clerk.get_by_label("姓名 / 单位名称").fill(COMPANY["name"])
    clerk.get_by_label("身份证号码 / 统一社会信用代码").fill(COMPANY["id_number"])
    clerk.get_by_label("联系电话").fill(COMPANY["phone"])
    clerk.locator("input[name=bundle][value=enterprise-opening]").check()
    clerk.locator("#btn-checklist").click()
    expect(clerk.locator("table.checklist tr[data-material]").first).to_be_visible()
    clerk.locator("#btn-accept").click()
    clerk.wait_for_url(re.compile(r"/desk/intake/\d{6}-\d{8}-\d{6}/$"))
    submission_number = clerk.locator("#submission-number").inner_text().strip()
    expect(clerk.locator("#cases tbody tr")).to_have_count(6)
    clerk.locator("a[data-document=receipt]").click()
    expect(clerk.locator("h1")).to_have_text("受理回执")
    clerk.goto("/desk/")
    clerk.locator("#btn-finish").click()
    expect(clerk.locator("#btn-call")).to_be_visible()
    # The screens that poll the server every second are done with: the test server's in-memory SQLite shares
    # one cache between its threads, and a reader polling beside a long write can lock it up.
    for done in (board, kiosk, applicant, clerk):
        done.context.close()

    submission = Submission.objects.get(number=submission_number)
    cases = {case.department.name: case for case in submission.cases.select_related("department")}
    assert set(cases) == set(OFFICERS), sorted(cases)

    # 5. The departments: each officer claims the company's case and concludes it, 准予.
    for department, username in OFFICERS.items():
        case = cases[department]
        desk = person(username)
        desk.goto("/office/")
        expect(desk.get_by_role("heading", name=f"部门工作台 · {department}")).to_be_visible()
        row = desk.locator(f'tr[data-case="{case.number}"]')
        row.get_by_role("button", name="认领").click()
        expect(desk.get_by_text(f"已认领办件 {case.number}")).to_be_visible()
        desk.goto(f"/office/cases/{case.number}/")
        conclude = desk.locator("#form-conclude")
        conclude.get_by_label("准予").check()
        conclude.get_by_label("证照编号").fill(f"SQ-2026-{case.seq:04d}")
        conclude.get_by_role("button", name="办结").click()
        expect(desk.get_by_text(f"办件 {case.number} 已办结。")).to_be_visible()
        desk.context.close()

    # 6. The rating pad beside window 35 (the start page's 评价器 · 35 号窗口), paired once by output1 on the tablet.
    pad = person("output1", viewport={"width": 1280, "height": 800}, has_touch=True)
    pad.goto(pad_url)
    expect(pad.locator(".pad-welcome")).to_have_text("本设备尚未配对为该窗口的评价器")
    pad.get_by_role("link", name="配对评价器（工作人员）").click()
    pad.get_by_role("button", name="在本设备上配对").click()
    expect(pad.locator(".pad-welcome")).to_have_text("欢迎您！")
    pad.context.clear_cookies(name="sessionid")  # nobody stays signed in on the tablet
    pad.reload()
    expect(pad.locator(".pad-welcome")).to_have_text("欢迎您！")

    # 7. Output: output1 at window 35 finds the results by the credit code; the legal representative collects
    # them with their own resident ID and signs; the receipt says who collected.
    out = person("output1")
    out.goto("/output/")
    expect(out.locator(f"#ready-list tr[data-submission='{submission_number}']")).to_contain_text("全部办结")
    out.get_by_label("查找：受理编号、办件编号、今日排队号或身份证号码").fill(COMPANY["id_number"])
    out.get_by_role("button", name="查找").click()
    out.wait_for_url(re.compile(rf"/output/s/{submission_number}/$"))
    expect(out.locator("#receiver-roles").get_by_label("法定代表人")).to_be_checked()
    out.get_by_label("领取人身份证号码（核验）").fill(LEGAL_REP["id_number"])
    out.get_by_label("领取人姓名").fill(LEGAL_REP["name"])
    out.get_by_label("法定代表人领取：已核对营业执照").check()
    sign(out)
    out.locator("#hand-over-submit").click()
    out.wait_for_url(re.compile(r"/output/handovers/\d+/receipt/$"))
    expect(out.locator("#receipt #receiver-role")).to_have_text("法定代表人")
    expect(out.locator("#receipt #receiver")).to_have_text(LEGAL_REP["name"])

    # 8. The pad shows what was just handed over; the representative taps 不满意.
    for case in cases.values():
        expect(pad.locator(".pad-cases")).to_contain_text(case.number, timeout=15_000)
    pad.get_by_role("button", name="不满意", exact=True).click()
    expect(pad.locator(".pad-welcome")).to_have_text("感谢您的评价！")
    rectifications = Rectification.objects.filter(evaluation__case__submission=submission)
    assert rectifications.count() == 6

    # 9. Supervision: the supervisor sees the rectifications, each with the department that must act.
    sup = person("supervisor")
    sup.goto("/supervision/")
    expect(sup.locator("section[aria-labelledby=h-rectifications]")).to_contain_text("整改中的差评共 6 件")
    sup.get_by_role("link", name="差评整改", exact=True).click()
    for rect in rectifications.select_related("department"):
        expect(sup.locator(f"#r{rect.pk}")).to_contain_text(rect.department.name)

    # 10. Performance: the staff's tickets with their average handling time, clerk1 included.
    sup.goto("/performance/")
    clerk1 = sup.locator("#performance-table tbody tr", has_text="王芳")
    expect(clerk1).to_have_count(1)
    handling = clerk1.locator("td[data-column=handling]")
    expect(handling).not_to_have_text("—")
    expect(handling).to_have_text(re.compile(r"^\d+\.\d$"))
    with_tickets = sup.locator("#performance-table tbody tr").filter(
        has=sup.locator("td[data-column=tickets]", has_not_text=re.compile(r"^0$"))
    )
    for row in with_tickets.all():
        expect(row.locator("td[data-column=handling]")).not_to_have_text("—")

    # 21. The live hall: the hall admin sees the six 不满意 of step 8 as 差评 alerts, each once, and has a message
    # for each on their phone.
    from yichuang.notifications.models import Message

    manager = person("admin", viewport={"width": 1920, "height": 1080})
    manager.goto("/hall/")
    expect(manager.locator("#alert-list li.kind-bad_rating")).to_have_count(6)
    expect(manager.locator("#alert-list")).to_contain_text("收到差评（不满意）")
    expect(manager.locator("#bad-list li")).to_have_count(6)
    assert Message.objects.filter(kind="hall_alert", recipient="13903940001").count() == 6


def test_the_readme_walk_consultation_and_knowledge(transactional_db, walk_clock, person):
    """Steps 11–13 of the walk (consultation desk, the department's answer, the knowledge base) on the demo data.
    Step 14 (video) needs camera streams between two browsers: the video app's own browser tests play it
    (src/yichuang/video/tests/test_browser.py: the desk rings, 接听, both decode video, screen sharing, hang-up)."""
    from yichuang.consultation.models import Consultation
    from yichuang.consultation.services import reading_url
    from yichuang.demo import hall as demo
    from yichuang.knowledge.models import Article
    from yichuang.notifications.models import Message

    demo.load_demo()  # as `yichuang demo` does, nothing else

    # 11. The consultation desk: consultant1 at window 39 sees the day's consultations — solved on the spot,
    # escalated — and one waiting from the online hall.
    desk = person("consultant1")
    desk.goto("/consult/")
    expect(desk.locator("h1")).to_have_text("咨询台")
    today = desk.locator("#today")
    expect(today).to_contain_text("已当场解答")
    expect(today).to_contain_text("已转办部门")
    expect(desk.locator("#waiting tbody tr")).to_have_count(1)
    expect(desk.locator("#waiting")).to_contain_text("公司注销前要先清税吗")
    # A phone question: the knowledge base suggests while it is typed; the one used is ticked.
    desk.get_by_role("radio", name="电话").check()
    desk.get_by_label("咨询内容").press_sequentially("失业保险金怎么申领", delay=20)
    used = desk.locator("#suggestions label", has_text="失业保险金申领问答").locator("input[name=articles]")
    expect(used).to_be_visible()
    used.check()
    desk.get_by_label("当场解答").check()
    desk.get_by_label("答复内容").fill("单位办理减员后，本人可在线申领，每月按最低工资标准的 90% 发放。")
    desk.locator("#btn-record").click()
    desk.wait_for_url(re.compile(r"/consult/ZX-\d{4}-\d{4}/$"))
    expect(desk.locator("#status")).to_have_text("已当场解答")
    expect(desk.locator("main")).to_contain_text("失业保险金申领问答")
    # Or leave it unsolved and 转办 to a department.
    desk.goto("/consult/")
    desk.get_by_role("radio", name="电话").check()
    desk.get_by_label("咨询内容").fill("个体户可以同时在两个地方经营吗？")
    desk.get_by_label("未能当场解决，转办部门").check()
    desk.get_by_label("转办部门", exact=True).select_option(label="县市场监督管理局")
    desk.locator("#btn-record").click()
    desk.wait_for_url(re.compile(r"/consult/ZX-\d{4}-\d{4}/$"))
    expect(desk.locator("#status")).to_have_text("已转办部门")
    desk.context.close()

    # 12. The department's answer: the escalation the demo left unanswered is red at 县人社局; the supervisor
    # sees it under 咨询转办超期未答复 with 下发督办单, until the department answers.
    overdue = Consultation.objects.get(status=Consultation.Status.ESCALATED, escalation__department__code="hrss")
    sup = person("supervisor")
    sup.goto("/supervision/")
    escalations = sup.locator("section[aria-labelledby=h-escalations]")
    expect(escalations.locator("h2")).to_have_text("咨询转办超期未答复")
    listed = escalations.locator(f"tr[data-consultation='{overdue.number}']")
    expect(listed).to_contain_text("县人社局")
    expect(listed.get_by_role("link", name="下发督办单")).to_be_visible()

    hrss = person("officer_hrss")
    hrss.goto("/consult/department/")
    row = hrss.locator(f"#queue tr[data-number='{overdue.number}']")
    expect(row).to_have_class(re.compile(r"\brow-red\b"))
    expect(row).to_contain_text("已超期")
    row.locator("summary", has_text="答复").click()
    row.get_by_label("部门答复").fill(
        "跨省转移接续后缴费年限合并计算，视同缴费年限按原参保地认定，待遇按沈丘标准核定。"
    )
    row.get_by_role("button", name="提交答复").click()
    expect(hrss.locator(f"#queue tr[data-number='{overdue.number}']")).to_have_count(0)
    expect(hrss.locator("#answered")).to_contain_text(overdue.number)
    sup.reload()
    expect(sup.locator(f"tr[data-consultation='{overdue.number}']")).to_have_count(0)
    # The asker's message carries the link to read the answer and rate it.
    token = reading_url(overdue).rsplit("/consult/t/", 1)[1]
    message = Message.objects.get(kind=Message.Kind.CONSULTATION_ANSWERED, body__contains=token)
    link = re.search(r"/consult/t/[\w-]+/", message.body).group(0)
    asker = person()
    asker.goto(link)
    expect(asker.locator("#reply")).to_contain_text("跨省转移接续后缴费年限合并计算")
    asker.get_by_label("满意", exact=True).check()
    asker.locator("#btn-rate").click()
    expect(asker.locator("#rated")).to_contain_text("满意")
    for done in (sup, hrss, asker):
        done.context.close()

    # 13. The knowledge base: officer_market searches 营业执照, opens an article, revises it and submits it.
    editor = person("officer_market")
    editor.goto("/knowledge/")
    editor.get_by_label("检索（可输入词语；文章标题也可用拼音或首字母）").fill("营业执照")
    editor.get_by_role("button", name="检索").click()
    editor.locator("#kb-results").get_by_role("link", name="企业开办常见问题").click()
    article = Article.objects.get(published__title="企业开办常见问题")
    editor.get_by_role("button", name="修订（新建草稿）").click()
    expect(editor.locator("#kb-version-status")).to_contain_text("第 2 版 · 草稿")
    body = editor.get_by_label("正文")
    body.fill(body.input_value().replace("五年内缴足", "五年内缴足（2024 年 7 月 1 日起施行）"))
    editor.get_by_role("button", name="保存草稿").click()
    editor.get_by_role("button", name="提交审核").click()
    expect(editor.locator("#kb-version-status")).to_contain_text("第 2 版 · 待审核")
    expect(editor.locator("#kb-review")).to_have_count(0)  # an editor does not review
    editor.context.close()

    admin = person("admin")
    admin.goto("/knowledge/review/")
    admin.locator("#kb-queue").get_by_role("link", name="企业开办常见问题").click()
    admin.get_by_role("button", name="审核通过并发布").click()
    admin.wait_for_url(re.compile(rf"/knowledge/{article.pk}/$"))
    expect(admin.locator("main")).to_contain_text("现行第 2 版")
    admin.get_by_role("link", name=re.compile(r"^版本历史")).click()
    expect(admin.locator("#kb-diff-heading")).to_have_text("第 1 版 → 第 2 版")
    changes = admin.locator(".kb-diff").locator("ins, del")
    expect(changes).to_have_count(1)  # the change made, nothing else
    expect(changes).to_have_text("（2024 年 7 月 1 日起施行）")
    admin.context.close()

    # Anonymous: the guide's matter page lists the public articles; internal ones never appear there.
    anyone = person()
    anyone.goto("/guide/matters/411624-XK-SCJG-001/")
    expect(anyone.locator("#matter-articles")).to_contain_text("企业开办常见问题")
    internal = Article.objects.get(published__title="食品经营许可现场核查口径（内部）")
    assert internal.visibility == Article.Visibility.INTERNAL
    assert internal.matters.filter(code="411624-XK-SCJG-005").exists()
    anyone.goto("/guide/matters/411624-XK-SCJG-005/")
    expect(anyone.locator("h1")).to_be_visible()
    expect(anyone.locator("main")).not_to_contain_text("食品经营许可现场核查口径")
