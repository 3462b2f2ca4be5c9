"""The board: red and yellow cases across departments, counts per department, overdue procedures, orders, tasks."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from yichuang.backoffice import services as backoffice
from yichuang.backoffice.models import SpecialProcedure
from yichuang.supervision import queries, services
from yichuang.supervision.models import SupervisionTask

from .conftest import NOW, take_in


def test_board_shows_red_and_yellow_not_green_nor_concluded(office, cases):
    board = queries.board(office.supervisor, now=NOW)
    assert [c.number for c in board.red] == [cases.red.number]
    assert [c.number for c in board.yellow] == [cases.yellow.number]
    assert board.red[0].level == "red" and board.yellow[0].level == "yellow"
    shown = {c.number for c in board.red + board.yellow}
    assert cases.green.number not in shown and cases.concluded.number not in shown
    assert board.red_total == 1 and board.yellow_total == 1
    [samr] = board.departments
    assert (samr.name, samr.red, samr.yellow) == ("县市场监督管理局", 1, 1)


def test_counts_cover_more_than_the_first_page_and_other_departments(office, cases):
    for _ in range(3):
        take_in(office.hall, now=dt.datetime(2026, 3, 2, 10, 0, tzinfo=NOW.tzinfo))
    board = queries.board(office.supervisor, now=NOW, size=2)
    assert len(board.red) == 2 and board.red_total == 4
    assert board.red[0].due_at <= board.red[1].due_at


def test_a_paused_case_is_counted_by_its_time_left(office, cases):
    backoffice.claim(cases.yellow, office.officer, now=T(9))
    backoffice.request_correction(
        cases.yellow, office.officer, items=[{"material": "ID", "note": "复印件不清晰"}], due=dt.date(2026, 3, 19),
        now=T(11),
    )  # fmt: skip
    later = dt.datetime(2026, 3, 20, 10, 0, tzinfo=NOW.tzinfo)
    board = queries.board(office.supervisor, now=later)
    # Stopped with less than two working days left: yellow however long it stands (the running red one stays red).
    assert [c.number for c in board.yellow] == [cases.yellow.number]
    counts = {d.name: (d.red, d.yellow) for d in board.departments}
    assert counts["县市场监督管理局"][1] == 1


def test_running_special_procedures_past_their_limit(office, cases):
    SpecialProcedure.objects.create(
        case=cases.green, kind="inspection", reason="现场核查", limit_days=1, started_at=NOW,
        due_at=NOW + dt.timedelta(days=1), started_by=office.officer,
    )  # fmt: skip
    assert queries.board(office.supervisor, now=NOW).overdue_specials == []
    [late] = queries.board(office.supervisor, now=NOW + dt.timedelta(days=2)).overdue_specials
    assert late.case_id == cases.green.pk
    assert queries.overdue_specials(office.tax_officer, now=NOW + dt.timedelta(days=2)) == []


def T(hour):
    return dt.datetime(2026, 3, 12, hour, 0, tzinfo=NOW.tzinfo)


def test_overdue_orders_and_tasks(office, cases):
    order = services.issue_order(
        office.supervisor, case=cases.red, level="blue", instruction="x", reply_due=NOW + dt.timedelta(hours=1), now=NOW
    )
    SupervisionTask.objects.create(code="A", title="a", lead_unit="u", due_date=dt.date(2026, 3, 1))
    SupervisionTask.objects.create(code="B", title="b", lead_unit="u", due_date=dt.date(2026, 3, 1), status="done")
    SupervisionTask.objects.create(code="C", title="c", lead_unit="u", due_text="持续推进", status="ongoing")
    SupervisionTask.objects.create(code="D", title="d", lead_unit="u", due_date=dt.date(2026, 4, 1))
    later = NOW + dt.timedelta(hours=2)
    board = queries.board(office.supervisor, now=later)
    assert board.overdue_orders == [order]
    assert [t.code for t in board.overdue_tasks] == ["A"]
    services.reply(order, office.officer, "已办", now=later)
    assert queries.board(office.supervisor, now=later).overdue_orders == []


def test_officers_see_only_their_department_orders(office, cases):
    services.issue_order(
        office.supervisor, case=cases.red, level="blue", instruction="x", reply_due=NOW + dt.timedelta(1), now=NOW
    )
    assert queries.orders_for(office.officer).count() == 1
    assert queries.orders_for(office.tax_officer).count() == 0
    assert queries.orders_for(office.supervisor, level="orange").count() == 0
    assert queries.orders_for(office.supervisor, status="open").count() == 1


def test_board_runs_a_fixed_number_of_queries(office, cases):
    for _ in range(5):
        take_in(office.hall, now=dt.datetime(2026, 3, 2, 10, 0, tzinfo=NOW.tzinfo))
    queries.board(office.supervisor, now=NOW)  # the user's roles, read once per request
    with CaptureQueriesContext(connection) as small:
        queries.board(office.supervisor, now=NOW)
    for _ in range(5):
        take_in(office.hall, now=dt.datetime(2026, 3, 2, 10, 0, tzinfo=NOW.tzinfo))
    with CaptureQueriesContext(connection) as large:
        queries.board(office.supervisor, now=NOW)
    assert len(small) == len(large) <= 15  # 14 + the overdue consultation escalations


def test_first_pages_match_the_backoffice_lists(office, cases):
    from yichuang.backoffice import queries as bq

    for day in (2, 3, 4, 5, 9, 10, 11):
        take_in(office.hall, now=dt.datetime(2026, 3, day, 10, 0, tzinfo=NOW.tzinfo))
    backoffice.claim(cases.yellow, office.officer, now=T(9))
    backoffice.request_correction(
        cases.yellow, office.officer, items=[{"material": "ID", "note": "不清晰"}], due=dt.date(2026, 3, 19), now=T(9)
    )
    for now in (NOW, NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=8)):
        for size in (1, 3, 50):
            assert queries.red_first(office.supervisor, now=now, size=size) == list(
                bq.red_cases(office.supervisor, now=now)[:size]
            )
            assert queries.yellow_first(office.supervisor, now=now, size=size) == list(
                bq.yellow_cases(office.supervisor, now=now)[:size]
            )
        counts = queries.department_counts(office.supervisor, now=now)
        assert sum(d.red for d in counts) == bq.red_cases(office.supervisor, now=now).count()
        assert sum(d.yellow for d in counts) == bq.yellow_cases(office.supervisor, now=now).count()
    assert queries.red_first(office.tax_officer, now=NOW) == []
