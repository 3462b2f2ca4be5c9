"""The wait estimate: pure functions, and what the queries feed them."""

import datetime
import zoneinfo

import pytest

from yichuang.queue import estimate, queries, services
from yichuang.queue.estimate import ServiceTime

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = [(datetime.time(9), datetime.time(12)), (datetime.time(13, 30), datetime.time(17, 30))]


def at(hh, mm):
    return datetime.datetime(2026, 11, 30, hh, mm, tzinfo=TZ)


def test_defaults_at_opening():
    s = estimate.learn_service_time([], default=8)
    assert s.mean == 8 and s.samples == 0 and s.sd == pytest.approx(8 * estimate.DEFAULT_CV)


def test_learning_moves_towards_todays_times():
    few = estimate.learn_service_time([20, 20], default=8)
    many = estimate.learn_service_time([20] * 60, default=8)
    assert 8 < few.mean < many.mean < 20.5
    assert many.mean == pytest.approx(20, abs=1)


def test_forgotten_finishes_are_capped():
    s = estimate.learn_service_time([10] * 20 + [600], default=10)
    assert s.mean < 15


def test_no_shows_cost_window_time():
    s = ServiceTime(10, 5, 30)
    blended = estimate.blend_no_shows(s, 0.2, 3)
    assert blended.mean == pytest.approx(0.8 * 10 + 0.2 * 3)
    assert estimate.blend_no_shows(s, 0, 3) == s


def test_nobody_ahead_and_a_free_window_is_no_wait():
    low, expected, high = estimate.work_wait(0, servers=2, busy=1, service=ServiceTime(10, 6, 10))
    assert low == 0 and expected == 0 and high <= 2


def test_wait_grows_with_the_queue_and_shrinks_with_windows():
    s = ServiceTime(10, 6, 10)
    one = estimate.work_wait(10, servers=1, busy=1, service=s)
    more = estimate.work_wait(20, servers=1, busy=1, service=s)
    wider = estimate.work_wait(20, servers=4, busy=4, service=s)
    assert one[1] < more[1] and wider[1] < more[1]
    assert more[1] == pytest.approx(20.5 * 10 / (1 - 0) * (1), rel=0.01)  # (m − ½)·mean/c, m = 21
    assert all(lo < mid < hi for lo, mid, hi in (one, more, wider))


def test_people_joining_ahead_lengthen_the_wait():
    s = ServiceTime(10, 6, 10)
    assert estimate.work_wait(5, 2, 2, s, jump_rate=0.1)[1] > estimate.work_wait(5, 2, 2, s)[1]


def test_priority_ticket_lets_ordinary_ones_through():
    assert estimate.effective_ahead(6, priority=True, ordinary_waiting=True, run_length=3) > 6
    assert estimate.effective_ahead(6, priority=True, ordinary_waiting=False, run_length=3) == 6
    assert estimate.effective_ahead(6, priority=False, ordinary_waiting=True, run_length=3) == 6


def test_lunch_break_is_waited_through():
    assert estimate.on_the_clock(at(10, 0), 30, DAY) == 30
    assert estimate.on_the_clock(at(11, 50), 30, DAY) == 30 + 90  # 10 min before, 20 after the break
    assert estimate.on_the_clock(at(12, 30), 10, DAY) == 70  # in the break: from 13:30
    assert estimate.on_the_clock(at(12, 30), 0, DAY) == 60
    assert estimate.on_the_clock(at(8, 30), 0, DAY) == 30  # before opening
    assert estimate.on_the_clock(at(17, 20), 30, DAY) == 30  # the queue is served after closing time
    assert estimate.on_the_clock(at(10, 0), 30, []) == 30


def test_range_is_whole_minutes_and_never_empty():
    low, high = estimate.wait_range(now=at(10, 0), ahead=0, servers=1, busy=0, service=ServiceTime(8, 4, 0))
    assert (low, high) == (0, 2)
    low, high = estimate.wait_range(
        now=at(10, 0), ahead=12, servers=3, busy=3, service=ServiceTime(8, 4, 0), periods=DAY
    )
    assert isinstance(low, int) and isinstance(high, int) and low < 32 < high


@pytest.mark.django_db
def test_estimate_learns_from_todays_finished_tickets(hall, t0):
    window, clerk = hall.windows[0], hall.clerk_at(hall.windows[0])
    for _ in range(3):
        services.issue_ticket(hall.a, now=t0)
    before = queries.estimate(hall.a, ahead=3, priority=False, now=t0)
    assert before.service_minutes == 8 and before.servers == 2  # the default, two clerks seated
    now = t0
    for _ in range(3):
        ticket = services.call_next(window, clerk, now=now)
        now += datetime.timedelta(minutes=20)
        services.finish(ticket, clerk, now=now)
    after = queries.estimate(hall.a, ahead=3, priority=False, now=now)
    assert after.service_minutes > 12
    assert after.high > before.high


@pytest.mark.django_db
def test_ticket_status_for_the_mobile_page(hall, t0):
    tickets = [services.issue_ticket(hall.a, now=t0) for _ in range(6)]
    last = queries.ticket_status(tickets[-1], now=t0)
    assert last["ahead"] == 5 and not last["near"] and last["wait_minutes"][0] < last["wait_minutes"][1]
    near = queries.ticket_status(tickets[2], now=t0)
    assert near["ahead"] == 2 and near["near"] and "即将轮到您" in near["message"]
    window, clerk = hall.windows[0], hall.clerk_at(hall.windows[0])
    services.call_next(window, clerk, now=t0)
    called = queries.ticket_status(tickets[0], now=t0)
    assert called["window"] == window.number and f"{window.number} 号窗口" in called["message"]


def test_spoken_number():
    assert queries.spoken_number("A023") == "A零二三"
    assert queries.announcement("A023", 5) == ("请 A023 号到 5 号窗口", "请A零二三号到5号窗口")
