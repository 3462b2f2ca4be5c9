"""A small hall on a fixed working day (Tuesday 2026-11-10): two zones, three windows, clerks seated at 09:00,
and a manager with a phone. The clock stands still (time-machine) and moves only when a test moves it."""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest

from yichuang.organisation import services as org_services
from yichuang.organisation.tests.factories import SiteFactory, UserFactory, WindowFactory, ZoneFactory

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 11, 10)


def at(hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(DAY.year, DAY.month, DAY.day, hour, minute, second, tzinfo=TZ)


@dataclass
class Hall:
    site: object
    a: object  # 综合受理 A: windows 1 and 2
    b: object  # 不动产 B: window 5
    windows: list = field(default_factory=list)
    clerks: list = field(default_factory=list)
    manager: object = None
    supervisor: object = None

    def clerk_at(self, window):
        return self.clerks[self.windows.index(window)]


@pytest.fixture(autouse=True)
def _fresh_caches():
    from django.core.cache import cache

    from yichuang.queue import queries

    queries.clear_caches()
    cache.clear()
    yield
    queries.clear_caches()


@pytest.fixture
def clock(time_machine):
    """Move the standing clock: clock(10, 30)."""

    def move(hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
        moment = at(hour, minute, second)
        time_machine.move_to(moment, tick=False)
        return moment

    move(9, 0)
    return move


@pytest.fixture
def hall(db, clock) -> Hall:
    site = SiteFactory(code="hall", name="测试政务服务中心")
    a = ZoneFactory(site=site, code="za", name="综合受理区", ticket_letter="A", order=1)
    b = ZoneFactory(site=site, code="zb", name="不动产专区", ticket_letter="B", order=2)
    windows = [WindowFactory(zone=a, number=1), WindowFactory(zone=a, number=2), WindowFactory(zone=b, number=5)]
    clerks = [UserFactory(window_clerk=True, first_name=f"员{n}", last_name="王") for n in (1, 2, 5)]
    for clerk, window in zip(clerks, windows, strict=True):
        org_services.take_seat(clerk, window)
    manager = UserFactory(hall_admin=True, phone="13800138000", site=site)
    supervisor = UserFactory(supervisor=True)
    return Hall(site, a, b, windows, clerks, manager, supervisor)
