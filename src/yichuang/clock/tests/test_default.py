"""The hall's calendar from the database, the warnings ahead of an unknown year, and the admin."""

import datetime
from datetime import date
from decimal import Decimal

import pytest

from yichuang.clock import CalendarUnknown, WorkCalendar, calendar_warnings
from yichuang.clock.models import CalendarOverride, CalendarYear
from yichuang.clock.workcalendar import SHANGHAI
from yichuang.core.models import AuditEvent
from yichuang.organisation.models import OpeningPeriod
from yichuang.organisation.tests.factories import SiteFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.calendar_as_installed]


def at(y, m, d, hh=0, mm=0):
    return datetime.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def test_without_a_site_the_default_hours_apply():
    cal = WorkCalendar.default()
    assert cal.add_working_hours(at(2026, 3, 6, 11), 2) == at(2026, 3, 6, 14, 30)
    assert cal.working_hours_between(at(2026, 3, 6, 0), at(2026, 3, 7, 0)) == 7


def test_the_default_sites_opening_periods_are_used():
    site = SiteFactory(is_default=True, hours=False)
    other = SiteFactory(hours=False)  # not the default: ignored
    for weekday in range(5):
        OpeningPeriod.objects.create(site=site, weekday=weekday, start=datetime.time(8, 30), end=datetime.time(12))
        OpeningPeriod.objects.create(site=site, weekday=weekday, start=datetime.time(14), end=datetime.time(18))
    OpeningPeriod.objects.create(site=other, weekday=0, start=datetime.time(0), end=datetime.time(23))
    cal = WorkCalendar.default()
    assert cal.working_hours_between(at(2026, 3, 6, 0), at(2026, 3, 7, 0)) == Decimal("7.5")
    assert cal.add_working_hours(at(2026, 3, 6, 11), 2) == at(2026, 3, 6, 15)
    # The make-up Saturday 14 Feb 2026 opens with the weekday hours.
    assert cal.add_working_hours(at(2026, 2, 13, 17), 2) == at(2026, 2, 14, 9, 30)


def test_overrides_in_the_database_win_and_are_seen_at_once(django_assert_num_queries):
    assert WorkCalendar.default().is_workday(date(2026, 3, 4))
    override = CalendarOverride.objects.create(date=date(2026, 3, 4), is_workday=False, note="测试")
    with django_assert_num_queries(3):
        cal = WorkCalendar.default()
    assert not cal.is_workday(date(2026, 3, 4))
    # Another app server changes it behind this process's back (no signal): the next call sees it.
    CalendarOverride.objects.filter(pk=override.pk).update(is_workday=True)
    assert WorkCalendar.default().is_workday(date(2026, 3, 4))
    CalendarOverride.objects.all().delete()
    CalendarOverride.objects.create(date=date(2026, 2, 14), is_workday=False)
    assert not WorkCalendar.default().is_workday(date(2026, 2, 14))  # the make-up Saturday, cancelled
    assert WorkCalendar.default() is WorkCalendar.default()  # unchanged content: the built tables are reused


def test_an_unknown_year_is_known_only_once_marked_complete():
    CalendarOverride.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    with pytest.raises(CalendarUnknown):
        WorkCalendar.default().add_working_days(date(2026, 12, 21), 20)
    year = CalendarYear.objects.create(year=2027, complete=False)
    with pytest.raises(CalendarUnknown):
        WorkCalendar.default().is_workday(date(2027, 1, 4))
    year.complete = True
    year.save()
    cal = WorkCalendar.default()
    assert not cal.is_workday(date(2027, 1, 1)) and cal.is_workday(date(2027, 1, 4))
    assert cal.add_working_days(date(2026, 12, 21), 20) == date(2027, 1, 19)
    assert cal.known_until() == date(2027, 12, 31)


def test_warnings_ahead_of_an_unknown_year():
    warnings = calendar_warnings(date(2026, 11, 28))
    assert len(warnings) == 1 and "2027年的节假日安排尚未录入" in warnings[0] and "34天" in warnings[0]
    assert calendar_warnings(date(2026, 11, 1)) == []  # 61 days ahead
    assert len(calendar_warnings(date(2026, 11, 2))) == 1  # 60 days ahead
    assert len(calendar_warnings(date(2026, 10, 1), days=100)) == 1
    # Today already in an unknown year: deadlines fail now, and the next one is unknown too.
    in_2027 = calendar_warnings(date(2027, 12, 15))
    assert len(in_2027) == 2 and "2027年" in in_2027[0] and "2028年" in in_2027[1]
    CalendarYear.objects.create(year=2027, complete=True)
    assert calendar_warnings(date(2026, 11, 28)) == []
    assert calendar_warnings(date(2015, 12, 20)) == []


def test_the_admin_changelists_show_the_warning_and_changes_are_audited(client, monkeypatch):
    monkeypatch.setattr("yichuang.clock.admin._today", lambda: date(2026, 11, 28))
    admin = UserFactory(hall_admin=True, is_superuser=True)
    client.force_login(admin)
    for url in ("/admin/clock/calendaroverride/", "/admin/clock/calendaryear/"):
        page = client.get(url).content.decode()
        assert "2027年的节假日安排尚未录入" in page, url
    response = client.post(
        "/admin/clock/calendaroverride/add/", {"date": "2027-01-01", "is_workday": "", "note": "元旦"}
    )
    assert response.status_code == 302
    override = CalendarOverride.objects.get(date=date(2027, 1, 1))
    assert not override.is_workday
    assert AuditEvent.objects.filter(action="admin.add", object_type="clock.calendaroverride").exists()
    client.post("/admin/clock/calendaryear/add/", {"year": "2027", "complete": "on", "note": ""})
    assert "2027年的节假日安排尚未录入" not in client.get("/admin/clock/calendaroverride/").content.decode()
    # One override per date.
    duplicate = client.post("/admin/clock/calendaroverride/add/", {"date": "2027-01-01", "is_workday": "on"})
    assert duplicate.status_code == 200 and CalendarOverride.objects.count() == 1


def test_todays_warnings_follow_the_date(db, monkeypatch):
    from django.utils import timezone

    from yichuang.clock.queries import calendar_warnings_today

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2099, 12, 20))  # 2100: no data, not entered
    warnings = calendar_warnings_today()
    assert any("2100年" in w and "现在已不能受理" in w for w in warnings)
    CalendarYear.objects.create(year=2099, complete=True)
    CalendarYear.objects.create(year=2100, complete=True)
    assert calendar_warnings_today() == []
