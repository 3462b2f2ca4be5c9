"""Deadlines and clocks around the 2026 holidays, computed by hand from the State Council's notice:
Spring Festival off 02-15 … 02-23, make-up workdays Sat 02-14 and Sat 02-28; National Day off 10-01 … 10-07,
make-up workdays Sun 09-20 and Sat 10-10. Opening hours 09:00–12:00, 13:30–17:30 (7 h); instant cut-off
30 minutes before closing."""

import datetime as dt

import pytest

from yichuang.backoffice import services
from yichuang.clock import caseclock
from yichuang.intake import services as intake
from yichuang.intake.models import Case
from yichuang.intake.tests.helpers import PERSON, T0, received

from .conftest import take_in

SH = T0.tzinfo


def t(month, day, hour=10, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SH)


def close(month, day):
    return t(month, day, 17, 30)


@pytest.mark.parametrize(
    ("accepted", "due"),
    [
        (t(2, 12), close(2, 24)),  # Thu: Fri 13, Sat 14 (make-up), then the holiday, Tue 24
        (t(2, 13), close(2, 25)),  # Fri: Sat 14, Tue 24, Wed 25
        (t(2, 14), close(2, 26)),  # on the make-up Saturday itself: the day does not count
        (t(2, 18), close(2, 26)),  # during the holiday: Tue 24, Wed 25, Thu 26
        (t(2, 27), close(3, 3)),  # Fri: Sat 28 (make-up), Mon 03-02, Tue 03-03
        (t(9, 18), close(9, 22)),  # Fri: Sun 20 (make-up), Mon 21, Tue 22
        (t(9, 30), close(10, 10)),  # Wed: Thu 10-08, Fri 10-09, Sat 10-10 (make-up)
        (t(10, 1), close(10, 10)),  # on National Day
        (t(10, 9), close(10, 13)),  # Fri: Sat 10 (make-up), Mon 12, Tue 13
    ],
)
def test_three_working_day_deadlines_around_the_holidays(office, accepted, due):
    assert take_in(office.hall, now=accepted).due_at == due


def test_five_working_days_from_the_day_before_national_day(office):
    case = take_in(office.hall, "ELDERLY", materials=received("ID", "PLAN"), now=t(9, 30))
    assert case.due_at == close(10, 13)  # 10-08, 10-09, 10-10, 10-12, 10-13


def seal(office, now):
    submission = intake.submit(
        actor=office.hall.clerk,
        applicant=PERSON,
        matters=["SEAL"],
        materials=received("ID", "LICENCE"),
        window=office.hall.w1,
        now=now,
    )
    return submission.cases.get()


@pytest.mark.parametrize(
    ("accepted", "due"),
    [
        (t(2, 13, 16, 50), close(2, 13)),  # before the cut-off: today
        (t(2, 13, 17, 10), close(2, 14)),  # after it: the next working day is the make-up Saturday
        (t(2, 15), close(2, 24)),  # on a holiday: the first working day after it
        (t(9, 30, 17, 1), close(10, 8)),  # after the cut-off before National Day
        (t(9, 19, 10), close(9, 20)),  # on a Saturday: the make-up Sunday
    ],
)
def test_an_instant_matter_after_the_cut_off_rolls_to_the_next_working_day(office, accepted, due):
    assert seal(office, accepted).due_at == due


def test_the_clock_runs_on_make_up_days_and_stands_still_on_holidays(office):
    case = take_in(office.hall, now=t(2, 12))  # due Tue 02-24 17:30; yellow at 14 working hours left
    assert caseclock.level(case, t(2, 13)) == caseclock.GREEN  # 6 + 7 + 7 = 20 h left
    assert case.warn_at == t(2, 14, 9, 0)  # 7 h on 02-24 and 7 h on the make-up Saturday
    assert caseclock.level(case, t(2, 14, 12)) == caseclock.YELLOW
    assert caseclock.level(case, t(2, 20)) == caseclock.YELLOW  # the holiday costs nothing
    assert caseclock.level(case, t(2, 24, 17, 31)) == caseclock.RED
    assert Case.objects.filter(caseclock.yellow_q(t(2, 20)), pk=case.pk).exists()


def test_a_correction_received_during_the_holiday_restarts_after_it(office):
    case = take_in(office.hall, now=t(2, 12))
    services.claim(case, office.officer, now=t(2, 12))
    services.request_correction(
        case, office.officer, items=[{"material": "ID", "note": "不清晰"}], due=dt.date(2026, 2, 27), now=t(2, 13)
    )
    case.refresh_from_db()
    assert case.left_us == 20 * caseclock.HOUR_US
    services.receive_correction(case, None, now=t(2, 20), channel="online")
    case.refresh_from_db()  # from 02-24 09:00: 7 + 7 + 6 h → Thu 02-26 16:30 → the close of that day
    assert case.due_at == close(2, 26)


def test_an_extension_over_national_day(office):
    case = take_in(office.hall, now=t(9, 30))
    services.claim(case, office.officer, now=t(9, 30))
    extension = services.request_extension(case, office.officer, days=2, reason="需现场核查", now=t(9, 30, 11))
    services.decide_extension(extension, office.lead, approve=True, now=t(9, 30, 14))
    case.refresh_from_db()
    assert case.due_at == close(10, 13)  # 10-10 + 2 working days: Mon 12, Tue 13


def test_a_correction_may_be_asked_within_five_working_days_across_the_holiday(office):
    case = take_in(office.hall, now=t(2, 12))
    services.claim(case, office.officer, now=t(2, 12))
    assert services.correction_deadline(case) == dt.date(2026, 2, 26)  # 13, 14, 24, 25, 26
