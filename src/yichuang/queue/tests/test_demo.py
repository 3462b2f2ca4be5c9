"""The demo hall's ticket history, played through the services."""

import datetime

import pytest
from django.db.models import Count, Max
from django.utils import timezone

from yichuang.queue.demo import load_demo_history
from yichuang.queue.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def test_yesterday_and_this_morning_once(hall):
    hall.site.is_default = True
    hall.site.save()
    now = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(10, 30)))
    line = load_demo_history(now=now)
    yesterday, today = now.date() - datetime.timedelta(days=1), now.date()
    assert "昨日" in line and "今日上午" in line
    past = Ticket.objects.filter(date=yesterday)
    assert past.count() > 20
    # Yesterday is over: everyone was served or missed their turn.
    assert set(past.values_list("status", flat=True)) <= {Ticket.Status.FINISHED, Ticket.Status.MISSED}
    morning = Ticket.objects.filter(date=today)
    assert morning.exists() and not morning.filter(issued_at__gt=now).exists()
    # Numbers per zone and day, gap-free; every step recorded.
    for row in Ticket.objects.values("issued_zone", "date").annotate(n=Count("id"), top=Max("seq")):
        assert row["n"] == row["top"]
    assert TicketEvent.objects.filter(kind="called").count() >= Ticket.objects.exclude(status="waiting").count()
    assert load_demo_history(now=now) == "一号服务历史：已有，未改动"
    assert Ticket.objects.count() == past.count() + morning.count()
