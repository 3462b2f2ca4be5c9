"""Importing a holiday notice, and the running cases whose deadlines a calendar change moves (clock.services,
caseclock.recompute). Dates are explicit: the hall of the back-office tests, 2026 (chinesecalendar's data) and
2027 (a year the package does not know: the suite marks it complete, Monday–Friday)."""

import datetime as dt

import pytest

from yichuang.backoffice.tests.conftest import take_in
from yichuang.clock import caseclock, services
from yichuang.clock.models import CalendarOverride, CalendarYear
from yichuang.clock.notice import NoticeError, parse_notice
from yichuang.clock.queries import calendar_source
from yichuang.clock.workcalendar import SHANGHAI, WorkCalendar
from yichuang.core.models import AuditEvent
from yichuang.intake.models import Case, TimelineEvent
from yichuang.notifications.models import Message

pytestmark = pytest.mark.django_db


def t(year, month, day, hour=10, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def close(year, month, day):
    return t(year, month, day, 17, 30)


# Made up for the tests in the notices' own words: the 2027 notice was not out when this was written.
NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知
国办发明电〔2026〕99号

各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
经国务院批准，现将2027年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月6日（农历除夕、周六）至14日（周日）放假调休，共9天。2月20日（周六）上班。
三、清明节：4月3日（周六）至5日（周一）放假，共3天。
四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）、5月8日（周六）上班。
五、端午节：6月9日（周三）放假，共1天。
六、中秋节：9月15日（周三）放假，共1天。
七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。
节假日期间，各地区、各部门要妥善安排好值班和安全、保卫等工作，遇有重大突发事件，要按规定及时报告并妥善处置，确保人民群众祥和平安度过节日假期。

国务院办公厅
2026年11月5日
"""


def _overrides(year):
    return {(o.date, o.is_workday, o.note) for o in CalendarOverride.objects.filter(date__year=year)}


# --- caseclock.recompute: a change inside a running case's span ---------------------------------------


def _changed(case, admin, now, day, is_workday):
    before = calendar_source()
    CalendarOverride.objects.create(date=day, is_workday=is_workday, note="测试")
    return services.calendar_changed(before, admin, "测试调整", now=now)


def test_a_holiday_in_the_span_moves_the_deadline_one_working_day_later(office):
    case = take_in(office.hall, now=t(2026, 3, 10))  # Tue, 3 working days: Wed 11, Thu 12, Fri 13
    assert case.due_at == close(2026, 3, 13)
    now = t(2026, 3, 10, 14)
    old_calendar = WorkCalendar.default()
    used = caseclock.time_used_us(case, now, old_calendar)

    moves = _changed(case, office.hall.admin, now, dt.date(2026, 3, 12), False)

    case.refresh_from_db()
    assert [m.case.pk for m in moves] == [case.pk]
    assert case.due_at == close(2026, 3, 16)  # Thu 12 off: Wed 11, Fri 13, Mon 16
    assert caseclock.time_used_us(case, now, WorkCalendar.default()) == used  # the time used so far stays
    assert case.warn_at == WorkCalendar.default().subtract_working_hours(case.due_at, case.warn_us / 3.6e9)
    event = TimelineEvent.objects.get(case=case, kind=TimelineEvent.Kind.DEADLINE_MOVED)
    assert event.detail["before"] == close(2026, 3, 13).isoformat()
    assert event.detail["due"] == close(2026, 3, 16).isoformat()
    messages = Message.objects.filter(kind="deadline_moved")
    assert messages.count() == 1
    assert "2026-03-13" in messages.get().body and "2026-03-16 17:30" in messages.get().body
    assert AuditEvent.objects.filter(action="clock.deadline_moved").count() == 1

    # The same calendar again: nothing moves, nothing is written twice.
    assert services.calendar_changed(calendar_source(), office.hall.admin, "测试调整", now=now) == []
    case.refresh_from_db()
    assert case.due_at == close(2026, 3, 16)
    assert TimelineEvent.objects.filter(kind=TimelineEvent.Kind.DEADLINE_MOVED).count() == 1
    assert Message.objects.filter(kind="deadline_moved").count() == 1


def test_a_make_up_workday_in_the_span_moves_the_deadline_earlier(office):
    case = take_in(office.hall, now=t(2026, 3, 12))  # Thu: Fri 13, Mon 16, Tue 17
    assert case.due_at == close(2026, 3, 17)
    moves = _changed(case, office.hall.admin, t(2026, 3, 12, 11), dt.date(2026, 3, 14), True)
    case.refresh_from_db()
    assert case.due_at == close(2026, 3, 16)  # Fri 13, Sat 14 (make-up), Mon 16
    assert len(moves) == 1 and moves[0].day_moved
    assert Message.objects.filter(kind="deadline_moved").count() == 1


def test_a_change_outside_the_span_or_in_the_past_moves_nothing(office):
    case = take_in(office.hall, now=t(2026, 3, 10))
    assert _changed(case, office.hall.admin, t(2026, 3, 10, 14), dt.date(2026, 3, 18), False) == []
    assert _changed(case, office.hall.admin, t(2026, 3, 10, 14), dt.date(2026, 3, 9), False) == []
    case.refresh_from_db()
    assert case.due_at == close(2026, 3, 13)
    assert not TimelineEvent.objects.filter(kind=TimelineEvent.Kind.DEADLINE_MOVED).exists()


def test_stopped_and_concluded_clocks_do_not_move(office):
    paused = take_in(office.hall, now=t(2026, 3, 10))
    calendar = WorkCalendar.default()
    caseclock.pause(paused, t(2026, 3, 10, 14), calendar)
    paused.status = Case.Status.CORRECTION
    paused.save()
    left = paused.left_us
    done = take_in(office.hall, now=t(2026, 3, 10))
    Case.objects.filter(pk=done.pk).update(status=Case.Status.APPROVED, concluded_at=t(2026, 3, 10, 11))

    plan_before = calendar_source()
    CalendarOverride.objects.create(date=dt.date(2026, 3, 12), is_workday=False)
    assert services.calendar_changed(plan_before, office.hall.admin, "x", now=t(2026, 3, 10, 15)) == []
    paused.refresh_from_db()
    done.refresh_from_db()
    assert paused.left_us == left and paused.due_at == close(2026, 3, 13)
    assert done.due_at == close(2026, 3, 13)


# --- the notice -------------------------------------------------------------------------------------


def test_preview_writes_nothing_and_apply_stores_exactly_the_differing_days(office):
    CalendarYear.objects.update_or_create(year=2027, defaults={"complete": False, "assumed": True})
    notice = parse_notice(NOTICE_2027)
    plan = services.preview_notice(notice, now=t(2026, 12, 1))
    assert not CalendarOverride.objects.exists()
    assert len(plan.write) == len(notice.differing()) and plan.changed
    assert {c.date for c in plan.changes} == {d.date for d in notice.differing()}

    services.apply_notice(parse_notice(NOTICE_2027), office.hall.admin, now=t(2026, 12, 1))
    assert _overrides(2027) == {(d.date, d.is_workday, d.name) for d in notice.differing()}
    row = CalendarOverride.objects.get(date=dt.date(2027, 2, 8))
    assert row.source == "《国务院办公厅关于2027年部分节假日安排的通知》（国办发明电〔2026〕99号，2026年11月5日）"
    year = CalendarYear.objects.get(year=2027)
    assert year.complete and not year.assumed and year.source == row.source
    assert AuditEvent.objects.filter(action="calendar.import_notice").count() == 1
    calendar = WorkCalendar.default()
    assert not calendar.is_assumed(2027)
    assert not calendar.is_workday(dt.date(2027, 2, 8)) and calendar.is_workday(dt.date(2027, 2, 20))

    # Importing it again changes nothing and writes nothing.
    stamps = dict(CalendarOverride.objects.values_list("date", "updated_at"))
    again = services.apply_notice(parse_notice(NOTICE_2027), office.hall.admin, now=t(2026, 12, 2))
    assert not again.changed
    assert dict(CalendarOverride.objects.values_list("date", "updated_at")) == stamps
    assert AuditEvent.objects.filter(action="calendar.import_notice").count() == 1


def test_the_notice_replaces_the_years_other_overrides_but_keeps_another_notices(office):
    CalendarOverride.objects.create(date=dt.date(2027, 3, 8), is_workday=False, note="手工录入")  # by hand
    CalendarOverride.objects.create(date=dt.date(2027, 10, 8), is_workday=False, note="国庆节")  # named: a workday
    next_years = "《国务院办公厅关于2028年部分节假日安排的通知》"
    CalendarOverride.objects.create(date=dt.date(2027, 12, 31), is_workday=False, note="元旦", source=next_years)
    CalendarOverride.objects.create(date=dt.date(2026, 12, 30), is_workday=False, note="其他年份")

    plan = services.apply_notice(parse_notice(NOTICE_2027), office.hall.admin, now=t(2026, 12, 1))

    assert {r.date for r in plan.remove} == {dt.date(2027, 3, 8), dt.date(2027, 10, 8)}
    assert [r.date for r in plan.kept] == [dt.date(2027, 12, 31)]
    dates = set(CalendarOverride.objects.values_list("date", flat=True))
    assert dt.date(2027, 3, 8) not in dates and dt.date(2027, 10, 8) not in dates
    assert dt.date(2027, 12, 31) in dates and dt.date(2026, 12, 30) in dates


def test_importing_moves_the_running_cases_it_changes(office):
    case = take_in(office.hall, now=t(2026, 12, 29))  # Tue: Wed 30, Thu 31, Fri 2027-01-01 (Monday–Friday)
    assert case.due_at == close(2027, 1, 1)
    notice = parse_notice(NOTICE_2027)
    plan = services.preview_notice(notice, now=t(2026, 12, 29, 14))
    assert [(m.case.pk, m.before, m.after) for m in plan.moves] == [(case.pk, close(2027, 1, 1), close(2027, 1, 4))]
    case.refresh_from_db()
    assert case.due_at == close(2027, 1, 1)  # the preview moved nothing

    services.apply_notice(parse_notice(NOTICE_2027), office.hall.admin, now=t(2026, 12, 29, 14))
    case.refresh_from_db()
    assert case.due_at == close(2027, 1, 4)
    assert TimelineEvent.objects.filter(case=case, kind=TimelineEvent.Kind.DEADLINE_MOVED).count() == 1
    assert Message.objects.filter(kind="deadline_moved").count() == 1

    services.apply_notice(parse_notice(NOTICE_2027), office.hall.admin, now=t(2026, 12, 29, 15))
    assert TimelineEvent.objects.filter(case=case, kind=TimelineEvent.Kind.DEADLINE_MOVED).count() == 1
    assert Message.objects.filter(kind="deadline_moved").count() == 1


def test_a_supplementary_notice_adds_its_days_only(office):
    services.apply_notice(parse_notice(NOTICE_2027), office.hall.admin, now=t(2026, 12, 1))
    text = (
        "国务院办公厅关于调整2027年劳动节假期安排的通知\n"
        "经国务院同意，现将2027年劳动节假期调整安排通知如下：\n"
        "5月1日至6日放假调休，共6天。4月25日（周日）、5月8日（周六）、5月9日（周日）上班。\n"
    )
    plan = services.apply_notice(parse_notice(text), office.hall.admin, now=t(2026, 12, 2))
    assert not plan.remove and not plan.year_changes
    assert CalendarOverride.objects.get(date=dt.date(2027, 5, 6)).note == "劳动节"
    assert CalendarOverride.objects.get(date=dt.date(2027, 5, 9)).is_workday
    assert CalendarOverride.objects.filter(date=dt.date(2027, 10, 8)).count() == 0
    assert CalendarOverride.objects.filter(date__year=2027).count() == len(parse_notice(NOTICE_2027).differing()) + 2


def test_an_extension_is_resolved_against_the_current_calendar_or_refused_whole(office):
    services.apply_notice(parse_notice(NOTICE_2027), office.hall.admin, now=t(2026, 12, 1))
    count = CalendarOverride.objects.count()
    text = (
        "国务院办公厅关于延长2027年春节假期的通知\n"
        "一、延长2027年春节假期至2月17日（星期三），2月18日（星期四）起正常上班。\n"
    )
    services.apply_notice(parse_notice(text), office.hall.admin, now=t(2026, 12, 2))
    off = CalendarOverride.objects.filter(note="春节", is_workday=False)
    assert set(off.values_list("date", flat=True)) >= {
        dt.date(2027, 2, 15),
        dt.date(2027, 2, 16),
        dt.date(2027, 2, 17),
    }
    assert CalendarOverride.objects.count() == count + 3

    # Extending a festival the calendar does not have: refused before anything is written.
    bad = "国务院办公厅关于延长2027年端午节假期的通知\n一、延长2027年端午节假期至12月20日（星期一）。\n"
    with pytest.raises(NoticeError):
        services.apply_notice(parse_notice(bad), office.hall.admin, now=t(2026, 12, 2))
    assert CalendarOverride.objects.count() == count + 3
