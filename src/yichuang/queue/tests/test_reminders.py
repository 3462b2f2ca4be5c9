"""The kiosk's promise kept: a text message when only a few are ahead (QueueSettings.near_turn_ahead), once per
ticket, through the outbox, never without a phone; the ticket promises it only when it will be sent."""

import datetime

import pytest
from django.db import connection

from yichuang.core.tests.concurrency import run_together
from yichuang.notifications.models import Message
from yichuang.queue import services
from yichuang.queue.models import QueueSettings, Ticket
from yichuang.queue.tests import hammer

S = datetime.timedelta(seconds=1)


def phone(i: int) -> str:
    return f"139{i:08d}"


def issue(zone, t0, count, *, start=0, with_phone=True):
    return [
        services.issue_ticket(zone, phone=phone(start + i) if with_phone else None, now=t0 + (start + i) * S)
        for i in range(count)
    ]


def reminders():
    return list(Message.objects.filter(kind=Message.Kind.TURN_NEAR).order_by("id"))


@pytest.mark.django_db
def test_reminded_once_when_three_are_ahead(hall, t0, settings):
    settings.PUBLIC_URL = ""
    settings.SERVING_URL = "http://hall.example:8100"
    tickets = issue(hall.a, t0, 6)  # 0 … 5 ahead at issue
    window, clerk = hall.windows[0], hall.clerk_at(hall.windows[0])
    assert reminders() == []

    services.call_next(window, clerk, now=t0 + 60 * S)  # A001 called: A005 now has 3 ahead
    [first] = reminders()
    a005 = Ticket.objects.get(pk=tickets[4].pk)
    assert first.recipient == phone(4) and a005.reminded_at == t0 + 60 * S
    assert "A005" in first.body and "综合审批服务区" in first.body and "前面还有 3 人" in first.body
    assert f"http://hall.example:8100/t/{a005.token}/" in first.body  # the worker-side default address
    assert first.expires_at == t0 + 60 * S + services.REMINDER_VALID
    # A002–A004 were told 1–3 ahead at the kiosk: nothing was promised to them.
    assert Ticket.objects.filter(reminded_at__isnull=False).count() == 1

    services.finish(Ticket.objects.get(number="A001"), clerk, now=t0 + 61 * S)
    services.call_next(window, clerk, now=t0 + 62 * S)  # A006 now has 3 ahead; A005 (2 ahead) is not told again
    assert [m.recipient for m in reminders()] == [phone(4), phone(5)]
    for n in range(3):
        services.finish(Ticket.objects.get(window=window, status="called"), clerk, now=t0 + (63 + 2 * n) * S)
        services.call_next(window, clerk, now=t0 + (64 + 2 * n) * S)
    assert [m.recipient for m in reminders()] == [phone(4), phone(5)]


@pytest.mark.django_db
def test_no_message_without_a_phone(hall, t0):
    issue(hall.a, t0, 4)
    issue(hall.a, t0, 2, start=4, with_phone=False)
    window, clerk = hall.windows[0], hall.clerk_at(hall.windows[0])
    services.call_next(window, clerk, now=t0 + 60 * S)
    services.finish(Ticket.objects.get(number="A001"), clerk, now=t0 + 61 * S)
    services.call_next(window, clerk, now=t0 + 62 * S)
    assert reminders() == []
    assert not Ticket.objects.filter(reminded_at__isnull=False).exists()


@pytest.mark.django_db
def test_the_number_ahead_is_configured_per_zone_and_other_zones_are_not_touched(hall, t0):
    QueueSettings.objects.create(zone=hall.a, near_turn_ahead=1)
    issue(hall.a, t0, 4)  # 0 … 3 ahead
    issue(hall.b, t0, 6, start=10)
    window, clerk = hall.windows[0], hall.clerk_at(hall.windows[0])
    services.call_next(window, clerk, now=t0 + 60 * S)  # A003 has 1 ahead, A004 2: only A003
    assert [m.recipient for m in reminders()] == [phone(2)]
    assert "前面还有 1 人" in reminders()[0].body
    services.finish(Ticket.objects.get(number="A001"), clerk, now=t0 + 61 * S)
    services.call_next(window, clerk, now=t0 + 62 * S)
    assert [m.recipient for m in reminders()] == [phone(2), phone(3)]
    assert not Ticket.objects.filter(zone=hall.b, reminded_at__isnull=False).exists()  # zone B called nobody


@pytest.mark.django_db
def test_the_site_wide_rule_applies_to_its_zones(hall, t0):
    QueueSettings.objects.create(site=hall.site, near_turn_ahead=0)
    issue(hall.b, t0, 3)  # 0 … 2 ahead
    window, clerk = hall.windows[2], hall.clerk_at(hall.windows[2])
    services.call_next(window, clerk, now=t0 + 60 * S)  # B002 is next: 0 ahead, but it was told 1 at issue
    [message] = reminders()
    assert message.recipient == phone(1) and "下一个就轮到您" in message.body


@pytest.mark.django_db
def test_the_kiosk_ticket_promises_the_message_only_when_it_will_be_sent(client, hall, t0):
    issue(hall.a, t0, 3, with_phone=False)
    with_phone = services.issue_ticket(hall.a, phone="13812345678", now=t0 + 10 * S)  # 3 ahead: not more than 3
    later = services.issue_ticket(hall.a, phone="13812345679", now=t0 + 11 * S)  # 4 ahead
    no_phone = services.issue_ticket(hall.a, now=t0 + 12 * S)

    def page(ticket):
        return client.get(f"/kiosk/hall/ticket/{ticket.token}/").content.decode()

    assert "前面还剩 3 人时，将发短信提醒您（138****5679）" in page(later)
    for ticket in (with_phone, no_phone):
        body = page(ticket)
        assert "短信提醒" not in body and "快到时会提醒您" not in body
        assert "扫码，随时查看排队进度" in body


@pytest.mark.django_db
def test_the_mobile_page_says_near_at_the_same_count(hall, t0):
    from yichuang.queue import queries

    tickets = issue(hall.a, t0, 5)
    status = [queries.ticket_status(t, now=t0 + 60 * S) for t in tickets]
    assert [s["near"] for s in status] == [True, True, True, True, False]


@pytest.mark.django_db(transaction=True)
def test_windows_calling_at_once_remind_each_ticket_once():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serializes writers; the sequential rule is tested above")
    zone, seats = hammer.build_hall()
    seats = seats[:5]
    # With 10 the head every window sees after its own call reaches past the tickets the others are claiming at
    # that instant, so all five try to mark the same tickets: the conditional UPDATE must let exactly one win.
    QueueSettings.objects.create(zone=zone, near_turn_ahead=10)
    for _ in range(11):
        services.issue_ticket(zone)
    for i in range(15):
        services.issue_ticket(zone, phone=phone(i))  # 11 … 25 ahead at issue: each is promised a message
    for _round in range(4):
        results = run_together(*[lambda w=w, c=c: services.call_next(w, c) for w, c in seats])
        assert all(kind in ("ok", "refused") for kind, _value in results), results
        for window, clerk in seats:
            held = Ticket.objects.filter(window=window, status__in=["called", "serving"]).first()
            if held is not None:
                services.finish(held, clerk)
    recipients = [m.recipient for m in reminders()]
    assert phone(0) in recipients and len(recipients) == len(set(recipients)), recipients
    assert set(recipients) == set(Ticket.objects.filter(reminded_at__isnull=False).values_list("phone", flat=True))
