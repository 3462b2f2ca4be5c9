"""A zone's history for planning (capacity/history.py): arrivals per half hour on a weekday, handling times,
no-shows, people who left and their patience — from tickets with known times, on SQLite and PostgreSQL."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from yichuang.hall.capacity.history import half_hours, period, zone_histories, zone_history
from yichuang.organisation.tests.factories import SiteFactory, ZoneFactory
from yichuang.queue.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
# Three Mondays in the period [2026-11-09, 2026-11-30): 9, 16 and 23 November.
START, END = dt.date(2026, 11, 9), dt.date(2026, 11, 30)
MON1, MON2, MON3 = START, dt.date(2026, 11, 16), dt.date(2026, 11, 23)
TUE = dt.date(2026, 11, 10)
_seq: dict = {}


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def ticket(zone, day, hour, minute=0, *, wait=None, handle=None, status=None, served_by=None, missed_after=None):
    """A ticket issued at hour:minute local time; called after `wait` minutes, finished `handle` minutes after the
    call, or missed `missed_after` minutes after its first call."""
    key = (zone.pk, day)
    _seq[key] = _seq.get(key, 0) + 1
    issued = at(day, hour, minute)
    called = issued + dt.timedelta(minutes=wait) if wait is not None else None
    values = dict(
        zone=served_by or zone,
        issued_zone=zone,
        date=day,
        seq=_seq[key],
        number=f"{zone.ticket_letter}{_seq[key]:03d}",
        issued_at=issued,
        queued_at=issued,
        first_called_at=called,
        called_at=called,
        status=status or Ticket.Status.WAITING,
    )
    if handle is not None:
        values.update(
            status=Ticket.Status.FINISHED, served_at=called, finished_at=called + dt.timedelta(minutes=handle)
        )
    if missed_after is not None:
        values.update(status=Ticket.Status.MISSED, missed_at=called + dt.timedelta(minutes=missed_after))
    return Ticket.objects.create(**values)


@pytest.fixture
def zones():
    _seq.clear()
    site = SiteFactory(code="cap", name="规划测试中心")  # open Monday–Friday 09:00–12:00, 13:30–17:30
    a = ZoneFactory(site=site, code="cap-a", ticket_letter="A")
    b = ZoneFactory(site=site, code="cap-b", ticket_letter="B")
    return site, a, b


def test_half_hours_follow_the_opening_hours(zones):
    site, _a, _b = zones
    slots = half_hours(site, 0)
    assert [f"{s:%H:%M}" for s, _e in slots] == [
        "09:00", "09:30", "10:00", "10:30", "11:00", "11:30",
        "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30", "17:00",
    ]  # fmt: skip
    assert half_hours(site, 6) == []  # closed on Sundays
    assert period(3, END) == (START, END)


def test_arrivals_per_half_hour_are_the_mean_over_the_weekdays_the_hall_was_open(zones):
    site, a, b = zones
    for day in (MON1, MON2):
        ticket(a, day, 9, 5)
        ticket(a, day, 9, 10)
        ticket(a, day, 9, 40)
    ticket(b, MON3, 10, 0)  # zone a had nobody on the third Monday, but the hall was open: a day of zero
    ticket(a, TUE, 9, 5)  # another weekday
    ticket(a, dt.date(2026, 11, 2), 9, 5)  # before the period
    ticket(a, dt.date(2026, 11, 30), 9, 5)  # the period's end is not in it
    history = zone_history(a, 0, START, END)
    assert history.days == 3
    assert history.tickets == 6
    assert history.arrivals[0] == pytest.approx(4 / 3)
    assert history.arrivals[1] == pytest.approx(2 / 3)
    assert sum(history.arrivals) == pytest.approx(2.0)


def test_half_hours_are_local_time_and_tickets_outside_opening_count_in_the_next_open_one(zones):
    site, a, _b = zones
    ticket(a, MON1, 15, 10)  # 07:10 UTC: in the 15:00 half hour, not in the morning
    ticket(a, MON1, 8, 30)  # before opening: waits for 09:00
    ticket(a, MON1, 12, 40)  # in the lunch break: waits for 13:30
    ticket(a, MON1, 18, 5)  # after closing: the last half hour
    history = zone_history(a, 0, START, END)
    labels = [f"{s:%H:%M}" for s, _e in history.slots]
    counts = dict(zip(labels, history.arrivals, strict=True))
    assert history.days == 1
    assert counts["15:00"] == 1 and counts["09:00"] == 1 and counts["13:30"] == 1 and counts["17:00"] == 1
    assert sum(history.arrivals) == 4


def test_handling_times_as_the_wait_estimate_learns_them(zones):
    _site, a, b = zones
    ticket(a, MON1, 9, 0, wait=2, handle=10)
    ticket(a, TUE, 9, 0, wait=1, handle=14)  # any weekday of the period counts for handling times
    ticket(a, MON1, 9, 10, wait=3, handle=200)  # a clerk who forgot 办结: capped at 90 minutes
    ticket(a, MON1, 9, 20, wait=5, missed_after=3)  # a no-show: 3 minutes of calling in vain
    ticket(b, MON1, 9, 30, wait=1, handle=6, served_by=a)  # issued in b, served in a: a's window time
    history = zone_history(a, 0, START, END)
    assert sorted(history.handle_samples) == [6, 10, 14, 90]
    assert history.no_show_samples == [3]
    assert history.handle_minutes == pytest.approx((6 + 10 + 14 + 90 + 3) / 5)
    assert history.finished == 3 and history.no_shows == 1
    assert history.no_show_share == pytest.approx(1 / 4)


def test_people_who_left_and_their_patience(zones):
    _site, a, _b = zones
    ticket(a, MON1, 9, 0, wait=4, handle=10)
    ticket(a, MON1, 9, 5, wait=6, handle=10)
    ticket(a, MON1, 9, 10, wait=10, missed_after=3)  # gave up before the call (seen only at the call)
    gone = ticket(a, MON1, 9, 20, status=Ticket.Status.CANCELLED)  # cancelled while waiting, after 12 minutes
    TicketEvent.objects.create(ticket=gone, kind=TicketEvent.Kind.CANCELLED, at=at(MON1, 9, 32), zone=a)
    ticket(a, MON2, 9, 0)  # still waiting on a past day: left, but when is not known (not in the patience)
    history = zone_history(a, 0, START, END)
    assert history.left == 2
    assert history.gave_up == 2  # the no-show and the cancellation
    assert history.waiting_minutes == pytest.approx(4 + 6 + 10 + 12)
    assert history.patience_minutes == pytest.approx(32 / 2)


def test_no_history_means_nothing_to_plan(zones):
    site, a, b = zones
    histories = zone_histories([a, b], 0, START, END)
    for history in histories.values():
        assert history.days == 0 and history.tickets == 0
        assert history.arrivals == [0.0] * 14
        assert history.handle_minutes is None and history.patience_minutes is None and history.no_show_share is None


# --- the demo's weeks of history ------------------------------------------------------------------------------------


def test_the_demo_plays_weeks_of_working_days_once(zones):
    """`yichuang demo` plays the working days before yesterday through the services (queue.demo.load_history_weeks):
    the planner then reads each weekday of those weeks, and loading again changes nothing."""
    from yichuang.organisation import services as org_services
    from yichuang.organisation.tests.factories import UserFactory, WindowFactory
    from yichuang.queue.demo import busy, load_history_weeks

    site, a, b = zones
    for zone, number in ((a, 1), (a, 2), (b, 3)):
        org_services.take_seat(UserFactory(window_clerk=True), WindowFactory(zone=zone, number=number))
    line = load_history_weeks(site, weeks=2)  # two: never all holidays
    today = timezone.localdate()
    days = sorted(set(Ticket.objects.values_list("date", flat=True)))
    assert days and all(day.weekday() < 5 for day in days)
    assert all(today - dt.timedelta(weeks=2) <= day < today - dt.timedelta(days=1) for day in days)
    assert f"{len(days)} 个工作日" in line
    # Played through the services: every ticket was issued, called and finished or missed, with its events.
    assert not Ticket.objects.filter(status__in=["waiting", "called", "serving"]).exists()
    assert TicketEvent.objects.filter(kind="issued").count() == Ticket.objects.count()
    count = Ticket.objects.count()
    assert load_history_weeks(site, weeks=2) == f"一号服务往期历史：{len(days)} 个工作日已有，未改动"
    assert Ticket.objects.count() == count
    history = zone_history(a, days[0].weekday(), days[0], today)
    assert history.days >= 1 and sum(history.arrivals) > 0 and history.handle_minutes > 0
    # The hall's rhythm: a morning rush, a quiet hour after lunch, Mondays busier than Fridays.
    monday, friday = dt.date(2026, 11, 9), dt.date(2026, 11, 13)
    assert busy(at(monday, 9, 15)) > busy(at(monday, 13, 45)) and busy(at(monday, 10)) > busy(at(friday, 10))
