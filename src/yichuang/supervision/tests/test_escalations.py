"""An overdue consultation escalation (咨询转办) on the board: red, with a 督办单 issued on it like on a case; the
department replies; the order's check constraint allows exactly one of case, task, escalation."""

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import Client

from yichuang.consultation import services as consultation
from yichuang.core import once
from yichuang.intake.tests.helpers import T0
from yichuang.organisation import services as org_services
from yichuang.organisation.roles import Role
from yichuang.organisation.tests.factories import UserFactory
from yichuang.supervision import queries, services
from yichuang.supervision.models import Order

pytestmark = pytest.mark.django_db

THURSDAY = dt.datetime(2026, 3, 12, 10, 0, tzinfo=T0.tzinfo)  # escalated: due Friday 13 March 17:30
MONDAY = dt.datetime(2026, 3, 16, 9, 0, tzinfo=T0.tzinfo)


@pytest.fixture
def escalations(office):
    consultant = UserFactory(roles=[Role.CONSULTANT], username="zx")
    with time_machine.travel(THURSDAY, tick=False):
        late = consultation.record(consultant, channel="phone", question="食品经营许可延续？", solved=False,
                                   department=office.hall.samr, now=THURSDAY)  # fmt: skip
    with time_machine.travel(MONDAY, tick=False):
        fresh = consultation.record(consultant, channel="phone", question="另一个问题", solved=False,
                                    department=office.hall.samr, now=MONDAY)  # fmt: skip
    return late.escalation, fresh.escalation


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_overdue_escalation_is_red_on_the_board_and_gets_an_order(office, escalations):
    late, fresh = escalations
    with time_machine.travel(MONDAY, tick=False):
        board = queries.board(office.supervisor)
        assert [e.pk for e in board.overdue_escalations] == [late.pk]
        client = _client(office.supervisor)
        page = client.get("/supervision/")
        number = late.consultation.number
        assert f'<tr class="row-red" data-consultation="{number}">' in page.text
        assert fresh.consultation.number not in page.text
        assert f'data-issue-escalation="{number}"' in page.text
        form = client.get(f"/supervision/orders/new/?escalation={number}")
        assert form.status_code == 200 and "食品经营许可延续" in form.text
        done = client.post(
            f"/supervision/orders/new/?escalation={number}",
            {"escalation": number, "level": "blue", "instruction": "请今日答复咨询人。",
             "reply_due": "2026-03-17T12:00", "form_token": once.new_token()},
        )  # fmt: skip
    order = Order.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/supervision/orders/{order.number}/"
    assert order.escalation == late and order.department == office.hall.samr and order.case is None
    assert order.subject == f"咨询 {number}"
    with time_machine.travel(MONDAY, tick=False):
        page = _client(office.officer).get(f"/supervision/orders/{order.number}/")
        assert number in page.text
        services.reply(order, office.officer, "已电话答复咨询人。")


def test_no_order_on_an_answered_escalation(office, escalations):
    late, _fresh = escalations
    consultation.answer(late.consultation, office.officer, reply="答复", now=MONDAY)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.issue_order(
            office.supervisor, escalation=late, instruction="催", reply_due=MONDAY + dt.timedelta(days=1), now=MONDAY
        )
    assert "已答复" in refused.value.message_dict["escalation"][0]
    with time_machine.travel(MONDAY, tick=False):
        assert queries.board(office.supervisor).overdue_escalations == []


def test_an_order_on_an_escalation_through_the_api(office, escalations):
    late, _fresh = escalations
    client = Client(HTTP_AUTHORIZATION=f"Bearer {org_services.issue_api_token(office.supervisor)}")
    with time_machine.travel(MONDAY, tick=True):
        made = client.post(
            "/api/supervision/orders",
            {
                "consultation": late.consultation.number,
                "instruction": "请答复",
                "reply_due": "2026-03-18T12:00:00+08:00",
            },
            content_type="application/json",
        )
        assert made.status_code == 201, made.json()
        assert made.json()["consultation"] == late.consultation.number and made.json()["case"] is None
        unknown = client.post(
            "/api/supervision/orders",
            {"consultation": "ZX-2026-9999", "instruction": "请答复", "reply_due": "2026-03-18T12:00:00+08:00"},
            content_type="application/json",
        )
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "consultation"


def test_the_constraint_allows_one_subject_only(office, escalations, cases):
    late, _fresh = escalations
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(number="DB-2026-9999", case=cases.red, escalation=late, department=office.hall.samr,
                             instruction="x", reply_due=MONDAY, issued_by=office.supervisor)  # fmt: skip
