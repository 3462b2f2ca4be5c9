"""The demo as loaded is ready for the README's walk (issue 13, item 7): an officer for every department a bundle
reaches, booking slots open, a quiet hall with a past that has handling times, and a start page linking every
surface. Loaded under a clock frozen on Tuesday 2026-11-10 at 10:20 in Shenqiu (a working day chinesecalendar
knows); the browser walk itself is test_walk.py."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import F
from django.test import Client

from yichuang.catalogue.models import BundleItem
from yichuang.demo import hall
from yichuang.organisation.models import Department, Window
from yichuang.organisation.roles import Role
from yichuang.performance import queries as performance
from yichuang.queue import queries as queue_queries
from yichuang.queue.demo import BOOKING_DAYS, SLOT_CAPACITY, open_booking
from yichuang.queue.models import AppointmentSlot, Ticket

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
TUESDAY = dt.datetime(2026, 11, 10, 10, 20, tzinfo=SHANGHAI)


@pytest.fixture
def loaded():
    queue_queries.clear_caches()
    with time_machine.travel(TUESDAY, tick=False):
        yield hall.load_demo()
    queue_queries.clear_caches()


def every_department_a_bundle_reaches_has_an_officer():
    in_bundles = BundleItem.objects.values("matter_id")
    reached = set(Department.objects.filter(matters__in=in_bundles).values_list("code", flat=True))
    assert {"market", "police", "pboc", "tax", "hrss", "housing_fund"} <= reached  # 企业开办
    officers = {
        m.user.department.code for m in hall.demo_staff() if m.role == Role.BACKOFFICE_OFFICER and m.user.is_active
    }
    assert reached - officers == set()


def booking_is_open_for_the_coming_working_days():
    enterprise = AppointmentSlot.objects.filter(zone__code="sq-enterprise")
    days = sorted(set(enterprise.values_list("date", flat=True)))
    # Today (the hall is open) and the next working days: the weekend of 11-14/15 skipped.
    assert days == [dt.date(2026, 11, d) for d in (10, 11, 12, 13, 16)] and len(days) == BOOKING_DAYS
    today = enterprise.filter(date=dt.date(2026, 11, 10)).order_by("start")
    assert today.first().start == dt.time(9) and all(s.capacity == SLOT_CAPACITY for s in today)
    with time_machine.travel(TUESDAY, tick=False):
        page = Client().get("/booking/shenqiu/?zone=sq-enterprise").content.decode()
        assert "暂未开放预约" not in page and "11-10 10:30" in page and "11-10 10:00" not in page  # past: not offered
        assert open_booking() == "网上预约：已开放，未改动"  # loading again changes nothing


def the_hall_is_quiet_and_its_past_has_handling_times():
    today = dt.date(2026, 11, 10)
    assert Ticket.objects.filter(date=today).exists()
    assert not Ticket.objects.filter(date=today, status__in=["waiting", "called", "serving"]).exists()
    served = Ticket.objects.filter(status=Ticket.Status.FINISHED)
    assert served.exists() and not served.filter(served_at__isnull=True).exists()
    assert not served.filter(served_at__lt=F("called_at")).exists()
    with time_machine.travel(TUESDAY, tick=False):
        report = performance.report(performance.month_of(today), "staff")
    with_tickets = [row for row in report.rows if row.tickets]
    assert len(with_tickets) >= 15
    assert all(row.handling_minutes and row.handling_minutes > 0 for row in with_tickets), [
        (row.name, row.handling_minutes) for row in with_tickets if not row.handling_minutes
    ]
    assert report.total.handling_minutes is not None


def start_page_links_every_surface_and_the_demo_accounts():
    with time_machine.travel(TUESDAY, tick=False):
        page = Client().get("/").content.decode()
    pads = Window.objects.filter(number__in=[16, 35], kind=Window.Kind.OUTPUT).order_by("number")
    for window in pads:  # the rating pads beside the output windows where somebody sits today
        assert f'href="/rate/{window.pk}"' in page and f"评价器 · {window.number} 号窗口" in page
    for href in ("/performance/", "/feedback/rectifications/", "/display/shenqiu/boards/", "/booking/shenqiu/"):
        assert f'href="{href}' in page, href
    assert 'data-surface="demo-accounts"' in page and "载入了沈丘县演示数据" in page
    assert "officer_pboc" in page and "11 号窗口（企业开办服务专区）" in page


def test_the_demo_is_ready_for_the_walk(loaded):
    """One load (a few seconds) for the four checks."""
    every_department_a_bundle_reaches_has_an_officer()
    booking_is_open_for_the_coming_working_days()
    the_hall_is_quiet_and_its_past_has_handling_times()
    start_page_links_every_surface_and_the_demo_accounts()
