"""The hall manager's live page on the hall's 1920×1080 screen: it follows a call made at a window elsewhere
without reloading, shows a bad rating as an alert at once, and the manager acknowledges it."""

import pytest
from playwright.sync_api import expect

from yichuang.feedback import services as feedback
from yichuang.organisation import services as org_services
from yichuang.organisation.tests.factories import SiteFactory, UserFactory, WindowFactory, ZoneFactory
from yichuang.queue import services as queue


@pytest.fixture
def screens(transactional_db, browser, live_server):
    made = []

    def open_screen(user, **options):
        context = browser.new_context(base_url=live_server.url, locale="zh-CN", **options)
        made.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto("/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", "pass-word-123")
        page.click("button[type=submit]")
        page.wait_for_load_state()
        return page

    yield open_screen
    for context in made:
        context.close()


def test_the_live_hall_follows_a_call_elsewhere_and_alerts_a_bad_rating(screens, settings, screenshot):
    settings.HALL_POLL_SECONDS = 2
    settings.HALL_LIVE_CACHE_SECONDS = 1
    site = SiteFactory(code="shenqiu", name="沈丘县政务服务中心", is_default=True)
    a = ZoneFactory(site=site, code="za", name="综合受理区", ticket_letter="A", order=1)
    b = ZoneFactory(site=site, code="zb", name="不动产专区", ticket_letter="B", order=2)
    w1, _w2, w5 = WindowFactory(zone=a, number=1), WindowFactory(zone=a, number=2), WindowFactory(zone=b, number=5)
    clerk1 = UserFactory(window_clerk=True, last_name="李", first_name="娜")
    clerk5 = UserFactory(window_clerk=True, last_name="周", first_name="强")
    org_services.take_seat(clerk1, w1)
    org_services.take_seat(clerk5, w5)
    manager = UserFactory(hall_admin=True, last_name="许", first_name="文静", site=site)
    for _ in range(3):
        queue.issue_ticket(a)
    done = queue.issue_ticket(b)
    done = queue.call_next(w5, clerk5)
    queue.start_serving(done, clerk5)
    queue.finish(done, clerk5)

    hall = screens(manager, viewport={"width": 1920, "height": 1080})
    hall.goto("/hall/")
    expect(hall.locator("h1")).to_contain_text("大厅运行监测")
    zone_a = hall.locator("#zone-table tr[data-zone='za']")
    expect(zone_a.locator(".waiting")).to_have_text("3")
    expect(zone_a).to_have_class("heat-hot")  # three waiting at A, one window; B's window idle: hot and cold
    expect(hall.locator("#zone-table tr[data-zone='zb']")).to_have_class("heat-cold")
    expect(hall.locator(".hl-window[data-window='1']")).to_have_class("hl-window state-idle heat-")
    expect(hall.locator(".hl-window[data-window='2']")).to_contain_text("—")  # nobody seated
    expect(hall.locator("#chart-waiting canvas")).to_have_count(1)  # ECharts, served from this server
    expect(hall.locator("#no-alerts")).to_be_visible()

    # Elsewhere, at window 1, the clerk calls the next ticket on their own desk page.
    desk = screens(clerk1)
    desk.goto("/desk/")
    desk.locator("#btn-call").click()
    expect(desk.locator("#current-number")).to_have_text("A001")

    # The hall page follows within five seconds, without reloading.
    expect(zone_a.locator(".waiting")).to_have_text("2", timeout=5_000)
    window1 = hall.locator(".hl-window[data-window='1']")
    expect(window1).to_have_class("hl-window state-serving heat-")
    expect(window1.locator(".now")).to_have_text("A001")
    expect(hall.locator("#t-waiting")).to_have_text("2")

    # A citizen rates window 5 badly on its pad: the alert shows at once, flashing, and is announced.
    feedback.rate(level=1, channel="pad", ticket=done, window=w5, comment="窗口人员态度生硬")
    alert = hall.locator("#alert-list li.kind-bad_rating")
    expect(alert).to_contain_text("5 号窗口（周强）收到差评（非常不满意）。窗口人员态度生硬", timeout=5_000)
    expect(alert).to_have_class("kind-bad_rating fresh")
    expect(hall.locator("#alert-announce")).to_contain_text("差评")
    expect(hall.locator("#bad-list li")).to_contain_text("窗口人员态度生硬")
    expect(hall.locator("#t-ratings")).to_have_text("1 / 1")
    screenshot(hall, "hall-live")

    # The manager acknowledges it: it stays, marked with who did.
    alert.get_by_role("button", name="确认").click()
    expect(alert).to_contain_text("许文静 已确认")
    hall.wait_for_timeout(2_500)  # a refresh or two later it is still acknowledged (no flashing back)
    expect(alert).to_contain_text("许文静 已确认")
    expect(alert).not_to_have_class("fresh")

    # On a laptop the same page, the side column below the zones.
    hall.set_viewport_size({"width": 1366, "height": 900})
    expect(hall.locator("#alert-list")).to_be_visible()
