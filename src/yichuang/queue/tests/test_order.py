"""The order of calling: front transfers, the 绿色通道 without starvation, appointments, walk-ins."""

import datetime

import pytest

from yichuang.queue import services
from yichuang.queue.models import QueueSettings, Ticket

pytestmark = pytest.mark.django_db
S = datetime.timedelta(seconds=1)


def issue(hall, spec: str, t0, zone=None):
    """'PPO' → priority, priority, ordinary tickets issued one second apart."""
    return [services.issue_ticket(zone or hall.a, priority=(c == "P"), now=t0 + i * S) for i, c in enumerate(spec)]


def call_all(hall, t0, n: int, window=None) -> list[Ticket]:
    window = window or hall.windows[0]
    clerk = hall.clerk_at(window)
    out = []
    for i in range(n):
        ticket = services.call_next(window, clerk, now=t0 + (i + 1) * S)
        assert ticket is not None
        services.finish(ticket, clerk, now=t0 + (i + 1) * S)
        out.append(ticket)
    return out


def kinds(tickets):
    return "".join("P" if t.priority else "O" for t in tickets)


def test_priority_first(hall, t0):
    issue(hall, "OOP", t0)
    called = call_all(hall, t0 + 10 * S, 3)
    assert [t.number for t in called] == ["A003", "A001", "A002"]


def test_run_of_priority_lets_an_ordinary_through(hall, t0):
    issue(hall, "OO" + "P" * 6, t0)
    called = call_all(hall, t0 + 10 * S, 8)
    # Run length 3 (default): after three 绿色通道 tickets, one ordinary; the priority lane resumes.
    assert kinds(called) == "PPPOPPPO"


def test_run_length_is_configurable(hall, t0):
    QueueSettings.objects.create(zone=hall.a, priority_run_length=1)
    issue(hall, "OOPPP", t0)
    assert kinds(call_all(hall, t0 + 10 * S, 5)) == "POPOP"


def test_site_settings_apply_unless_the_zone_has_its_own(hall, t0):
    QueueSettings.objects.create(site=hall.site, priority_run_length=2)
    issue(hall, "OPPP", t0)
    assert kinds(call_all(hall, t0 + 10 * S, 4)) == "PPOP"


def test_ordinary_waiting_past_the_bound_goes_next(hall, t0):
    issue(hall, "O", t0)
    later = t0 + datetime.timedelta(minutes=21)
    issue(hall, "PP", later)
    # The ordinary ticket has waited 21 minutes (bound 20): it goes before the 绿色通道.
    assert kinds(call_all(hall, later + 10 * S, 3)) == "OPP"


def test_within_the_bound_priority_still_first(hall, t0):
    issue(hall, "O", t0)
    later = t0 + datetime.timedelta(minutes=19)
    issue(hall, "PP", later)
    assert kinds(call_all(hall, later + 10 * S, 3)) == "PPO"


def test_starving_ordinary_tickets_do_not_starve_the_priority_lane(hall, t0):
    issue(hall, "OOOO", t0)
    later = t0 + datetime.timedelta(minutes=30)
    issue(hall, "PPP", later)
    # Every ordinary ticket has waited past the bound: one goes, then a priority ticket, and so on.
    assert kinds(call_all(hall, later + 10 * S, 7)) == "OPOPOPO"


def test_bound_is_configurable(hall, t0):
    QueueSettings.objects.create(zone=hall.a, priority_wait_bound_minutes=5)
    issue(hall, "O", t0)
    later = t0 + datetime.timedelta(minutes=6)
    issue(hall, "P", later)
    assert kinds(call_all(hall, later + 10 * S, 2)) == "OP"


def test_priority_alone_or_ordinary_alone(hall, t0):
    issue(hall, "PPPP", t0)
    assert kinds(call_all(hall, t0 + 10 * S, 4)) == "PPPP"


def test_appointment_in_time_goes_ahead_of_walk_ins_but_after_priority(hall, t0):
    issue(hall, "OO", t0)
    booked = services.issue_ticket(hall.a, booked=True, source=Ticket.Source.APPOINTMENT, now=t0 + 3 * S)
    issue(hall, "P", t0 + 4 * S)
    called = call_all(hall, t0 + 10 * S, 4)
    assert [t.number for t in called] == ["A004", booked.number, "A001", "A002"]


def test_transfer_to_front_goes_first(hall, t0):
    issue(hall, "OP", t0, zone=hall.b)
    ticket = services.issue_ticket(hall.a, now=t0)
    window = hall.windows[0]
    services.call_next(window, hall.clerk_at(window), now=t0 + S)
    services.transfer(ticket, hall.b, hall.clerk_at(window), front=True, now=t0 + 2 * S)
    called = call_all(hall, t0 + 10 * S, 3, window=hall.windows[2])
    assert [t.number for t in called] == ["A001", "B002", "B001"]


def test_transfer_without_front_joins_the_end(hall, t0):
    issue(hall, "OO", t0, zone=hall.b)
    ticket = services.issue_ticket(hall.a, now=t0)
    window = hall.windows[0]
    services.call_next(window, hall.clerk_at(window), now=t0 + S)
    services.transfer(ticket, hall.b, hall.clerk_at(window), now=t0 + 2 * S)
    called = call_all(hall, t0 + 10 * S, 3, window=hall.windows[2])
    assert [t.number for t in called] == ["B001", "B002", "A001"]


def test_yesterdays_tickets_are_not_called_today(hall, t0):
    services.issue_ticket(hall.a, now=t0 - datetime.timedelta(days=1))
    window = hall.windows[0]
    assert services.call_next(window, hall.clerk_at(window), now=t0) is None


def test_ahead_counts_follow_the_order(hall, t0):
    from yichuang.queue import queries

    tickets = issue(hall, "OOPO", t0)
    assert [queries.ahead_of(t) for t in tickets] == [1, 2, 0, 3]
    assert [t.ahead_at_issue for t in tickets] == [0, 1, 0, 3]


def test_rules_saved_take_effect_at_once(hall, t0):
    issue(hall, "OOPPP", t0)
    called = call_all(hall, t0 + 10 * S, 1)  # reads (and keeps for a while) the default rules
    assert kinds(called) == "P"
    QueueSettings.objects.create(zone=hall.a, priority_run_length=1)
    # The process forgot the rules it kept: the run of one priority call lets an ordinary ticket through.
    assert kinds(call_all(hall, t0 + 20 * S, 2)) == "OP"
