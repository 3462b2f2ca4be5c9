"""A year nobody has entered, in the back office: no page fails and nothing is guessed — each date that cannot be
computed is said, with what to do (the administrator enters the year); the applicant online reads a plain sentence."""

import datetime as dt
import logging

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from yichuang.backoffice import services
from yichuang.clock.workcalendar import SHANGHAI
from yichuang.intake.models import Case

from .conftest import take_in

pytestmark = [pytest.mark.django_db, pytest.mark.calendar_as_installed]


def at(month, day, hour=10, minute=0, year=2026):
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


LEFT_UNKNOWN = "剩余时间无法计算：2027年节假日安排尚未录入，请管理员录入2027年节假日安排"


def test_once_today_lies_in_the_unknown_year_the_time_left_is_said_not_a_500(client, office):
    # PERMIT (3 working days) taken in on Mon 28 December 2026: due at the close of Thu 31 December.
    case = take_in(office.hall, now=at(12, 28))
    assert case.due_at == at(12, 31, 17, 30)
    services.claim(case, office.officer, now=at(12, 28, 11))
    # Monday 4 January 2027: the opening time since the deadline cannot be counted without 2027's holidays.
    with time_machine.travel(at(1, 4, year=2027), tick=False):
        client.force_login(office.officer)
        worklist = client.get(reverse("backoffice:worklist") + "?show=all")
        assert worklist.status_code == 200 and LEFT_UNKNOWN in worklist.content.decode()
        page = client.get(reverse("backoffice:case", args=[case.number]))
        assert page.status_code == 200
        html = page.content.decode()
        assert LEFT_UNKNOWN in html and "2026-12-31 17:30" in html
        listed = client.get("/api/office/cases").json()["items"]
        assert [(i["number"], i["time_left_us"], i["level"]) for i in listed] == [(case.number, None, "red")]
        assert listed[0]["clock_problem"] == LEFT_UNKNOWN
        one = client.get(f"/api/office/cases/{case.number}").json()
        assert one["clock"]["left_us"] is None and one["clock_problem"] == LEFT_UNKNOWN
        client.force_login(office.supervisor)
        issue = client.get(reverse("supervision:issue") + f"?case={case.number}")
        assert issue.status_code == 200 and LEFT_UNKNOWN in issue.content.decode()


def test_the_case_page_says_which_dates_wait_for_the_year_instead_of_guessing(client, office):
    case = take_in(office.hall, now=at(12, 28))
    services.claim(case, office.officer, now=at(12, 28, 11))
    with time_machine.travel(at(12, 28, 14), tick=False):
        client.force_login(office.officer)
        html = client.get(reverse("backoffice:case", args=[case.number])).content.decode()
    # 5 working days from receipt (补正告知期限) and 10 from today (the default correction due) both reach 2027.
    assert "补正告知期限无法计算：2027年节假日安排尚未录入，请管理员录入2027年节假日安排。" in html
    assert "默认补正期限（10 个工作日）无法计算：2027年节假日安排尚未录入，请管理员录入2027年节假日安排。" in html
    assert 'name="due" id="correction-due" value=""' in html  # no date made up (it was today + 14 days)
    assert "请选择补正期限" in html


def test_an_online_correction_the_applicant_reads_a_plain_sentence(office, caplog):
    # PERMIT taken in on Mon 21 December 2026 (due Thu 24), sent for correction on Tue 22 at 10:00.
    case = take_in(office.hall, now=at(12, 21))
    services.claim(case, office.officer, now=at(12, 21, 11))
    items = [{"material": "ID", "note": "复印件不清晰"}]
    services.request_correction(case, office.officer, items=items, due=dt.date(2026, 12, 31), now=at(12, 22))
    # Supplied on Thu 31 December at 16:00: the two and a half working days left run into 2027.
    log = caplog.at_level(logging.WARNING, logger="yichuang.backoffice.services")
    with log, pytest.raises(ValidationError) as info:
        services.receive_correction(Case.objects.get(pk=case.pk), None, channel="online", now=at(12, 31, 16))
    assert info.value.messages == [
        "办理期限要用到2027年的节假日安排，该安排尚未录入本系统，补正材料暂时无法在网上提交。"
        "请在安排录入后再提交，也可拨打大厅电话咨询。"
    ]
    assert any("2027" in r.getMessage() for r in caplog.records)
    # The officer at a window reads what the administrator must do.
    with pytest.raises(ValidationError) as info:
        services.receive_correction(Case.objects.get(pk=case.pk), office.officer, now=at(12, 31, 16))
    assert info.value.messages == ["2027年的工作日历尚未录入，无法计算期限；请管理员录入该年节假日安排。"]
    assert Case.objects.get(pk=case.pk).status == "correction"
