"""The demo on a date chinesecalendar does not know: it assumes Monday–Friday for that year and says so."""

import datetime as dt

import pytest
import time_machine

from yichuang.clock.models import CalendarYear
from yichuang.clock.workcalendar import SHANGHAI, WorkCalendar
from yichuang.core.models import AuditEvent
from yichuang.demo import hall
from yichuang.organisation.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.calendar_as_installed]

ASSUMPTION = "这只是演示用的假定,不是国务院公布的安排"


def test_the_demo_in_january_2027_assumes_the_year_and_says_so(client):
    with time_machine.travel(dt.datetime(2027, 1, 4, 10, 0, tzinfo=SHANGHAI), tick=False):
        hall.load_demo()
        years = {y.year: y for y in CalendarYear.objects.all()}
        assert years[2027].assumed and not years[2027].complete
        assert years[2028].assumed and not years[2028].complete
        assert AuditEvent.objects.filter(action="calendar.assume_year").count() == 2
        calendar = WorkCalendar.default()
        assert calendar.is_assumed(2027) and calendar.is_workday(dt.date(2027, 1, 4))

        start = client.get("/").content.decode()
        assert "2027年的节假日安排尚未录入" in start and ASSUMPTION in start

        client.force_login(User.objects.get(username="admin"))
        for url in ("/admin/clock/calendaryear/", "/admin/clock/calendaroverride/"):
            assert ASSUMPTION in client.get(url).content.decode(), url

        hall.load_demo()  # loading again assumes nothing more
        assert AuditEvent.objects.filter(action="calendar.assume_year").count() == 2


def test_a_year_entered_by_the_admin_is_never_assumed():
    CalendarYear.objects.create(year=2027, complete=True, source="国务院办公厅通知")
    with time_machine.travel(dt.datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI), tick=False):
        hall.load_demo()
    row = CalendarYear.objects.get(year=2027)
    assert row.complete and not row.assumed
    assert not CalendarYear.objects.filter(assumed=True).exists()
    assert WorkCalendar.default().is_assumed(2027) is False
