"""Fixtures of the queue tests: a small hall (two zones, three windows, seated clerks)."""

import datetime
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from yichuang.organisation import services as org_services
from yichuang.organisation.tests.factories import SiteFactory, UserFactory, WindowFactory, ZoneFactory


@pytest.fixture(autouse=True)
def _fresh_config_caches():
    """Rules and opening hours are cached per process; a test's database is new, the cache must be too."""
    from yichuang.queue import queries

    queries.clear_caches()
    yield
    queries.clear_caches()


@dataclass
class Hall:
    site: object
    a: object  # zone A, two windows
    b: object  # zone B, one window
    windows: list = field(default_factory=list)
    clerks: list = field(default_factory=list)

    def clerk_at(self, window):
        return self.clerks[self.windows.index(window)]


def make_hall(seat: bool = True) -> Hall:
    site = SiteFactory(code="hall", name="测试政务服务中心")
    a = ZoneFactory(site=site, code="za", name="综合审批服务区", ticket_letter="A", order=1)
    b = ZoneFactory(site=site, code="zb", name="不动产登记服务专区", ticket_letter="B", order=2)
    windows = [WindowFactory(zone=a, number=1), WindowFactory(zone=a, number=2), WindowFactory(zone=b, number=5)]
    clerks = [UserFactory(window_clerk=True) for _ in windows]
    if seat:
        for clerk, window in zip(clerks, windows, strict=True):
            org_services.take_seat(clerk, window)
    return Hall(site=site, a=a, b=b, windows=windows, clerks=clerks)


@pytest.fixture
def hall(db) -> Hall:
    return make_hall()


@pytest.fixture
def t0():
    """10:00 today, local time: inside the factory site's opening hours on weekdays."""
    return timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(10, 0)))
