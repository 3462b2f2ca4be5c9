"""A small hand-made month (November 2026) on the intake tests' hall, with every figure known in advance, and
rows just outside the period on both sides (the expected figures are in the tests).

Staff: clerk (县市场监督管理局, window 1), clerk2 (县税务局, window 2), both in 企业开办服务专区; gclerk (no
department, window 21 in 综合审批服务区); officers of 县市场监督管理局 (samr1) and 县公安局 (police1).
"""

import datetime as dt
import itertools
from dataclasses import dataclass

import pytest
from django.core.management import call_command

from yichuang.clock.workcalendar import SHANGHAI
from yichuang.feedback.models import Evaluation
from yichuang.intake.models import Applicant, Case, Submission
from yichuang.intake.tests.helpers import Hall, build_hall
from yichuang.organisation.tests.factories import UserFactory
from yichuang.performance.queries import Period
from yichuang.queue.models import Ticket

NOVEMBER = Period(dt.date(2026, 11, 1), dt.date(2026, 12, 1))
START = dt.datetime(2026, 11, 1, tzinfo=SHANGHAI)
END = dt.datetime(2026, 12, 1, tzinfo=SHANGHAI)
JUST_BEFORE = START - dt.timedelta(microseconds=1)


def at(day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("createcachetable", verbosity=0)


@dataclass
class Month:
    hall: Hall
    clerk: object
    clerk2: object
    gclerk: object
    samr_officer: object
    police_officer: object
    lead: object  # 县市场监督管理局
    supervisor: object
    tickets: dict
    cases: dict


_seq = itertools.count(1)


def ticket(hall, window, staff, *, issued, called=None, served=None, finished=None, status="finished") -> Ticket:
    n = next(_seq)
    return Ticket.objects.create(
        zone=window.zone, issued_zone=window.zone, date=issued.date(), seq=n, number=f"A{n:03d}", status=status,
        issued_at=issued, queued_at=issued, called_at=called, first_called_at=called, served_at=served,
        finished_at=finished, window=window, called_by=staff,
    )  # fmt: skip


def submission(hall, applicant, window, staff, accepted_at, status="accepted") -> Submission:
    return Submission.objects.create(
        site=hall.site, applicant=applicant, window=window, accepted_by=staff, accepted_at=accepted_at,
        channel="window" if window else "online", status=status,
    )  # fmt: skip


def case(sub, seq, matter, *, due, status="accepted", concluded=None, assignee=None) -> Case:
    return Case.objects.create(
        submission=sub, seq=seq, matter=matter, department=matter.department, matter_snapshot={},
        accepted_at=sub.accepted_at, due_at=due, status=status, concluded_at=concluded, assignee=assignee,
        window=sub.window,  # as intake keeps it
    )  # fmt: skip


def rate(level, staff, window, department, created_at, *, ticket=None, case=None, channel="pad") -> Evaluation:
    return Evaluation.objects.create(
        level=level, staff=staff, window=window, zone=window.zone if window else None, department=department,
        created_at=created_at, ticket=ticket, case=case, channel=channel,
    )  # fmt: skip


@pytest.fixture
def month(db) -> Month:
    hall = build_hall()
    clerk, clerk2, gclerk = hall.clerk, hall.clerk2, hall.general_clerk
    clerk.department, clerk2.department = hall.samr, hall.tax
    clerk.save(update_fields=["department"])
    clerk2.save(update_fields=["department"])
    samr_officer = UserFactory(officer=True, department=hall.samr, username="samr1")
    police_officer = UserFactory(officer=True, department=hall.police, username="police1")
    lead = UserFactory(lead=True, department=hall.samr, username="samr_lead")
    supervisor = UserFactory(supervisor=True, username="sup")
    w1, w2, wg = hall.w1, hall.w2, hall.w_general

    m = dt.timedelta(minutes=1)
    t = {
        # clerk: waits 10 and 30 minutes, handling 10 and 20 minutes.
        "t1": ticket(hall, w1, clerk, issued=at(3), called=at(3) + 10 * m, served=at(3) + 12 * m,
                     finished=at(3) + 22 * m),
        "t2": ticket(hall, w1, clerk, issued=at(4, 11), called=at(4, 11, 30), served=at(4, 11, 30),
                     finished=at(4, 11, 50)),
        # clerk2: finished exactly at the start of the period (included): wait 20, handling 30.
        "t3": ticket(hall, w2, clerk2, issued=START - 60 * m, called=START - 40 * m, served=START - 30 * m,
                     finished=START),
        # Outside the period: exactly at its end, and one microsecond before its start.
        "t4": ticket(hall, w2, clerk2, issued=END - 30 * m, called=END - 20 * m, served=END - 10 * m,
                     finished=END),
        "t5": ticket(hall, w1, clerk, issued=JUST_BEFORE - 30 * m, called=JUST_BEFORE - 20 * m,
                     served=JUST_BEFORE - 10 * m, finished=JUST_BEFORE),
        # Not finished: never counted.
        "t6": ticket(hall, w1, clerk, issued=at(5), called=at(5, 10, 5), served=at(5, 10, 6), status="serving"),
        # gclerk: finished without a recorded start of service (no handling time), waited 5 minutes.
        "t7": ticket(hall, wg, gclerk, issued=at(10), called=at(10) + 5 * m, finished=at(10) + 15 * m),
    }  # fmt: skip

    person = Applicant.objects.create(kind="person", name="张三", id_number="411624199003071234")
    s1 = submission(hall, person, w1, clerk, at(3))
    s2 = submission(hall, person, w2, clerk2, at(5))
    s3 = submission(hall, person, wg, gclerk, at(6))
    s4 = submission(hall, person, None, None, at(7))  # online: no window, no clerk
    s5 = submission(hall, person, w1, clerk, JUST_BEFORE)  # before the period
    submission(hall, person, w1, clerk, at(8), status="refused")  # refused: not taken in
    c = {
        # Within the limit: one a day early, one concluded exactly at its deadline (≤ counts as within).
        "a": case(s1, 1, hall.setup, due=at(6), status="approved", concluded=at(5), assignee=samr_officer),
        "b": case(s1, 2, hall.seal, due=at(5, 15), status="approved", concluded=at(5, 15), assignee=police_officer),
        # Past it: rejected late, and terminated late with no assignee.
        "c": case(s3, 1, hall.licence_days, due=at(10), status="rejected", concluded=at(20), assignee=samr_officer),
        "d": case(s4, 1, hall.setup, due=at(20), status="terminated", concluded=at(25)),
        # Open: never counted as concluded.
        "e": case(s2, 1, hall.invoice, due=at(12), status="in_progress", assignee=None),
        # Concluded exactly at the end of the period: outside.
        "f": case(s5, 1, hall.setup, due=END + dt.timedelta(days=1), status="approved", concluded=END,
                  assignee=samr_officer),
    }  # fmt: skip

    samr, tax = hall.samr, hall.tax
    rate(5, clerk, w1, samr, at(3, 11), ticket=t["t1"])
    rate(4, clerk, w1, samr, at(4, 12), ticket=t["t2"])
    rate(2, clerk, w1, samr, at(6), case=c["a"], channel="link")
    rate(1, clerk2, w2, tax, at(1, 9), ticket=t["t3"])
    rate(3, clerk2, w2, tax, at(12), case=c["e"], channel="link")
    rate(5, gclerk, wg, None, START, ticket=t["t7"])  # exactly at the start: included
    rate(5, clerk, w1, samr, END, ticket=t["t4"])  # at the end: outside
    rate(1, clerk, w1, samr, JUST_BEFORE, ticket=t["t5"])  # before: outside
    return Month(
        hall=hall, clerk=clerk, clerk2=clerk2, gclerk=gclerk, samr_officer=samr_officer,
        police_officer=police_officer, lead=lead, supervisor=supervisor, tickets=t, cases=c,
    )  # fmt: skip
