"""The daily rollup (performance.services, performance.models): the report with it is the report without it, for
any history, period, dimension, scope and sort, on both databases; late writes make their day stale and the
worker rebuilds it; mapping changes need no rebuild; building is idempotent and survives a failing run."""

import datetime as dt
import io
import itertools
import threading
import time

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yichuang.assistance.models import Assistance
from yichuang.backoffice import services as office
from yichuang.backoffice.tests.conftest import take_in
from yichuang.clock.workcalendar import SHANGHAI
from yichuang.core import periodic
from yichuang.core.models import PeriodicJob
from yichuang.feedback import services as feedback
from yichuang.feedback.models import Evaluation, FeedbackRules
from yichuang.intake.models import Case, Submission
from yichuang.organisation.models import User, Window
from yichuang.performance import queries, services, tasks
from yichuang.performance.models import DayFigures, Kind, RollupDay
from yichuang.queue import services as queue

from . import test_queries as hand_made
from .conftest import NOVEMBER, rate, ticket

NOW = dt.datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI)  # a Thursday: November and 1–9 December are over
EVERYTHING = (dt.date(2026, 10, 25), dt.date(2026, 12, 10))


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def day(month: int, d: int) -> dt.date:
    return dt.date(2026, month, d)


def moment(on: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(on, dt.time(hour, minute), tzinfo=SHANGHAI)


def table(report) -> tuple:
    """Everything a report shows: each row in order (key, name, note, every counter), the total, the sort."""
    rows = [(r.key, r.name, r.note, *(getattr(r, c) for c in queries.COUNTERS)) for r in report.rows]
    return rows, tuple(getattr(report.total, c) for c in queries.COUNTERS), report.sort


def same_with_and_without(period, by, *, departments=None, user=None, sort="") -> tuple:
    rolled = queries.report(period, by, user, departments=departments, sort=sort)
    live = queries.report(period, by, user, departments=departments, sort=sort, rollup=False)
    assert table(rolled) == table(live), (period, by, departments, sort)
    return table(rolled)


def current_days() -> set:
    return {r.day for r in RollupDay.objects.all() if r.current}


def contents() -> list:
    """The rollup's rows without their ids, sorted: what a rebuild must reproduce."""
    fields = ["day", "kind", "staff_id", "window_id", "zone_id", "department_id", *queries.COUNTERS]
    return sorted(DayFigures.objects.values_list(*fields), key=repr)


def scopes(month) -> list:
    hall = month.hall
    return [None, {hall.samr.pk}, {hall.tax.pk}, {hall.police.pk}, {hall.civil.pk}, set()]


def assert_exact_everywhere(month, periods=(NOVEMBER,)) -> None:
    for period, by, departments in itertools.product(periods, queries.DIMENSIONS, scopes(month)):
        same_with_and_without(period, by, departments=departments)
    for user in (month.lead, month.supervisor):
        for by in queries.DIMENSIONS:
            same_with_and_without(NOVEMBER, by, user=user)


# --- the report reads the rollup ------------------------------------------------------------------------


def test_the_hand_made_month_from_the_rollup(month):
    """Every figure of the hand-made November (test_queries) again, with the rollup built for every day."""
    result = services.rebuild(*EVERYTHING)
    assert result["days"] == (EVERYTHING[1] - EVERYTHING[0]).days
    assert current_days() == {EVERYTHING[0] + dt.timedelta(days=n) for n in range(result["days"])}
    for check in (
        hand_made.test_staff_figures, hand_made.test_window_figures, hand_made.test_zone_figures,
        hand_made.test_department_figures, hand_made.test_total_is_the_sum_of_the_rows,
        hand_made.test_period_boundaries_in_shanghai_time, hand_made.test_lead_sees_only_their_department,
        hand_made.test_sorting,
    ):  # fmt: skip
        check(month)
    assert_exact_everywhere(month)


def test_a_rolled_up_period_reads_only_the_rollup(month):
    services.rebuild(*EVERYTHING)
    for by in queries.DIMENSIONS:
        with CaptureQueriesContext(connection) as captured:
            queries.report(NOVEMBER, by)
        sql = [q["sql"] for q in captured.captured_queries]
        # The current days, one aggregate per source over the rollup, the names: no source table.
        assert len(sql) == 6 and "performance_rollupday" in sql[0]
        assert all("performance_dayfigures" in q and "GROUP BY" in q for q in sql[1:5])
        assert not any(t in q for q in sql for t in ("queue_ticket", "intake_case", "feedback_evaluation"))


def test_days_not_rolled_up_are_read_live(month):
    # Half of November rolled up: its second half (and today, and days to come) come from the source rows.
    services.build(day(11, 1), day(11, 16))
    with CaptureQueriesContext(connection) as captured:
        same_with_and_without(NOVEMBER, "staff")
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert "performance_dayfigures" in sql and "queue_ticket" in sql
    this_year = queries.presets(NOW.date())["this_year"]
    assert_exact_everywhere(month, periods=(NOVEMBER, this_year, queries.Period(day(11, 10), day(11, 20))))


def test_a_scope_of_several_departments_is_computed_live(month):
    hall = month.hall
    services.rebuild(*EVERYTHING)
    several = {hall.samr.pk, hall.police.pk}  # submission s1 has a case of each: counted once
    for by in queries.DIMENSIONS:
        with CaptureQueriesContext(connection) as captured:
            same_with_and_without(NOVEMBER, by, departments=several)
        assert "performance_dayfigures" not in " ".join(q["sql"] for q in captured.captured_queries)
    clerk = next(r for r in queries.report(NOVEMBER, "staff", departments=several).rows if r.key == month.clerk.pk)
    assert clerk.submissions == 1


# --- what changes after the day ---------------------------------------------------------------------------


def test_a_staff_member_or_a_window_moved_later_needs_no_rebuild(month):
    """Tickets count for the department their staff member is in now, submissions and cases for the zone their
    window is in now — as the live report joins them. The rollup keeps the staff member and the window."""
    hall = month.hall
    services.rebuild(*EVERYTHING)
    built = contents()
    lead_before = queries.report(NOVEMBER, "staff", month.lead)
    assert next(r for r in lead_before.rows if r.key == month.clerk.pk).tickets == 2

    User.objects.filter(pk=month.clerk.pk).update(department=hall.tax)  # clerk joins the tax office
    Window.objects.filter(pk=hall.w_general.pk).update(zone=hall.enterprise)  # window 21 moves zone
    assert contents() == built and current_days() == {r.day for r in RollupDay.objects.all()}

    assert_exact_everywhere(month)
    departments = {r.key: r for r in queries.report(NOVEMBER, "department").rows}
    assert (departments[hall.samr.pk].tickets, departments[hall.tax.pk].tickets) == (0, 3)
    zones = {r.key: r for r in queries.report(NOVEMBER, "zone").rows}
    assert zones[hall.enterprise.pk].submissions == 3  # s3, taken in at window 21
    assert (zones[hall.general.pk].submissions, zones[hall.general.pk].tickets) == (0, 1)  # t7 keeps its zone
    lead_after = {r.key: r for r in queries.report(NOVEMBER, "staff", month.lead).rows}
    assert (lead_after[month.clerk.pk].tickets, lead_after[month.clerk.pk].ratings) == (0, 3)


def _seated_ticket(month, now):
    """A ticket of zone 企业开办 called at window 2 by the clerk seated there (today; window 1 holds t6)."""
    hall = month.hall
    issued = queue.issue_ticket(hall.enterprise, now=now)
    called = queue.call_next(hall.w2, month.clerk2, now=now)
    assert called.pk == issued.pk
    return called


def test_backdated_writes_make_their_day_stale_until_the_worker_rebuilds_it(month):
    """Every service that writes a row the report counts calls services.touch in its transaction: stamped on a
    day that is over (the demo's history, a correction), it makes that day's rollup stale."""
    hall = month.hall
    services.rebuild(*EVERYTHING)
    before = {r.day: r.changes for r in RollupDay.objects.all()}

    # Taken in on 6 November, claimed and concluded on 9 November, rated then; a ticket finished on 12 November.
    case = take_in(hall, now=moment(day(11, 6)))
    office.claim(case, month.samr_officer, now=moment(day(11, 9)))
    office.conclude(case, month.samr_officer, outcome="approved", now=moment(day(11, 9), 15))
    feedback.rate(level=1, channel="link", case=case, now=moment(day(11, 9), 16))
    queue.finish(_seated_ticket(month, NOW), month.clerk2, now=moment(day(11, 12), 11))

    changed = {r.day: r.changes - before.get(r.day, 0) for r in RollupDay.objects.all()}
    assert {d: n for d, n in changed.items() if n} == {day(11, 6): 1, day(11, 9): 2, day(11, 12): 1}
    stale = {day(11, 6), day(11, 9), day(11, 12)}
    assert not stale & current_days()
    assert_exact_everywhere(month)  # the stale days come from the source rows
    november = {r.key: r for r in queries.report(NOVEMBER, "department").rows}
    assert (november[hall.samr.pk].within, november[hall.samr.pk].bad) == (2, 2)  # a and the new case; + the 1

    result = services.roll_up()
    assert (result["days"], result["left"]) == (3, 0)
    assert stale <= current_days()
    assert_exact_everywhere(month)
    assert services.roll_up()["days"] == 0  # nothing left


def test_writes_stamped_today_touch_nothing(month):
    """The hot paths (a ticket finished, a rating given now) do not write to the rollup at all."""
    services.rebuild(*EVERYTHING)
    states = list(RollupDay.objects.values_list("day", "changes", "built"))
    with CaptureQueriesContext(connection) as captured:
        services.touch(NOW)
        services.touch(NOW.replace(hour=0))
    assert captured.captured_queries == []
    queue.finish(_seated_ticket(month, NOW), month.clerk2)
    assert list(RollupDay.objects.values_list("day", "changes", "built")) == states


def test_what_happens_later_lands_on_its_own_day(month):
    """A case of a rolled-up day concluded today, a default rating today for a case concluded on a rolled-up day,
    an appeal upheld: new rows of today, or none the report reads — no past day goes stale."""
    hall = month.hall
    case = take_in(hall, now=moment(day(11, 6)))
    office.claim(case, month.samr_officer, now=moment(day(11, 6), 11))
    services.rebuild(*EVERYTHING)
    states = list(RollupDay.objects.values_list("day", "changes", "built"))

    office.conclude(case, month.samr_officer, outcome="approved")  # today
    FeedbackRules.objects.create(default_after_days=3)
    assert feedback.apply_default_ratings() >= 1  # e.g. case a, concluded 5 November, never rated on a channel
    bad = Evaluation.objects.filter(level__lte=2).order_by("pk").first()
    appeal = feedback.appeal(bad, month.clerk, "评价与本次服务无关")
    feedback.review_appeal(appeal, month.supervisor, upheld=True, outcome="属实")

    assert list(RollupDay.objects.values_list("day", "changes", "built")) == states
    assert_exact_everywhere(month)
    today = queries.Period(NOW.date(), NOW.date() + dt.timedelta(days=1))
    total = queries.report(today, "zone").total
    assert total.concluded == 1 and total.ratings >= 1


# --- building ---------------------------------------------------------------------------------------------


def test_building_is_idempotent(month):
    services.rebuild(*EVERYTHING)
    first, ids = contents(), set(DayFigures.objects.values_list("pk", flat=True))
    assert first and {k for k, *_ in DayFigures.objects.values_list("kind")} == set(Kind.values)
    services.rebuild(*EVERYTHING)
    assert contents() == first  # the same rows again
    rebuilt_ids = set(DayFigures.objects.values_list("pk", flat=True))
    assert services.roll_up() == {"days": 0, "rows": 0, "left": 0}  # the worker finds nothing to do
    assert set(DayFigures.objects.values_list("pk", flat=True)) == rebuilt_ids != ids
    assert_exact_everywhere(month)


def test_a_group_is_one_row_per_day_and_kind(month):
    services.rebuild(*EVERYTHING)
    keys = list(DayFigures.objects.values_list("day", "kind", "staff_id", "window_id", "zone_id", "department_id"))
    assert len(keys) == len(set(keys))


def test_the_worker_builds_missing_and_stale_days_latest_first(month):
    # The first counted row is a microsecond before November (31 October); 9 December is the last day over.
    assert services.first_day() == day(10, 31)
    assert services.days_to_build()[:3] == [day(12, 9), day(12, 8), day(12, 7)]
    result = services.roll_up(limit=5)
    assert (result["days"], result["left"]) == (5, 35)
    assert current_days() == {day(12, n) for n in range(5, 10)}
    result = services.roll_up()
    assert (result["days"], result["left"]) == (35, 0)
    services.touch(moment(day(11, 3)))
    assert services.days_to_build() == [day(11, 3)]


def test_a_day_is_rolled_up_an_hour_after_it_ended(month):
    just_after = dt.datetime(2026, 12, 10, 0, 30, tzinfo=SHANGHAI)
    assert services.last_closed_day(just_after) == day(12, 8)
    assert services.last_closed_day(just_after + dt.timedelta(minutes=30)) == day(12, 9)
    with pytest.raises(ValueError):
        services.build(day(12, 9), day(12, 10), now=just_after)
    services.roll_up(now=just_after)
    assert max(current_days()) == day(12, 8)
    with pytest.raises(ValueError):
        services.build(NOW.date(), NOW.date() + dt.timedelta(days=1))  # never today


def test_the_periodic_job_is_declared_and_a_failing_run_does_not_stop_the_next(month, monkeypatch, settings):
    settings.PERFORMANCE_ROLLUP_SECONDS = 600
    job = periodic.get(tasks.ROLLUP)
    assert job.func is tasks.performance_rollup and job.period == 600
    periodic.ensure_rows(NOW)

    build = services.build

    def failing(start, end, **kwargs):
        if start <= day(11, 15) < end:
            raise RuntimeError("disk full")
        return build(start, end, **kwargs)

    monkeypatch.setattr(services, "build", failing)
    assert periodic.execute(job) is None  # recorded, not raised
    row = PeriodicJob.objects.get(name=tasks.ROLLUP)
    assert row.last_error.startswith("RollupFailed: 31 天汇总失败（9 天完成）：disk full")
    assert row.consecutive_failures == 1
    assert current_days() == {day(12, n) for n in range(1, 10)}  # the other range was built
    assert day(11, 15) not in {r.day for r in RollupDay.objects.all()}  # the failed one left as it was

    monkeypatch.setattr(services, "build", build)
    result = periodic.execute(job)
    assert (result["days"], result["left"]) == (31, 0)
    row.refresh_from_db()
    assert row.consecutive_failures == 0 and row.last_result.startswith("days 31")
    assert len(current_days()) == 40
    assert_exact_everywhere(month)


def test_the_command_rebuilds_a_range_with_its_progress(month):
    out = io.StringIO()
    call_command("performance", "rollup", "--from", "2026-11-01", "--to", "2026-12-20", stdout=out)
    text = out.getvalue()
    assert "2026-12-10 起的日期尚未结束" in text  # 10 December is today
    assert "汇总 2026-11-01 … 2026-12-09：" in text
    assert "2026-11-01 … 2026-12-01：" in text and "（31/39 天" in text and "（39/39 天" in text
    assert "完成：39 天" in text
    assert current_days() == {day(11, 1) + dt.timedelta(days=n) for n in range(39)}
    assert PeriodicJob.objects.get(name=tasks.ROLLUP).last_success_at == NOW  # recorded on the job's row

    out = io.StringIO()
    call_command("performance", "rollup", stdout=out)  # everything: from the first counted row
    assert "汇总 2026-10-31 … 2026-12-09：" in out.getvalue() and current_days() >= {day(10, 31)}


# --- concurrency ------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_late_write_during_a_build_leaves_the_day_stale(monkeypatch):
    """PostgreSQL: a build locks its days before it reads; a late write of one of them waits for the build's
    commit and then makes the day stale again — never a current day without the write."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises the two transactions")
    from yichuang.intake.tests.helpers import build_hall

    hall = build_hall()
    target = day(11, 20)
    window = hall.w1
    first = ticket(hall, window, hall.clerk, issued=moment(target), finished=moment(target, 11))

    locked, go = threading.Event(), threading.Event()
    figures = services._figures

    def slow_figures(start, end):
        locked.set()
        assert go.wait(10)
        yield from figures(start, end)

    monkeypatch.setattr(services, "_figures", slow_figures)

    def late_rating():
        assert locked.wait(10)
        with transaction.atomic():
            rate(2, hall.clerk, window, hall.samr, moment(target, 15), ticket=first)
            services.touch(moment(target, 15))  # blocks until the build commits

    def build():
        services.build(target, target + dt.timedelta(days=1))

    def in_thread(job):
        def run():
            try:
                job()
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    builder = in_thread(build)
    try:
        assert locked.wait(10)
        writer = in_thread(late_rating)
        time.sleep(0.5)  # the writer waits for the day's lock now
    finally:
        go.set()
    builder.join(20)
    writer.join(20)
    state = RollupDay.objects.get(day=target)
    assert (state.changes, state.built, state.current) == (1, 0, False)
    period = queries.Period(target, target + dt.timedelta(days=1))
    assert queries.report(period, "staff").total.ratings == 1  # read live: the rating is there
    monkeypatch.setattr(services, "_figures", figures)
    services.roll_up()
    assert RollupDay.objects.get(day=target).current
    assert table(queries.report(period, "staff")) == table(queries.report(period, "staff", rollup=False))


# --- the property ---------------------------------------------------------------------------------------

DAYS = [day(10, 30) + dt.timedelta(days=n) for n in range(11)]  # 30 October … 9 November
WHOLE = queries.Period(DAYS[0] - dt.timedelta(days=2), DAYS[-1] + dt.timedelta(days=2))
DAY_US = 86_400_000_000
moments = st.builds(
    lambda d, us: dt.datetime.combine(d, dt.time(), tzinfo=SHANGHAI) + dt.timedelta(microseconds=us),
    st.sampled_from(DAYS),
    st.one_of(st.just(0), st.just(DAY_US - 1), st.integers(0, DAY_US - 1)),
)
minutes = st.integers(0, 90).map(lambda m: dt.timedelta(minutes=m, microseconds=m * 7))
STAFF = ["clerk", "clerk2", "gclerk", "samr_officer", "police_officer", None]
WINDOWS = ["w1", "w2", "w_general", "w_police", None]
DEPARTMENTS = ["samr", "police", "tax", "civil", None]
MATTERS = ["setup", "seal", "invoice", "licence_days", "elderly"]

tickets = st.fixed_dictionaries(
    {
        "staff": st.sampled_from(STAFF),
        "window": st.sampled_from(WINDOWS[:4]),
        "finished": moments,
        "waited": st.none() | minutes,
        "handled": st.none() | minutes,
        "status": st.sampled_from(["finished", "finished", "finished", "cancelled"]),
    }
)
cases = st.fixed_dictionaries(
    {
        "matter": st.sampled_from(MATTERS),
        "status": st.sampled_from(["approved", "rejected", "terminated", "in_progress"]),
        "concluded": moments,
        "due": moments,
        "assignee": st.sampled_from(STAFF),
    }
)
submissions = st.fixed_dictionaries(
    {
        "staff": st.sampled_from(STAFF),
        "window": st.sampled_from(WINDOWS),
        "accepted": moments,
        "status": st.sampled_from(["accepted", "accepted", "refused"]),
        "assisted": st.booleans(),
        "cases": st.lists(cases, max_size=3),
    }
)
ratings = st.fixed_dictionaries(
    {
        "level": st.integers(1, 5),
        "staff": st.sampled_from(STAFF),
        "window": st.sampled_from(WINDOWS),
        "department": st.sampled_from(DEPARTMENTS),
        "created": moments,
    }
)
late_writes = st.one_of(st.tuples(st.just("late rating"), ratings), st.tuples(st.just("late ticket"), tickets))
later = st.one_of(
    late_writes,
    late_writes,
    st.tuples(st.just("move staff"), st.sampled_from(STAFF[:5]), st.sampled_from(DEPARTMENTS)),
    st.tuples(st.just("move window"), st.sampled_from(WINDOWS[:4]), st.sampled_from(["enterprise", "general"])),
)  # late writes twice as likely as each move
periods = st.builds(
    lambda start, length: queries.Period(start, start + dt.timedelta(days=length)),
    st.sampled_from([DAYS[0] - dt.timedelta(days=2), *DAYS, DAYS[-1] + dt.timedelta(days=1)]),
    st.integers(1, 14),
)
reads = st.fixed_dictionaries(
    {
        "period": periods,
        "by": st.sampled_from(list(queries.DIMENSIONS)),
        "scope": st.sampled_from([None, "samr", "police", "tax", "civil", "none", "lead"]),
        "sort": st.sampled_from(["", *queries.COLUMNS, *(f"-{c}" for c in queries.COLUMNS)]),
    }
)


class History:
    """Writes generated rows on the hand-made month's hall."""

    def __init__(self, month, assistance):
        self.month, self.hall, self.assistance = month, month.hall, assistance
        self.applicant = Submission.objects.values_list("applicant", flat=True).first()

    def staff(self, name):
        month = self.month
        return {
            "clerk": month.clerk, "clerk2": month.clerk2, "gclerk": month.gclerk, "samr_officer": month.samr_officer,
            "police_officer": month.police_officer, None: None,
        }[name]  # fmt: skip

    def window(self, name):
        return None if name is None else getattr(self.hall, name)

    def department(self, name):
        return None if name is None else getattr(self.hall, name)

    def ticket(self, t) -> None:
        finished, waited, handled = t["finished"], t["waited"], t["handled"]
        served = None if handled is None else finished - handled
        called = None if waited is None else (served or finished) - dt.timedelta(minutes=1)
        issued = (called or served or finished) - (waited or dt.timedelta(minutes=3))
        ticket(
            self.hall, self.window(t["window"]), self.staff(t["staff"]), issued=issued, called=called, served=served,
            finished=finished if t["status"] == "finished" else None, status=t["status"],
        )  # fmt: skip

    def submission(self, s) -> None:
        sub = Submission.objects.create(
            site=self.hall.site, applicant_id=self.applicant, window=self.window(s["window"]),
            accepted_by=self.staff(s["staff"]), accepted_at=s["accepted"], status=s["status"],
            channel="window" if s["window"] else "online", assistance=self.assistance if s["assisted"] else None,
        )  # fmt: skip
        if s["status"] != "accepted":
            return
        for seq, c in enumerate(s["cases"], start=1):
            matter = getattr(self.hall, c["matter"])
            concluded = c["status"] != "in_progress"
            Case.objects.create(
                submission=sub, seq=seq, matter=matter, department=matter.department, matter_snapshot={},
                accepted_at=sub.accepted_at, due_at=c["due"], status=c["status"], window=sub.window,
                concluded_at=c["concluded"] if concluded else None, assignee=self.staff(c["assignee"]),
            )  # fmt: skip

    def rating(self, r) -> None:
        window = self.window(r["window"])
        subject = ticket(self.hall, window or self.hall.w1, None, issued=r["created"], status="cancelled")
        rate(r["level"], self.staff(r["staff"]), window, self.department(r["department"]), r["created"], ticket=subject)


@pytest.fixture
def assistance(month):
    return Assistance.objects.create(
        number="BB-2026-0001", category="elderly", subject_kind="person", subject_name="李四",
        subject_id_number="411624195001011234", subject_phone="13900000000", helper=month.clerk,
        consent_at=moment(day(10, 1)), consent_recorded_by=month.clerk, consent_file="assistance/consent.pdf",
    )  # fmt: skip


PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@PROPERTY
@given(
    history=st.fixed_dictionaries(
        {
            "tickets": st.lists(tickets, min_size=1, max_size=8),
            "submissions": st.lists(submissions, min_size=1, max_size=6),
            "ratings": st.lists(ratings, min_size=1, max_size=8),
        }
    ),
    rolled=st.one_of(st.just(set(DAYS)), st.sets(st.sampled_from(DAYS), min_size=1)),
    changes=st.lists(later, max_size=3),
    rebuild_after=st.booleans(),
    whole_scope=st.sampled_from([None, "samr", "police", "tax", "civil", "none", "lead"]),
    checks=st.lists(reads, min_size=1, max_size=3),
)
def test_the_report_with_the_rollup_is_the_report_without_it(
    month, assistance, history, rolled, changes, rebuild_after, whole_scope, checks
):
    """Random history over 30 October … 9 November (boundaries of days included), some of those days rolled up,
    then late writes (stamped on a past day, through services.touch) and staff members and windows moved: the
    report is the same with and without the rollup for the whole range in every dimension and for random periods,
    dimensions, scopes and sorts."""
    with transaction.atomic():
        write = History(month, assistance)
        for t in history["tickets"]:
            write.ticket(t)
        for s in history["submissions"]:
            write.submission(s)
        for r in history["ratings"]:
            write.rating(r)
        for start, end in services._runs(sorted(rolled)):
            services.build(start, end)
        for change in changes:
            match change:
                case ("late rating", r):
                    write.rating(r)
                    services.touch(r["created"])
                case ("late ticket", t):
                    write.ticket(t)
                    services.touch(t["finished"])
                case ("move staff", name, department):
                    User.objects.filter(pk=write.staff(name).pk).update(department=write.department(department))
                case ("move window", name, zone):
                    Window.objects.filter(pk=write.window(name).pk).update(zone=getattr(month.hall, zone))
        if rebuild_after:
            services.roll_up()
        whole = [{"period": WHOLE, "by": by, "scope": whole_scope, "sort": ""} for by in queries.DIMENSIONS]
        for check in whole + checks:
            scope = check["scope"]
            user = month.lead if scope == "lead" else None
            departments = None if scope in (None, "lead") else set() if scope == "none" else {
                getattr(month.hall, scope).pk
            }  # fmt: skip
            same_with_and_without(check["period"], check["by"], departments=departments, user=user, sort=check["sort"])
        transaction.set_rollback(True)
