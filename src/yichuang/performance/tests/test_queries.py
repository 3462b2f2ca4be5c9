"""Every figure of `performance.queries.report` on the hand-made November (conftest), per dimension."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yichuang.performance import queries

from .conftest import NOVEMBER


def by_key(report) -> dict:
    return {r.key: r for r in report.rows}


def test_staff_figures(month):
    rows = by_key(queries.report(NOVEMBER, "staff"))
    clerk, clerk2, gclerk = rows[month.clerk.pk], rows[month.clerk2.pk], rows[month.gclerk.pk]
    # Tickets: t1, t2 (t5 is a microsecond early, t6 not finished).
    assert (clerk.tickets, clerk.handling_minutes, clerk.waiting_minutes) == (2, 15, 20)
    assert (clerk2.tickets, clerk2.handling_minutes, clerk2.waiting_minutes) == (1, 30, 20)  # t3 at START; t4 at END
    assert (gclerk.tickets, gclerk.handling_minutes, gclerk.waiting_minutes) == (1, None, 5)
    # Submissions: one each (clerk's refused one and the one before the period do not count); online: no clerk.
    assert (clerk.submissions, clerk2.submissions, gclerk.submissions) == (1, 1, 1)
    assert rows[None].submissions == 1
    # Cases by assignee: samr1 one within, one past; police1 one within (at its deadline); d has no assignee.
    officer, police = rows[month.samr_officer.pk], rows[month.police_officer.pk]
    assert (officer.within, officer.past, officer.within_rate) == (1, 1, 50)
    assert (police.within, police.past, police.within_rate) == (1, 0, 100)
    assert (rows[None].within, rows[None].past) == (0, 1)
    # Ratings: clerk 5, 4, 2; clerk2 1, 3; gclerk 5 (exactly at the start).
    assert (clerk.ratings, clerk.level_avg, clerk.bad) == (3, pytest.approx(11 / 3), 1)
    assert clerk.satisfaction_rate == pytest.approx(200 / 3)
    assert (clerk2.ratings, clerk2.level_avg, clerk2.satisfaction_rate, clerk2.bad) == (2, 2, 0, 1)
    assert (gclerk.ratings, gclerk.level_avg, gclerk.satisfaction_rate, gclerk.bad) == (1, 5, 100, 0)
    assert clerk.name == str(month.clerk) and clerk.note == "县市场监督管理局"
    assert clerk.within_rate is None and officer.satisfaction_rate is None


def test_window_figures(month):
    hall = month.hall
    rows = by_key(queries.report(NOVEMBER, "window"))
    w1, w2, wg = rows[hall.w1.pk], rows[hall.w2.pk], rows[hall.w_general.pk]
    assert (w1.tickets, w2.tickets, wg.tickets) == (2, 1, 1)
    assert (w1.submissions, w2.submissions, wg.submissions, rows[None].submissions) == (1, 1, 1, 1)
    # Cases by the window that accepted them: a and b at window 1, c at 21, d online.
    assert (w1.within, w1.past, wg.within, wg.past, rows[None].past) == (2, 0, 0, 1, 1)
    assert (w1.ratings, w1.satisfied, w1.bad, w2.ratings, w2.bad, wg.ratings) == (3, 2, 1, 2, 1, 1)
    assert w1.note == hall.enterprise.name


def test_zone_figures(month):
    hall = month.hall
    rows = by_key(queries.report(NOVEMBER, "zone"))
    enterprise, general = rows[hall.enterprise.pk], rows[hall.general.pk]
    assert (enterprise.tickets, enterprise.handling_minutes, enterprise.waiting_minutes) == (3, 20, 20)
    assert (general.tickets, general.handling_minutes, general.waiting_minutes) == (1, None, 5)
    assert (enterprise.submissions, general.submissions) == (2, 1)
    assert (enterprise.within, enterprise.past, general.within, general.past) == (2, 0, 0, 1)
    assert (enterprise.ratings, enterprise.level_avg, enterprise.satisfaction_rate, enterprise.bad) == (5, 3, 40, 2)
    assert (general.ratings, general.satisfaction_rate) == (1, 100)


def test_department_figures(month):
    hall = month.hall
    rows = by_key(queries.report(NOVEMBER, "department"))
    samr, police, tax, civil = rows[hall.samr.pk], rows[hall.police.pk], rows[hall.tax.pk], rows[hall.civil.pk]
    # Tickets by the department of who served them: clerk (samr) 2, clerk2 (tax) 1, gclerk (none) 1.
    assert (samr.tickets, tax.tickets, police.tickets, rows[None].tickets) == (2, 1, 0, 1)
    # Submissions with a case of the department: samr s1, s3, s4; police s1; tax s2.
    assert (samr.submissions, police.submissions, tax.submissions) == (3, 1, 1)
    assert (samr.within, samr.past, police.within, police.past, tax.within, tax.past) == (1, 2, 1, 0, 0, 0)
    assert samr.within_rate == pytest.approx(100 / 3)
    assert (samr.ratings, samr.satisfaction_rate, samr.bad, tax.ratings, tax.bad) == (
        3,
        pytest.approx(200 / 3),
        1,
        2,
        1,
    )
    # Every department is listed, also one with nothing in the period.
    assert (civil.tickets, civil.submissions, civil.concluded, civil.ratings, civil.name) == (0, 0, 0, 0, "县民政局")


def test_total_is_the_sum_of_the_rows(month):
    report = queries.report(NOVEMBER, "zone")
    total = report.total
    assert (total.tickets, total.submissions, total.within, total.past, total.ratings, total.bad) == (4, 4, 2, 2, 6, 2)
    assert total.handling_minutes == 20  # (10 + 20 + 30) / 3: t7 has no start of service
    assert total.waiting_minutes == pytest.approx((10 + 30 + 20 + 5) / 4)
    assert total.satisfaction_rate == 50 and total.level_avg == pytest.approx(20 / 6)


def test_period_boundaries_in_shanghai_time(month):
    # One day: 1 November in Shanghai holds t3 (finished at 00:00) and two ratings, not the rows a microsecond earlier.
    day = queries.Period(dt.date(2026, 11, 1), dt.date(2026, 11, 2))
    total = queries.report(day, "staff").total
    assert (total.tickets, total.ratings, total.submissions, total.concluded) == (1, 2, 0, 0)
    # 31 October holds only the rows a microsecond before November (t5, s5, the rating of level 1).
    october_31 = queries.Period(dt.date(2026, 10, 31), dt.date(2026, 11, 1))
    total = queries.report(october_31, "staff").total
    assert (total.tickets, total.ratings, total.submissions, total.concluded) == (1, 1, 1, 0)
    # 1 December holds what November excludes at its end (t4, case f, the rating of level 5).
    december_1 = queries.Period(dt.date(2026, 12, 1), dt.date(2026, 12, 2))
    total = queries.report(december_1, "staff").total
    assert (total.tickets, total.ratings, total.within) == (1, 1, 1)


def test_lead_sees_only_their_department(month):
    rows = by_key(queries.report(NOVEMBER, "staff", month.lead))
    # Tickets of samr staff only (clerk); submissions with a samr case (s1 clerk, s3 gclerk, s4 online);
    # samr cases (a, c by samr1, d unassigned); ratings of samr (clerk's three).
    assert month.clerk2.pk not in rows and month.police_officer.pk not in rows
    assert rows[month.clerk.pk].tickets == 2 and rows[month.gclerk.pk].tickets == 0
    assert (rows[month.clerk.pk].submissions, rows[month.gclerk.pk].submissions, rows[None].submissions) == (1, 1, 1)
    assert (rows[month.samr_officer.pk].within, rows[month.samr_officer.pk].past) == (1, 1)
    assert rows[month.clerk.pk].ratings == 3 and rows[month.gclerk.pk].ratings == 0
    departments = by_key(queries.report(NOVEMBER, "department", month.lead))
    assert set(departments) == {month.hall.samr.pk}


def test_scope_by_role(month):
    assert queries.scope(month.supervisor) is None
    assert queries.scope(month.hall.admin) is None
    assert queries.scope(month.lead) == {month.hall.samr.pk}
    assert queries.scope(month.samr_officer) == set() and not queries.may_see(month.clerk)


def test_sorting(month):
    report = queries.report(NOVEMBER, "staff", sort="-satisfaction")
    names = [r.key for r in report.rows]
    assert names[:3] == [month.gclerk.pk, month.clerk.pk, month.clerk2.pk]  # 100 %, 66.7 %, 0 %; then no ratings
    assert report.sort == "-satisfaction"
    ascending = queries.report(NOVEMBER, "staff", sort="satisfaction")
    assert [r.key for r in ascending.rows][:3] == [month.clerk2.pk, month.clerk.pk, month.gclerk.pk]
    assert all(r.satisfaction_rate is None for r in ascending.rows[3:])  # rows without the figure stay last
    assert queries.report(NOVEMBER, "staff", sort="nonsense").sort == queries.DEFAULT_SORT


def test_a_report_is_a_few_aggregate_queries(month):
    for by in queries.DIMENSIONS:
        with CaptureQueriesContext(connection) as captured:
            queries.report(NOVEMBER, by)
        # The rollup's current days (none here), then tickets, submissions, cases, ratings, names.
        assert len(captured.captured_queries) == 6
        assert "performance_rollupday" in captured.captured_queries[0]["sql"]
        assert all("GROUP BY" in q["sql"] for q in captured.captured_queries[1:5])


@pytest.mark.parametrize(
    "start,end",
    [("2026-11-01", "2026-11-01"), ("2026-11-02", "2026-11-01"), ("2026-13-01", "2026-12-01"), ("x", "2026-12-01"),
     ("2026-11-01", ""), ("2020-01-01", "2026-01-01")],
)  # fmt: skip
def test_bad_periods_are_refused(start, end):
    with pytest.raises(ValidationError):
        queries.parse_period(start, end)


def test_presets():
    presets = queries.presets(dt.date(2026, 1, 15))
    assert presets["this_month"] == queries.Period(dt.date(2026, 1, 1), dt.date(2026, 2, 1))
    assert presets["last_month"] == queries.Period(dt.date(2025, 12, 1), dt.date(2026, 1, 1))
    assert presets["this_year"] == queries.Period(dt.date(2026, 1, 1), dt.date(2027, 1, 1))
    assert queries.parse_period(None, None, dt.date(2026, 12, 2)) == queries.Period(
        dt.date(2026, 12, 1), dt.date(2027, 1, 1)
    )
