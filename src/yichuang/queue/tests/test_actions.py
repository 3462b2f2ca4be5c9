"""Recall, no-show, reactivate, transfer, finish: the rules, the records, and refusals that change nothing."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from yichuang.core.models import AuditEvent
from yichuang.organisation import services as org_services
from yichuang.organisation.tests.factories import UserFactory, WindowFactory
from yichuang.queue import services
from yichuang.queue.models import QueueSettings, Ticket, TicketEvent

pytestmark = pytest.mark.django_db
S = datetime.timedelta(seconds=1)


def snapshot():
    """Everything a refused action must leave as it was."""
    return (
        list(Ticket.objects.order_by("id").values()),
        TicketEvent.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def called(hall, t0):
    """A001 called to window 1."""
    services.issue_ticket(hall.a, now=t0)
    window = hall.windows[0]
    return services.call_next(window, hall.clerk_at(window), now=t0 + S), window, hall.clerk_at(window)


def test_no_show_only_after_n_calls(called, t0):
    ticket, window, clerk = called
    before = snapshot()
    with pytest.raises(services.Conflict):
        services.mark_no_show(ticket, clerk, now=t0 + 2 * S)
    assert snapshot() == before
    services.recall(ticket, clerk, now=t0 + 3 * S)
    with pytest.raises(services.Conflict):
        services.mark_no_show(ticket, clerk, now=t0 + 4 * S)
    services.recall(ticket, clerk, now=t0 + 5 * S)
    missed = services.mark_no_show(ticket, clerk, now=t0 + 6 * S)
    assert missed.status == Ticket.Status.MISSED and missed.call_count == 3 and missed.window is None
    # The window is free for the next ticket.
    assert services.call_next(window, clerk, now=t0 + 7 * S) is None


def test_no_show_count_is_configurable(hall, called, t0):
    QueueSettings.objects.create(zone=hall.a, no_show_after_calls=1)
    ticket, window, clerk = called
    assert services.mark_no_show(ticket, clerk, now=t0 + 2 * S).status == Ticket.Status.MISSED


def test_reactivate_a_missed_ticket(hall, t0):
    QueueSettings.objects.create(zone=hall.a, no_show_after_calls=1)
    first, second = services.issue_ticket(hall.a, now=t0), services.issue_ticket(hall.a, now=t0 + S)
    window, clerk = hall.windows[0], hall.clerk_at(hall.windows[0])
    services.call_next(window, clerk, now=t0 + 2 * S)
    services.mark_no_show(first, clerk, now=t0 + 3 * S)
    third = services.issue_ticket(hall.a, now=t0 + 4 * S)
    again = services.reactivate(first, clerk, now=t0 + 5 * S)
    assert again.status == Ticket.Status.WAITING and again.call_count == 0 and again.number == "A001"
    # Back at the end of the queue: after A002 and A003.
    order = []
    for i in range(3):
        t = services.call_next(window, clerk, now=t0 + (10 + i) * S)
        services.finish(t, clerk, now=t0 + (10 + i) * S)
        order.append(t.number)
    assert order == [second.number, third.number, "A001"]


def test_reactivate_to_the_front(hall, t0):
    QueueSettings.objects.create(zone=hall.a, no_show_after_calls=1)
    first = services.issue_ticket(hall.a, now=t0)
    services.issue_ticket(hall.a, now=t0 + S)
    window, clerk = hall.windows[0], hall.clerk_at(hall.windows[0])
    services.call_next(window, clerk, now=t0 + 2 * S)
    services.mark_no_show(first, clerk, now=t0 + 3 * S)
    services.reactivate(first, clerk, front=True, now=t0 + 4 * S)
    assert services.call_next(window, clerk, now=t0 + 5 * S).number == "A001"


def test_reactivate_only_missed_and_only_in_own_zone(hall, called, t0):
    ticket, window, clerk = called
    before = snapshot()
    with pytest.raises(services.Conflict):
        services.reactivate(ticket, clerk, now=t0 + 2 * S)
    with pytest.raises(PermissionDenied):
        services.reactivate(ticket, hall.clerk_at(hall.windows[2]), now=t0 + 2 * S)  # seated in zone B
    assert snapshot() == before


def test_recall_counts_and_records(called, t0):
    ticket, window, clerk = called
    services.recall(ticket, clerk, now=t0 + 2 * S)
    ticket.refresh_from_db()
    assert ticket.call_count == 2
    event = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.RECALLED).get()
    assert event.window == window and event.staff == clerk and event.at == t0 + 2 * S


def test_finished_ticket_cannot_be_recalled_or_finished_again(called, t0):
    ticket, window, clerk = called
    services.finish(ticket, clerk, now=t0 + 2 * S)
    before = snapshot()
    for action in (services.recall, services.finish, services.mark_no_show, services.start_serving):
        with pytest.raises(services.Conflict):
            action(ticket, clerk, now=t0 + 3 * S)
    with pytest.raises(services.Conflict):
        services.transfer(ticket, ticket.zone.site.zones.exclude(pk=ticket.zone_id).first(), clerk, now=t0)
    assert snapshot() == before


def test_only_the_window_holding_the_ticket_acts_on_it(hall, called, t0):
    ticket, window, clerk = called
    other = hall.clerk_at(hall.windows[1])
    before = snapshot()
    for action in (services.recall, services.finish, services.start_serving):
        with pytest.raises(PermissionDenied):
            action(ticket, other, now=t0 + 2 * S)
    with pytest.raises(PermissionDenied):
        services.transfer(ticket, hall.b, other, now=t0 + 2 * S)
    assert snapshot() == before


def test_call_needs_the_seat_an_open_window_and_a_free_hand(hall, called, t0):
    ticket, window, clerk = called
    services.issue_ticket(hall.a, now=t0 + 2 * S)
    before = snapshot()
    # Still holding A001: finish, no-show or transfer it first.
    with pytest.raises(services.Conflict):
        services.call_next(window, clerk, now=t0 + 3 * S)
    # Not seated at window 2.
    with pytest.raises(PermissionDenied):
        services.call_next(hall.windows[1], clerk, now=t0 + 3 * S)
    # Nobody seated at all.
    with pytest.raises(PermissionDenied):
        services.call_next(window, UserFactory(window_clerk=True), now=t0 + 3 * S)
    # A closed window.
    closed_clerk = hall.clerk_at(hall.windows[1])
    hall.windows[1].is_open = False
    hall.windows[1].save()
    with pytest.raises(services.Conflict):
        services.call_next(hall.windows[1], closed_clerk, now=t0 + 3 * S)
    assert snapshot() == before


def test_transfer_refuses_same_zone_and_other_site(hall, called, t0):
    ticket, window, clerk = called
    foreign = WindowFactory().zone
    before = snapshot()
    with pytest.raises(services.QueueError):
        services.transfer(ticket, hall.a, clerk, now=t0)
    with pytest.raises(services.QueueError):
        services.transfer(ticket, foreign, clerk, now=t0)
    assert snapshot() == before


def test_every_event_recorded_with_time_window_and_staff(hall, t0):
    QueueSettings.objects.create(zone=hall.a, no_show_after_calls=2)
    w1, c1 = hall.windows[0], hall.clerk_at(hall.windows[0])
    w5, c5 = hall.windows[2], hall.clerk_at(hall.windows[2])
    t = services.issue_ticket(hall.a, now=t0)
    services.call_next(w1, c1, now=t0 + 1 * S)
    services.recall(t, c1, now=t0 + 2 * S)
    services.mark_no_show(t, c1, now=t0 + 3 * S)
    services.reactivate(t, c1, now=t0 + 4 * S)
    services.call_next(w1, c1, now=t0 + 5 * S)
    services.transfer(t, hall.b, c1, now=t0 + 6 * S)
    services.call_next(w5, c5, now=t0 + 7 * S)
    services.start_serving(t, c5, now=t0 + 8 * S)
    services.finish(t, c5, now=t0 + 9 * S)
    events = list(TicketEvent.objects.filter(ticket=t).order_by("at"))
    assert [(e.kind, e.at - t0, e.window_id, e.staff_id, e.zone_id) for e in events] == [
        ("issued", 0 * S, None, None, hall.a.pk),
        ("called", 1 * S, w1.pk, c1.pk, hall.a.pk),
        ("recalled", 2 * S, w1.pk, c1.pk, hall.a.pk),
        ("no_show", 3 * S, w1.pk, c1.pk, hall.a.pk),
        ("reactivated", 4 * S, w1.pk, c1.pk, hall.a.pk),
        ("called", 5 * S, w1.pk, c1.pk, hall.a.pk),
        ("transferred", 6 * S, w1.pk, c1.pk, hall.b.pk),
        ("called", 7 * S, w5.pk, c5.pk, hall.b.pk),
        ("served", 8 * S, w5.pk, c5.pk, hall.b.pk),
        ("finished", 9 * S, w5.pk, c5.pk, hall.b.pk),
    ]
    assert events[6].detail == {"from_zone": "za", "to_zone": "zb", "front": False}
    actions = list(
        AuditEvent.objects.filter(object_type="queue.ticket", object_id=str(t.pk))
        .values_list("action", flat=True)
        .order_by("id")
    )
    assert actions == [
        "queue.issue",
        "queue.call",
        "queue.recall",
        "queue.no_show",
        "queue.reactivate",
        "queue.call",
        "queue.transfer",
        "queue.call",
        "queue.serve",
        "queue.finish",
    ]


def test_phone_is_kept_but_never_in_events_or_audit(hall, t0):
    t = services.issue_ticket(hall.a, phone="13812345678", now=t0)
    assert t.phone == "13812345678" and t.masked_phone == "138****5678"
    assert "13812345678" not in str(list(TicketEvent.objects.values()))
    assert "13812345678" not in str(list(AuditEvent.objects.values()))


def test_empty_queue_gives_none(hall, t0):
    window = hall.windows[0]
    assert services.call_next(window, hall.clerk_at(window), now=t0) is None
    assert not TicketEvent.objects.exists()


def test_leaving_the_seat_stops_calling(hall, t0):
    services.issue_ticket(hall.a, now=t0)
    window, clerk = hall.windows[0], hall.clerk_at(hall.windows[0])
    org_services.leave_seat(clerk)
    with pytest.raises(PermissionDenied):
        services.call_next(window, clerk, now=t0)
