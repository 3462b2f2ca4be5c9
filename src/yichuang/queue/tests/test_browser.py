"""一号服务 in a real browser: a person takes a ticket at the kiosk, a clerk calls it at the desk, the display
board shows and speaks it, and the person's mobile page updates itself."""

import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from yichuang.catalogue.tests.factories import LifeEventFactory, MatterFactory
from yichuang.organisation import services as org_services
from yichuang.queue.models import Ticket
from yichuang.queue.tests.conftest import make_hall

pytestmark = [pytest.mark.browser]

# Records what the board says instead of sounding it (headless Chromium has no voices): each utterance with
# its time; it "ends" after 300 ms, like a short announcement.
SPEECH_STUB = """
window.__spoken = [];
const fakeSynth = {
  speaking: false,
  getVoices() { return []; },
  speak(u) { window.__spoken.push({text: u.text, lang: u.lang, at: Date.now()});
             setTimeout(() => { if (u.onend) { u.onend({}); } }, 300); },
  cancel() {},
};
Object.defineProperty(window, "speechSynthesis", {value: fakeSynth, configurable: true});
"""


@pytest.fixture
def context(transactional_db, browser, live_server):
    """More browser contexts (screens) on the live server, closed before the database goes away."""
    made = []

    def make(**kwargs):
        ctx = browser.new_context(base_url=live_server.url, locale="zh-CN", **kwargs)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


def wait_until(check, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_kiosk_desk_display_and_mobile(transactional_db, context, page, staff_login, screenshot):
    hall = make_hall(seat=False)
    org_services.take_seat(hall.clerks[1], hall.windows[1])
    event = LifeEventFactory(name="个人事务")
    MatterFactory(name="居民身份证换领", zones=[hall.a]).life_events.add(event)

    # The display board, on its 1920×1080 screen: the one window someone sits at.
    board_ctx = context(viewport={"width": 1920, "height": 1080})
    board_ctx.add_init_script(SPEECH_STUB)
    board = board_ctx.new_page()
    board.goto("/display/hall/")
    expect(board.locator(".win")).to_have_count(1)
    expect(board.locator(".win[data-window='2']")).to_be_visible()

    # A person takes a ticket at the kiosk, choosing the zone, with a phone number.
    kiosk_ctx = context(viewport={"width": 1280, "height": 1024})
    kiosk = kiosk_ctx.new_page()
    kiosk.goto("/kiosk/hall/")
    expect(kiosk.locator(".tile[data-zone=za]")).to_contain_text("综合审批服务区")
    screenshot(kiosk, "kiosk")
    kiosk.get_by_label("手机号（选填，用于到号提醒）").fill("13812345678")
    kiosk.locator(".tile[data-zone=za]").click()
    expect(kiosk.locator("#ticket-number")).to_have_text("A001")
    expect(kiosk.locator("#ticket-ahead")).to_have_text("0")
    expect(kiosk.locator(".qr svg")).to_be_visible()
    expect(kiosk.locator(".ticket-card")).to_contain_text("138****5678")
    expect(kiosk.locator(".ticket-card")).not_to_contain_text("13812345678")
    screenshot(kiosk, "kiosk-ticket")
    first = Ticket.objects.get(number="A001")
    assert first.phone == "13812345678"

    # A second person chooses by life event and matter: the matter tells the zone.
    kiosk.goto("/kiosk/hall/")
    kiosk.get_by_role("link", name="个人事务").click()
    kiosk.get_by_role("button", name="居民身份证换领").click()
    expect(kiosk.locator("#ticket-number")).to_have_text("A002")
    expect(kiosk.locator("#ticket-ahead")).to_have_text("1")

    # The first person follows the queue on their phone.
    phone_ctx = context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    mobile = phone_ctx.new_page()
    mobile.goto(f"/t/{first.token}/")
    expect(mobile.locator(".number")).to_have_text("A001")
    expect(mobile.locator("[data-field=message]")).to_contain_text("下一个就轮到您")

    # The clerk logs in, sits at window 1 and calls.
    staff_login(hall.clerks[0])
    page.goto("/desk/")
    page.locator("button[data-window='1']").click()
    expect(page.locator("h1")).to_contain_text("1 号窗口")
    page.locator("#btn-call").click()
    expect(page.locator("#current-number")).to_have_text("A001")
    screenshot(page, "desk")

    # Within a second or two, without reloading: the board shows the window the clerk sat down at, shows and
    # speaks the call, the phone says where to go.
    expect(board.locator(".win[data-window='1'] .num")).to_have_text("A001", timeout=4000)
    expect(board.locator("#announce-sub")).to_have_text("请 A001 号到 1 号窗口", timeout=4000)
    expect(mobile.locator("[data-field=message]")).to_have_text("请到 1 号窗口办理。", timeout=5000)
    expect(mobile.locator("[data-field=window]")).to_contain_text("1")
    screenshot(mobile, "mobile-ticket")
    spoken = board.evaluate("window.__spoken")
    assert [s["text"] for s in spoken] == ["请A零零一号到1号窗口"] and spoken[0]["lang"] == "zh-CN"

    # Two calls in quick succession: the second waits for the first to be read, it does not cut it off.
    page.locator("#btn-finish").click()
    expect(page.locator("#btn-call")).to_be_visible()
    page.locator("#btn-call").click()
    expect(page.locator("#current-number")).to_have_text("A002")
    page.locator("#btn-recall").click()
    expect(board.locator("#recent li")).to_have_count(3, timeout=4000)
    wait_until(lambda: board.evaluate("window.__spoken.length") >= 3)
    spoken = board.evaluate("window.__spoken")
    assert [s["text"] for s in spoken] == ["请A零零一号到1号窗口", "请A零零二号到1号窗口", "请A零零二号到1号窗口"]
    hold_ms = 6000
    assert spoken[2]["at"] - spoken[1]["at"] >= hold_ms - 100


def test_desk_no_show_transfer_and_reactivate(transactional_db, page, staff_login):
    hall = make_hall(seat=True)
    from yichuang.queue import services
    from yichuang.queue.models import QueueSettings

    QueueSettings.objects.create(zone=hall.a, no_show_after_calls=2)
    services.issue_ticket(hall.a)
    services.issue_ticket(hall.a)
    staff_login(hall.clerks[0])
    page.goto("/desk/")
    page.locator("#btn-call").click()
    expect(page.locator("#current-number")).to_have_text("A001")
    expect(page.locator("#btn-no-show")).to_be_disabled()
    page.locator("#btn-recall").click()
    expect(page.locator("#btn-no-show")).to_be_enabled()
    page.locator("#btn-no-show").click()
    expect(page.locator("[data-reactivate=A001]")).to_be_visible()
    page.locator("#btn-call").click()
    expect(page.locator("#current-number")).to_have_text("A002")
    page.locator("select[name=zone]").select_option(label="不动产登记服务专区")
    page.locator("#btn-transfer").click()
    expect(page.locator(".messages")).to_contain_text("A002 已转至 不动产登记服务专区")
    page.locator("[data-reactivate=A001]").click()
    expect(page.locator("#waiting-list")).to_contain_text("A001")
    moved = Ticket.objects.get(number="A002")
    assert moved.zone == hall.b and moved.status == Ticket.Status.WAITING


VISIBLE_ROWS = """() => {
  const inside = (r, box) => r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5 && r.left >= box.left - 0.5
    && r.right <= box.right + 0.5;
  const screen = {top: 0, left: 0, bottom: innerHeight, right: innerWidth};
  const rows = [...document.querySelectorAll(".page:not([hidden]) .win")];
  return {
    fits: document.scrollingElement.scrollHeight <= innerHeight && document.scrollingElement.scrollWidth <= innerWidth,
    page: document.getElementById("board").dataset.page,
    pages: document.getElementById("board").dataset.pages,
    indicator: (i => i.hidden ? "" : i.textContent)(document.getElementById("page-indicator")),
    rows: rows.map(row => ({
      number: Number(row.dataset.window),
      shown: inside(row.getBoundingClientRect(), screen)
        && inside(row.getBoundingClientRect(), row.parentElement.getBoundingClientRect()),
    })),
    zones: [...document.querySelectorAll(".page:not([hidden]) .zone-head")].map(h => h.dataset.zone),
    recentShown: [...document.querySelectorAll("#recent li")].every(li => inside(li.getBoundingClientRect(), screen)),
  };
}"""


@pytest.fixture
def demo_morning():
    """Tuesday 2026-11-10, 10:20 in Shenqiu (a working day chinesecalendar knows), the clock ticking: the demo
    loads this morning's history and its seats for that day, whatever today's date and hour."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    import time_machine

    with time_machine.travel(dt.datetime(2026, 11, 10, 10, 20, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True):
        yield


def test_display_board_of_the_demo_hall_fits_one_screen(transactional_db, demo_morning, context, screenshot):
    """Every window someone sits at in the demo hall is on the 1920×1080 board (on one of its rotating pages),
    nothing runs off the screen, and a zone's own board shows and speaks only that zone."""
    from yichuang.demo import hall as demo
    from yichuang.organisation.models import Seat, User, Window
    from yichuang.queue import queries, services

    site = demo.load_demo().site
    today = timezone.localdate()
    seats = Seat.objects.filter(date=today, until__isnull=True, window__is_open=True).select_related("window__zone")
    seated = {s.window.number: s.window.zone.code for s in seats}
    assert len(seated) >= 15
    # Some windows are serving someone, as in the morning.
    for username in ("clerk8", "clerk10", "clerk11", "clerk2"):
        clerk = User.objects.get(username=username)
        window = Window.objects.get(seats__user=clerk, seats__date=today, seats__until__isnull=True)
        services.issue_ticket(window.zone)
        services.call_next(window, clerk)

    def walk_pages(board) -> tuple[int, set]:
        """Wait for each page of the board in turn: everything on it inside the screen. (pages, windows seen)."""
        expect(board.locator(".win").first).to_be_visible()
        pages, seen = int(board.evaluate(VISIBLE_ROWS)["pages"]), set()
        for n in [*range(1, pages + 1), 1]:  # and round again to the first
            wait_until(lambda n=n: board.evaluate(VISIBLE_ROWS)["page"] == str(n))
            state = board.evaluate(VISIBLE_ROWS)
            assert state["fits"] and state["recentShown"], state
            assert state["rows"] and all(row["shown"] for row in state["rows"]), state
            assert state["indicator"] == ("" if pages == 1 else f"第 {n}/{pages} 页")
            seen |= {row["number"] for row in state["rows"]}
        return pages, seen

    board_ctx = context(viewport={"width": 1920, "height": 1080})
    board_ctx.add_init_script(SPEECH_STUB)
    board = board_ctx.new_page()
    board.goto(f"/display/{site.code}/?rotate=2")
    expect(board.locator(".win").first).to_be_visible()
    screenshot(board, "display")
    _pages, seen = walk_pages(board)
    assert seen == set(seated), (sorted(seen), sorted(seated))
    # A smaller screen needs more than one page: they rotate, every window on one of them.
    small_ctx = context(viewport={"width": 1280, "height": 720})
    small_ctx.add_init_script(SPEECH_STUB)
    small = small_ctx.new_page()
    small.goto(f"/display/{site.code}/?rotate=2")
    pages, seen = walk_pages(small)
    assert pages > 1 and seen == set(seated), (pages, sorted(seen), sorted(seated))

    # The board of one zone: its windows only, its calls only.
    police = {number for number, code in seated.items() if code == "sq-police"}
    zone_board = board_ctx.new_page()
    zone_board.goto(f"/display/{site.code}/?zone=sq-police")
    expect(zone_board.locator("h1")).to_contain_text("公安服务专区")
    state = zone_board.evaluate(VISIBLE_ROWS)
    assert {row["number"] for row in state["rows"]} == police and set(state["zones"]) == {"sq-police"}
    assert state["fits"] and all(row["shown"] for row in state["rows"]) and state["pages"] == "1"
    spoken_before = len(zone_board.evaluate("window.__spoken"))
    for username in ("clerk8", "clerk10"):  # 不动产 first, then 公安
        clerk = User.objects.get(username=username)
        window = Window.objects.get(seats__user=clerk, seats__date=today, seats__until__isnull=True)
        services.finish(Ticket.objects.get(window=window, status="called"), clerk)
        services.issue_ticket(window.zone)
        services.call_next(window, clerk)
    police_call = Ticket.objects.filter(zone__code="sq-police", status="called").latest("called_at").number
    wait_until(lambda: len(zone_board.evaluate("window.__spoken")) > spoken_before)
    # The 不动产 call came first: had the zone's board announced it, it would be spoken first.
    first = zone_board.evaluate("window.__spoken")[spoken_before]["text"]
    assert first == "请" + queries.spoken_number(police_call) + "号到13号窗口", first
    expect(zone_board.locator("#announce-text")).to_have_text(police_call)
    recent = zone_board.locator("#recent li .n").all_text_contents()
    assert recent and all(number.startswith("D") for number in recent), recent
