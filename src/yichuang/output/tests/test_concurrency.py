"""Two clerks, two workers, two departments at the same moment (PostgreSQL: real concurrent transactions;
SQLite serializes writers, and the sequential tests in test_services cover the same rules there)."""

import datetime as dt

import pytest
from django.db import connection

from yichuang.core.tests.concurrency import run_together
from yichuang.intake.tests.helpers import PERSON
from yichuang.notifications.models import Message
from yichuang.organisation.tests.factories import UserFactory
from yichuang.output import services
from yichuang.output.models import Handover, HandoverItem, Reminder

from .conftest import LATER, SIGNATURE, approve, bundle, officer_for, ready_single


def postgres_only():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serializes writers; test_services covers the rule sequentially")


@pytest.mark.django_db(transaction=True)
def test_two_clerks_hand_over_the_same_case_once(desk):
    postgres_only()
    submission = ready_single(desk)
    other = UserFactory(output_clerk=True, username="out2")

    def hand(clerk):
        return lambda: services.hand_over(
            submission, clerk, receiver="applicant", id_number=PERSON["id_number"], receiver_name="张三",
            signature=SIGNATURE,
        )  # fmt: skip

    for _round in range(2):
        results = run_together(hand(desk.clerk), hand(other))
        assert all(kind != "error" for kind, _ in results), results
    assert HandoverItem.objects.count() == 1 and Handover.objects.count() == 1
    assert Message.objects.filter(submission=submission.number, kind="handed_over").count() == 1


@pytest.mark.django_db(transaction=True)
def test_hand_over_and_mail_at_once(desk):
    postgres_only()
    submission = ready_single(desk)
    results = run_together(
        lambda: services.hand_over(
            submission, desk.clerk, receiver="applicant", id_number=PERSON["id_number"], receiver_name="张三",
            signature=SIGNATURE,
        ),
        lambda: services.mail(submission, desk.hall.admin, address="沈丘县", carrier="EMS", tracking_number="EMS1234"),
    )
    assert sorted(kind for kind, _ in results) == ["ok", "refused"], results
    assert HandoverItem.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_remind_once(desk):
    postgres_only()
    submission = ready_single(desk)
    now = LATER + dt.timedelta(days=8)
    results = run_together(lambda: services.send_reminders(now), lambda: services.send_reminders(now))
    assert all(kind == "ok" for kind, _ in results), results
    assert sum(n for _, n in results) == 1
    assert Reminder.objects.filter(submission=submission).count() == 1
    reminders = Message.objects.filter(submission=submission.number, kind="result_reminder", body__contains="尚未领取")
    assert reminders.count() == 1


@pytest.mark.django_db(transaction=True)
def test_last_two_results_at_once_one_ready_message(desk):
    postgres_only()
    submission = bundle(desk)
    first, second, third = submission.cases.order_by("seq")
    approve(first, officer_for(desk, first))
    results = run_together(
        lambda: approve(second, officer_for(desk, second)), lambda: approve(third, officer_for(desk, third))
    )
    assert all(kind == "ok" for kind, _ in results), results
    assert Message.objects.filter(submission=submission.number, kind="result_ready").count() == 1
