"""A bad rating whose rectification limit reaches into a year nobody has entered: the rating is kept, the due time
waits (never a Monday–Friday guess), the staff see why, and the sweep sets it once the year is entered."""

import datetime as dt
import logging

import pytest
import time_machine
from django.urls import reverse

from yichuang.backoffice import sweep
from yichuang.clock.models import CalendarOverride, CalendarYear
from yichuang.clock.workcalendar import SHANGHAI
from yichuang.core.models import AuditEvent
from yichuang.feedback import queries, services
from yichuang.feedback.models import Channel, Evaluation, Rectification

from .conftest import concluded_case

pytestmark = [pytest.mark.django_db, pytest.mark.calendar_as_installed]

# Monday 28 December 2026: five working days from here end in 2027, which chinesecalendar 1.11.0 does not know.
DEC_28 = dt.datetime(2026, 12, 28, 10, 0, tzinfo=SHANGHAI)
PENDING = "整改期限待2027年节假日安排录入后计算"


def enter_2027():
    """The admin enters 2027's New Year holiday and marks the year complete."""
    CalendarOverride.objects.create(date=dt.date(2027, 1, 1), is_workday=False, note="元旦")
    CalendarYear.objects.create(year=2027, complete=True)


def test_the_rating_is_kept_and_the_due_time_waits_for_the_year(office, case, caplog):
    with caplog.at_level(logging.WARNING, logger="yichuang.feedback.services"):
        evaluation = services.rate(level=1, channel=Channel.LINK, case=case, comment="态度差", now=DEC_28)
    assert Evaluation.objects.get(pk=evaluation.pk).level == 1
    rect = Rectification.objects.get(evaluation=evaluation)
    assert (rect.due_at, rect.due_pending_year, rect.due_days) == (None, 2027, 5)
    assert rect.due_pending_text == PENDING
    assert rect.assignee == office.officer and rect.status == Rectification.Status.OPEN
    # Never overdue while it waits, listed after those with a due time.
    assert not queries.overdue_rectifications(DEC_28 + dt.timedelta(days=400)).exists()
    # The administrator finds it in the server log, without personal data.
    [line] = [r.getMessage() for r in caplog.records if "rectification" in r.getMessage()]
    assert "2027" in line and "态度差" not in line


def test_the_sweep_sets_the_due_time_once_the_year_is_entered(office, case):
    evaluation = services.rate(level=2, channel=Channel.LINK, case=case, now=DEC_28)
    told = []
    sweep.run(DEC_28 + dt.timedelta(hours=1), progress=told.append)
    assert Rectification.objects.get(evaluation=evaluation).due_at is None
    assert "差评整改期限补算：0（仍待2027年节假日安排录入）" in told
    enter_2027()
    told.clear()
    sweep.run(DEC_28 + dt.timedelta(hours=2), progress=told.append)
    rect = Rectification.objects.get(evaluation=evaluation)
    # Tue 29, Wed 30, Thu 31, (元旦 Fri 1 January entered as a holiday), Mon 4, Tue 5 → the close of Tue 5 January.
    assert rect.due_at == dt.datetime(2027, 1, 5, 17, 30, tzinfo=SHANGHAI)
    assert rect.due_pending_year is None and rect.due_pending_text == ""
    assert "差评整改期限补算：1" in told
    assert AuditEvent.objects.filter(action="feedback.rectification_due", object_id=str(rect.pk)).count() == 1
    # A second run changes nothing.
    assert services.fill_pending_dues() == 0
    assert AuditEvent.objects.filter(action="feedback.rectification_due").count() == 1


def test_the_limit_of_the_rating_day_is_kept(office, case):
    from yichuang.feedback.models import FeedbackRules

    rules = FeedbackRules.objects.create(rectification_days=2)
    evaluation = services.rate(level=1, channel=Channel.LINK, case=case, now=DEC_28 + dt.timedelta(days=3))
    rules.rectification_days = 10
    rules.save()
    enter_2027()
    assert services.fill_pending_dues() == 1
    # From Thu 31 December: (Fri 1 January a holiday) Mon 4, Tue 5 — two working days, as on the day of the rating.
    assert Rectification.objects.get(evaluation=evaluation).due_at == dt.datetime(2027, 1, 5, 17, 30, tzinfo=SHANGHAI)


def test_a_limit_that_now_stops_at_a_later_unknown_year_waits_for_that_one(office, case):
    dec_28_2027 = dt.datetime(2027, 12, 28, 10, tzinfo=SHANGHAI)
    evaluation = services.rate(level=1, channel=Channel.LINK, case=case, now=dec_28_2027)
    assert Rectification.objects.get(evaluation=evaluation).due_pending_year == 2027
    CalendarYear.objects.create(year=2027, complete=True)
    assert services.fill_pending_dues() == 0
    rect = Rectification.objects.get(evaluation=evaluation)
    assert (rect.due_at, rect.due_pending_year) == (None, 2028)
    assert rect.due_pending_text == "整改期限待2028年节假日安排录入后计算"


def test_staff_and_supervisors_see_why_there_is_no_due_time(client, office, case):
    waiting = services.rate(level=1, channel=Channel.LINK, case=case, now=DEC_28)
    other = concluded_case(office)
    dated = services.rate(level=2, channel=Channel.LINK, case=other, now=dt.datetime(2026, 4, 2, 10, tzinfo=SHANGHAI))
    with time_machine.travel(DEC_28 + dt.timedelta(hours=3), tick=False):
        client.force_login(office.supervisor)
        page = client.get(reverse("feedback:rectifications")).content.decode()
        assert PENDING in page
        # The one with a due time (long overdue) first, the waiting one after it.
        assert page.index(f'id="r{dated.rectification.pk}"') < page.index(f'id="r{waiting.rectification.pk}"')
        board = client.get(reverse("supervision:board")).content.decode()
        assert "1 件整改期限待2027年节假日安排录入后计算（请管理员录入2027年节假日安排）" in board
        listed = {r["id"]: r for r in client.get("/api/rectifications").json()}
        assert listed[waiting.rectification.pk]["due_at"] is None
        assert listed[waiting.rectification.pk]["due_pending"] == PENDING
        assert listed[waiting.rectification.pk]["overdue"] is False
        assert listed[dated.rectification.pk]["overdue"] is True and listed[dated.rectification.pk]["due_pending"] == ""
        overdue = client.get("/api/rectifications?overdue=true").json()
        assert [r["id"] for r in overdue] == [dated.rectification.pk]
