"""The whole path of one person, in real browsers, every step through the pages as each person does it: she takes
a ticket at the kiosk, the clerk calls it and takes in a two-department bundle (开业一件事: 县市场监督管理局 and
县税务局), each department's officer claims and approves its case, the output window checks her ID and hands the
results over, she taps 不满意 (2) on the rating pad beside it, and the supervisor finds the rectifications.

Only the hall, its staff and their seats are set up in the database; the pad is paired by staff on the tablet."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from yichuang.catalogue.tests.factories import BundleFactory
from yichuang.feedback.models import Evaluation, Rectification
from yichuang.intake.models import Submission
from yichuang.intake.tests.helpers import PERSON
from yichuang.organisation import services as org_services
from yichuang.organisation.tests.factories import UserFactory, WindowFactory
from yichuang.output.models import Handover
from yichuang.queue.models import Ticket

pytestmark = [pytest.mark.browser]

PASSWORD = "pass-word-123"


@pytest.fixture(autouse=True)
def _fresh_queue_caches():
    """The queue caches rules and opening hours per process; this test's database is new, the cache must be too."""
    from yichuang.queue import queries

    queries.clear_caches()
    yield
    queries.clear_caches()


@pytest.fixture
def person(browser, live_server):
    """person(user=None, **context options) → a page in a browser context of its own (a person or a device),
    signed in through the login form when `user` is given; every context is closed at the end."""
    made = []

    def make(user=None, **kwargs):
        options = {"viewport": {"width": 1366, "height": 900}, **kwargs}
        ctx = browser.new_context(base_url=live_server.url, locale="zh-CN", **options)
        made.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        if user is not None:
            login(page, user)
        return page

    yield make
    for ctx in made:
        ctx.close()


def login(page, user):
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def test_ticket_intake_two_departments_output_bad_rating_rectification(transactional_db, office, person, screenshot):
    hall = office.hall
    bundle = BundleFactory(
        code="kaiye",
        name="开业一件事",
        zone=hall.enterprise,
        limit_unit="working_days",
        limit=Decimal("1"),
        matters=[hall.setup, hall.invoice],
    )
    output_window = WindowFactory(zone=hall.general, number=50, name="综合出件", output=True)
    output_clerk = UserFactory(output_clerk=True, username="out1")
    org_services.take_seat(output_clerk, output_window)
    samr_officer, tax_officer = office.officer, office.tax_officer

    # The tablet beside the output window is paired once by a member of staff, on the tablet itself.
    pad = person(office.hall.admin, viewport={"width": 1280, "height": 800}, has_touch=True)
    pad.goto(f"/rate/{output_window.pk}/pair")
    pad.get_by_role("button", name="在本设备上配对").click()
    expect(pad.locator(".pad-welcome")).to_have_text("欢迎您！")
    pad.context.clear_cookies(name="sessionid")  # staff sign-in gone; the pad's own cookie stays
    pad.reload()
    expect(pad.locator(".pad-welcome")).to_have_text("欢迎您！")

    # 1. She takes a ticket at the kiosk for the 企业开办 zone, with her phone number.
    kiosk = person(viewport={"width": 1280, "height": 1024})
    kiosk.goto("/kiosk/hall/")
    kiosk.get_by_label("手机号（选填，用于到号提醒）").fill(PERSON["phone"])
    kiosk.locator(".tile[data-zone=enterprise]").click()
    expect(kiosk.locator("#ticket-number")).to_have_text("E001")
    ticket = Ticket.objects.get(number="E001", date=timezone.localdate())

    # 2. The clerk at window 1 calls her and takes in the bundle: both departments' matters, one material list.
    clerk = person(hall.clerk)
    clerk.goto("/desk/")
    clerk.locator("#btn-call").click()
    expect(clerk.locator("#current-number")).to_have_text("E001")
    clerk.get_by_role("link", name="受理", exact=True).click()
    expect(clerk.locator("#ticket-banner")).to_contain_text("E001")
    clerk.get_by_label("姓名 / 单位名称").fill(PERSON["name"])
    clerk.get_by_label("身份证号码 / 统一社会信用代码").fill(PERSON["id_number"])
    clerk.get_by_label("联系电话").fill(PERSON["phone"])
    clerk.locator(f"input[name=bundle][value={bundle.code}]").check()
    clerk.locator("#btn-checklist").click()
    expect(clerk.locator("table.checklist tr[data-material]")).to_have_count(6)
    clerk.locator("#btn-accept").click()
    clerk.wait_for_url(re.compile(r"/desk/intake/\d{6}-\d{8}-\d{6}/$"))
    submission = Submission.objects.get()
    assert submission.ticket == ticket and submission.bundle == bundle
    cases = {c.department_id: c for c in submission.cases.all()}
    assert set(cases) == {hall.samr.pk, hall.tax.pk}
    expect(clerk.locator("#submission-number")).to_have_text(submission.number)
    expect(clerk.locator("#cases tbody tr")).to_have_count(2)
    # Back at the desk, the visit is finished.
    clerk.goto("/desk/")
    clerk.locator("#btn-finish").click()
    expect(clerk.locator("#btn-call")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.FINISHED

    # 3. Each department's officer, at their own desk, claims the department's case and approves it.
    for officer, department, certificate in (
        (samr_officer, hall.samr, "91411624MA00000001"),
        (tax_officer, hall.tax, "FP-411624-0001"),
    ):
        case = cases[department.pk]
        desk = person(officer)
        desk.goto("/office/")
        expect(desk.get_by_role("heading", name=f"部门工作台 · {department.name}")).to_be_visible()
        row = desk.locator(f'tr[data-case="{case.number}"]')
        expect(row).to_contain_text(case.matter_name)
        row.get_by_role("button", name="认领").click()
        expect(desk.get_by_text(f"已认领办件 {case.number}")).to_be_visible()
        desk.goto(f"/office/cases/{case.number}/")
        expect(desk.locator("#case-status")).to_have_text("办理中")
        conclude = desk.locator("#form-conclude")
        conclude.get_by_label("准予").check()
        conclude.get_by_label("证照编号").fill(certificate)
        conclude.get_by_role("button", name="办结").click()
        expect(desk.get_by_text(f"办件 {case.number} 已办结。")).to_be_visible()
        expect(desk.locator("#case-status")).to_have_text("准予办结")
        desk.context.close()

    # 4. The output window: found by her ID number, her identity checked, she signs, the results go out together.
    out = person(output_clerk)
    out.goto("/output/")
    expect(out.locator(f"#ready-list tr[data-submission='{submission.number}']")).to_contain_text("全部办结")
    out.get_by_label("查找：受理编号、办件编号、今日排队号或身份证号码").fill(PERSON["id_number"])
    out.get_by_role("button", name="查找").click()
    out.wait_for_url(re.compile(rf"/output/s/{submission.number}/$"))
    expect(out.locator("#cases tbody tr")).to_have_count(2)
    out.get_by_label("领取人身份证号码（核验）").fill(PERSON["id_number"])
    out.get_by_label("领取人姓名").fill(PERSON["name"])
    box = out.locator("#signature-pad").bounding_box()
    out.mouse.move(box["x"] + 30, box["y"] + 100)
    out.mouse.down()
    for i, dy in enumerate((40, 90, 30, 110)):
        out.mouse.move(box["x"] + 60 + i * 45, box["y"] + dy, steps=4)
    out.mouse.up()
    out.locator("#hand-over-submit").click()
    out.wait_for_url(re.compile(r"/output/handovers/\d+/receipt/$"))
    expect(out.locator("h1")).to_have_text("领取回执")
    handover = Handover.objects.get()
    assert handover.window == output_window and handover.items.count() == 2 and not handover.partial

    # 5. The pad shows what she just received, by itself; she taps 不满意.
    pad_cases = pad.locator(".pad-cases")
    for case in cases.values():
        expect(pad_cases).to_contain_text(case.number, timeout=15_000)
        expect(pad_cases).to_contain_text(case.matter_name)
    screenshot(pad, "whole-path-pad")
    pad.get_by_role("button", name="不满意", exact=True).click()
    expect(pad.locator(".pad-welcome")).to_have_text("感谢您的评价！")

    evaluations = list(Evaluation.objects.filter(case__submission=submission).order_by("case__seq"))
    assert len(evaluations) == 2
    assert {(e.case_id, e.level, e.channel, e.window_id) for e in evaluations} == {
        (c.pk, 2, "pad", output_window.pk) for c in cases.values()
    }
    responsible = {hall.samr.pk: samr_officer, hall.tax.pk: tax_officer}
    rects = {r.department_id: r for r in Rectification.objects.filter(evaluation__in=evaluations)}
    assert set(rects) == {hall.samr.pk, hall.tax.pk}
    for department_id, rect in rects.items():
        assert rect.assignee == responsible[department_id]
        assert rect.evaluation.case == cases[department_id] and rect.status == Rectification.Status.OPEN
        assert rect.due_at > timezone.now()

    # 6. The supervisor, at their own desk: the board counts them, the list shows each with who must act.
    sup = person(office.supervisor)
    sup.goto("/supervision/")
    expect(sup.locator("h1")).to_have_text("督办看板")
    expect(sup.locator("section[aria-labelledby=h-rectifications]")).to_contain_text("整改中的差评共 2 件")
    sup.get_by_role("link", name="差评整改", exact=True).click()
    expect(sup.locator("h1")).to_have_text("差评整改")
    for department_id, rect in rects.items():
        card = sup.locator(f"#r{rect.pk}")
        expect(card).to_contain_text("不满意")
        expect(card).to_contain_text("窗口评价器")
        expect(card).to_contain_text(cases[department_id].number)
        expect(card).to_contain_text(rect.department.name)
        expect(card).to_contain_text(responsible[department_id].display_name)
        expect(card).to_contain_text("整改中")
    screenshot(sup, "whole-path-rectifications", full_page=True)
