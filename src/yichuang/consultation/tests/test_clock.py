"""The escalation's reply deadline on the working-time clock: the close (17:30 in the test hall) of the n-th working
day after the day of escalation — across a weekend, a holiday, a make-up Saturday; an unknown year refuses."""

import pytest
import time_machine
from django.core.exceptions import ValidationError

from yichuang.consultation import services
from yichuang.consultation.models import Consultation, ConsultationRules, Escalation

from .conftest import at

pytestmark = pytest.mark.django_db


def _escalate(desk, now, **extra):
    return services.record(
        desk.consultant2, channel="phone", question="食品经营许可需要哪些材料？", solved=False,
        department=desk.hall.samr, asker_phone="13800001111", now=now, **extra,
    )  # fmt: skip


def test_a_friday_escalation_is_due_at_monday_close(desk):
    with time_machine.travel(at(2026, 3, 13, 15), tick=False):  # Friday
        c = _escalate(desk, at(2026, 3, 13, 15))
    assert c.escalation.due_at == at(2026, 3, 16, 17, 30)  # Monday's close, the weekend skipped


def test_before_mid_autumn_and_the_weekend_due_on_monday(desk):
    # Thursday 24 September 2026: Friday 25th is 中秋 (a holiday), then the weekend.
    with time_machine.travel(at(2026, 9, 24, 16), tick=False):
        c = _escalate(desk, at(2026, 9, 24, 16))
    assert c.escalation.due_at == at(2026, 9, 28, 17, 30)


def test_the_last_working_day_before_national_day_due_after_the_holiday(desk):
    # Wednesday 30 September 2026; 国庆 1–7 October: due at the close of Thursday 8 October.
    with time_machine.travel(at(2026, 9, 30, 11), tick=False):
        c = _escalate(desk, at(2026, 9, 30, 11))
    assert c.escalation.due_at == at(2026, 10, 8, 17, 30)


def test_an_escalation_during_the_holiday_counts_from_the_next_working_day(desk):
    # Asked by phone on Saturday 3 October (the hotline answers): the next working day is Thursday 8 October.
    with time_machine.travel(at(2026, 10, 3, 9), tick=False):
        c = _escalate(desk, at(2026, 10, 3, 9))
    assert c.escalation.due_at == at(2026, 10, 8, 17, 30)


def test_a_make_up_saturday_is_a_working_day(desk):
    # Friday 9 October 2026: Saturday 10th is a make-up working day (调休上班), with the weekday's hours.
    with time_machine.travel(at(2026, 10, 9, 10), tick=False):
        c = _escalate(desk, at(2026, 10, 9, 10))
    assert c.escalation.due_at == at(2026, 10, 10, 17, 30)


def test_the_limit_comes_from_the_rules(desk):
    ConsultationRules.objects.create(escalation_days=3)
    with time_machine.travel(at(2026, 9, 29, 10), tick=False):  # Tuesday: Wed 30, Thu 8, Fri 9 October
        c = _escalate(desk, at(2026, 9, 29, 10))
    assert c.escalation.due_at == at(2026, 10, 9, 17, 30)


@pytest.mark.calendar_as_installed
def test_a_year_nobody_entered_refuses_the_escalation_and_saves_nothing(desk):
    # Thursday 31 December 2026: the next working day lies in 2027, which the installed calendar does not know.
    with time_machine.travel(at(2026, 12, 31, 10), tick=False):
        with pytest.raises(ValidationError) as refused:
            _escalate(desk, at(2026, 12, 31, 10))
    assert "2027年的工作日历尚未录入" in refused.value.message_dict["department"][0]
    assert not Consultation.objects.exists() and not Escalation.objects.exists()


@pytest.mark.calendar_as_installed
def test_a_year_nobody_entered_refuses_escalating_a_waiting_question(desk):
    with time_machine.travel(at(2026, 12, 31, 10), tick=False):
        c = services.ask_online(question="社保卡补办要带什么？", asker_phone="13800002222", now=at(2026, 12, 31, 10))
        with pytest.raises(ValidationError):
            services.escalate(c, desk.consultant, department=desk.hall.samr, now=at(2026, 12, 31, 10))
    c.refresh_from_db()
    assert c.status == Consultation.Status.OPEN and not Escalation.objects.exists()
