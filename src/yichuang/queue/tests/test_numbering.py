import datetime

import pytest

from yichuang.queue import services
from yichuang.queue.models import Ticket, TicketCounter

pytestmark = pytest.mark.django_db


def test_numbers_per_zone_with_letter(hall, t0):
    a1 = services.issue_ticket(hall.a, now=t0)
    a2 = services.issue_ticket(hall.a, now=t0)
    b1 = services.issue_ticket(hall.b, now=t0)
    a3 = services.issue_ticket(hall.a, priority=True, now=t0)
    assert [a1.number, a2.number, b1.number, a3.number] == ["A001", "A002", "B001", "A003"]
    assert TicketCounter.objects.get(zone=hall.a, date=t0.date()).last == 3


def test_numbers_restart_each_day(hall, t0):
    services.issue_ticket(hall.a, now=t0)
    services.issue_ticket(hall.a, now=t0)
    tomorrow = services.issue_ticket(hall.a, now=t0 + datetime.timedelta(days=1))
    assert tomorrow.number == "A001"
    assert tomorrow.date == t0.date() + datetime.timedelta(days=1)


def test_number_past_999_keeps_growing(hall, t0):
    TicketCounter.objects.create(zone=hall.a, date=t0.date(), last=999)
    assert services.issue_ticket(hall.a, now=t0).number == "A1000"


def test_failed_issue_leaves_no_gap(hall, t0):
    services.issue_ticket(hall.a, now=t0)
    with pytest.raises(services.QueueError):
        services.issue_ticket(hall.a, phone="12345", now=t0)  # refused before numbering
    assert services.issue_ticket(hall.a, now=t0).number == "A002"
    assert sorted(Ticket.objects.values_list("seq", flat=True)) == [1, 2]


def test_transfer_keeps_number(hall, t0):
    ticket = services.issue_ticket(hall.a, now=t0)
    window = hall.windows[0]
    services.call_next(window, hall.clerk_at(window), now=t0)
    moved = services.transfer(ticket, hall.b, hall.clerk_at(window), now=t0)
    assert moved.number == "A001" and moved.zone == hall.b and moved.status == Ticket.Status.WAITING
    # Zone B goes on numbering with its own letter; the transferred ticket is called by its old number.
    assert services.issue_ticket(hall.b, now=t0).number == "B001"
    called = services.call_next(hall.windows[2], hall.clerk_at(hall.windows[2]), now=t0)
    assert called.number == "A001"
